"""What the targets module plugs into the shared kernel at start-up: one navigation entry, its
analyses, notification kinds, home cards and periodic jobs."""

from django.utils.translation import gettext_lazy as _

NOTIFY_KINDS = {
    "report.comment": _("报告批注"),
    "target.checkpoint": _("目标跟踪检查"),
}


def connect() -> None:
    from salesflow.activities import notify
    from salesflow.core import dashboard, navigation

    navigation.register(
        navigation.NavEntry(_("目标与报告"), "targets:home", "bi-bullseye", "target", order=60)
    )
    for kind, label in NOTIFY_KINDS.items():
        notify.KINDS.setdefault(kind, label)
    dashboard.register(_completion_card)
    dashboard.register(_reports_due_card)
    from . import analyses, tasks  # noqa: F401  (registers analyses and periodic jobs)


def _completion_card(user):
    """Home card: completion of my (or my team's / the company's) sales target this month."""
    from django.urls import reverse

    from salesflow.core.dashboard import Card
    from salesflow.core.scope import has_right

    from . import metrics, selectors
    from .analyses import current_period
    from .models import Metric

    if not has_right(user, "target", "view"):
        return []
    start, end = current_period("month")
    tops = selectors.top_targets(
        user=user, metric=Metric.SALES_AMOUNT, date_from=start, date_to=end
    )
    if not tops:
        value, tone = "—", "secondary"
    else:
        actuals = metrics.actuals_for(tops, user)
        target = sum(t.value for t in tops)
        done = metrics.completion(sum(actuals[t.pk] for t in tops), target)
        value = metrics.percent_text(done)
        tone = "secondary" if done is None else "success" if done >= 1 else "warning"
    return [
        Card(
            _("本月销售目标完成率"),
            value,
            reverse("targets:completion"),
            hint=_("有效订单金额 ÷ 本月销售额目标"),
            tone=tone,
        )
    ]


def _reports_due_card(user):
    """Home card: my reports not yet submitted (overdue ones in red)."""
    from django.urls import reverse
    from django.utils import timezone

    from salesflow.core.dashboard import Card
    from salesflow.core.scope import has_right

    from .models import ReportStatus, SalesReport

    if not has_right(user, "report", "add"):
        return []
    now = timezone.now()
    drafts = SalesReport.objects.filter(owner=user, status=ReportStatus.DRAFT)
    pending = drafts.count()
    overdue = drafts.filter(due_at__lt=now).count()
    if not pending:
        return []
    return [
        Card(
            _("待提交的周报/月报"),
            pending,
            reverse("targets:report_list") + "?mine=1",
            hint=_("其中 %(n)s 份已逾期") % {"n": overdue} if overdue else _("请在截止前提交"),
            tone="danger" if overdue else "warning",
        )
    ]
