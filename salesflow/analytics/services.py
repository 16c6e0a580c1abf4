"""Writes of the analytics module: funnel variance notes and channel costs (audited)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from salesflow.core.audit import audit, snapshot
from salesflow.core.errors import NotAllowed
from salesflow.core.scope import has_right

from .models import ChannelCost, FunnelVariance

VARIANCE_FIELDS = [
    "period_start",
    "period_end",
    "step",
    "template",
    "team",
    "reason",
    "action",
    "owner",
    "due_date",
    "status",
]
COST_FIELDS = ["channel", "month", "marketing_cost", "sales_cost", "note"]


def can_record_variance(user) -> bool:
    """Managers and directors (those who may assign their team's opportunities) record why a
    funnel step missed its target and what they will do."""
    return has_right(user, "opportunity", "assign") and has_right(user, "report", "view")


def can_edit_costs(user) -> bool:
    """Channel costs are company figures: entered by those who change reports company-wide
    (directors, administrators)."""
    from salesflow.core.scope import scope_for
    from salesflow.org.rights import DataScope

    return (
        has_right(user, "report", "change")
        and scope_for(user, "report", "view") == DataScope.COMPANY
    )


def funnel_variance_save(*, actor, data: dict, variance_id: int | None = None) -> FunnelVariance:
    if not can_record_variance(actor):
        raise NotAllowed(_("只有经理和总监可以登记漏斗差异原因。"))
    with transaction.atomic():
        if variance_id is None:
            variance, before = FunnelVariance(created_by=actor), None
        else:
            # Out of scope is not found (the owner field decides scope).
            variance = (
                FunnelVariance.objects.restrict(actor, "view")
                .select_for_update()
                .get(pk=variance_id)
            )
            before = snapshot(variance, VARIANCE_FIELDS)
        for key, value in data.items():
            setattr(variance, key, value)
        variance.full_clean(exclude=["created_by"])
        variance.save()
        audit(
            actor=actor,
            action="analytics.funnel_variance." + ("create" if before is None else "change"),
            obj=variance,
            before=before,
            after=snapshot(variance, VARIANCE_FIELDS),
        )
    return variance


def channel_cost_save(*, actor, channel, month, marketing_cost, sales_cost, note="") -> ChannelCost:
    """Enter (or correct) one channel's cost for one month."""
    if not can_edit_costs(actor):
        raise NotAllowed(_("没有登记渠道费用的权限。"))
    month = month.replace(day=1)
    with transaction.atomic():
        cost = ChannelCost.objects.select_for_update().filter(channel=channel, month=month).first()
        before = snapshot(cost, COST_FIELDS) if cost else None
        if cost is None:
            cost = ChannelCost(channel=channel, month=month, created_by=actor)
        cost.marketing_cost = marketing_cost
        cost.sales_cost = sales_cost
        cost.note = note
        cost.full_clean(exclude=["created_by"])
        cost.save()
        audit(
            actor=actor,
            action="analytics.channel_cost." + ("create" if before is None else "change"),
            obj=cost,
            before=before,
            after=snapshot(cost, COST_FIELDS),
        )
    return cost
