"""Reads of the deals module. Every list starts from ``restrict(user, action)``: a record
outside the user's scope is not found, in pages and in exports alike."""

from __future__ import annotations

import contextlib
import datetime
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db.models import F, Q, QuerySet, Sum
from django.utils import timezone

from salesflow.customers.models import Customer

from . import rules
from .models import (
    COUNTED_ORDER_STATUSES,
    Contract,
    ContractStatus,
    DealEvent,
    Order,
    OrderStatus,
    PaymentPlan,
    Product,
    Quote,
    QuoteStatus,
    Receipt,
    RiskEvent,
)


def _text(filters: dict, key: str) -> str:
    return str(filters.get(key) or "").strip()


def _apply_common(qs: QuerySet, filters: dict, *, search_fields, date_field=None) -> QuerySet:
    """Owner, customer, search, date range and amount range — each only where the model has
    the field (a filter a list does not offer is ignored, never a server error)."""
    fields = {f.attname for f in qs.model._meta.concrete_fields}
    for key in ("owner_id", "customer_id"):
        value = filters.get(key)
        if value not in (None, "") and key in fields:
            qs = qs.filter(**{key: value})
    if search := _text(filters, "q"):
        query = Q()
        for name in search_fields:
            query |= Q(**{f"{name}__icontains": search})
        qs = qs.filter(query)
    if date_field:
        for key, lookup in (("date_from", "gte"), ("date_to", "lte")):
            value = filters.get(key)
            if value:
                qs = qs.filter(**{f"{date_field}__{lookup}": value})
    for key, lookup in (("min_amount", "amount__gte"), ("max_amount", "amount__lte")):
        value = filters.get(key)
        if value not in (None, "") and "amount" in fields:
            with contextlib.suppress(InvalidOperation, ValueError):
                qs = qs.filter(**{lookup: Decimal(str(value))})
    return qs


# --- catalog ----------------------------------------------------------------------------------


def product_list(*, filters: dict | None = None) -> QuerySet[Product]:
    filters = filters or {}
    qs = Product.objects.select_related("product_line")
    if line := filters.get("product_line_id"):
        qs = qs.filter(product_line_id=line)
    active = filters.get("active")
    if active in ("1", "0"):
        qs = qs.filter(is_active=active == "1")
    if search := _text(filters, "q"):
        qs = qs.filter(Q(name__icontains=search) | Q(code__icontains=search))
    return qs


def products_for_quote() -> QuerySet[Product]:
    return Product.objects.filter(is_active=True).select_related("product_line")


# --- quotes -----------------------------------------------------------------------------------


def quote_list(*, user, filters: dict | None = None) -> QuerySet[Quote]:
    filters = filters or {}
    qs = Quote.objects.restrict(user, "view").select_related("customer", "owner", "opportunity")
    if (status := filters.get("status")) in QuoteStatus.values:
        qs = qs.filter(status=status)
    return _apply_common(
        qs,
        filters,
        search_fields=("number", "title", "customer__name"),
        date_field="created_at__date",
    ).order_by("-id")


def quote_get(*, user, pk: int, action: str = "view") -> Quote:
    return Quote.objects.select_related(
        "customer", "owner", "opportunity", "approval"
    ).get_in_scope(user, action, pk=pk)


# --- contracts --------------------------------------------------------------------------------


def contract_list(*, user, filters: dict | None = None) -> QuerySet[Contract]:
    filters = filters or {}
    qs = Contract.objects.restrict(user, "view").select_related("customer", "owner", "opportunity")
    if (status := filters.get("status")) in ContractStatus.values:
        qs = qs.filter(status=status)
    return _apply_common(
        qs, filters, search_fields=("number", "title", "customer__name"), date_field="signed_on"
    ).order_by("-id")


def contract_get(*, user, pk: int, action: str = "view") -> Contract:
    return Contract.objects.select_related(
        "customer", "owner", "opportunity", "quote", "approval"
    ).get_in_scope(user, action, pk=pk)


def contract_events(contract: Contract):
    return (
        DealEvent.objects.filter(Q(contract=contract) | Q(order__contract=contract))
        .select_related("actor", "order")
        .order_by("at", "id")
    )


def contracts_for_receipts(*, user) -> QuerySet[Contract]:
    """Contracts the user may record receipts or plans against."""
    from .services.receivables import RECEIVABLE

    return (
        Contract.objects.restrict(user, "view")
        .filter(status__in=RECEIVABLE)
        .select_related("customer")
        .order_by("-id")
    )


# --- orders -----------------------------------------------------------------------------------


def order_list(*, user, filters: dict | None = None) -> QuerySet[Order]:
    filters = filters or {}
    qs = Order.objects.restrict(user, "view").select_related("customer", "owner", "contract")
    if (status := filters.get("status")) in OrderStatus.values:
        qs = qs.filter(status=status)
    if filters.get("late") == "1":
        qs = qs.filter(
            planned_delivery_on__lt=timezone.localdate(),
            status__in=(OrderStatus.PENDING, OrderStatus.PARTIAL),
        )
    return _apply_common(
        qs,
        filters,
        search_fields=("number", "customer__name", "contract__number"),
        date_field="order_date",
    ).order_by("-order_date", "-id")


def order_get(*, user, pk: int, action: str = "view") -> Order:
    return Order.objects.select_related(
        "customer", "owner", "contract", "opportunity", "credit_approval"
    ).get_in_scope(user, action, pk=pk)


# --- receivables ------------------------------------------------------------------------------


def customer_receivable(customer_id: int) -> Decimal:
    """What the customer owes now (应收余额): its live orders less everything received, never
    below zero (an over-payment is a credit, not a negative receivable)."""
    ordered = (
        Order.objects.filter(customer_id=customer_id, status__in=COUNTED_ORDER_STATUSES)
        .aggregate(total=Sum("amount"))
        .get("total")
    ) or Decimal(0)
    received = (
        Receipt.objects.filter(customer_id=customer_id).aggregate(total=Sum("amount")).get("total")
    ) or Decimal(0)
    return max(ordered - received, Decimal(0))


def open_plans(*, user) -> QuerySet[PaymentPlan]:
    return (
        PaymentPlan.objects.restrict(user, "view")
        .filter(received_amount__lt=F("amount"))
        .select_related("contract", "customer", "owner")
    )


def plan_list(*, user, filters: dict | None = None, today: datetime.date | None = None):
    """Instalments with the aging filter: ``bucket`` = a bucket key, ``not_due``, or
    ``overdue`` (every bucket); ``state`` = open (default) / paid / all / bad_debt."""
    filters = filters or {}
    today = today or timezone.localdate()
    qs = PaymentPlan.objects.restrict(user, "view").select_related("contract", "customer", "owner")
    state = filters.get("state") or "open"
    if state == "open":
        qs = qs.filter(received_amount__lt=F("amount"))
    elif state == "paid":
        qs = qs.filter(received_amount__gte=F("amount"))
    elif state == "bad_debt":
        qs = qs.filter(bad_debt=True)
    bucket = filters.get("bucket")
    if bucket in rules.BUCKET_KEYS:
        earliest, latest = rules.due_range(bucket, today)
        qs = qs.filter(due_date__lte=latest)
        if earliest is not None:
            qs = qs.filter(due_date__gte=earliest)
    elif bucket == "overdue":
        qs = qs.filter(due_date__lte=today)
    elif bucket == rules.NOT_DUE:
        qs = qs.filter(due_date__gt=today)
    return _apply_common(
        qs, filters, search_fields=("contract__number", "customer__name"), date_field="due_date"
    ).order_by("due_date", "contract_id", "sequence")


@dataclass
class AgingRow:
    key: str
    label: str
    amount: Decimal = Decimal(0)
    count: int = 0


@dataclass
class AgingSummary:
    rows: list[AgingRow]
    bad_debt_amount: Decimal = Decimal(0)
    bad_debt_count: int = 0
    by_customer: list[dict] = field(default_factory=list)

    @property
    def overdue_amount(self) -> Decimal:
        return sum((r.amount for r in self.rows if r.key != rules.NOT_DUE), Decimal(0))

    @property
    def total(self) -> Decimal:
        return sum((r.amount for r in self.rows), Decimal(0))


def aging_summary(
    *, user, today: datetime.date | None = None, filters: dict | None = None, customers: int = 20
) -> AgingSummary:
    """Outstanding amounts per aging bucket (and per customer, the largest first) over the
    open instalments in scope. One pass over the open plans; amounts are exact sums."""
    today = today or timezone.localdate()
    filters = {k: v for k, v in (filters or {}).items() if k not in ("bucket", "state")}
    rows = {rules.NOT_DUE: AgingRow(rules.NOT_DUE, rules.bucket_label(rules.NOT_DUE))}
    rows |= {b.key: AgingRow(b.key, str(b.label)) for b in rules.BUCKETS}
    summary = AgingSummary(rows=[])
    per_customer: dict[int, dict] = {}
    plans = plan_list(user=user, filters=filters | {"state": "open"}, today=today)
    for plan in plans.values(
        "customer_id", "customer__name", "due_date", "amount", "received_amount", "bad_debt"
    ):
        outstanding = plan["amount"] - plan["received_amount"]
        if plan["bad_debt"]:
            summary.bad_debt_amount += outstanding
            summary.bad_debt_count += 1
        key = rules.aging_bucket(rules.days_overdue(plan["due_date"], today))
        rows[key].amount += outstanding
        rows[key].count += 1
        entry = per_customer.setdefault(
            plan["customer_id"],
            {
                "customer_id": plan["customer_id"],
                "name": plan["customer__name"],
                "total": Decimal(0),
                **dict.fromkeys([rules.NOT_DUE, *rules.BUCKET_KEYS], Decimal(0)),
            },
        )
        entry[key] += outstanding
        entry["total"] += outstanding
    summary.rows = [rows[rules.NOT_DUE], *(rows[k] for k in rules.BUCKET_KEYS)]
    summary.by_customer = sorted(per_customer.values(), key=lambda e: -e["total"])[:customers]
    for entry in summary.by_customer:
        entry["buckets"] = [entry[k] for k in [rules.NOT_DUE, *rules.BUCKET_KEYS]]
    return summary


def receipt_list(*, user, filters: dict | None = None) -> QuerySet[Receipt]:
    filters = filters or {}
    qs = Receipt.objects.restrict(user, "view").select_related(
        "contract", "customer", "recorded_by"
    )
    if filters.get("unapplied") == "1":
        qs = qs.filter(unapplied_amount__gt=0)
    qs = _apply_common(
        qs,
        filters,
        search_fields=("number", "reference", "customer__name", "contract__number"),
        date_field="received_on",
    )
    if owner := filters.get("contract_owner_id"):
        qs = qs.filter(contract__owner_id=owner)
    return qs.order_by("-received_on", "-id")


# --- credit and risk --------------------------------------------------------------------------


def credit_overview(*, user, filters: dict | None = None) -> list[dict]:
    """Customers in scope with a credit limit or a receivable: receivable, limit, usage,
    overdue amount. Bounded: customers that have orders or a limit only."""
    filters = filters or {}
    customers = (
        Customer.objects.restrict(user, "view")
        .filter(Q(credit_limit__gt=0) | Q(orders__isnull=False))
        .distinct()
    )
    if search := _text(filters, "q"):
        customers = customers.filter(name__icontains=search)
    customers = list(customers.select_related("owner").order_by("name")[:500])
    ids = [c.pk for c in customers]
    ordered = dict(
        Order.objects.filter(customer_id__in=ids, status__in=COUNTED_ORDER_STATUSES)
        .values_list("customer_id")
        .annotate(total=Sum("amount"))
    )
    received = dict(
        Receipt.objects.filter(customer_id__in=ids)
        .values_list("customer_id")
        .annotate(total=Sum("amount"))
    )
    today = timezone.localdate()
    overdue: dict[int, Decimal] = {}
    for row in PaymentPlan.objects.filter(
        customer_id__in=ids, due_date__lt=today, received_amount__lt=F("amount")
    ).values("customer_id", "amount", "received_amount"):
        overdue[row["customer_id"]] = (
            overdue.get(row["customer_id"], Decimal(0)) + row["amount"] - row["received_amount"]
        )
    result = []
    for customer in customers:
        receivable = max(
            ordered.get(customer.pk, Decimal(0)) - received.get(customer.pk, Decimal(0)),
            Decimal(0),
        )
        limit = customer.credit_limit or Decimal(0)
        result.append(
            {
                "customer": customer,
                "receivable": receivable,
                "limit": limit,
                "over": bool(limit) and receivable > limit,
                "usage": (receivable * 100 / limit).quantize(Decimal("0.1")) if limit else None,
                "overdue": overdue.get(customer.pk, Decimal(0)),
            }
        )
    if filters.get("over") == "1":
        result = [r for r in result if r["over"]]
    return sorted(result, key=lambda r: (not r["over"], -r["receivable"]))


def risk_events(*, user, limit: int = 100) -> list[RiskEvent]:
    visible = Customer.objects.restrict(user, "view").values("pk")
    return list(RiskEvent.objects.filter(customer__in=visible).select_related("customer")[:limit])
