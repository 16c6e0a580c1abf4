"""Service measures (formulas in ``docs/service.md``), each over the user's scope:

* complaint rate = complaints caused by sales service received in the period ÷ customers
  served in the period. A customer is *served* in the period when it placed at least one
  counted order (not cancelled, not on credit hold) dated in the period, or when a complaint
  of theirs was received in the period (a complaining customer was served, and the rate can
  never exceed 100 %).
* per tier: repurchase rate = customers of the tier who ordered in the 12 months before the
  period and ordered again in the period ÷ those who ordered before; satisfaction = average of
  each customer's latest survey in the period; VIP referrals = leads referred by the tier's
  customers in the period ÷ customers of the tier — each against its goal in the settings.
* churn signals: no order within the expected cycle (average interval between the customer's
  orders, or ``service.churn_default_cycle_days`` with one order, × ``churn_cycle_factor``);
  satisfaction falling by ``churn_satisfaction_drop`` points or more between the last two
  surveys.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Max, Min, Q
from django.utils import timezone

from salesflow.core.settings_registry import get_setting
from salesflow.customers.models import Customer, Tier
from salesflow.deals.models import COUNTED_ORDER_STATUSES, Order
from salesflow.leads.models import Lead

from .models import Complaint, SatisfactionSurvey

HUNDRED = Decimal(100)


def default_period(
    date_from: datetime.date | None, date_to: datetime.date | None
) -> tuple[datetime.date, datetime.date]:
    """The given period, by default the 12 months up to today."""
    date_to = date_to or timezone.localdate()
    date_from = date_from or (date_to - datetime.timedelta(days=364))
    return date_from, date_to


def _bounds(date_from, date_to):
    tz = timezone.get_default_timezone()
    start = datetime.datetime.combine(date_from, datetime.time.min, tzinfo=tz)
    end = datetime.datetime.combine(
        date_to + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz
    )
    return start, end


def percent(numerator, denominator) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) * HUNDRED / Decimal(denominator)).quantize(Decimal("0.1"))


def _customers(user):
    return Customer.objects.restrict(user, "view")


def _counted_orders():
    return Order.objects.filter(status__in=COUNTED_ORDER_STATUSES)


@dataclass
class ComplaintRate:
    date_from: datetime.date
    date_to: datetime.date
    complaints: int
    caused_by_sales: int
    served: int

    @property
    def rate(self) -> Decimal | None:
        return percent(self.caused_by_sales, self.served)


def complaint_rate(user, date_from=None, date_to=None) -> ComplaintRate:
    """The complaint rate of the customers in the user's scope (see the module doc)."""
    date_from, date_to = default_period(date_from, date_to)
    start, end = _bounds(date_from, date_to)
    customers = _customers(user)
    complaints = Complaint.objects.filter(
        customer__in=customers.values("pk"), received_at__gte=start, received_at__lt=end
    )
    counts = complaints.aggregate(
        total=Count("id"), caused=Count("id", filter=Q(caused_by_sales=True))
    )
    ordered = _counted_orders().filter(
        customer__in=customers.values("pk"), order_date__gte=date_from, order_date__lte=date_to
    )
    served = (
        customers.filter(
            Q(pk__in=ordered.values("customer_id")) | Q(pk__in=complaints.values("customer_id"))
        )
        .order_by()
        .count()
    )
    return ComplaintRate(date_from, date_to, counts["total"], counts["caused"], served)


@dataclass
class TierMeasure:
    tier: str
    customers: int
    ordered_before: int
    repurchased: int
    repurchase_goal: Decimal
    satisfaction: Decimal | None
    surveyed: int
    satisfaction_goal: Decimal
    referrals: int
    referral_goal: int | None

    @property
    def label(self) -> str:
        return str(Tier(self.tier).label)

    @property
    def repurchase_rate(self) -> Decimal | None:
        return percent(self.repurchased, self.ordered_before)

    @property
    def repurchase_met(self) -> bool | None:
        rate = self.repurchase_rate
        return None if rate is None else rate >= self.repurchase_goal

    @property
    def satisfaction_met(self) -> bool | None:
        if self.satisfaction is None:
            return None
        return self.satisfaction >= self.satisfaction_goal

    @property
    def referrals_per_customer(self) -> Decimal | None:
        if not self.customers:
            return None
        return (Decimal(self.referrals) / self.customers).quantize(Decimal("0.01"))

    @property
    def referral_met(self) -> bool | None:
        if self.referral_goal is None or not self.customers:
            return None
        return self.referrals_per_customer >= self.referral_goal


def _latest_scores(customer_ids, date_from, date_to) -> dict[int, Decimal]:
    """Each customer's latest survey score in the period."""
    latest: dict[int, Decimal] = {}
    rows = (
        SatisfactionSurvey.objects.filter(
            customer_id__in=customer_ids, surveyed_on__gte=date_from, surveyed_on__lte=date_to
        )
        .order_by("customer_id", "-surveyed_on", "-id")
        .values_list("customer_id", "score")
    )
    for customer_id, score in rows:
        latest.setdefault(customer_id, score)
    return latest


def tier_measures(user, date_from=None, date_to=None) -> list[TierMeasure]:
    """Repurchase, satisfaction and (VIP) referrals per tier against the goals."""
    date_from, date_to = default_period(date_from, date_to)
    start, end = _bounds(date_from, date_to)
    before_from = date_from - datetime.timedelta(days=365)
    tiers = dict(_customers(user).order_by().values_list("pk", "tier"))
    orders = _counted_orders().filter(customer_id__in=tiers.keys())
    before = set(
        orders.filter(order_date__gte=before_from, order_date__lt=date_from).values_list(
            "customer_id", flat=True
        )
    )
    during = set(
        orders.filter(order_date__gte=date_from, order_date__lte=date_to).values_list(
            "customer_id", flat=True
        )
    )
    scores = _latest_scores(tiers.keys(), date_from, date_to)
    referrals: dict[int, int] = dict(
        Lead.objects.filter(
            referral_customer_id__in=tiers.keys(), acquired_at__gte=start, acquired_at__lt=end
        )
        .values_list("referral_customer_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    result = []
    for tier in Tier.values:
        ids = {pk for pk, t in tiers.items() if t == tier}
        tier_scores = [scores[pk] for pk in ids if pk in scores]
        satisfaction = (
            (sum(tier_scores) / len(tier_scores)).quantize(Decimal("0.1")) if tier_scores else None
        )
        result.append(
            TierMeasure(
                tier=tier,
                customers=len(ids),
                ordered_before=len(ids & before),
                repurchased=len(ids & before & during),
                repurchase_goal=get_setting(f"service.{tier}_goal_repurchase"),
                satisfaction=satisfaction,
                surveyed=len(tier_scores),
                satisfaction_goal=get_setting(f"service.{tier}_goal_satisfaction"),
                referrals=sum(referrals.get(pk, 0) for pk in ids),
                referral_goal=get_setting("service.vip_goal_referrals")
                if tier == Tier.VIP
                else None,
            )
        )
    return result


@dataclass
class ChurnSignal:
    customer: Customer
    reason: str  # "no_order" | "satisfaction"
    detail: str
    since: datetime.date | None = None


def churn_signals(user, today: datetime.date | None = None, limit: int = 200) -> list[ChurnSignal]:
    """Customers in the user's scope showing a churn signal (see the module doc): the owner
    sees their own, a manager their team's (scope)."""
    from django.utils.translation import gettext as _

    today = today or timezone.localdate()
    factor = get_setting("service.churn_cycle_factor")
    default_cycle = get_setting("service.churn_default_cycle_days")
    drop = get_setting("service.churn_satisfaction_drop")
    customers = _customers(user)
    stats = (
        _counted_orders()
        .filter(customer__in=customers.values("pk"))
        .values("customer_id")
        .annotate(first=Min("order_date"), last=Max("order_date"), n=Count("id"))
        .order_by()
    )
    flagged: dict[int, list[tuple[str, str, datetime.date | None]]] = {}
    for row in stats:
        if row["n"] > 1:
            cycle = Decimal((row["last"] - row["first"]).days) / (row["n"] - 1)
        else:
            cycle = Decimal(default_cycle)
        expected = max(1, int(cycle * factor))
        if (today - row["last"]).days > expected:
            flagged.setdefault(row["customer_id"], []).append(
                (
                    "no_order",
                    _("已 %(days)s 天未下单（预期周期 %(cycle)s 天）")
                    % {"days": (today - row["last"]).days, "cycle": expected},
                    row["last"],
                )
            )
    last_two: dict[int, list] = {}
    surveys = (
        SatisfactionSurvey.objects.filter(customer__in=customers.values("pk"))
        .order_by("customer_id", "-surveyed_on", "-id")
        .values_list("customer_id", "score", "surveyed_on")
    )
    for customer_id, score, day in surveys:
        seen = last_two.setdefault(customer_id, [])
        if len(seen) < 2:
            seen.append((score, day))
    for customer_id, seen in last_two.items():
        if len(seen) == 2 and seen[1][0] - seen[0][0] >= drop:
            flagged.setdefault(customer_id, []).append(
                (
                    "satisfaction",
                    _("满意度由 %(a)s 降至 %(b)s") % {"a": seen[1][0], "b": seen[0][0]},
                    seen[0][1],
                )
            )
    by_id = Customer.objects.select_related("owner").in_bulk(list(flagged)[:limit])
    signals = [
        ChurnSignal(by_id[pk], reason, detail, since)
        for pk, items in flagged.items()
        if pk in by_id
        for reason, detail, since in items
    ]
    signals.sort(key=lambda s: (s.customer.name, s.reason))
    return signals
