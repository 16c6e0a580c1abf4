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
    _connect_receipts()


def _connect_receipts() -> None:
    """A receipt recorded or reversed (冲销) recomputes the rep's open commission statements."""
    from django.db.models.signals import post_delete, post_save

    from salesflow.deals.models import Receipt

    from .services import commissions

    for name, signal in (("save", post_save), ("delete", post_delete)):
        signal.connect(
            commissions.on_receipt_changed,
            sender=Receipt,
            dispatch_uid=f"incentives.receipt_{name}",
        )
