"""The lead rules of SPEC S1 as plain functions (settings-driven, no database writes)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from salesflow.core.settings_registry import get_setting
from salesflow.core.sla import deadline

from .models import Intent, MatchBand, PurchasingPower


@dataclass(frozen=True)
class EntrySla:
    due_at: datetime.datetime
    met: bool


def entry_sla(acquired_at: datetime.datetime, entered_at: datetime.datetime, team=None) -> EntrySla:
    """Entered within 24h (setting) of acquisition. ``team``: the owner's department (a pilot
    may set its own rule)."""
    due = deadline(acquired_at, get_setting("lead.entry_sla", team=team, at=acquired_at))
    return EntrySla(due, entered_at <= due)


def screening_due(entered_at: datetime.datetime, team=None) -> datetime.datetime:
    return deadline(entered_at, get_setting("lead.screening_sla", team=team, at=entered_at))


def first_contact_due(graded_at: datetime.datetime, team=None) -> datetime.datetime:
    """A-class leads: first contact within 24h (setting) of grading; ``team`` is the owner's
    department (a pilot may shorten it, e.g. 12h)."""
    return deadline(graded_at, get_setting("lead.a_first_contact_sla", team=team, at=graded_at))


def needs_band(total: int) -> str:
    """≥ 20 high, 10–19 medium, < 10 low (settings)."""
    if total >= get_setting("lead.needs_match_high_min"):
        return MatchBand.HIGH
    if total >= get_setting("lead.needs_match_medium_min"):
        return MatchBand.MEDIUM
    return MatchBand.LOW


def purchasing_power(budget_min: Decimal | None, budget_max: Decimal | None) -> str:
    """From the budget range's lower end (or the upper end when only it is known):
    ≥ 15万 high, ≥ 5万 medium, else low (settings); no budget → unknown."""
    amount = budget_min if budget_min is not None else budget_max
    if amount is None:
        return PurchasingPower.UNKNOWN
    if amount >= get_setting("lead.purchasing_power_high_min"):
        return PurchasingPower.HIGH
    if amount >= get_setting("lead.purchasing_power_medium_min"):
        return PurchasingPower.MEDIUM
    return PurchasingPower.LOW


STRATEGIES = {
    MatchBand.HIGH: gettext_lazy("优先推进：尽快安排深度需求分析和方案演示。"),
    (MatchBand.MEDIUM, PurchasingPower.HIGH): gettext_lazy(
        "重点处理成本异议：用投入产出和同行案例说明价值。"
    ),
    MatchBand.MEDIUM: gettext_lazy("持续培育：补充案例、确认预算和决策链。"),
    MatchBand.LOW: gettext_lazy("低优先级：纳入长期培育，按月跟进。"),
}


def suggested_strategy(band: str, power: str) -> str:
    return str(STRATEGIES.get((band, power)) or STRATEGIES[band])


def conclusion_text(band: str, power: str) -> str:
    return _("%(band)s，购买力%(power)s") % {
        "band": MatchBand(band).label,
        "power": PurchasingPower(power).label,
    }


def intent_cadence(intent: str, team=None) -> str:
    """Follow-up frequency of an intent grade: high weekly, medium two-weekly, low monthly."""
    return get_setting(
        {
            Intent.HIGH: "cadence.intent_high",
            Intent.MEDIUM: "cadence.intent_medium",
            Intent.LOW: "cadence.intent_low",
        }[intent],
        team=team,
    )


def pick_weighted(members: list) -> object:
    """Smooth weighted round-robin (as in nginx): each member's ``current`` grows by its
    weight, the largest is chosen and pays back the total. With equal weights it is plain
    round-robin. Mutates ``current``; the caller saves it."""
    total = sum(m.weight for m in members)
    for member in members:
        member.current += member.weight
    chosen = max(members, key=lambda m: (m.current, -m.pk))
    chosen.current -= total
    return chosen
