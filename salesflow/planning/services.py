"""Every write of the planning module: plans, milestones and reviews; meetings, their prepared
data and action items; training sessions and participants; process interviews.

Milestones and action items are tracked as tasks created through ``activities.services``
(the owner is notified there, and completing the task is what completes the item)."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from salesflow.activities import services as task_services
from salesflow.core.audit import audit, snapshot
from salesflow.core.errors import NotAllowed, ValidationError
from salesflow.core.scope import has_right, owner_ids_for
from salesflow.core.workcalendar import work_windows
from salesflow.org.models import User

from . import selectors
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

PLAN_FIELDS = [
    "title",
    "owner",
    "department",
    "period_start",
    "period_end",
    "status",
    "goal",
    "goal_metric",
    "goal_value",
    "lead_source",
    "product_line",
    "strategy_product",
    "strategy_price",
    "strategy_place",
    "strategy_promotion",
    "resources_people",
    "resources_materials",
    "budget",
    "expected_effect",
    "review_every_days",
    "manual_reach",
    "manual_revenue",
]
MEETING_FIELDS = [
    "topic",
    "held_at",
    "owner",
    "department",
    "follow_up_owner",
    "period_start",
    "period_end",
    "agenda",
    "key_discussion",
    "highlights",
    "problems",
    "root_causes",
    "lessons",
    "resolutions",
]
TRAINING_FIELDS = [
    "title",
    "owner",
    "trainer",
    "department",
    "held_on",
    "hours",
    "followup_months",
    "content",
    "summary",
]
PARTICIPANT_FIELDS = [
    "attended",
    "participation",
    "pre_score",
    "post_score",
    "practical_score",
    "notes",
]
INTERVIEW_FIELDS = [
    "interviewee",
    "interviewee_user",
    "role",
    "department",
    "interviewed_on",
    "owner",
    "pain_points",
    "suggestions",
]


def due_at(day: datetime.date) -> datetime.datetime:
    """A date-only deadline as a moment: the close of that day's last working window in the
    company time zone (the task list sorts and flags overdue by it)."""
    windows = work_windows()
    close = windows[-1][1] if windows else datetime.time(18, 0)
    return timezone.make_aware(datetime.datetime.combine(day, close))


def _require(actor, object_type: str, action: str, message: str) -> None:
    if not has_right(actor, object_type, action):
        raise NotAllowed(message)


def _check_owner(actor, object_type: str, owner) -> None:
    """The person in charge must be someone whose records the actor may change (a record
    handed to someone outside the actor's scope would escape it)."""
    reachable = owner_ids_for(actor, object_type, "change")
    if owner is not None and reachable is not None and owner.pk not in reachable:
        raise ValidationError({"owner": _("只能选择本人数据范围内的人员。")})


def _apply(obj, data: dict, fields: list[str]) -> None:
    for name in fields:
        if name in data:
            value = data[name]
            if isinstance(value, str):
                value = value.strip()
            setattr(obj, name, value)


def _check_period(start, end, start_field="period_start", end_field="period_end") -> None:
    if start and end and end < start:
        raise ValidationError({end_field: _("结束日期不能早于开始日期。")})


def _create_task(actor, *, title: str, owner: User, day: datetime.date, acceptor, source: str):
    return task_services.task_create(
        actor=actor,
        data={
            "title": title,
            "owner": owner,
            "acceptor": acceptor,
            "due_at": due_at(day),
            "source_label": source,
        },
    )


# --- strategy plans ------------------------------------------------------------------------------


def plan_create(*, actor, data: dict) -> StrategyPlan:
    _require(actor, "plan", "add", _("没有创建策略规划的权限。"))
    with transaction.atomic():
        plan = StrategyPlan(created_by=actor, owner=actor)
        _apply(plan, data, PLAN_FIELDS)
        _check_owner(actor, "plan", plan.owner)
        _check_period(plan.period_start, plan.period_end)
        plan.save()
        audit(actor=actor, action="plan.create", obj=plan, after=snapshot(plan))
    return plan


def plan_update(*, actor, plan_id: int, data: dict) -> StrategyPlan:
    with transaction.atomic():
        plan = StrategyPlan.objects.select_for_update().get_in_scope(actor, "change", pk=plan_id)
        before = snapshot(plan)
        _apply(plan, data, PLAN_FIELDS)
        _check_owner(actor, "plan", plan.owner)
        _check_period(plan.period_start, plan.period_end)
        plan.save()
        audit(actor=actor, action="plan.update", obj=plan, before=before, after=snapshot(plan))
    return plan


def milestone_add(*, actor, plan_id: int, title: str, owner: User, due_date) -> PlanMilestone:
    """A milestone and the task that tracks it (owner notified; the plan owner accepts it)."""
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": _("请填写里程碑。")})
    with transaction.atomic():
        plan = StrategyPlan.objects.select_for_update().get_in_scope(actor, "change", pk=plan_id)
        task = _create_task(
            actor,
            title=title,
            owner=owner,
            day=due_date,
            acceptor=plan.owner,
            source=_("策略规划：%(plan)s") % {"plan": plan.title},
        )
        milestone = PlanMilestone.objects.create(
            plan=plan, title=title, owner=owner, due_date=due_date, task=task
        )
        audit(actor=actor, action="plan.milestone", obj=plan, message=title)
    return milestone


def plan_review_add(*, actor, plan_id: int, notes: str, adjustments: str = "") -> PlanReview:
    """A periodic review: the notes and the plan's metrics as computed that day."""
    notes = (notes or "").strip()
    if not notes:
        raise ValidationError({"notes": _("请填写回顾结论。")})
    with transaction.atomic():
        plan = StrategyPlan.objects.select_for_update().get_in_scope(actor, "change", pk=plan_id)
        metrics = selectors.plan_metrics(plan)
        review = PlanReview.objects.create(
            plan=plan,
            author=actor,
            notes=notes,
            adjustments=(adjustments or "").strip(),
            metrics=selectors.metrics_snapshot(metrics),
        )
        audit(actor=actor, action="plan.review", obj=plan, message=notes[:200])
    return review


# --- review meetings -----------------------------------------------------------------------------


def _previous_meeting(meeting: ReviewMeeting) -> ReviewMeeting | None:
    return (
        ReviewMeeting.objects.filter(
            department_id=meeting.department_id, held_at__lt=meeting.held_at
        )
        .exclude(pk=meeting.pk)
        .order_by("-held_at", "-id")
        .first()
    )


def meeting_create(*, actor, data: dict, attendees=()) -> ReviewMeeting:
    """A meeting of a team; the previous meeting of the same team is linked (its actions are
    shown) and the prepared data is taken now."""
    _require(actor, "meeting", "add", _("没有创建复盘会议的权限。"))
    with transaction.atomic():
        meeting = ReviewMeeting(created_by=actor, owner=actor)
        _apply(meeting, data, MEETING_FIELDS)
        _check_owner(actor, "meeting", meeting.owner)
        _check_period(meeting.period_start, meeting.period_end)
        meeting.previous = _previous_meeting(meeting)
        meeting.save()
        meeting.attendees.set(attendees)
        _prepare(meeting)
        audit(actor=actor, action="meeting.create", obj=meeting, after=snapshot(meeting))
    return meeting


def meeting_update(*, actor, meeting_id: int, data: dict, attendees=None) -> ReviewMeeting:
    """Minutes and details; the prepared data stays as it was taken (see ``meeting_prepare``)."""
    with transaction.atomic():
        meeting = ReviewMeeting.objects.select_for_update().get_in_scope(
            actor, "change", pk=meeting_id
        )
        before = snapshot(meeting)
        _apply(meeting, data, MEETING_FIELDS)
        _check_owner(actor, "meeting", meeting.owner)
        _check_period(meeting.period_start, meeting.period_end)
        meeting.previous = _previous_meeting(meeting)
        meeting.save()
        if attendees is not None:
            meeting.attendees.set(attendees)
        audit(
            actor=actor,
            action="meeting.update",
            obj=meeting,
            before=before,
            after=snapshot(meeting),
        )
    return meeting


def _prepare(meeting: ReviewMeeting) -> None:
    meeting.prepared_data = selectors.meeting_snapshot(meeting)
    meeting.prepared_at = timezone.now()
    meeting.save(update_fields=["prepared_data", "prepared_at"])


def meeting_prepare(*, actor, meeting_id: int) -> ReviewMeeting:
    """Take the prepared data again (e.g. the day before the meeting); the figures are frozen
    from then on, whatever happens to the records later."""
    with transaction.atomic():
        meeting = ReviewMeeting.objects.select_for_update().get_in_scope(
            actor, "change", pk=meeting_id
        )
        _prepare(meeting)
        audit(actor=actor, action="meeting.prepare", obj=meeting)
    return meeting


def meeting_action_add(
    *, actor, meeting_id: int, what: str, owner: User, due_date
) -> MeetingAction:
    """An action item (what, who, when) and the task that tracks it; the follow-up owner (else
    the host) is the task's acceptor."""
    what = (what or "").strip()
    if not what:
        raise ValidationError({"what": _("请填写行动事项。")})
    with transaction.atomic():
        meeting = ReviewMeeting.objects.select_for_update().get_in_scope(
            actor, "change", pk=meeting_id
        )
        task = _create_task(
            actor,
            title=what,
            owner=owner,
            day=due_date,
            acceptor=meeting.follow_up_owner or meeting.owner,
            source=_("复盘会议：%(topic)s") % {"topic": meeting.topic},
        )
        action = MeetingAction.objects.create(
            meeting=meeting, what=what, owner=owner, due_date=due_date, task=task
        )
        audit(actor=actor, action="meeting.action", obj=meeting, message=what)
    return action


# --- training ------------------------------------------------------------------------------------


def training_create(*, actor, data: dict) -> TrainingSession:
    _require(actor, "training", "add", _("没有登记培训的权限。"))
    with transaction.atomic():
        session = TrainingSession(owner=actor)
        _apply(session, data, TRAINING_FIELDS)
        _check_owner(actor, "training", session.owner)
        session.full_clean(exclude=["owner", "department"])
        session.save()
        audit(actor=actor, action="training.create", obj=session, after=snapshot(session))
    return session


def training_update(*, actor, session_id: int, data: dict) -> TrainingSession:
    with transaction.atomic():
        session = TrainingSession.objects.select_for_update().get_in_scope(
            actor, "change", pk=session_id
        )
        before = snapshot(session)
        _apply(session, data, TRAINING_FIELDS)
        _check_owner(actor, "training", session.owner)
        session.full_clean(exclude=["owner", "department"])
        session.save()
        audit(
            actor=actor,
            action="training.update",
            obj=session,
            before=before,
            after=snapshot(session),
        )
    return session


def participant_save(*, actor, session_id: int, user: User, data: dict) -> TrainingParticipant:
    """Add a participant or update their attendance and scores."""
    with transaction.atomic():
        session = TrainingSession.objects.select_for_update().get_in_scope(
            actor, "change", pk=session_id
        )
        participant = TrainingParticipant.objects.filter(session=session, user=user).first()
        participant = participant or TrainingParticipant(session=session, user=user)
        before = snapshot(participant) if participant.pk else None
        _apply(participant, data, PARTICIPANT_FIELDS)
        participant.full_clean(exclude=["session", "user"], validate_unique=False)
        participant.save()
        audit(
            actor=actor,
            action="training.participant",
            obj=session,
            before=before,
            after=snapshot(participant),
            message=str(user),
        )
    return participant


def participant_remove(*, actor, session_id: int, participant_id: int) -> None:
    with transaction.atomic():
        session = TrainingSession.objects.select_for_update().get_in_scope(
            actor, "change", pk=session_id
        )
        participant = TrainingParticipant.objects.filter(session=session, pk=participant_id).first()
        if participant is None:
            return
        audit(
            actor=actor,
            action="training.participant_remove",
            obj=session,
            before=snapshot(participant),
            message=str(participant.user),
        )
        participant.delete()


# --- process interviews --------------------------------------------------------------------------


def parse_themes(text: str) -> list[str]:
    """ "审批慢，报表重复；审批慢" → ["审批慢", "报表重复"] (comma, 、, ； or new line)."""
    names = []
    for part in (
        (text or "")
        .replace("，", ",")
        .replace("、", ",")
        .replace("；", ",")
        .replace(";", ",")
        .replace("\n", ",")
        .split(",")
    ):
        name = part.strip()[:30]
        if name and name not in names:
            names.append(name)
    return names


def _set_themes(interview: ProcessInterview, names: list[str]) -> None:
    themes = []
    for name in names:
        theme, _created = InterviewTheme.objects.get_or_create(name=name)
        themes.append(theme)
    interview.themes.set(themes)


def interview_create(*, actor, data: dict, themes: list[str] = ()) -> ProcessInterview:
    _require(actor, "interview", "add", _("没有登记访谈的权限。"))
    with transaction.atomic():
        interview = ProcessInterview(owner=actor)
        _apply(interview, data, INTERVIEW_FIELDS)
        _check_owner(actor, "interview", interview.owner)
        interview.save()
        _set_themes(interview, list(themes))
        audit(
            actor=actor,
            action="interview.create",
            obj=interview,
            after={**snapshot(interview), "themes": list(themes)},
        )
    return interview


def interview_update(*, actor, interview_id: int, data: dict, themes=None) -> ProcessInterview:
    with transaction.atomic():
        interview = ProcessInterview.objects.select_for_update().get_in_scope(
            actor, "change", pk=interview_id
        )
        before = snapshot(interview)
        _apply(interview, data, INTERVIEW_FIELDS)
        _check_owner(actor, "interview", interview.owner)
        interview.save()
        if themes is not None:
            _set_themes(interview, list(themes))
        audit(
            actor=actor,
            action="interview.update",
            obj=interview,
            before=before,
            after=snapshot(interview),
        )
    return interview
