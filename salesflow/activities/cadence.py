"""The follow-up cadence engine (跟进节奏, SPEC S2/S4).

Each customer and each open lead has a next due follow-up. The candidate rules come from the
settings ``cadence.*`` (rule strings such as "7d", evaluated by ``core.sla.deadline`` so that a
due date falling on a holiday moves to the next working day):

* customer value grade (ABC): A weekly, B every two weeks, C monthly;
* customer lifecycle: a new customer weekly in the month after the first deal, then twice a
  month until it becomes an old customer (monthly); prospects and lost customers have no
  lifecycle rule;
* intent: a lead's intent grade (high weekly, medium two-weekly, low monthly); a prospect
  customer converted from a lead keeps its lead's intent until the first deal.

The most frequent applicable rule wins, i.e. the one giving the earliest due date (on a tie
the first in the order above). The cadence counts from the last follow-up, or from when the
owner got the record when there is none yet. See ``docs/cadence.md``.
"""

from __future__ import annotations

import datetime

from django.db.models import F, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from salesflow.core.settings_registry import get_setting
from salesflow.core.sla import deadline
from salesflow.customers.models import Customer, Grade, Lifecycle
from salesflow.customers.rules import add_months, lifecycle_of
from salesflow.leads.models import OPEN_STATUSES, Intent, Lead

GRADE_KEYS = {Grade.A: "cadence.grade_a", Grade.B: "cadence.grade_b", Grade.C: "cadence.grade_c"}
INTENT_KEYS = {
    Intent.HIGH: "cadence.intent_high",
    Intent.MEDIUM: "cadence.intent_medium",
    Intent.LOW: "cadence.intent_low",
}
_UNSET = object()


def _grade_label(grade: str) -> str:
    return _("%(grade)s类客户") % {"grade": grade}


def _intent_label(intent: str) -> str:
    names = {Intent.HIGH: _("高"), Intent.MEDIUM: _("中"), Intent.LOW: _("低")}
    return _("%(intent)s意向") % {"intent": names[intent]}


def _source_intent(customer: Customer) -> str:
    """The intent of the lead a customer was converted from ("" when none)."""
    value = getattr(customer, "source_intent", _UNSET)
    if value is _UNSET:
        if not customer.source_lead_id:
            return ""
        value = (
            Lead.all_objects.filter(pk=customer.source_lead_id)
            .values_list("intent", flat=True)
            .first()
        )
    return value or ""


def _customer_rules(customer: Customer, now: datetime.datetime) -> list[tuple[str, str]]:
    lifecycle = lifecycle_of(customer, now)
    if lifecycle == Lifecycle.LOST:
        return []
    rules = []
    team = _owner_team(customer)

    def setting(key):
        return get_setting(key, team=team, at=now)

    if customer.grade in GRADE_KEYS:
        rules.append((_grade_label(customer.grade), setting(GRADE_KEYS[customer.grade])))
    if lifecycle == Lifecycle.NEW:
        first_deal = timezone.localtime(customer.first_deal_at)
        if now < add_months(first_deal, 1):
            rules.append((_("新客户（成交当月）"), setting("cadence.new_customer_first_month")))
        else:
            rules.append((_("新客户"), setting("cadence.new_customer")))
    elif lifecycle == Lifecycle.OLD:
        rules.append((_("老客户"), setting("cadence.old_customer")))
    else:  # a prospect: the intent of the lead it came from still applies
        intent = _source_intent(customer)
        if intent in INTENT_KEYS:
            rules.append((_intent_label(intent), setting(INTENT_KEYS[intent])))
    return rules


def _lead_rules(lead: Lead, now: datetime.datetime) -> list[tuple[str, str]]:
    # A lead's A/B/C class is a scorecard class (its SLA is the first contact), not the
    # customer value grade; its cadence is its intent.
    if lead.status not in OPEN_STATUSES or lead.intent not in INTENT_KEYS:
        return []
    rule = get_setting(INTENT_KEYS[lead.intent], team=_owner_team(lead), at=now)
    return [(_intent_label(lead.intent), rule)]


def _owner_team(obj: Customer | Lead) -> int | None:
    """The owner's department, whose rules apply (a pilot's, else the company's). Bulk
    callers annotate ``owner_team_id``; otherwise one small read."""
    value = getattr(obj, "owner_team_id", _UNSET)
    if value is not _UNSET:
        return value
    if obj.owner_id is None:
        return None
    from salesflow.org.models import User

    return User.objects.filter(pk=obj.owner_id).values_list("department_id", flat=True).first()


def applicable_rules(obj: Customer | Lead, now: datetime.datetime | None = None):
    """``[(label, rule), …]`` that apply to a customer or lead at ``now``, in precedence order
    for ties (grade, lifecycle, intent)."""
    now = now or timezone.now()
    if isinstance(obj, Customer):
        return _customer_rules(obj, now)
    if isinstance(obj, Lead):
        return _lead_rules(obj, now)
    raise TypeError(f"no cadence for {type(obj).__name__}")


def cadence_start(obj: Customer | Lead) -> datetime.datetime | None:
    """The last follow-up, else when the owner got the record."""
    if obj.last_followup_at:
        return obj.last_followup_at
    if isinstance(obj, Customer):
        return obj.owned_since or obj.created_at
    return obj.assigned_at or obj.entered_at


def next_due(
    obj: Customer | Lead, now: datetime.datetime | None = None
) -> tuple[datetime.datetime | None, str]:
    """``(due_at, winning label)``; ``(None, "")`` when no rule applies or nobody owns it."""
    now = now or timezone.now()
    if obj.owner_id is None or getattr(obj, "deleted_at", None) is not None:
        return None, ""
    start = cadence_start(obj)
    if start is None:
        return None, ""
    best = None
    for index, (label, rule) in enumerate(applicable_rules(obj, now)):
        due = deadline(start, rule)
        if best is None or (due, index) < (best[0], best[1]):
            best = (due, index, label)
    if best is None:
        return None, ""
    return best[0], best[2]


# --- keeping next_followup_due_at up to date ------------------------------------------------


def _store(model, obj, now) -> bool:
    due, _label = next_due(obj, now)
    if due == obj.next_followup_due_at:
        return False
    model.all_objects.filter(pk=obj.pk).update(next_followup_due_at=due)
    obj.next_followup_due_at = due
    return True


def recompute_customer(customer_id: int, now: datetime.datetime | None = None):
    """Recompute one customer's next due follow-up (after a follow-up, a grade change, an
    assignment). Returns the customer."""
    customer = Customer.all_objects.get(pk=customer_id)
    _store(Customer, customer, now or timezone.now())
    return customer


def recompute_lead(lead_id: int, now: datetime.datetime | None = None):
    """Recompute one lead's next due follow-up (after a follow-up or a screening that changed
    its intent). Returns the lead."""
    lead = Lead.all_objects.get(pk=lead_id)
    _store(Lead, lead, now or timezone.now())
    return lead


def recompute_all(now: datetime.datetime | None = None, chunk_size: int = 1000) -> int:
    """Nightly: every customer's and lead's next due date (lifecycles move with time, settings
    change). Returns how many rows changed."""
    now = now or timezone.now()
    changed = 0
    intents = Lead.all_objects.filter(pk=OuterRef("source_lead_id")).values("intent")[:1]
    customers = Customer.all_objects.annotate(
        source_intent=Subquery(intents), owner_team_id=F("owner__department_id")
    ).order_by("pk")
    for customer in customers.iterator(chunk_size=chunk_size):
        changed += _store(Customer, customer, now)
    stale_leads = Lead.all_objects.exclude(status__in=OPEN_STATUSES).filter(
        next_followup_due_at__isnull=False
    )
    changed += stale_leads.update(next_followup_due_at=None)
    for lead in (
        Lead.all_objects.filter(status__in=OPEN_STATUSES)
        .annotate(owner_team_id=F("owner__department_id"))
        .order_by("pk")
        .iterator(chunk_size=chunk_size)
    ):
        changed += _store(Lead, lead, now)
    return changed
