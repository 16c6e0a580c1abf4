"""Reads of the pipeline: the board (column totals + keyset pages), lists, detail timeline and
the skip report. Every selector starts from ``restrict(user, action)``."""

from __future__ import annotations

import contextlib
import datetime
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from .models import Opportunity, OpportunityStatus, Stage, StageEvent, TemplateVersion

PAGE = 50


def _filtered(user, filters: dict | None, action: str = "view") -> QuerySet[Opportunity]:
    qs = Opportunity.objects.restrict(user, action)
    filters = filters or {}
    for key in ("owner_id", "team_id", "customer_id", "stage_id", "template_version_id"):
        value = filters.get(key)
        if value not in (None, ""):
            qs = qs.filter(**{key: value})
    status = filters.get("status")
    if status in OpportunityStatus.values:
        qs = qs.filter(status=status)
    month = filters.get("close_month")
    if month:
        try:
            start = datetime.date.fromisoformat(f"{month}-01")
        except ValueError:
            start = None
        if start:
            end = (start + datetime.timedelta(days=32)).replace(day=1)
            qs = qs.filter(expected_close_date__gte=start, expected_close_date__lt=end)
    for key, lookup in (("min_amount", "amount__gte"), ("max_amount", "amount__lte")):
        value = filters.get(key)
        if value not in (None, ""):
            with contextlib.suppress(InvalidOperation):
                qs = qs.filter(**{lookup: Decimal(str(value))})
    if filters.get("overdue") == "1":
        qs = qs.filter(status=OpportunityStatus.OPEN, stage_due_at__lt=timezone.now())
    search = (filters.get("q") or "").strip()
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(customer__name__icontains=search))
    return qs


@dataclass
class Column:
    stage: Stage
    count: int
    total: Decimal
    cards: list
    next_cursor: str | None


def board_versions(user) -> list[TemplateVersion]:
    """Current versions of active templates (the board's template switch)."""
    return list(
        TemplateVersion.objects.filter(is_current=True, template__is_active=True)
        .select_related("template")
        .order_by("template_id")
    )


def board_totals(*, user, version: TemplateVersion, filters: dict | None = None) -> dict:
    """{stage_id: (count, amount)} for the open opportunities — one GROUP BY query."""
    qs = _filtered(user, filters).filter(template_version=version, status=OpportunityStatus.OPEN)
    rows = qs.order_by().values("stage_id").annotate(n=Count("id"), total=Sum("amount"))
    return {r["stage_id"]: (r["n"], r["total"] or Decimal(0)) for r in rows}


def encode_cursor(opp) -> str:
    return f"{opp.amount}_{opp.pk}"


def decode_cursor(cursor: str | None):
    if not cursor:
        return None
    try:
        amount, pk = cursor.rsplit("_", 1)
        return Decimal(amount), int(pk)
    except (ValueError, InvalidOperation):
        return None


def board_column(
    *,
    user,
    version: TemplateVersion,
    stage_id: int,
    filters: dict | None = None,
    after: str | None = None,
    limit: int = PAGE,
):
    """One page of a column, largest amounts first; keyset pagination on (-amount, id) so a
    page costs the same however deep it is."""
    qs = (
        _filtered(user, filters)
        .filter(template_version=version, stage_id=stage_id, status=OpportunityStatus.OPEN)
        .select_related("customer", "owner")
        .order_by("-amount", "id")
    )
    cursor = decode_cursor(after)
    if cursor:
        amount, pk = cursor
        qs = qs.filter(Q(amount__lt=amount) | Q(amount=amount, id__gt=pk))
    cards = list(qs[: limit + 1])
    more = len(cards) > limit
    cards = cards[:limit]
    return cards, (encode_cursor(cards[-1]) if more and cards else None)


def board(
    *, user, version: TemplateVersion, filters: dict | None = None, limit: int = PAGE
) -> list[Column]:
    """Every column with its totals and first page: 1 + (number of stages) queries, whatever
    the number of cards."""
    totals = board_totals(user=user, version=version, filters=filters)
    columns = []
    for stage in version.stages.filter(covered_by_lead=False).order_by("order"):
        count, total = totals.get(stage.pk, (0, Decimal(0)))
        cards, cursor = (
            board_column(
                user=user, version=version, stage_id=stage.pk, filters=filters, limit=limit
            )
            if count
            else ([], None)
        )
        columns.append(Column(stage, count, total, cards, cursor))
    return columns


def opportunity_list(*, user, filters: dict | None = None) -> QuerySet[Opportunity]:
    return (
        _filtered(user, filters)
        .select_related("customer", "owner", "stage", "template_version__template")
        .order_by("-id")
    )


def opportunity_get(*, user, pk: int, action: str = "view") -> Opportunity:
    return Opportunity.objects.select_related(
        "customer",
        "owner",
        "stage",
        "template_version__template",
        "lost_reason",
        "team",
        "source_lead",
    ).get_in_scope(user, action, pk=pk)


def events_for(opp: Opportunity) -> QuerySet[StageEvent]:
    return opp.events.select_related("from_stage", "to_stage", "actor", "approval").order_by(
        "-at", "-id"
    )


def skip_report(*, user, date_from=None, date_to=None) -> dict:
    """Skips by stage, by person and by outcome (won / lost / open) — the flexibility vs
    standardisation review. Computed in the database."""
    events = StageEvent.objects.filter(
        skipped=True, opportunity__in=Opportunity.objects.restrict(user, "view").values("pk")
    )
    if date_from:
        events = events.filter(at__date__gte=date_from)
    if date_to:
        events = events.filter(at__date__lte=date_to)
    by_stage = list(events.values("from_stage__name").annotate(n=Count("id")).order_by("-n"))
    by_person = list(events.values("actor__display_name").annotate(n=Count("id")).order_by("-n"))
    by_outcome = list(
        events.values("opportunity__status")
        .annotate(n=Count("opportunity", distinct=True))
        .order_by("opportunity__status")
    )
    return {
        "by_stage": by_stage,
        "by_person": by_person,
        "by_outcome": by_outcome,
        "total": events.count(),
    }
