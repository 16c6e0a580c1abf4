"""Complaint handling (客户投诉处理与跟进表): log → forward to a handler (1h) → respond (per
tier) → plan (24h) → complete → return visit (2h after completion) → close with satisfaction
≥ 4 of 5, or reopen with the feedback recorded.

Every deadline is ``core.sla.deadline`` on the work calendar with the rule from the settings
registry; with ``complaint.sla_working_time`` (default on) hour rules count working time only.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from salesflow.activities.notify import notify
from salesflow.core.audit import audit, snapshot
from salesflow.core.errors import DomainError, NotAllowed
from salesflow.core.events import emit
from salesflow.core.scope import has_right
from salesflow.core.settings_registry import get_setting
from salesflow.core.sla import deadline
from salesflow.customers.models import Customer, Tier
from salesflow.org.models import User

from ..models import (
    Complaint,
    ComplaintEvent,
    ComplaintEventKind,
    ComplaintState,
    ComplaintType,
)

AUDITED = (
    "state",
    "handler",
    "plan",
    "resolve_by",
    "customer_feedback",
    "improvement_suggestion",
    "satisfaction",
    "caused_by_sales",
)

#: Tier → (response rule setting, resolve rule setting or None).
TIER_SLAS = {
    Tier.VIP: ("service.vip_response_sla", "service.vip_resolve_sla"),
    Tier.KEY: ("service.key_response_sla", None),
    Tier.NORMAL: ("service.normal_response_sla", None),
}


class IllegalComplaintStep(DomainError):
    def __init__(self, complaint: Complaint, step: str):
        super().__init__(
            _("投诉当前状态为“%(state)s”，不能%(step)s。")
            % {"state": complaint.get_state_display(), "step": step},
            code="transition",
        )


def due(start: datetime.datetime, setting_key: str) -> datetime.datetime:
    """The deadline of the SLA ``setting_key`` started at ``start`` (the one clock)."""
    return deadline(
        start,
        get_setting(setting_key),
        working_hours_only=bool(get_setting("complaint.sla_working_time")),
    )


def _user_or_none(actor):
    return actor if getattr(actor, "pk", None) else None


def _url(complaint: Complaint) -> str:
    return reverse("service:complaint_detail", args=[complaint.pk])


def _record(complaint, kind, *, actor, from_state="", note="", score=None, clock="", at=None):
    return ComplaintEvent.objects.create(
        complaint=complaint,
        kind=kind,
        from_state=from_state,
        to_state=complaint.state,
        actor=_user_or_none(actor),
        at=at or timezone.now(),
        note=note,
        score=score,
        clock=clock,
    )


def _lock(actor, complaint_id: int, action: str = "change") -> Complaint:
    return (
        Complaint.objects.select_for_update(of=("self",))
        .select_related("customer", "handler")
        .get_in_scope(actor, action, pk=complaint_id)
    )


def _finish(actor, complaint, before, action: str, event_kind: str, note: str = "", score=None):
    complaint.save()
    _record(
        complaint,
        event_kind,
        actor=actor,
        from_state=before["state"],
        note=note,
        score=score,
    )
    audit(
        actor=actor,
        action=f"complaint.{action}",
        obj=complaint,
        before=before,
        after=snapshot(complaint, AUDITED),
    )
    emit(f"complaint.{action}", complaint_id=complaint.pk)


def _check_handler(handler) -> User:
    user = handler if isinstance(handler, User) else User.objects.filter(pk=handler).first()
    if user is None or not user.is_active:
        raise ValidationError({"handler": _("请选择在职的处理人。")})
    if not has_right(user, "complaint", "change"):
        raise ValidationError({"handler": _("%(user)s 没有处理投诉的权限。") % {"user": user}})
    return user


def _notify_handler(complaint: Complaint, actor) -> None:
    if complaint.handler_id and complaint.handler_id != getattr(actor, "pk", None):
        notify(
            complaint.handler,
            "complaint.assigned",
            _("新投诉待处理：%(c)s") % {"c": complaint},
            _("请在 %(due)s 前给出处理方案。")
            % {"due": timezone.localtime(complaint.plan_due_at).strftime("%Y-%m-%d %H:%M")},
            _url(complaint),
        )


def _forward(complaint: Complaint, handler: User, now) -> None:
    complaint.handler = handler
    complaint.forwarded_at = now
    complaint.state = ComplaintState.FORWARDED
    complaint.plan_due_at = due(now, "complaint.plan_sla")


def complaint_create(*, actor, customer_id: int, data: dict) -> Complaint:
    """Log a complaint for a customer in the actor's scope; with a handler it is forwarded at
    once. The forward, response and (VIP) resolve clocks start at the moment of receipt."""
    if not has_right(actor, "complaint", "add"):
        raise NotAllowed(_("没有登记投诉的权限。"))
    now = timezone.now()
    with transaction.atomic():
        customer = Customer.objects.get_in_scope(actor, "view", pk=customer_id)
        received_at = data.get("received_at") or now
        if received_at > now + datetime.timedelta(minutes=5):
            raise ValidationError({"received_at": _("投诉时间不能晚于现在。")})
        complaint_type = data.get("type")
        if not isinstance(complaint_type, ComplaintType):
            complaint_type = ComplaintType.objects.filter(pk=complaint_type).first()
        if complaint_type is None:
            raise ValidationError({"type": _("请选择投诉类型。")})
        description = (data.get("description") or "").strip()
        if not description:
            raise ValidationError({"description": _("请填写投诉内容。")})
        complaint = Complaint(
            customer=customer,
            received_at=received_at,
            type=complaint_type,
            description=description,
            caused_by_sales=bool(data.get("caused_by_sales")),
            tier=customer.tier,
            created_by=_user_or_none(actor),
            created_at=now,
        )
        complaint.forward_due_at = due(received_at, "complaint.forward_sla")
        response_key, resolve_key = TIER_SLAS.get(customer.tier, TIER_SLAS[Tier.NORMAL])
        complaint.response_due_at = due(received_at, response_key)
        if resolve_key:
            complaint.resolve_due_at = due(received_at, resolve_key)
        handler = data.get("handler")
        if handler:
            _forward(complaint, _check_handler(handler), now)
        complaint.save()
        _record(complaint, ComplaintEventKind.RECEIVED, actor=actor, at=now)
        if complaint.handler_id:
            _record(complaint, ComplaintEventKind.FORWARDED, actor=actor, at=now)
        audit(actor=actor, action="complaint.create", obj=complaint, after=snapshot(complaint))
        _notify_handler(complaint, actor)
        emit("complaint.created", complaint_id=complaint.pk)
    return complaint


def complaint_forward(*, actor, complaint_id: int, handler, note: str = "") -> Complaint:
    """Forward (or hand over) the complaint to a handler who may handle complaints."""
    with transaction.atomic():
        complaint = _lock(actor, complaint_id)
        if complaint.state == ComplaintState.CLOSED:
            raise IllegalComplaintStep(complaint, _("转交"))
        before = snapshot(complaint, AUDITED)
        handler = _check_handler(handler)
        now = timezone.now()
        if complaint.state == ComplaintState.RECEIVED:
            _forward(complaint, handler, now)
        else:  # a hand-over keeps the running clocks
            complaint.handler = handler
        _finish(actor, complaint, before, "forward", ComplaintEventKind.FORWARDED, note)
        _notify_handler(complaint, actor)
    return complaint


def complaint_respond(*, actor, complaint_id: int, note: str) -> Complaint:
    """The handler's first answer to the customer (the tier's response SLA)."""
    with transaction.atomic():
        complaint = _lock(actor, complaint_id)
        if complaint.state in (ComplaintState.RECEIVED, ComplaintState.CLOSED):
            raise IllegalComplaintStep(complaint, _("记录响应"))
        if not (note or "").strip():
            raise ValidationError({"note": _("请填写响应内容。")})
        before = snapshot(complaint, AUDITED)
        complaint.responded_at = complaint.responded_at or timezone.now()
        _finish(actor, complaint, before, "respond", ComplaintEventKind.RESPONDED, note.strip())
    return complaint


def complaint_plan(
    *, actor, complaint_id: int, plan: str, resolve_by: datetime.date | None, note: str = ""
) -> Complaint:
    """The handling plan and its deadline (处理期限); also counts as the response."""
    with transaction.atomic():
        complaint = _lock(actor, complaint_id)
        if complaint.state not in (
            ComplaintState.FORWARDED,
            ComplaintState.PLANNED,
            ComplaintState.REOPENED,
        ):
            raise IllegalComplaintStep(complaint, _("制定方案"))
        plan = (plan or "").strip()
        errors = {}
        if not plan:
            errors["plan"] = _("请填写处理方案。")
        if resolve_by is None:
            errors["resolve_by"] = _("请填写处理期限。")
        elif resolve_by < timezone.localdate(complaint.received_at):
            errors["resolve_by"] = _("处理期限不能早于投诉日期。")
        if errors:
            raise ValidationError(errors)
        before = snapshot(complaint, AUDITED)
        now = timezone.now()
        complaint.plan, complaint.resolve_by = plan, resolve_by
        complaint.planned_at = complaint.planned_at or now
        complaint.responded_at = complaint.responded_at or now
        complaint.state = ComplaintState.PLANNED
        _finish(actor, complaint, before, "plan", ComplaintEventKind.PLANNED, note or plan)
    return complaint


def complaint_complete(
    *,
    actor,
    complaint_id: int,
    note: str,
    caused_by_sales: bool | None = None,
    improvement_suggestion: str = "",
) -> Complaint:
    """Handling is done: the return-visit clock starts (default 2h)."""
    with transaction.atomic():
        complaint = _lock(actor, complaint_id)
        if complaint.state != ComplaintState.PLANNED:
            raise IllegalComplaintStep(complaint, _("标记处理完成"))
        if not (note or "").strip():
            raise ValidationError({"note": _("请填写处理结果。")})
        before = snapshot(complaint, AUDITED)
        now = timezone.now()
        complaint.completed_at = now
        complaint.visit_due_at = due(now, "complaint.return_visit_sla")
        complaint.state = ComplaintState.COMPLETED
        if caused_by_sales is not None:
            complaint.caused_by_sales = caused_by_sales
        if improvement_suggestion.strip():
            complaint.improvement_suggestion = improvement_suggestion.strip()
        _finish(actor, complaint, before, "complete", ComplaintEventKind.COMPLETED, note.strip())
    return complaint


def complaint_return_visit(
    *,
    actor,
    complaint_id: int,
    satisfaction: int,
    feedback: str,
    improvement_suggestion: str = "",
) -> Complaint:
    """The return visit: the customer's score (1–5) and feedback. At or above
    ``complaint.close_min_satisfaction`` (default 4) the ticket closes; below it reopens with
    the feedback recorded and a new plan clock, and the handler is told."""
    with transaction.atomic():
        complaint = _lock(actor, complaint_id)
        if complaint.state != ComplaintState.COMPLETED:
            raise IllegalComplaintStep(complaint, _("回访"))
        try:
            score = int(satisfaction)
        except (TypeError, ValueError):
            score = 0
        if not 1 <= score <= 5:
            raise ValidationError({"satisfaction": _("满意度为 1–5 分。")})
        feedback = (feedback or "").strip()
        if not feedback:
            raise ValidationError({"feedback": _("请记录客户反馈。")})
        before = snapshot(complaint, AUDITED)
        now = timezone.now()
        complaint.satisfaction = score
        complaint.customer_feedback = feedback
        if improvement_suggestion.strip():
            complaint.improvement_suggestion = improvement_suggestion.strip()
        complaint.visited_at = now
        _record(complaint, ComplaintEventKind.VISITED, actor=actor, note=feedback, score=score)
        if score >= get_setting("complaint.close_min_satisfaction"):
            complaint.state = ComplaintState.CLOSED
            complaint.closed_at = now
            _finish(actor, complaint, before, "close", ComplaintEventKind.CLOSED, feedback, score)
            return complaint
        # Not satisfied: back to the handler with a fresh plan clock; the last round's
        # moments stay in the timeline.
        complaint.state = ComplaintState.REOPENED
        complaint.reopen_count += 1
        complaint.planned_at = None
        complaint.completed_at = None
        complaint.visit_due_at = None
        complaint.visited_at = None
        complaint.plan_due_at = due(now, "complaint.plan_sla")
        _finish(actor, complaint, before, "reopen", ComplaintEventKind.REOPENED, feedback, score)
        if complaint.handler_id:
            notify(
                complaint.handler,
                "complaint.assigned",
                _("投诉回访不满意，重新处理：%(c)s") % {"c": complaint},
                _("客户满意度 %(s)s 分：%(f)s") % {"s": score, "f": feedback},
                _url(complaint),
            )
    return complaint
