"""Relationship maintenance (客户关系维护计划): a 12-month plan per customer built from its tier
(the last 12 months of orders), its actions generated as scheduled tasks through the activities
task services, the action log (feedback and effect rating) and satisfaction surveys (a score
below the setting opens an improvement-plan task)."""

from __future__ import annotations

import contextlib
import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from salesflow.activities import services as activity_services
from salesflow.activities.models import TaskStatus
from salesflow.core.audit import audit, snapshot
from salesflow.core.errors import DomainError, NotAllowed
from salesflow.core.events import emit
from salesflow.core.scope import has_right
from salesflow.core.settings_registry import get_setting
from salesflow.core.sla import deadline
from salesflow.core.workcalendar import get_calendar
from salesflow.customers.models import Customer, Tier
from salesflow.customers.rules import tier_for_amount

from ..models import (
    ActionKind,
    ActionStatus,
    Effect,
    MaintenanceAction,
    MaintenancePlan,
    SatisfactionSurvey,
)

#: Holidays with a fixed Gregorian date, used for years the work calendar has no names for.
FIXED_HOLIDAYS = {"元旦": (1, 1), "国庆节": (10, 1)}
#: The hour at which a generated task falls due on its day.
TASK_DUE_TIME = datetime.time(17, 0)


def _require(actor, action: str, message: str) -> None:
    if not has_right(actor, "maintenance", action):
        raise NotAllowed(message)


def plan_tier(customer: Customer) -> str:
    """The maintenance tier from the last 12 months of orders (``purchases_12m``, kept by the
    deals module); without orders in that window the customer's stored tier stands."""
    amount = customer.purchases_12m or Decimal(0)
    if amount > 0:
        return tier_for_amount(amount)
    return customer.tier or Tier.NORMAL


def _is_sales_manager(user) -> bool:
    return user.roles.filter(code="sales_manager").exists()


def plan_owner(customer: Customer, tier: str):
    """VIP plans are carried by a sales manager (the owner if they are one, else the owner's
    manager); key and normal plans by the customer's owner."""
    owner = customer.owner
    if owner is None:
        raise DomainError(_("公海客户没有负责人，不能生成维护计划。"), code="no_owner")
    if tier == Tier.VIP and not _is_sales_manager(owner):
        manager = owner.manager
        if manager is not None and manager.is_active and _is_sales_manager(manager):
            return manager
    return owner


def _spread(start: datetime.date, end: datetime.date, times: int) -> list[datetime.date]:
    """``times`` dates spread evenly over the period (the middle of each slice), each moved to
    a working day of the calendar."""
    cal = get_calendar()
    days = (end - start).days + 1
    dates = []
    for index in range(times):
        day = start + datetime.timedelta(days=round(days * (index + 0.5) / times))
        if not cal.is_workday(day):
            day = cal.next_workday(day)
        dates.append(day)
    return dates


def holiday_starts(start: datetime.date, end: datetime.date) -> list[tuple[str, datetime.date]]:
    """First days of the named holidays of the setting ``service.greeting_holidays`` within the
    period, from the work calendar (fixed-date holidays for years it does not name)."""
    wanted = {name.strip() for name in get_setting("service.greeting_holidays").split(",")}
    wanted.discard("")
    cal = get_calendar()
    found, previous_name = [], ""
    day = start
    while day <= end:
        info = cal.info(day)
        name = info.name if not info.is_workday else ""
        if not name:
            for fixed, (month, dom) in FIXED_HOLIDAYS.items():
                if info.source == "fallback" and (day.month, day.day) == (month, dom):
                    name = fixed
        # The calendar says "中秋" where the setting may say "中秋节": match either way.
        label = next((w for w in wanted if name and (w.startswith(name) or name.startswith(w))), "")
        if label and name != previous_name:
            found.append((label, day))
        previous_name = name
        day += datetime.timedelta(days=1)
    return found


def _last_workday_before(day: datetime.date) -> datetime.date:
    cal = get_calendar()
    day -= datetime.timedelta(days=1)
    for _i in range(30):
        if cal.is_workday(day):
            return day
        day -= datetime.timedelta(days=1)
    return day


def planned_actions(
    customer: Customer, tier: str, start: datetime.date, end: datetime.date
) -> list[tuple[str, str, datetime.date]]:
    """``[(kind, title, due_on), …]`` of a tier's plan for the period, from the settings:
    visits, calls and industry reports per year, and a greeting (or a gift for the tiers of
    ``service.gift_tiers``) before each holiday of ``service.greeting_holidays``."""
    items = []
    labels = dict(ActionKind.choices)
    for kind, setting in (
        (ActionKind.VISIT, "visits"),
        (ActionKind.CALL, "calls"),
        (ActionKind.INDUSTRY_REPORT, "reports"),
    ):
        times = get_setting(f"service.{tier}_{setting}_per_year")
        for index, day in enumerate(_spread(start, end, times), start=1):
            title = _("%(kind)s（%(i)s/%(n)s）：%(customer)s") % {
                "kind": labels[kind],
                "i": index,
                "n": times,
                "customer": customer.name,
            }
            items.append((kind, title, day))
    gift_tiers = {t.strip() for t in get_setting("service.gift_tiers").split(",")}
    kind = ActionKind.GIFT if tier in gift_tiers else ActionKind.GREETING
    for name, first_day in holiday_starts(start, end):
        due_on = _last_workday_before(first_day)
        if due_on < start:
            continue
        title = _("%(holiday)s%(kind)s：%(customer)s") % {
            "holiday": name,
            "kind": labels[kind],
            "customer": customer.name,
        }
        items.append((kind, title, due_on))
    items.sort(key=lambda item: (item[2], item[0]))
    return items


def period_end(start: datetime.date) -> datetime.date:
    """The last day of the 12 months that begin on ``start``."""
    try:
        next_start = start.replace(year=start.year + 1)
    except ValueError:  # 29 February
        next_start = datetime.date(start.year + 1, 3, 1)
    return next_start - datetime.timedelta(days=1)


def _due_at(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, TASK_DUE_TIME, tzinfo=timezone.get_default_timezone())


def _cancel_open(actor, plan: MaintenancePlan, reason: str) -> int:
    cancelled = 0
    for action in plan.actions.filter(status=ActionStatus.PLANNED).select_related("task"):
        if action.task is not None and action.task.status == TaskStatus.OPEN:
            # A task the actor cannot change stays with its owner.
            with contextlib.suppress(Http404):
                activity_services.task_cancel(actor=actor, task_id=action.task_id, reason=reason)
        action.status = ActionStatus.CANCELLED
        action.save(update_fields=["status"])
        cancelled += 1
    return cancelled


def maintenance_plan_generate(
    *, actor, customer_id: int, start: datetime.date | None = None
) -> MaintenancePlan:
    """(Re)build the customer's 12-month plan: tier from orders, owner by tier, every action a
    task in the owner's list. A rebuild cancels the actions not yet executed."""
    _require(actor, "add", _("没有制定维护计划的权限。"))
    if not has_right(actor, "task", "add"):
        raise NotAllowed(_("没有创建任务的权限。"))
    start = start or timezone.localdate()
    end = period_end(start)
    with transaction.atomic():
        customer = (
            Customer.objects.select_for_update(of=("self",))
            .select_related("owner__manager")
            .get_in_scope(actor, "view", pk=customer_id)
        )
        tier = plan_tier(customer)
        owner = plan_owner(customer, tier)
        plan = MaintenancePlan.objects.filter(customer=customer).first()
        before = snapshot(plan) if plan else None
        if plan is not None:
            _cancel_open(actor, plan, _("维护计划已重新生成"))
        else:
            plan = MaintenancePlan(customer=customer)
        plan.tier, plan.owner = tier, owner
        plan.purchases_12m = customer.purchases_12m or Decimal(0)
        plan.period_start, plan.period_end = start, end
        plan.generated_at, plan.created_by = timezone.now(), actor
        plan.save()
        for kind, title, due_on in planned_actions(customer, tier, start, end):
            task = activity_services.task_create(
                actor=actor,
                data={
                    "title": title[:200],
                    "description": _("客户维护计划（%(tier)s）") % {"tier": Tier(tier).label},
                    "owner": owner,
                    "due_at": _due_at(due_on),
                    "source_label": _("维护计划"),
                },
                customer_id=customer.pk,
            )
            MaintenanceAction.objects.create(
                plan=plan,
                customer=customer,
                kind=kind,
                title=title[:200],
                due_on=due_on,
                owner=owner,
                task=task,
            )
        audit(
            actor=actor,
            action="maintenance.plan_generate",
            obj=plan,
            before=before,
            after=snapshot(plan),
        )
        emit("maintenance.plan_generated", plan_id=plan.pk)
    return plan


def _check_effect(effect: str) -> str:
    if effect not in Effect.values:
        raise ValidationError({"effect": _("请选择效果评价。")})
    return effect


def maintenance_action_log(
    *,
    actor,
    action_id: int,
    feedback: str,
    effect: str,
    done_at: datetime.datetime | None = None,
) -> MaintenanceAction:
    """Log the execution of a scheduled action: the customer's feedback and the effect rating;
    its task is completed."""
    _require(actor, "change", _("没有记录维护动作的权限。"))
    with transaction.atomic():
        action = (
            MaintenanceAction.objects.select_for_update(of=("self",))
            .select_related("task")
            .get_in_scope(actor, "change", pk=action_id)
        )
        if action.status != ActionStatus.PLANNED:
            raise DomainError(_("该维护动作已执行或已取消。"), code="state")
        before = snapshot(action)
        _fill_log(action, actor, feedback, effect, done_at)
        action.save()
        if action.task is not None and action.task.status == TaskStatus.OPEN:
            # Someone else's task: its owner closes it.
            with contextlib.suppress(Http404):
                activity_services.task_complete(
                    actor=actor, task_id=action.task_id, note=action.customer_feedback
                )
        audit(actor=actor, action="maintenance.action_log", obj=action, before=before,
              after=snapshot(action))  # fmt: skip
        emit("maintenance.action_logged", action_id=action.pk)
    return action


def _fill_log(action, actor, feedback, effect, done_at):
    feedback = (feedback or "").strip()
    if not feedback:
        raise ValidationError({"feedback": _("请记录客户反馈。")})
    now = timezone.now()
    done_at = done_at or now
    if done_at > now + datetime.timedelta(minutes=5):
        raise ValidationError({"done_at": _("执行时间不能晚于现在。")})
    action.customer_feedback = feedback
    action.effect = _check_effect(effect)
    action.done_at = done_at
    action.done_by = actor if getattr(actor, "pk", None) else None
    action.status = ActionStatus.DONE


def maintenance_action_record(
    *,
    actor,
    customer_id: int,
    kind: str,
    title: str,
    feedback: str,
    effect: str,
    done_at: datetime.datetime | None = None,
) -> MaintenanceAction:
    """Log an action that was not on the plan (an extra visit, a gift …)."""
    _require(actor, "add", _("没有记录维护动作的权限。"))
    if kind not in ActionKind.values:
        raise ValidationError({"kind": _("请选择维护动作。")})
    with transaction.atomic():
        customer = Customer.objects.get_in_scope(actor, "view", pk=customer_id)
        action = MaintenanceAction(
            plan=MaintenancePlan.objects.filter(customer=customer).first(),
            customer=customer,
            kind=kind,
            title=((title or "").strip() or ActionKind(kind).label)[:200],
            owner=actor,
        )
        _fill_log(action, actor, feedback, effect, done_at)
        action.due_on = timezone.localdate(action.done_at)
        action.save()
        audit(actor=actor, action="maintenance.action_record", obj=action,
              after=snapshot(action))  # fmt: skip
        emit("maintenance.action_logged", action_id=action.pk)
    return action


def satisfaction_survey_record(
    *,
    actor,
    customer_id: int,
    score,
    surveyed_on: datetime.date | None = None,
    comment: str = "",
) -> SatisfactionSurvey:
    """A satisfaction survey (0–100). Below ``service.improvement_satisfaction_below`` (85) an
    improvement-plan task goes to the customer's owner, due by ``service.improvement_plan_sla``."""
    _require(actor, "add", _("没有记录满意度调查的权限。"))
    try:
        value = Decimal(str(score))
    except (ArithmeticError, TypeError, ValueError):
        value = Decimal(-1)
    if not value.is_finite() or not Decimal(0) <= value <= Decimal(100):
        raise ValidationError({"score": _("满意度为 0–100 分。")})
    surveyed_on = surveyed_on or timezone.localdate()
    if surveyed_on > timezone.localdate():
        raise ValidationError({"surveyed_on": _("调查日期不能晚于今天。")})
    with transaction.atomic():
        customer = Customer.objects.select_related("owner").get_in_scope(
            actor, "view", pk=customer_id
        )
        survey = SatisfactionSurvey.objects.create(
            customer=customer,
            score=value.quantize(Decimal("0.1")),
            surveyed_on=surveyed_on,
            comment=(comment or "").strip(),
            recorded_by=actor if getattr(actor, "pk", None) else None,
        )
        threshold = get_setting("service.improvement_satisfaction_below")
        if value < threshold and has_right(actor, "task", "add"):
            task = activity_services.task_create(
                actor=actor,
                data={
                    "title": _("满意度改进计划：%(c)s（%(s)s 分）")
                    % {"c": customer.name, "s": survey.score},
                    "description": _("满意度 %(s)s 低于 %(t)s。客户意见：%(comment)s")
                    % {"s": survey.score, "t": threshold, "comment": survey.comment or "—"},
                    "owner": customer.owner or actor,
                    "due_at": deadline(timezone.now(), get_setting("service.improvement_plan_sla")),
                    "source_label": _("满意度调查"),
                },
                customer_id=customer.pk,
            )
            survey.improvement_task = task
            survey.save(update_fields=["improvement_task"])
        audit(actor=actor, action="maintenance.survey", obj=survey, after=snapshot(survey))
        emit("maintenance.survey_recorded", survey_id=survey.pk)
    return survey
