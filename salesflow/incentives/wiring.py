"""What the incentives module plugs into the kernel: its navigation entry, the approval kind
of commission statements and the lead-assignment weight by process score."""

from django.utils.translation import gettext_lazy as _


def connect() -> None:
    from django.urls import reverse

    from salesflow.core import approvals, navigation, views_approvals
    from salesflow.leads import services as lead_services

    from .services import commissions, scorecards

    navigation.register(
        navigation.NavEntry(_("考核与激励"), "incentives:home", "bi-trophy", "commission", order=62)
    )
    views_approvals.register_kind(
        commissions.APPROVAL_KIND,
        _("提成结算单"),
        lambda request: reverse("incentives:statement_detail", args=[request.object_id]),
    )
    approvals.on_decided(commissions.APPROVAL_KIND, commissions.on_decided)
    lead_services.register_weight_adjuster(scorecards.weight_by_process_score)
