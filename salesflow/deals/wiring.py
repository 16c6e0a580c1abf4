"""What the deals module plugs into the shared kernel at start-up: navigation entries,
approval kinds and their decision hooks, notification kinds, home cards and periodic jobs."""

from django.utils.translation import gettext_lazy as _

NAV = [
    # (label, url name, icon, object type, order)
    (_("产品"), "deals:product_list", "bi-box-seam", "product", 50),
    (_("报价"), "deals:quote_list", "bi-receipt", "quote", 51),
    (_("合同"), "deals:contract_list", "bi-file-earmark-text", "contract", 52),
    (_("订单"), "deals:order_list", "bi-truck", "order", 53),
    (_("回款/应收"), "deals:receivables", "bi-cash-coin", "receipt", 54),
]

NOTIFY_KINDS = {
    "receivable.overdue": _("回款逾期"),
    "customer.credit": _("客户信用风险"),
}


def connect() -> None:
    from salesflow.core import dashboard, navigation

    for label, url_name, icon, object_type, order in NAV:
        navigation.register(navigation.NavEntry(label, url_name, icon, object_type, order=order))
    dashboard.register(_receivable_cards)
    _connect_approvals()
    _connect_notifications()
    _connect_pipeline()
    from . import tasks  # noqa: F401  (periodic jobs)


def _connect_pipeline() -> None:
    """Won needs a signed contract or a live order (setting ``deal.win_requires_contract``)."""
    from salesflow.pipeline import services as pipeline_services

    from .services import contracts

    pipeline_services.register_win_blocker(contracts.win_blocker)


def _connect_approvals() -> None:
    from django.urls import reverse

    from salesflow.core import approvals, views_approvals

    from .services import contracts, orders, quotes

    views_approvals.register_kind(
        quotes.APPROVAL_KIND,
        _("报价折扣"),
        lambda request: reverse("deals:quote_detail", args=[request.object_id]),
    )
    views_approvals.register_kind(
        contracts.APPROVAL_KIND,
        _("合同审批"),
        lambda request: reverse("deals:contract_detail", args=[request.object_id]),
    )
    views_approvals.register_kind(
        orders.CREDIT_APPROVAL_KIND,
        _("超信用额度订单"),
        lambda request: reverse("deals:order_detail", args=[request.object_id]),
    )
    approvals.on_decided(quotes.APPROVAL_KIND, quotes.on_quote_decided)
    approvals.on_decided(contracts.APPROVAL_KIND, contracts.on_contract_decided)
    approvals.on_decided(orders.CREDIT_APPROVAL_KIND, orders.on_credit_decided)


def _connect_notifications() -> None:
    from salesflow.activities import notify

    for kind, label in NOTIFY_KINDS.items():
        notify.KINDS.setdefault(kind, label)


def _receivable_cards(user):
    """Home card: receivables due and not received in the user's scope (the amount; the same
    plans as the aging buckets, a plan due today is in 0–30)."""
    from django.db.models import F, Sum
    from django.urls import reverse
    from django.utils import timezone

    from salesflow.core.dashboard import Card
    from salesflow.core.scope import has_right

    from .models import PaymentPlan

    if not has_right(user, "receipt", "view"):
        return []
    overdue = (
        PaymentPlan.objects.restrict(user, "view")
        .filter(due_date__lte=timezone.localdate(), received_amount__lt=F("amount"))
        .aggregate(total=Sum(F("amount") - F("received_amount")))
        .get("total")
    ) or 0
    return [
        Card(
            _("已到期未回款（元）"),
            f"{overdue:,.0f}",
            reverse("deals:receivables") + "?bucket=overdue",
            hint=_("计划回款日期已到仍未收回的金额"),
            tone="danger" if overdue else "success",
        )
    ]
