"""Reads of follow-ups, tasks, cadence and the manager's weekly review. Every list starts from
the user's data scope (``restrict``); "per person" lists (my day, the digest) are the
records the person owns."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import F, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from salesflow.core.scope import owner_ids_for
from salesflow.core.settings_registry import get_setting
from salesflow.core.sla import deadline
from salesflow.customers.models import Customer
from salesflow.leads.models import OPEN_STATUSES, Lead, LeadGrade, LeadStatus
from salesflow.org.models import User
from salesflow.pipeline.models import Opportunity, OpportunityStatus

from .models import FollowUp, FollowUpAttachment, QualityGrade, Task, TaskStatus

GRADE_BADGES = {
    QualityGrade.EXCELLENT: "text-bg-success",
    QualityGrade.GOOD: "text-bg-primary",
    QualityGrade.FAIR: "text-bg-warning",
    QualityGrade.POOR: "text-bg-danger",
}


def restrict(model_or_qs, user, action: str = "view") -> QuerySet:
    """The records of a model (or queryset) of this app inside the user's data scope."""
    qs = model_or_qs if isinstance(model_or_qs, QuerySet) else model_or_qs.objects.all()
    return qs.restrict(user, action)


def get_in_scope(model_or_qs, user, action: str = "view", **lookup):
    """The one record in scope, else Http404 (never 403: no existence leak)."""
    qs = model_or_qs if isinstance(model_or_qs, QuerySet) else model_or_qs.objects.all()
    return qs.get_in_scope(user, action, **lookup)


def _nulls_last(name: str):
    return F(name).asc(nulls_last=True)


def _day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    tz = timezone.get_default_timezone()
    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=tz)
    return start, start + datetime.timedelta(days=1)


def period_bounds(period) -> tuple[datetime.datetime, datetime.datetime]:
    """``(first_day, last_day)`` (dates, both included) → aware ``[start, end)``."""
    first, last = period
    return _day_bounds(first)[0], _day_bounds(last)[1]


def last_week(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """Monday–Sunday of the week before ``today``'s."""
    monday = today - datetime.timedelta(days=today.weekday() + 7)
    return monday, monday + datetime.timedelta(days=6)


# --- follow-ups ------------------------------------------------------------------------------

FOLLOWUP_FILTERS = ("owner_id", "method", "result", "lead_id", "customer_id", "opportunity_id")


def followup_list(*, user, filters: dict | None = None, search: str = "") -> QuerySet[FollowUp]:
    filters = filters or {}
    qs = restrict(FollowUp, user, "view").select_related(
        "owner", "lead", "customer", "opportunity", "next_step_owner"
    )
    for key in FOLLOWUP_FILTERS:
        value = filters.get(key)
        if value not in (None, ""):
            qs = qs.filter(**{key: value})
    if filters.get("date_from"):
        qs = qs.filter(communicated_at__gte=_day_bounds(filters["date_from"])[0])
    if filters.get("date_to"):
        qs = qs.filter(communicated_at__lt=_day_bounds(filters["date_to"])[1])
    for key in ("is_complete", "entry_sla_met"):
        if filters.get(key) in ("1", "0"):
            qs = qs.filter(**{key: filters[key] == "1"})
    search = (search or "").strip()
    if search:
        qs = qs.filter(
            Q(topic__icontains=search)
            | Q(summary__icontains=search)
            | Q(customer__name__icontains=search)
            | Q(lead__company_name__icontains=search)
        )
    return qs.order_by("-communicated_at", "-id")


def followup_get(*, user, pk: int) -> FollowUp:
    return get_in_scope(
        FollowUp.objects.select_related(
            "owner", "lead", "customer", "opportunity", "next_step_owner", "created_by"
        ),
        user,
        "view",
        pk=pk,
    )


def attachment_get(*, user, pk: int) -> FollowUpAttachment:
    attachment = FollowUpAttachment.objects.filter(pk=pk).first()
    if attachment is None:
        raise Http404
    followup_get(user=user, pk=attachment.followup_id)  # scope of the follow-up
    return attachment


def subject_choices(*, user, limit: int = 300) -> dict[str, list]:
    """Open leads and customers the user owns, soonest due first, for the follow-up form when
    it is opened without a subject (phone use: "my" records, bounded)."""
    leads = (
        Lead.objects.restrict(user, "view")
        .filter(owner=user, status__in=OPEN_STATUSES)
        .order_by(_nulls_last("next_followup_due_at"), "-id")
        .only("pk", "company_name")[:limit]
    )
    customers = (
        Customer.objects.restrict(user, "view")
        .filter(owner=user)
        .order_by(_nulls_last("next_followup_due_at"), "-id")
        .only("pk", "name")[:limit]
    )
    return {"leads": list(leads), "customers": list(customers)}


def followup_owner_choices(*, user):
    """Colleagues the user may enter follow-ups for (assistants for their reps); None when
    that is only themselves (the form then hides the field)."""
    reach = owner_ids_for(user, "followup", "add")
    if reach is not None and len(reach - {user.pk}) == 0:
        return None
    qs = User.objects.filter(is_active=True).select_related("department")
    if reach is not None:
        qs = qs.filter(pk__in=sorted(reach))
    return qs.order_by("department__path", "display_name", "id")


# --- tasks -----------------------------------------------------------------------------------


def task_list(
    *, user, filters: dict | None = None, now: datetime.datetime | None = None
) -> QuerySet[Task]:
    filters = filters or {}
    qs = restrict(Task, user, "view").select_related("owner", "created_by", "acceptor")
    mine = filters.get("mine")
    if mine == "owner":
        qs = qs.filter(owner=user)
    elif mine == "created":
        qs = qs.filter(created_by=user)
    if filters.get("owner_id"):
        qs = qs.filter(owner_id=filters["owner_id"])
    status = filters.get("status", TaskStatus.OPEN)
    if status in TaskStatus.values:
        qs = qs.filter(status=status)
    if filters.get("overdue") == "1":
        qs = qs.filter(status=TaskStatus.OPEN, due_at__lt=now or timezone.now())
    search = (filters.get("q") or "").strip()
    if search:
        qs = qs.filter(Q(title__icontains=search) | Q(source_label__icontains=search))
    return qs.order_by(_nulls_last("due_at"), "id")


def task_get(*, user, pk: int, action: str = "view") -> Task:
    return get_in_scope(
        Task.objects.select_related(
            "owner", "acceptor", "created_by", "followup", "lead", "customer", "opportunity"
        ),
        user,
        action,
        pk=pk,
    )


def task_items(task: Task) -> list:
    """The sub-items with their completion % and quality grade."""
    from .services import completion_ratio, quality_grade

    items = list(task.items.select_related("owner", "acceptor"))
    for item in items:
        item.completion = completion_ratio(item.actual_value, item.target_value)
        item.grade = quality_grade(item.actual_value, item.target_value)
        item.grade_label = QualityGrade(item.grade).label if item.grade else ""
        item.grade_css = GRADE_BADGES.get(item.grade, "")
    return items


def task_progress(task: Task) -> QuerySet:
    return task.progress.select_related("item", "actor").order_by("-day", "-id")


def can_change_task(user, task: Task) -> bool:
    return restrict(Task, user, "change").filter(pk=task.pk).exists()


# --- my day and cadence due ------------------------------------------------------------------


@dataclass
class Due:
    """What one person has to follow up: due today and overdue by cadence."""

    leads_today: list = field(default_factory=list)
    leads_overdue: list = field(default_factory=list)
    customers_today: list = field(default_factory=list)
    customers_overdue: list = field(default_factory=list)

    @property
    def count_today(self) -> int:
        return len(self.leads_today) + len(self.customers_today)

    @property
    def count_overdue(self) -> int:
        return len(self.leads_overdue) + len(self.customers_overdue)


def due_for(user, day: datetime.date, *, limit: int = 200) -> Due:
    """The leads and customers ``user`` owns whose next cadence follow-up is on ``day``
    (today) or before it (overdue)."""
    start, end = _day_bounds(day)
    leads = (
        Lead.objects.filter(owner=user, status__in=OPEN_STATUSES, next_followup_due_at__lt=end)
        .select_related("owner")
        .order_by("next_followup_due_at", "id")[:limit]
    )
    customers = (
        Customer.objects.filter(owner=user, next_followup_due_at__lt=end)
        .select_related("owner")
        .order_by("next_followup_due_at", "id")[:limit]
    )
    due = Due()
    for lead in leads:
        (due.leads_overdue if lead.next_followup_due_at < start else due.leads_today).append(lead)
    for customer in customers:
        overdue = customer.next_followup_due_at < start
        (due.customers_overdue if overdue else due.customers_today).append(customer)
    return due


def my_day(user, today: datetime.date, *, now: datetime.datetime | None = None) -> dict:
    """我的今天: tasks due today or overdue, cadence follow-ups due today or overdue, A-class
    leads waiting for their first contact, leads waiting to be screened, opportunities past
    their stage deadline, and today's follow-ups."""
    now = now or timezone.now()
    start, end = _day_bounds(today)
    tasks = list(
        Task.objects.filter(owner=user, status=TaskStatus.OPEN, due_at__lt=end)
        .select_related("created_by")
        .order_by("due_at", "id")[:200]
    )
    first_contact = list(
        Lead.objects.filter(
            owner=user,
            grade=LeadGrade.A,
            first_contact_at__isnull=True,
            status__in=OPEN_STATUSES,
            first_contact_due_at__isnull=False,
        ).order_by("first_contact_due_at", "id")[:200]
    )
    screening = list(
        Lead.objects.filter(
            owner=user, status=LeadStatus.NEW, graded_at__isnull=True, screening_due_at__lt=end
        ).order_by("screening_due_at", "id")[:200]
    )
    opportunities = list(
        Opportunity.objects.filter(owner=user, status=OpportunityStatus.OPEN, stage_due_at__lt=now)
        .select_related("customer", "stage")
        .order_by("stage_due_at", "id")[:200]
    )
    return {
        "today": today,
        "now": now,
        "tasks_overdue": [t for t in tasks if t.due_at < now],
        "tasks_today": [t for t in tasks if t.due_at >= now],
        "due": due_for(user, today),
        "first_contact": first_contact,
        "screening": screening,
        "opportunities_overdue": opportunities,
        "followups_today": FollowUp.objects.filter(
            owner=user, communicated_at__gte=start, communicated_at__lt=end
        ).count(),
    }


# --- the manager's weekly review -------------------------------------------------------------


def delayed_tasks(manager, *, now: datetime.datetime | None = None) -> QuerySet[Task]:
    """Open tasks past their due time owned by the people in the manager's reach."""
    reach = owner_ids_for(manager, "task", "view")
    qs = Task.objects.filter(status=TaskStatus.OPEN, due_at__lt=now or timezone.now())
    if reach is not None:
        qs = qs.filter(owner_id__in=sorted(reach))
    return qs.select_related("owner", "created_by").order_by("due_at", "id")


def stalled_opportunities(manager) -> QuerySet[Opportunity]:
    """Open opportunities with ≥ ``pipeline.stalled_followups`` follow-ups since their last
    stage change."""
    return (
        Opportunity.objects.restrict(manager, "view")
        .filter(
            status=OpportunityStatus.OPEN,
            followups_since_stage__gte=get_setting("pipeline.stalled_followups"),
        )
        .select_related("owner", "customer", "stage")
        .order_by("-followups_since_stage", "stage_entered_at", "id")
    )


def is_stalled(opportunity: Opportunity) -> bool:
    return (
        opportunity.status == OpportunityStatus.OPEN
        and opportunity.followups_since_stage >= get_setting("pipeline.stalled_followups")
    )


def team_members(manager) -> list[User]:
    """The people whose follow-ups the manager reviews (their follow-up scope)."""
    reach = owner_ids_for(manager, "followup", "view")
    qs = User.objects.filter(is_active=True)
    if reach is not None:
        qs = qs.filter(pk__in=sorted(reach))
    else:
        qs = qs.filter(roles__permissions__object_type="followup").distinct()
    return list(qs.select_related("department").order_by("department__path", "id"))


@dataclass(frozen=True)
class Rate:
    """``hits`` of ``total``; ``rate`` in percent (Decimal), None without rows ("—")."""

    total: int
    hits: int

    @property
    def rate(self) -> Decimal | None:
        if not self.total:
            return None
        return Decimal(self.hits) * 100 / Decimal(self.total)


@dataclass
class KpiResult:
    per_user: dict[int, Rate]
    overall: Rate

    def for_user(self, user_id: int) -> Rate:
        return self.per_user.get(user_id, Rate(0, 0))


def _rates(rows, user_ids) -> KpiResult:
    per_user = {uid: [0, 0] for uid in user_ids}
    for owner_id, hit in rows:
        counts = per_user.setdefault(owner_id, [0, 0])
        counts[0] += 1
        counts[1] += 1 if hit else 0
    result = {uid: Rate(total, hits) for uid, (total, hits) in per_user.items()}
    return KpiResult(
        per_user=result,
        overall=Rate(sum(r.total for r in result.values()), sum(r.hits for r in result.values())),
    )


def followup_completeness(user_ids, period) -> KpiResult:
    """Share of follow-ups (communicated in ``period``) that were complete when recorded
    (KPI ≥ 95%, setting ``kpi.followup_completeness_target``)."""
    start, end = period_bounds(period)
    user_ids = list(user_ids)
    rows = FollowUp.objects.filter(
        owner_id__in=user_ids, communicated_at__gte=start, communicated_at__lt=end
    ).values_list("owner_id", "is_complete")
    return _rates(rows, user_ids)


def lead_response_timeliness(
    user_ids, period, *, now: datetime.datetime | None = None
) -> KpiResult:
    """Share of A-class leads graded in ``period`` whose first contact (response time = first
    contact − grading time) came within ``lead.a_first_contact_sla``. A lead not contacted
    yet counts once its deadline has passed (late); before that it is not counted."""
    now = now or timezone.now()
    start, end = period_bounds(period)
    user_ids = list(user_ids)
    rule = get_setting("lead.a_first_contact_sla")
    rows = []
    leads = Lead.all_objects.filter(
        owner_id__in=user_ids, grade=LeadGrade.A, graded_at__gte=start, graded_at__lt=end
    ).values_list("owner_id", "graded_at", "first_contact_due_at", "first_contact_at")
    for owner_id, graded_at, due_at, contacted_at in leads:
        due_at = due_at or deadline(graded_at, rule)
        if contacted_at is None:
            if due_at < now:
                rows.append((owner_id, False))
            continue
        rows.append((owner_id, contacted_at <= due_at))
    return _rates(rows, user_ids)


def response_hours(lead: Lead) -> Decimal | None:
    """Response time of one lead in hours: first contact − grading time."""
    if lead.graded_at is None or lead.first_contact_at is None:
        return None
    seconds = Decimal((lead.first_contact_at - lead.graded_at).total_seconds())
    return (seconds / 3600).quantize(Decimal("0.01"))
