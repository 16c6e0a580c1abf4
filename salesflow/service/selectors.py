"""Every read of the service module, starting from scope-restricted querysets."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from salesflow.customers.models import Customer

from .clocks import overdue_q
from .models import (
    OPEN_STATES,
    Complaint,
    ComplaintState,
    MaintenanceAction,
    MaintenancePlan,
    SatisfactionSurvey,
)


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def complaint_list(*, user, filters: dict | None = None) -> QuerySet[Complaint]:
    """Complaints in the user's scope; filters: state (or "open"), type, handler, overdue,
    caused (1/0), customer, q (customer name or description)."""
    filters = filters or {}
    qs = Complaint.objects.restrict(user, "view").select_related(
        "customer", "type", "handler", "created_by"
    )
    state = filters.get("state") or ""
    if state == "open":
        qs = qs.filter(state__in=OPEN_STATES)
    elif state in ComplaintState.values:
        qs = qs.filter(state=state)
    if type_id := _int(filters.get("type")):
        qs = qs.filter(type_id=type_id)
    if handler_id := _int(filters.get("handler")):
        qs = qs.filter(handler_id=handler_id)
    if customer_id := _int(filters.get("customer")):
        qs = qs.filter(customer_id=customer_id)
    if filters.get("overdue") == "1":
        qs = qs.filter(state__in=OPEN_STATES).filter(overdue_q())
    if filters.get("caused") in ("0", "1"):
        qs = qs.filter(caused_by_sales=filters["caused"] == "1")
    if q := (filters.get("q") or "").strip():
        qs = qs.filter(Q(customer__name__icontains=q) | Q(description__icontains=q))
    return qs.order_by("-received_at", "-id")


def complaint_get(*, user, pk: int, action: str = "view") -> Complaint:
    return Complaint.objects.select_related(
        "customer", "customer__owner", "type", "handler", "created_by"
    ).get_in_scope(user, action, pk=pk)


def complaint_events(complaint: Complaint):
    return complaint.events.select_related("actor").order_by("at", "id")


def customers_for_service(*, user) -> QuerySet[Customer]:
    return Customer.objects.restrict(user, "view").select_related("owner").order_by("name")


def plan_for(*, user, customer: Customer) -> MaintenancePlan | None:
    return (
        MaintenancePlan.objects.restrict(user, "view")
        .filter(customer=customer)
        .select_related("owner")
        .first()
    )


def action_list(*, user, filters: dict | None = None) -> QuerySet[MaintenanceAction]:
    """Maintenance actions in scope; filters: status, kind, customer, effect, q."""
    filters = filters or {}
    qs = MaintenanceAction.objects.restrict(user, "view").select_related(
        "customer", "owner", "done_by"
    )
    for key in ("status", "kind", "effect"):
        if value := filters.get(key):
            qs = qs.filter(**{key: value})
    if customer_id := _int(filters.get("customer")):
        qs = qs.filter(customer_id=customer_id)
    if q := (filters.get("q") or "").strip():
        qs = qs.filter(Q(customer__name__icontains=q) | Q(title__icontains=q))
    return qs.order_by("-due_on", "-id")


def survey_list(*, user, customer_id: int | None = None) -> QuerySet[SatisfactionSurvey]:
    qs = SatisfactionSurvey.objects.restrict(user, "view").select_related(
        "customer", "recorded_by", "improvement_task"
    )
    if customer_id:
        qs = qs.filter(customer_id=customer_id)
    return qs.order_by("-surveyed_on", "-id")
