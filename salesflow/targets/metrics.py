"""Actuals of targets, computed only from the system's own data (orders and receipts of the deals
module, customers' first deal), in the database and in a bounded number of queries whatever
the number of targets: one aggregate over orders, one over receipts and one over orders per
customer (repurchase), each with one filtered aggregate per target.

Definitions (also in ``docs/targets.md``):

* sales amount — sum of ``Order.amount`` of counted orders (pending, partly shipped, shipped,
  delivered; not cancelled, not on credit hold) whose ``order_date`` is in the period;
* order count — the number of those orders;
* new customers — distinct customers of those orders whose first deal (``first_deal_at``,
  company time zone) falls in the period;
* repurchase rate — customers with at least 2 of those orders / customers with at least 1, in %;
* collected payments — sum of ``Receipt.amount`` whose ``received_on`` is in the period.

Dimensions: a personal target counts its owner's orders (a receipt counts for the contract's
owner); a team target the orders of everyone in the department and below; region is the
customer's region; product line is a product line of the order's opportunity (an order of an
opportunity with two lines counts for each); customer type is "key" for a VIP or key customer,
else "new" when the customer's first deal is in the period (or unknown), else "old".
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, DecimalField, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from salesflow.analytics.registry import ratio
from salesflow.customers.models import Tier
from salesflow.deals.models import COUNTED_ORDER_STATUSES, Order, Receipt
from salesflow.pipeline.models import Opportunity

from .models import CustomerType, Level, Metric

HUNDRED = Decimal(100)
KEY_TIERS = (Tier.VIP, Tier.KEY)


def local_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _first_deal_in(prefix: str, date_from, date_to) -> Q:
    start, end = local_start(date_from), local_start(date_to + datetime.timedelta(days=1))
    return Q(**{f"{prefix}first_deal_at__gte": start, f"{prefix}first_deal_at__lt": end})


def customer_type_q(prefix: str, customer_type: str, date_from, date_to) -> Q:
    """``prefix`` leads to a customer ("customer__")."""
    key = Q(**{f"{prefix}tier__in": KEY_TIERS})
    if customer_type == CustomerType.KEY:
        return key
    new = _first_deal_in(prefix, date_from, date_to) | Q(**{f"{prefix}first_deal_at__isnull": True})
    if customer_type == CustomerType.NEW:
        return ~key & new
    return ~key & ~new


def opportunities_of_line(product_line_id: int):
    return Opportunity.product_lines.through.objects.filter(productline_id=product_line_id).values(
        "opportunity_id"
    )


def dimension_q(
    *,
    owner_path: str,
    customer_path: str,
    opportunity_path: str,
    level: str,
    owner_id=None,
    department=None,
    region_id=None,
    product_line_id=None,
    customer_type: str = "",
    date_from: datetime.date,
    date_to: datetime.date,
) -> Q:
    """The rows (orders or receipts) that count for one target's dimensions."""
    q = Q()
    if level == Level.PERSON and owner_id:
        q &= Q(**{f"{owner_path}_id": owner_id})
    elif level == Level.TEAM and department is not None:
        q &= Q(**{f"{owner_path}__department__path__startswith": department.path})
    if region_id:
        q &= Q(**{f"{customer_path}__region_id": region_id})
    if product_line_id:
        q &= Q(**{f"{opportunity_path}_id__in": Subquery(opportunities_of_line(product_line_id))})
    if customer_type:
        q &= customer_type_q(f"{customer_path}__", customer_type, date_from, date_to)
    return q


def _target_q(target, kind: str) -> Q:
    paths = (
        {"owner_path": "owner", "customer_path": "customer", "opportunity_path": "opportunity"}
        if kind == "order"
        else {
            "owner_path": "contract__owner",
            "customer_path": "customer",
            "opportunity_path": "contract__opportunity",
        }
    )
    return dimension_q(
        **paths,
        level=target.level,
        owner_id=target.owner_id,
        department=target.department if target.department_id else None,
        region_id=target.region_id,
        product_line_id=target.product_line_id,
        customer_type=target.customer_type,
        date_from=target.period_start,
        date_to=target.period_end,
    )


def counted_orders(user=None):
    qs = Order.objects.restrict(user, "view") if user is not None else Order.objects.all()
    return qs.filter(status__in=COUNTED_ORDER_STATUSES)


def receipts(user=None):
    return Receipt.objects.restrict(user, "view") if user is not None else Receipt.objects.all()


def actuals_for(targets: Iterable, user=None) -> dict[int, Decimal | None]:
    """``{target id: actual}`` for every target (rates in %, None when no customer ordered).
    With ``user`` the rows are those the user may see (a report obeys scope)."""
    targets = list(targets)
    result: dict[int, Decimal | None] = {}
    if not targets:
        return result
    money = DecimalField(max_digits=18, decimal_places=2)
    zero = Value(Decimal(0), output_field=money)

    order_aggs, receipt_aggs, rate_targets = {}, {}, []
    for t in targets:
        period = Q(order_date__gte=t.period_start, order_date__lte=t.period_end)
        if t.metric == Metric.SALES_AMOUNT:
            q = period & _target_q(t, "order")
            order_aggs[f"t{t.pk}"] = Coalesce(Sum("amount", filter=q), zero)
        elif t.metric == Metric.ORDER_COUNT:
            order_aggs[f"t{t.pk}"] = Count("id", filter=period & _target_q(t, "order"))
        elif t.metric == Metric.NEW_CUSTOMERS:
            q = (
                period
                & _target_q(t, "order")
                & _first_deal_in("customer__", t.period_start, t.period_end)
            )
            order_aggs[f"t{t.pk}"] = Count("customer", distinct=True, filter=q)
        elif t.metric == Metric.COLLECTED:
            q = Q(received_on__gte=t.period_start, received_on__lte=t.period_end)
            receipt_aggs[f"t{t.pk}"] = Coalesce(
                Sum("amount", filter=q & _target_q(t, "receipt")), zero
            )
        elif t.metric == Metric.REPURCHASE_RATE:
            rate_targets.append(t)

    if order_aggs:
        for key, value in counted_orders(user).aggregate(**order_aggs).items():
            result[int(key[1:])] = Decimal(value)
    if receipt_aggs:
        for key, value in receipts(user).aggregate(**receipt_aggs).items():
            result[int(key[1:])] = Decimal(value)
    if rate_targets:
        result.update(_repurchase_rates(rate_targets, user))
    return result


def _repurchase_rates(targets, user) -> dict[int, Decimal | None]:
    """Per customer, one count of orders per target; then per target the customers with ≥ 1
    and with ≥ 2 — one query (an aggregate over a grouped subquery)."""
    per_customer = {}
    for t in targets:
        q = Q(order_date__gte=t.period_start, order_date__lte=t.period_end) & _target_q(t, "order")
        per_customer[f"n{t.pk}"] = Count("id", filter=q)
    grouped = counted_orders(user).values("customer_id").annotate(**per_customer)
    totals = {}
    for t in targets:
        totals[f"c{t.pk}"] = Count("customer_id", filter=Q(**{f"n{t.pk}__gte": 1}))
        totals[f"r{t.pk}"] = Count("customer_id", filter=Q(**{f"n{t.pk}__gte": 2}))
    row = grouped.aggregate(**totals)
    out = {}
    for t in targets:
        rate = ratio(row[f"r{t.pk}"] * HUNDRED, row[f"c{t.pk}"], places=2)
        out[t.pk] = rate
    return out


def completion(actual: Decimal | None, target_value: Decimal | None) -> Decimal | None:
    """actual / target (a rate target: the ratio of the two rates), 4 places; None ("—") when
    there is no target or no actual rate."""
    if actual is None or target_value is None:
        return None
    return ratio(actual, target_value)


def percent_text(value: Decimal | None, places: int = 0) -> str:
    """0.9500 → "95%"; None → "—"."""
    if value is None:
        return "—"
    quant = Decimal(1).scaleb(-places)
    return f"{(value * HUNDRED).quantize(quant, rounding=ROUND_HALF_UP)}%"
