"""Reads of the pipeline: the board (column totals + keyset pages), lists, detail timeline and
the skip report. Every selector starts from ``restrict(user, action)``."""

from __future__ import annotations

import contextlib
import datetime
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from .models import Opportunity, OpportunityStatus, Stage, StageEvent, TemplateVersion

PAGE = 50


def _filtered(user, filters: dict | None, action: str = "view") -> QuerySet[Opportunity]:
    qs = Opportunity.objects.restrict(user, action)
    filters = filters or {}
    for key in ("owner_id", "team_id", "customer_id", "stage_id", "template_version_id"):
        value = filters.get(key)
        if value not in (None, ""):
            if not str(value).isdigit():  # a malformed id matches nothing (never a 500)
                return qs.none()
            qs = qs.filter(**{key: int(value)})
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


def board_column_totals(
    *, user, version: TemplateVersion, filters: dict | None = None, now=None
) -> dict:
    """{stage_id: (count, amount, overdue count)} for the open opportunities — one GROUP BY
    query (an index-only scan of ``opp_open_owner_board_idx`` / ``opp_open_board_idx``)."""
    qs = _filtered(user, filters).filter(template_version=version, status=OpportunityStatus.OPEN)
    rows = (
        qs.order_by()
        .values("stage_id")
        .annotate(
            # Count columns of the index (stage is never null), not the id it does not hold.
            n=Count("*"),
            total=Sum("amount"),
            overdue=Count("stage_id", filter=Q(stage_due_at__lt=now or timezone.now())),
        )
    )
    return {r["stage_id"]: (r["n"], r["total"] or Decimal(0), r["overdue"]) for r in rows}


def board_totals(*, user, version: TemplateVersion, filters: dict | None = None) -> dict:
    """{stage_id: (count, amount)} for the open opportunities — one GROUP BY query."""
    totals = board_column_totals(user=user, version=version, filters=filters)
    return {stage_id: (n, total) for stage_id, (n, total, _overdue) in totals.items()}


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


def opportunity_page(*, user, filters: dict | None = None, number=None, per_page: int = PAGE):
    """One page of ``opportunity_list`` (bounded count). The page's ids are a sub-query of
    their own, ``… WHERE id IN (SELECT id … ORDER BY id DESC LIMIT 50)``: PostgreSQL plans it
    as an index-only scan of ``opp_owner_idx`` for the owners the user sees, instead of
    walking the primary key backwards past every other owner's rows (when one rep holds the
    oldest 50,000 opportunities, that walk read 100,000 rows for a page)."""
    from salesflow.core.pagination import bounded_page

    qs = opportunity_list(user=user, filters=filters)
    page = bounded_page(qs.values_list("pk", flat=True), per_page, number)
    page.object_list = list(qs.filter(pk__in=page.object_list))
    return page


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


# --- reads of the pipeline pages (added with the views) -----------------------------------------


def board_version_choices(*, user) -> list[TemplateVersion]:
    """The board's template switch: the current versions of active templates, plus any older
    version that still carries open opportunities the user sees (an opportunity keeps the
    version it started on, so after a template edit its board is the old version's)."""
    current = board_versions(user)
    # One EXISTS per older version (an index lookup each) instead of a DISTINCT over all the
    # open opportunities the user sees.
    open_ones = Opportunity.objects.restrict(user, "view").filter(
        status=OpportunityStatus.OPEN, template_version=OuterRef("pk")
    )
    legacy = list(
        TemplateVersion.objects.filter(is_current=False, template__is_active=True)
        .filter(Exists(open_ones))
        .select_related("template")
    )
    return sorted(current + legacy, key=lambda v: (v.template_id, not v.is_current, -v.number))


def approved_skip_ids(opportunities) -> set[int]:
    """Ids of those opportunities that hold an approved, unused skip of their current stage
    (the "跳过已批准" badge) — one query for a whole page of cards."""
    from django.contrib.contenttypes.models import ContentType

    from salesflow.core.models import ApprovalRequest

    from .services import SKIP_KIND

    stage_of = {o.pk: o.stage_id for o in opportunities}
    if not stage_of:
        return set()
    rows = ApprovalRequest.objects.filter(
        content_type=ContentType.objects.get_for_model(Opportunity),
        object_id__in=list(stage_of),
        kind=SKIP_KIND,
        status=ApprovalRequest.Status.APPROVED,
        consumed_at__isnull=True,
    ).values_list("object_id", "payload")
    return {pk for pk, payload in rows if (payload or {}).get("from_stage") == stage_of.get(pk)}


def template_stages(version: TemplateVersion) -> list[Stage]:
    """The stages of a version with their outputs and responsible roles (3 queries)."""
    return list(version.stages.prefetch_related("outputs", "responsible_roles").order_by("order"))


def opportunity_submissions(opp: Opportunity) -> list:
    """Every output submission of an opportunity, newest first (one query)."""
    return list(
        opp.submissions.select_related("output__stage", "submitted_by").order_by(
            "-submitted_at", "-id"
        )
    )


def opportunity_requests(opp: Opportunity) -> list:
    """The approval requests about an opportunity with their steps (three queries)."""
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import Prefetch

    from salesflow.core.models import ApprovalRequest, ApprovalStep

    return list(
        ApprovalRequest.objects.filter(
            content_type=ContentType.objects.get_for_model(Opportunity), object_id=opp.pk
        )
        .select_related("requested_by", "content_type")
        .prefetch_related(
            Prefetch("steps", queryset=ApprovalStep.objects.select_related("role", "decided_by"))
        )
        .order_by("-requested_at", "-id")
    )


def submission_get(*, user, pk: int):
    """An output submission whose opportunity the user may see, else Http404."""
    from django.http import Http404

    from .models import OutputSubmission

    submission = (
        OutputSubmission.objects.filter(
            pk=pk, opportunity__in=Opportunity.objects.restrict(user, "view").values("pk")
        )
        .select_related("opportunity")
        .first()
    )
    if submission is None:
        raise Http404
    return submission


def opportunity_export_list(*, user, filters: dict | None = None) -> QuerySet[Opportunity]:
    """The filtered list limited to the export scope (a role may export fewer rows than it
    sees)."""
    from salesflow.core.scope import scope_q

    qs = opportunity_list(user=user, filters=filters)
    q = scope_q(Opportunity, user, "export")
    if q is None:
        return qs.none()
    return qs.filter(q) if q else qs


def owner_choices(*, user):
    """People whose opportunities the user sees (the owner filter)."""
    from salesflow.core.scope import owner_ids_for
    from salesflow.org.models import User

    qs = User.objects.filter(is_active=True)
    reachable = owner_ids_for(user, "opportunity", "view")
    if reachable is not None:
        qs = qs.filter(pk__in=reachable)
    return qs.order_by("display_name", "username")


def assignable_users(*, user):
    """People the user may hand opportunities to (the assign scope), active only."""
    from salesflow.core.scope import has_right, owner_ids_for
    from salesflow.org.models import User

    if not has_right(user, "opportunity", "assign"):
        return User.objects.none()
    qs = User.objects.filter(is_active=True).select_related("department")
    reachable = owner_ids_for(user, "opportunity", "assign")
    if reachable is not None:
        qs = qs.filter(pk__in=reachable)
    return qs.order_by("department__path", "display_name")


def team_choices():
    from salesflow.org.models import Department

    return Department.objects.filter(is_active=True).order_by("path")


def customer_choices(*, user, search: str = "", selected_id=None, limit: int = 200) -> list:
    """Customers a user may open an opportunity for (newest first, at most ``limit``, plus
    the selected one)."""
    from salesflow.customers.selectors import customer_list

    def light(qs):
        return qs.select_related(None).only("id", "name", "grade")

    rows = list(light(customer_list(user=user, search=search))[:limit])
    if selected_id and all(str(c.pk) != str(selected_id) for c in rows):
        rows += list(light(customer_list(user=user)).filter(pk=selected_id))
    return rows


def skip_events(*, user, date_from=None, date_to=None, limit: int = 200) -> list[StageEvent]:
    """The skipped transitions themselves (newest first) for the skip report's detail table."""
    from django.db.models import Prefetch

    from salesflow.core.models import ApprovalStep

    events = StageEvent.objects.filter(
        skipped=True, opportunity__in=Opportunity.objects.restrict(user, "view").values("pk")
    )
    if date_from:
        events = events.filter(at__date__gte=date_from)
    if date_to:
        events = events.filter(at__date__lte=date_to)
    return list(
        events.select_related(
            "opportunity__customer", "from_stage", "to_stage", "actor", "approval__requested_by"
        )
        .prefetch_related(
            Prefetch("approval__steps", queryset=ApprovalStep.objects.select_related("decided_by"))
        )
        .order_by("-at", "-id")[:limit]
    )
