"""Every read of the targets module; each starts from the user's scope (``restrict``)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet

from . import metrics
from .models import (
    ADDITIVE_METRICS,
    Level,
    PerformanceNote,
    SalesReport,
    Target,
)

LEVEL_ORDER = {Level.COMPANY: 0, Level.TEAM: 1, Level.PERSON: 2}


def target_list(*, user, filters: dict | None = None) -> QuerySet[Target]:
    filters = filters or {}
    qs = Target.objects.restrict(user, "view").select_related(
        "owner",
        "department",
        "region",
        "product_line",
        "parent__owner",
        "parent__department",
        "parent__region",
        "parent__product_line",
    )
    for name in ("metric", "period_kind", "level"):
        if value := filters.get(name):
            qs = qs.filter(**{name: value})
    if year := filters.get("year"):
        qs = qs.filter(period_start__year=year)
    if owner := filters.get("owner_id"):
        qs = qs.filter(owner_id=owner)
    if filters.get("top"):
        qs = qs.filter(parent__isnull=True)
    return qs.annotate(n_children=Count("children")).order_by(
        "-period_start", "period_end", "metric", "level", "id"
    )


def target_get(*, user, pk: int, action: str = "view") -> Target:
    return Target.objects.select_related(
        "owner", "department", "region", "product_line", "parent"
    ).get_in_scope(user, action, pk=pk)


@dataclass
class TargetRow:
    target: Target
    actual: Decimal | None
    completion: Decimal | None

    @property
    def completion_text(self) -> str:
        return metrics.percent_text(self.completion)


def with_actuals(targets, user=None) -> list[TargetRow]:
    """Targets with actual and completion (a bounded number of queries for the whole list)."""
    targets = list(targets)
    actuals = metrics.actuals_for(targets, user)
    return [
        TargetRow(t, actuals.get(t.pk), metrics.completion(actuals.get(t.pk), t.value))
        for t in targets
    ]


def _plain(qs):
    """Targets without region/product line/customer type: the totals of a level."""
    return qs.filter(region__isnull=True, product_line__isnull=True, customer_type="")


def top_targets(*, user, metric: str, date_from: datetime.date, date_to: datetime.date):
    """The totals the user is responsible for seeing in that exact period: among the plain
    (undimensioned) targets in the user's scope, those whose parent is not also visible — a
    director gets the company total, a manager the team total, a rep their own."""
    found = list(
        _plain(Target.objects.restrict(user, "view")).filter(
            metric=metric, period_start=date_from, period_end=date_to
        )
    )
    ids = {t.pk for t in found}
    tops = [t for t in found if t.parent_id not in ids]
    if not tops:
        return []
    best = min(LEVEL_ORDER[t.level] for t in tops)
    return [t for t in tops if LEVEL_ORDER[t.level] == best]


def period_target(user, metric: str, date_from: datetime.date, date_to: datetime.date):
    """The target in the user's scope for that period (Decimal; a rate in %), or None. Several
    visible totals at the same level (a director without a company total sees the teams')
    are added up for an additive metric; for a rate only a single one counts."""
    tops = top_targets(user=user, metric=metric, date_from=date_from, date_to=date_to)
    if not tops:
        return None
    if metric in ADDITIVE_METRICS:
        return sum((t.value for t in tops), Decimal(0))
    return tops[0].value if len(tops) == 1 else None


def performance_notes(*, user, date_from, date_to, dimension: str = "", metric: str = ""):
    qs = (
        PerformanceNote.objects.restrict(user, "view")
        .filter(period_start=date_from, period_end=date_to)
        .select_related("owner", "created_by")
    )
    if dimension:
        qs = qs.filter(dimension=dimension)
    if metric:
        qs = qs.filter(metric=metric)
    return qs.order_by("-created_at", "-id")


# --- reports ----------------------------------------------------------------------------------


def report_list(*, user, filters: dict | None = None) -> QuerySet[SalesReport]:
    filters = filters or {}
    qs = SalesReport.objects.restrict(user, "view").select_related("owner", "owner__department")
    if kind := filters.get("kind"):
        qs = qs.filter(kind=kind)
    if status := filters.get("status"):
        qs = qs.filter(status=status)
    if filters.get("late") == "1":
        qs = qs.filter(Q(is_late=True))
    if owner := filters.get("owner_id"):
        qs = qs.filter(owner_id=owner)
    return qs.annotate(n_comments=Count("comments")).order_by("-period_start", "kind", "owner_id")


def report_get(*, user, pk: int, action: str = "view") -> SalesReport:
    return SalesReport.objects.select_related("owner").get_in_scope(user, action, pk=pk)


def team_reports(*, user, kind: str, period_start: datetime.date):
    """The team table (谁已提交): every active person in the user's scope who writes reports,
    with their report of that period (or None)."""
    from salesflow.core.scope import owner_ids_for

    from .report_services import report_writers

    ids = owner_ids_for(user, "report", "view")
    people = report_writers()
    if ids is not None:
        people = people.filter(pk__in=ids)
    people = list(people.select_related("department").order_by("department__path", "id"))
    reports = {
        r.owner_id: r
        for r in SalesReport.objects.restrict(user, "view").filter(
            kind=kind, period_start=period_start, owner__in=[p.pk for p in people]
        )
    }
    return [(person, reports.get(person.pk)) for person in people]
