from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PipelineConfig(AppConfig):
    name = "salesflow.pipeline"
    label = "pipeline"
    verbose_name = _("商机与销售流程")

    def ready(self) -> None:
        from salesflow.core import dashboard, navigation

        for entry in (
            navigation.NavEntry(
                _("商机看板"), "pipeline:board", "bi-kanban", "opportunity", order=30
            ),
            navigation.NavEntry(
                _("商机列表"), "pipeline:list", "bi-list-ul", "opportunity", order=31
            ),
            # No right needed: anyone may have requests of their own.
            navigation.NavEntry(_("审批"), "approvals:inbox", "bi-check2-square", order=60),
            navigation.NavEntry(
                _("跳过报告"),
                "pipeline:skip_report",
                "bi-signpost-split",
                "opportunity",
                "approve",
                order=70,
            ),
        ):
            navigation.register(entry)
        dashboard.register(_pipeline_cards)


def _pipeline_cards(user):
    """Home cards: open opportunities and those past their stage deadline (the manager's
    view of stage SLAs), both within the user's own scope."""
    from django.urls import reverse
    from django.utils import timezone

    from salesflow.core.dashboard import Card
    from salesflow.core.scope import has_right

    from .models import Opportunity, OpportunityStatus

    if not has_right(user, "opportunity", "view"):
        return []
    open_qs = Opportunity.objects.restrict(user, "view").filter(status=OpportunityStatus.OPEN)
    overdue = open_qs.filter(stage_due_at__lt=timezone.now()).count()
    url = reverse("pipeline:list")
    return [
        Card(_("进行中商机"), open_qs.count(), f"{url}?status=open", tone="primary"),
        Card(
            _("阶段超时商机"),
            overdue,
            f"{url}?status=open&overdue=1",
            hint=_("超过阶段时限仍未推进"),
            tone="danger" if overdue else "success",
        ),
    ]
