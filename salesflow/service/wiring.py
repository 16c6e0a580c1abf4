"""What the service module plugs into the shared kernel at start-up: its navigation entry,
notification kinds, the home card of overdue complaints and the periodic SLA sweep."""

from django.utils.translation import gettext_lazy as _

NOTIFY_KINDS = {
    "complaint.assigned": _("分配给我的投诉"),
    "complaint.sla": _("投诉处理超时"),
    "maintenance.plan": _("维护计划到期"),
}


def connect() -> None:
    from salesflow.activities import notify
    from salesflow.core import dashboard, navigation

    navigation.register(
        navigation.NavEntry(
            _("客户服务"), "service:complaint_list", "bi-headset", "complaint", order=60
        )
    )
    for kind, label in NOTIFY_KINDS.items():
        notify.KINDS.setdefault(kind, label)
    dashboard.register(overdue_complaint_cards)
    from .analyses import register_analyses

    register_analyses()
    from . import tasks  # noqa: F401  (periodic jobs)


def overdue_complaint_cards(user):
    """Home card: open complaints in the user's scope with a clock past its deadline."""
    from django.urls import reverse

    from salesflow.core.dashboard import Card
    from salesflow.core.scope import has_right

    from .selectors import complaint_list

    if not has_right(user, "complaint", "view"):
        return []
    count = complaint_list(user=user, filters={"overdue": "1"}).order_by()[:1000].count()
    return [
        Card(
            _("超时投诉"),
            count,
            reverse("service:complaint_list") + "?overdue=1",
            hint=_("转交、响应、方案、解决或回访已超过时限的未关闭投诉"),
            tone="danger" if count else "success",
        )
    ]
