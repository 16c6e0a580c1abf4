"""Every read of the planning module: scoped lists, details, and the figures computed from the
system's own records — plan metrics, a meeting's prepared data, training performance change and
the interview summary by theme. The definitions are in ``docs/planning.md``."""

from __future__ import annotations

import calendar
import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Max, Prefetch, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from salesflow.activities import selectors as activity_selectors
from salesflow.activities.models import FollowUp, Task, TaskStatus
from salesflow.core.scope import owner_ids_for
from salesflow.deals.models import COUNTED_ORDER_STATUSES, Order
from salesflow.leads.models import Lead
from salesflow.org.models import User
from salesflow.pipeline.models import Opportunity, OpportunityStatus

from .models import (
    InterviewTheme,
    MeetingAction,
    PlanMilestone,
    PlanReview,
    ProcessInterview,
    ReviewMeeting,
    StrategyPlan,
    TrainingParticipant,
    TrainingSession,
)

ZERO = Decimal(0)
SYSTEM, MANUAL = "system", "manual"


def _pct(numerator, denominator) -> Decimal | None:
    """A percentage with two decimals; None ("—") without a denominator."""
    if not denominator:
        return None
    return (Decimal(numerator) * 100 / Decimal(denominator)).quantize(Decimal("0.01"))


def team_user_ids(department) -> list[int]:
    """The people of a department and every department below it."""
    return list(
        User.objects.filter(department__path__startswith=department.path).values_list(
            "id", flat=True
        )
    )


def add_months(day: datetime.date, months: int) -> datetime.date:
    """``day`` moved by ``months`` calendar months, the day clamped to the month's length
    (2026-03-31 − 1 month → 2026-02-28)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# --- lists ---------------------------------------------------------------------------------------


def _search(qs, q: str, fields: list[str]):
    q = (q or "").strip()[:100]
    if not q:
        return qs
    cond = Q()
    for field in fields:
        cond |= Q(**{f"{field}__icontains": q})
    return qs.filter(cond)


def plan_list(*, user, filters: dict | None = None) -> QuerySet[StrategyPlan]:
    filters = dict(filters or {})
    qs = StrategyPlan.objects.restrict(user, "view").select_related("owner", "department")
    qs = _search(qs, filters.pop("q", ""), ["title", "goal"])
    if year := filters.pop("year", None):
        qs = qs.filter(period_start__year__lte=year, period_end__year__gte=year)
    return qs.filter(**filters).order_by("-period_start", "-id")


def plan_get(*, user, pk: int, action: str = "view") -> StrategyPlan:
    return StrategyPlan.objects.select_related(
        "owner", "department", "lead_source", "product_line"
    ).get_in_scope(user, action, pk=pk)


def plan_milestones(plan: StrategyPlan) -> list[PlanMilestone]:
    return list(plan.milestones.select_related("owner", "task"))


def plan_reviews(plan: StrategyPlan) -> list[PlanReview]:
    return list(plan.reviews.select_related("author"))


def next_review_on(plan: StrategyPlan, last_review: datetime.date | None = None) -> datetime.date:
    """The day the next periodic review is due: the last review (else the start) plus the
    plan's review interval."""
    if last_review is None:
        last_review = (
            plan.reviews.order_by("-reviewed_on").values_list("reviewed_on", flat=True).first()
        )
    start = max(filter(None, [last_review, plan.period_start]))
    return start + datetime.timedelta(days=plan.review_every_days)


def plans_due_for_review(today: datetime.date) -> list[tuple[StrategyPlan, datetime.date]]:
    """Active plans running today whose next review is due (for the reminder job)."""
    plans = (
        StrategyPlan.objects.filter(status="active", period_start__lte=today, period_end__gte=today)
        .select_related("owner")
        .annotate(last_review=Max("reviews__reviewed_on"))
        .order_by("id")
    )
    due = []
    for plan in plans:
        day = next_review_on(plan, plan.last_review)
        if day <= today:
            due.append((plan, day))
    return due


def meeting_list(*, user, filters: dict | None = None) -> QuerySet[ReviewMeeting]:
    filters = dict(filters or {})
    qs = ReviewMeeting.objects.restrict(user, "view").select_related("owner", "department")
    qs = _search(qs, filters.pop("q", ""), ["topic", "resolutions"])
    if date_from := filters.pop("date_from", None):
        qs = qs.filter(held_at__date__gte=date_from)
    if date_to := filters.pop("date_to", None):
        qs = qs.filter(held_at__date__lte=date_to)
    return qs.filter(**filters).order_by("-held_at", "-id")


def meeting_get(*, user, pk: int, action: str = "view") -> ReviewMeeting:
    return ReviewMeeting.objects.select_related(
        "owner", "department", "follow_up_owner", "previous"
    ).get_in_scope(user, action, pk=pk)


def meeting_actions(meeting: ReviewMeeting | None) -> list[MeetingAction]:
    """The action items of a meeting with their task's live status."""
    if meeting is None:
        return []
    return list(meeting.actions.select_related("owner", "task"))


def action_status(action) -> tuple[str, str]:
    """(status code, label) of a milestone or action item: its task's status, and "逾期" for an
    open task past its deadline."""
    task = action.task
    if task is None:
        return "missing", _("任务已删除")
    if task.status == TaskStatus.OPEN and task.due_at and task.due_at < timezone.now():
        return "overdue", _("已逾期")
    return task.status, task.get_status_display()


def training_list(*, user, filters: dict | None = None) -> QuerySet[TrainingSession]:
    filters = dict(filters or {})
    qs = (
        TrainingSession.objects.restrict(user, "view")
        .select_related("owner", "department")
        .annotate(participant_count=Count("participants", distinct=True))
    )
    qs = _search(qs, filters.pop("q", ""), ["title", "trainer", "content"])
    if date_from := filters.pop("date_from", None):
        qs = qs.filter(held_on__gte=date_from)
    if date_to := filters.pop("date_to", None):
        qs = qs.filter(held_on__lte=date_to)
    return qs.filter(**filters).order_by("-held_on", "-id")


def training_get(*, user, pk: int, action: str = "view") -> TrainingSession:
    return TrainingSession.objects.select_related("owner", "department").get_in_scope(
        user, action, pk=pk
    )


def interview_list(*, user, filters: dict | None = None) -> QuerySet[ProcessInterview]:
    filters = dict(filters or {})
    qs = (
        ProcessInterview.objects.restrict(user, "view")
        .select_related("owner", "department")
        .prefetch_related(Prefetch("themes", queryset=InterviewTheme.objects.order_by("name")))
    )
    qs = _search(qs, filters.pop("q", ""), ["interviewee", "role", "pain_points", "suggestions"])
    if theme := filters.pop("theme", None):
        qs = qs.filter(
            pk__in=ProcessInterview.themes.through.objects.filter(interviewtheme_id=theme).values(
                "processinterview_id"
            )
        )
    return qs.filter(**filters).order_by("-interviewed_on", "-id")


def interview_get(*, user, pk: int, action: str = "view") -> ProcessInterview:
    return (
        ProcessInterview.objects.select_related("owner", "department", "interviewee_user")
        .prefetch_related("themes")
        .get_in_scope(user, action, pk=pk)
    )


# --- plan metrics --------------------------------------------------------------------------------


@dataclass
class Metric:
    key: str
    label: str
    value: Decimal | int | None
    source: str | None  # "system", "manual" or None (no data: "—")
    definition: str
    unit: str = ""


def _plan_querysets(plan: StrategyPlan):
    """The plan's leads, opportunities, won opportunities and orders: records of the plan's
    team (owners in the department subtree) in the plan's period, narrowed by its lead source
    and product line."""
    ids = team_user_ids(plan.department)
    start, end = activity_selectors.period_bounds((plan.period_start, plan.period_end))
    leads = Lead.objects.filter(
        Q(owner_id__in=ids) | Q(team__path__startswith=plan.department.path),
        acquired_at__gte=start,
        acquired_at__lt=end,
    )
    opps = Opportunity.objects.filter(owner_id__in=ids)
    if plan.lead_source_id:
        leads = leads.filter(source_id=plan.lead_source_id)
        opps = opps.filter(source_lead__source_id=plan.lead_source_id)
    if plan.product_line_id:
        opps = opps.filter(
            pk__in=Opportunity.product_lines.through.objects.filter(
                productline_id=plan.product_line_id
            ).values("opportunity_id")
        )
    orders = Order.objects.filter(
        owner_id__in=ids,
        status__in=COUNTED_ORDER_STATUSES,
        order_date__gte=plan.period_start,
        order_date__lte=plan.period_end,
    )
    if plan.lead_source_id or plan.product_line_id:
        orders = orders.filter(opportunity_id__in=opps.values("pk"))
    created = opps.filter(created_at__gte=start, created_at__lt=end)
    won = opps.filter(status=OpportunityStatus.WON, closed_at__gte=start, closed_at__lt=end)
    return leads, created, won, orders


def plan_metrics(plan: StrategyPlan) -> list[Metric]:
    """The evaluation metrics of a plan (reach, conversion, revenue, ROI, goal completion),
    from the system's records; a typed figure is used only where the system has no record in
    the plan's scope, and is marked as such."""
    leads, created, won, orders = _plan_querysets(plan)
    reach = leads.count()
    converted = leads.filter(
        Q(status="converted") | Q(pk__in=Opportunity.objects.values("source_lead_id"))
    ).count()
    opp_count = created.count()
    won_row = won.aggregate(n=Count("id"), amount=Sum("amount"))
    order_row = orders.aggregate(n=Count("id"), amount=Sum("amount"))
    order_amount = order_row["amount"] or ZERO

    reach_metric = Metric(
        "reach",
        _("触达（线索数）"),
        reach,
        SYSTEM,
        _("期间内获取的、属于本团队（且为所选来源）的线索数"),
    )
    if not reach and plan.manual_reach is not None:
        reach_metric.value, reach_metric.source = plan.manual_reach, MANUAL
    revenue_metric = Metric(
        "revenue",
        _("带来收入（订单金额）"),
        order_amount,
        SYSTEM,
        _(
            "期间内本团队有效订单（不含信用审批中和已取消）的金额；选了来源或产品线时只计其商机的订单"
        ),
        unit=_("元"),
    )
    if not order_row["n"] and plan.manual_revenue is not None:
        revenue_metric.value, revenue_metric.source = plan.manual_revenue, MANUAL
    revenue = revenue_metric.value
    roi = None
    if plan.budget and revenue is not None:
        roi = ((Decimal(revenue) - plan.budget) * 100 / plan.budget).quantize(Decimal("0.01"))
    actual = {
        "order_amount": order_amount,
        "won_amount": won_row["amount"] or ZERO,
        "lead_count": reach,
        "opportunity_count": opp_count,
        "order_count": order_row["n"],
    }[plan.goal_metric]
    if plan.goal_metric == "order_amount" and revenue_metric.source == MANUAL:
        actual = revenue
    metrics = [
        reach_metric,
        Metric(
            "conversion",
            _("线索转化率（%）"),
            _pct(converted, reach),
            SYSTEM if reach else None,
            _("上述线索中已转为客户或商机的比例"),
        ),
        Metric(
            "opportunities",
            _("新增商机"),
            opp_count,
            SYSTEM,
            _("期间内本团队新建的商机数（按来源、产品线筛选）"),
        ),
        Metric(
            "won_amount",
            _("赢单金额"),
            won_row["amount"] or ZERO,
            SYSTEM,
            _("期间内赢单的商机金额（%(n)s 个）") % {"n": won_row["n"]},
            unit=_("元"),
        ),
        revenue_metric,
        Metric(
            "roi",
            _("投入产出比 ROI（%）"),
            roi,
            revenue_metric.source if roi is not None else None,
            _("(带来收入 − 预算) ÷ 预算"),
        ),
        Metric(
            "goal",
            _("目标完成率（%）"),
            _pct(actual, plan.goal_value),
            SYSTEM if plan.goal_metric != "order_amount" else revenue_metric.source,
            _("%(metric)s 实际 %(actual)s ÷ 目标 %(goal)s")
            % {
                "metric": plan.get_goal_metric_display(),
                "actual": actual if actual is not None else "—",
                "goal": plan.goal_value,
            },
        ),
    ]
    return metrics


def metrics_snapshot(metrics: list[Metric]) -> dict:
    """JSON of the metrics as they stand (kept with a plan review)."""
    return {
        m.key: {
            "label": str(m.label),
            "value": None if m.value is None else str(m.value),
            "source": m.source,
        }
        for m in metrics
    }


# --- meeting prepared data -----------------------------------------------------------------------


def meeting_snapshot(meeting: ReviewMeeting) -> dict:
    """The figures a review meeting is prepared with: the team's results and follow-up work in
    the review period, per person, and the state of the previous meeting's actions. Stored as
    JSON on the meeting so that it never changes afterwards."""
    ids = team_user_ids(meeting.department)
    period = (meeting.period_start, meeting.period_end)
    start, end = activity_selectors.period_bounds(period)
    people = {u.pk: str(u) for u in User.objects.filter(pk__in=ids, is_active=True).order_by("id")}
    rows: dict[int, dict] = {
        uid: {
            "name": name,
            "leads": 0,
            "followups": 0,
            "opportunities": 0,
            "won": 0,
            "won_amount": ZERO,
            "lost": 0,
            "orders": ZERO,
        }
        for uid, name in people.items()
    }

    def merge(qs, fields):
        for row in qs:
            target = rows.get(row["owner_id"])
            if target is not None:
                for name in fields:
                    target[name] += row[name] or 0

    merge(
        Lead.objects.filter(owner_id__in=ids, acquired_at__gte=start, acquired_at__lt=end)
        .values("owner_id")
        .annotate(leads=Count("id")),
        ["leads"],
    )
    merge(
        FollowUp.objects.filter(
            owner_id__in=ids, communicated_at__gte=start, communicated_at__lt=end
        )
        .values("owner_id")
        .annotate(followups=Count("id")),
        ["followups"],
    )
    merge(
        Opportunity.objects.filter(owner_id__in=ids, created_at__gte=start, created_at__lt=end)
        .values("owner_id")
        .annotate(opportunities=Count("id")),
        ["opportunities"],
    )
    won_q = Q(status=OpportunityStatus.WON)
    merge(
        Opportunity.objects.filter(
            owner_id__in=ids,
            status__in=(OpportunityStatus.WON, OpportunityStatus.LOST),
            closed_at__gte=start,
            closed_at__lt=end,
        )
        .values("owner_id")
        .annotate(
            won=Count("id", filter=won_q),
            won_amount=Sum("amount", filter=won_q),
            lost=Count("id", filter=Q(status=OpportunityStatus.LOST)),
        ),
        ["won", "won_amount", "lost"],
    )
    merge(
        Order.objects.filter(
            owner_id__in=ids,
            status__in=COUNTED_ORDER_STATUSES,
            order_date__gte=meeting.period_start,
            order_date__lte=meeting.period_end,
        )
        .values("owner_id")
        .annotate(orders=Sum("amount")),
        ["orders"],
    )
    completeness = activity_selectors.followup_completeness(ids, period).overall
    timeliness = activity_selectors.lead_response_timeliness(ids, period).overall
    overdue_tasks = Task.objects.filter(
        owner_id__in=ids, status=TaskStatus.OPEN, due_at__lt=timezone.now()
    ).count()
    totals = {
        key: sum((r[key] for r in rows.values()), ZERO if key in ("won_amount", "orders") else 0)
        for key in ("leads", "followups", "opportunities", "won", "won_amount", "lost", "orders")
    }
    previous_actions = [
        {
            "what": a.what,
            "owner": str(a.owner),
            "due_date": a.due_date.isoformat(),
            "status": str(action_status(a)[1]),
        }
        for a in meeting_actions(meeting.previous)
    ]
    return {
        "period": [meeting.period_start.isoformat(), meeting.period_end.isoformat()],
        "totals": {k: str(v) for k, v in totals.items()},
        "win_rate": _str(_pct(totals["won"], totals["won"] + totals["lost"])),
        "followup_completeness": _str(_round(completeness.rate)),
        "lead_response_timeliness": _str(_round(timeliness.rate)),
        "overdue_tasks": overdue_tasks,
        "people": [
            {**{k: str(v) if isinstance(v, Decimal) else v for k, v in r.items()}}
            for r in rows.values()
        ],
        "previous_actions": previous_actions,
    }


def _round(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(Decimal("0.01"))


def _str(value) -> str | None:
    return None if value is None else str(value)


# --- training performance change -----------------------------------------------------------------


@dataclass
class Window:
    start: datetime.date
    end: datetime.date  # exclusive

    @property
    def last_day(self) -> datetime.date:
        return self.end - datetime.timedelta(days=1)


@dataclass
class Performance:
    won_amount: Decimal
    won: int
    closed: int

    @property
    def win_rate(self) -> Decimal | None:
        return _pct(self.won, self.closed)


@dataclass
class ParticipantRow:
    participant: TrainingParticipant
    before: Performance | None  # None: outside the viewer's scope
    after: Performance | None

    @property
    def amount_change(self) -> Decimal | None:
        if self.before is None or self.after is None:
            return None
        return self.after.won_amount - self.before.won_amount

    @property
    def win_rate_change(self) -> Decimal | None:
        if self.before is None or self.after is None:
            return None
        if self.before.win_rate is None or self.after.win_rate is None:
            return None
        return self.after.win_rate - self.before.win_rate


def training_windows(session: TrainingSession) -> tuple[Window, Window]:
    """N months before the session day (excluded) and N months from it (included)."""
    months = session.followup_months
    return (
        Window(add_months(session.held_on, -months), session.held_on),
        Window(session.held_on, add_months(session.held_on, months)),
    )


def _performance(user_ids, window: Window) -> dict[int, Performance]:
    start, end = activity_selectors.period_bounds((window.start, window.last_day))
    won_q = Q(status=OpportunityStatus.WON)
    rows = (
        Opportunity.objects.filter(
            owner_id__in=user_ids,
            status__in=(OpportunityStatus.WON, OpportunityStatus.LOST),
            closed_at__gte=start,
            closed_at__lt=end,
        )
        .values("owner_id")
        .annotate(
            won_amount=Sum("amount", filter=won_q),
            won=Count("id", filter=won_q),
            closed=Count("id"),
        )
    )
    result = {uid: Performance(ZERO, 0, 0) for uid in user_ids}
    for row in rows:
        result[row["owner_id"]] = Performance(row["won_amount"] or ZERO, row["won"], row["closed"])
    return result


def training_participants(*, user, session: TrainingSession) -> list[ParticipantRow]:
    """Each participant with their scores and their performance before and after the session:
    won amount and win rate (won ÷ closed) of the opportunities they own that closed in each
    window. Performance is shown only for people whose opportunities the viewer may see."""
    participants = list(session.participants.select_related("user").order_by("id"))
    before_w, after_w = training_windows(session)
    visible = owner_ids_for(user, "opportunity", "view")
    ids = [p.user_id for p in participants if visible is None or p.user_id in visible]
    before = _performance(ids, before_w) if ids else {}
    after = _performance(ids, after_w) if ids else {}
    return [ParticipantRow(p, before.get(p.user_id), after.get(p.user_id)) for p in participants]


def training_summary(rows: list[ParticipantRow]) -> dict:
    attended = [r for r in rows if r.participant.attended]
    improvements = [
        r.participant.improvement for r in rows if r.participant.improvement is not None
    ]
    changes = [r.amount_change for r in rows if r.amount_change is not None]
    return {
        "invited": len(rows),
        "attended": len(attended),
        "attendance_rate": _pct(len(attended), len(rows)),
        "avg_improvement": _avg(improvements),
        "avg_amount_change": _avg(changes),
    }


def _avg(values) -> Decimal | None:
    if not values:
        return None
    return (sum(values, ZERO) / len(values)).quantize(Decimal("0.01"))


# --- interview themes ----------------------------------------------------------------------------

EXAMPLES_PER_THEME = 3


def interview_theme_summary(*, user, date_from=None, date_to=None) -> list[dict]:
    """Per theme (most frequent first): how many interviews in scope carry it, and up to three
    example pain points and suggestions (the most recent)."""
    interviews = ProcessInterview.objects.restrict(user, "view")
    if date_from:
        interviews = interviews.filter(interviewed_on__gte=date_from)
    if date_to:
        interviews = interviews.filter(interviewed_on__lte=date_to)
    links = (
        ProcessInterview.themes.through.objects.filter(
            processinterview_id__in=interviews.values("pk")
        )
        .select_related("interviewtheme", "processinterview")
        .order_by("-processinterview__interviewed_on", "-processinterview_id")
    )
    by_theme: dict[str, dict] = defaultdict(
        lambda: {"count": 0, "pain_points": [], "suggestions": []}
    )
    for link in links:
        row = by_theme[link.interviewtheme.name]
        row["count"] += 1
        interview = link.processinterview
        if len(row["pain_points"]) < EXAMPLES_PER_THEME and interview.pain_points:
            row["pain_points"].append(interview.pain_points.strip()[:80])
        if len(row["suggestions"]) < EXAMPLES_PER_THEME and interview.suggestions:
            row["suggestions"].append(interview.suggestions.strip()[:80])
    return [
        {"theme": theme, **data}
        for theme, data in sorted(by_theme.items(), key=lambda kv: (-kv[1]["count"], kv[0]))
    ]
