"""Writes of follow-ups (客户跟进记录, SPEC S4) and tasks (销售任务分配与跟踪表, S8).

Every function takes keyword arguments with the acting user first, runs in one transaction,
checks rights and data scope (out of scope → Http404 from ``get_in_scope``), validates,
audits, and leaves notifications to ``notify`` (written in the same transaction, delivered
after commit).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from salesflow.core.audit import audit, snapshot
from salesflow.core.errors import DomainError, NotAllowed, ValidationError
from salesflow.core.pii import reject_sensitive
from salesflow.core.scope import has_right, is_in_scope, owner_ids_for
from salesflow.core.settings_registry import get_setting
from salesflow.core.sla import deadline
from salesflow.customers import services as customer_services
from salesflow.customers.models import Customer
from salesflow.leads import services as lead_services
from salesflow.leads.models import Lead, LeadStatus
from salesflow.org.models import User
from salesflow.pipeline.models import Opportunity, OpportunityStatus
from salesflow.pipeline.services import check_upload

from . import cadence
from .models import (
    FollowUp,
    FollowUpAttachment,
    FollowUpResult,
    Method,
    QualityGrade,
    Task,
    TaskItem,
    TaskProgress,
    TaskStatus,
)
from .notify import notify, remind_once
from .selectors import get_in_scope, restrict

FOLLOWUP_TEXT_FIELDS = (
    "topic", "summary", "customer_words", "objection_handling", "needs_change", "commitments",
    "next_step_action", "risk",
)  # fmt: skip
FOLLOWUP_FIELDS = (*FOLLOWUP_TEXT_FIELDS, "communicated_at", "method", "result",
                   "next_step_owner", "next_step_due")  # fmt: skip
#: Names ``followup.required_fields`` may list (``attachments``: at least one file).
COMPLETENESS_FIELDS = (
    "method", "topic", "summary", "customer_words", "objection_handling", "needs_change",
    "commitments", "next_step_action", "next_step_owner", "next_step_due", "risk",
    "attachments", "opportunity",
)  # fmt: skip
TASK_FIELDS = ("title", "description", "owner", "due_at", "acceptor")
ITEM_FIELDS = ("name", "target_value", "actual_value", "owner", "planned_start",
               "planned_finish", "actual_finish", "acceptor", "notes")  # fmt: skip
FUTURE_TOLERANCE = datetime.timedelta(minutes=5)


def _user(actor):
    return actor if getattr(actor, "pk", None) else None


def _as_user(value, field: str) -> User | None:
    if value in (None, ""):
        return None
    user = value if isinstance(value, User) else User.objects.filter(pk=value).first()
    if user is None or not user.is_active:
        raise ValidationError({field: _("请选择在职的人员。")})
    return user


def _different_department(a: User, b: User) -> bool:
    return bool(a.department_id and b.department_id and a.department_id != b.department_id)


# --- rules -----------------------------------------------------------------------------------


def entry_sla_met(
    communicated_at: datetime.datetime, entered_at: datetime.datetime, team=None
) -> bool:
    """Entered within ``followup.entry_sla`` (default 2h) of the communication; ``team`` is the
    owner's department (a pilot may set its own rule)."""
    rule = get_setting("followup.entry_sla", team=team, at=communicated_at)
    return entered_at <= deadline(communicated_at, rule)


def required_fields() -> list[str]:
    """The fields ``followup.required_fields`` lists; an unknown name is a configuration error
    shown to the user (rather than a silently wrong KPI)."""
    raw = str(get_setting("followup.required_fields") or "")
    names = [n.strip() for n in raw.replace("，", ",").split(",") if n.strip()]
    unknown = [n for n in names if n not in COMPLETENESS_FIELDS]
    if unknown:
        raise DomainError(
            _("系统设置“跟进记录完整性必填项”含未知字段：%(names)s，请管理员修正。")
            % {"names": "、".join(unknown)},
            code="setting",
        )
    return names


def is_complete(followup: FollowUp, attachment_count: int = 0) -> bool:
    for name in required_fields():
        if name == "attachments":
            if attachment_count <= 0:
                return False
        elif name in ("next_step_owner", "opportunity"):
            if getattr(followup, f"{name}_id") is None:
                return False
        else:
            value = getattr(followup, name)
            if value is None or (isinstance(value, str) and not value.strip()):
                return False
    return True


def completion_ratio(actual: Decimal, target: Decimal) -> Decimal | None:
    """Actual / target in percent (None when there is no target)."""
    actual, target = Decimal(actual or 0), Decimal(target or 0)
    if target <= 0:
        return None
    return actual * 100 / target


def quality_grade(actual, target) -> str | None:
    """优 ≥ 120% of target, 良 ≥ 100%, 中 ≥ 80%, 差 below (settings ``task.grade_*_min``);
    None without a target."""
    ratio = completion_ratio(actual, target)
    if ratio is None:
        return None
    if ratio >= get_setting("task.grade_excellent_min"):
        return QualityGrade.EXCELLENT
    if ratio >= get_setting("task.grade_good_min"):
        return QualityGrade.GOOD
    if ratio >= get_setting("task.grade_fair_min"):
        return QualityGrade.FAIR
    return QualityGrade.POOR


# --- follow-ups ------------------------------------------------------------------------------


def _subject(actor, lead_id, customer_id, opportunity_id):
    """The lead or customer (and opportunity) of a follow-up, each in the actor's scope
    ("view" is enough: collaborators and assistants record follow-ups too)."""
    lead = customer = opportunity = None
    if opportunity_id:
        opportunity = Opportunity.objects.select_related("customer").get_in_scope(
            actor, "view", pk=opportunity_id
        )
        if customer_id and int(customer_id) != opportunity.customer_id:
            raise ValidationError({"opportunity": _("商机不属于所选客户。")})
        customer = opportunity.customer
    elif customer_id:
        customer = Customer.objects.get_in_scope(actor, "view", pk=customer_id)
    if lead_id:
        if customer is not None:
            raise ValidationError({"lead": _("跟进记录只能关联线索或客户其中之一。")})
        lead = Lead.objects.get_in_scope(actor, "view", pk=lead_id)
    if lead is None and customer is None:
        raise ValidationError({"subject": _("请选择跟进的线索、客户或商机。")})
    return lead, customer, opportunity


def _validate_followup(followup: FollowUp, now: datetime.datetime) -> None:
    reject_sensitive({f: getattr(followup, f) or "" for f in FOLLOWUP_TEXT_FIELDS})
    errors = {}
    if followup.communicated_at is None:
        errors["communicated_at"] = _("请填写沟通时间。")
    elif followup.communicated_at > now + FUTURE_TOLERANCE:
        errors["communicated_at"] = _("沟通时间不能晚于现在。")
    if followup.method not in Method.values:
        errors["method"] = _("请选择跟进方式。")
    if followup.result not in FollowUpResult.values:
        errors["result"] = _("请选择结果。")
    if not (followup.topic or "").strip():
        errors["topic"] = _("请填写主题。")
    if not (followup.summary or "").strip():
        errors["summary"] = _("请填写内容摘要。")
    has_action = bool((followup.next_step_action or "").strip())
    if has_action and followup.next_step_due is None:
        errors["next_step_due"] = _("有下一步行动时请填写截止时间。")
    if not has_action and (followup.next_step_due or followup.next_step_owner_id):
        errors["next_step_action"] = _("请填写下一步行动。")
    if (
        followup.next_step_due
        and followup.communicated_at
        and followup.next_step_due < followup.communicated_at
    ):
        errors["next_step_due"] = _("下一步截止时间不能早于沟通时间。")
    if errors:
        raise ValidationError(errors)


def _followup_owner(actor, data: dict) -> User:
    """The person who communicated: the actor, or a colleague an assistant enters for."""
    owner = _as_user(data.get("owner"), "owner") or actor
    if owner.pk != actor.pk:
        reach = owner_ids_for(actor, "followup", "add")
        if reach is not None and owner.pk not in reach:
            raise ValidationError({"owner": _("只能为自己数据范围内的人员录入跟进。")})
    return owner


def _touch_lead(actor, lead: Lead, at: datetime.datetime, now) -> None:
    if lead.first_contact_at is None:
        if is_in_scope(actor, lead, "change"):
            lead_services.lead_record_first_contact(actor=actor, lead_id=lead.pk, at=at)
        else:
            # A read-only collaborator made the first contact: the same facts, audited as theirs.
            locked = Lead.objects.select_for_update().get(pk=lead.pk)
            before = snapshot(locked, ["first_contact_at", "status", "last_followup_at"])
            locked.first_contact_at = at
            locked.last_followup_at = max(filter(None, [locked.last_followup_at, at]))
            if locked.status in (LeadStatus.NEW, LeadStatus.SCREENED):
                locked.status = LeadStatus.CONTACTING
            locked.save(update_fields=["first_contact_at", "last_followup_at", "status"])
            audit(
                actor=actor,
                action="lead.contact",
                obj=locked,
                before=before,
                after=snapshot(locked, ["first_contact_at", "status", "last_followup_at"]),
            )
    else:
        Lead.all_objects.filter(pk=lead.pk).filter(
            Q(last_followup_at__isnull=True) | Q(last_followup_at__lt=at)
        ).update(last_followup_at=at)
    cadence.recompute_lead(lead.pk, now)


def _touch_opportunity(opp: Opportunity, at: datetime.datetime, actor) -> None:
    """One more follow-up in the current stage (a record of a talk before the last stage change
    does not count); at the threshold the owner's manager hears it is stalled."""
    opp = Opportunity.objects.select_for_update(of=("self",)).select_related("owner").get(pk=opp.pk)
    fields = []
    if opp.last_followup_at is None or opp.last_followup_at < at:
        opp.last_followup_at = at
        fields.append("last_followup_at")
    if at >= opp.stage_entered_at:
        opp.followups_since_stage = F("followups_since_stage") + 1
        fields.append("followups_since_stage")
    if not fields:
        return
    opp.save(update_fields=fields)
    opp.refresh_from_db(fields=["followups_since_stage"])
    threshold = get_setting("pipeline.stalled_followups")
    if opp.status == OpportunityStatus.OPEN and opp.followups_since_stage >= threshold:
        manager = opp.owner.manager
        if manager is not None and manager.is_active:
            remind_once(
                f"opportunity.stalled:{opp.pk}:{opp.stage_entered_at.isoformat()}",
                manager,
                "opportunity.stalled",
                _("商机停滞：%(name)s") % {"name": opp.name},
                _("本阶段已跟进 %(n)s 次仍未推进（负责人 %(owner)s），已列入周度检查。")
                % {"n": opp.followups_since_stage, "owner": opp.owner},
                _url("activities:weekly_review"),
            )


def _url(name: str, *args) -> str:
    from django.urls import NoReverseMatch

    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def _notify_task_owner(task: Task, actor) -> None:
    """Tell the owner of a task someone else gave them; "跨部门" when departments differ."""
    owner = task.owner
    if actor is not None and owner.pk == getattr(actor, "pk", None):
        return
    cross = actor is not None and _different_department(actor, owner)
    title = (_("跨部门任务：%(title)s") if cross else _("新任务：%(title)s")) % {
        "title": task.title
    }
    due = timezone.localtime(task.due_at).strftime("%Y-%m-%d %H:%M") if task.due_at else "—"
    body = _("%(actor)s 分配给您的任务，截止 %(due)s。来源：%(source)s") % {
        "actor": actor or _("系统"),
        "due": due,
        "source": task.source_label or _("手工创建"),
    }
    notify(owner, "task.assigned", title, body, _url("activities:task_detail", task.pk))


def _task_from_next_step(actor, followup: FollowUp) -> Task:
    owner = followup.next_step_owner or followup.owner
    subject = followup.opportunity or followup.customer or followup.lead
    task = Task.objects.create(
        title=followup.next_step_action[:200],
        description=followup.commitments,
        owner=owner,
        due_at=followup.next_step_due,
        followup=followup,
        lead=followup.lead,
        customer=followup.customer,
        opportunity=followup.opportunity,
        source_label=(_("跟进：%(subject)s") % {"subject": subject})[:100],
        created_by=_user(actor),
    )
    audit(actor=actor, action="task.create", obj=task, after=snapshot(task))
    _notify_task_owner(task, actor)
    return task


def followup_record(
    *,
    actor,
    data: dict,
    lead_id: int | None = None,
    customer_id: int | None = None,
    opportunity_id: int | None = None,
    attachments: Iterable = (),
) -> FollowUp:
    """Record one communication (客户跟进记录). Entry time is now; the entry SLA (2h, setting)
    and completeness (setting) are stored; the lead's first contact / last follow-up, the
    customer's last follow-up and both next due dates, and the opportunity's follow-ups in
    the current stage move on; the next step becomes a task for its owner."""
    if not has_right(actor, "followup", "add"):
        raise NotAllowed(_("没有录入跟进记录的权限。"))
    now = timezone.now()
    attachments = list(attachments)
    for upload in attachments:
        try:
            check_upload(upload)
        except ValidationError as exc:
            raise ValidationError(
                {"attachments": exc.message_dict.get("file", exc.messages)}
            ) from None
    with transaction.atomic():
        lead, customer, opportunity = _subject(actor, lead_id, customer_id, opportunity_id)
        followup = FollowUp(
            lead=lead,
            customer=customer,
            opportunity=opportunity,
            owner=_followup_owner(actor, data),
            entered_at=now,
            created_by=_user(actor),
            result=data.get("result") or FollowUpResult.DONE,
        )
        for name in FOLLOWUP_FIELDS:
            if name in data and name != "result":
                value = data[name]
                if name == "next_step_owner":
                    value = _as_user(value, name)
                elif name in FOLLOWUP_TEXT_FIELDS:
                    value = (value or "").strip()
                setattr(followup, name, value)
        _validate_followup(followup, now)
        followup.entry_sla_met = entry_sla_met(
            followup.communicated_at,
            followup.entered_at,
            team=followup.owner.department_id if followup.owner_id else None,
        )
        followup.is_complete = is_complete(followup, len(attachments))
        followup.save()
        for upload in attachments:
            FollowUpAttachment.objects.create(
                followup=followup,
                file=upload,
                name=str(getattr(upload, "name", "") or _("附件"))[:200],
                uploaded_by=_user(actor),
            )
        audit(actor=actor, action="followup.create", obj=followup, after=snapshot(followup))
        at = followup.communicated_at
        if lead is not None:
            _touch_lead(actor, lead, at, now)
        if customer is not None:
            customer_services.record_followup(customer_id=customer.pk, at=at)
            cadence.recompute_customer(customer.pk, now)
        if opportunity is not None:
            _touch_opportunity(opportunity, at, actor)
        if followup.next_step_action:
            _task_from_next_step(actor, followup)
    return followup


# --- tasks -----------------------------------------------------------------------------------


def _clean_task(task: Task) -> None:
    reject_sensitive({"title": task.title or "", "description": task.description or ""})
    errors = {}
    if not (task.title or "").strip():
        errors["title"] = _("请填写任务名称。")
    if task.owner_id is None:
        errors["owner"] = _("请选择负责人。")
    if errors:
        raise ValidationError(errors)


def task_create(
    *,
    actor,
    data: dict,
    lead_id: int | None = None,
    customer_id: int | None = None,
    opportunity_id: int | None = None,
) -> Task:
    """A task created by hand (for oneself or anyone, across departments too); its owner is
    told when it is someone else. An optional source record must be in the actor's scope."""
    if not has_right(actor, "task", "add"):
        raise NotAllowed(_("没有创建任务的权限。"))
    with transaction.atomic():
        task = Task(created_by=_user(actor), status=TaskStatus.OPEN)
        task.title = (data.get("title") or "").strip()
        task.description = (data.get("description") or "").strip()
        task.owner = _as_user(data.get("owner"), "owner") or actor
        task.acceptor = _as_user(data.get("acceptor"), "acceptor")
        task.due_at = data.get("due_at")
        source = None
        if opportunity_id:
            task.opportunity = source = Opportunity.objects.get_in_scope(
                actor, "view", pk=opportunity_id
            )
            task.customer_id = task.opportunity.customer_id
        elif customer_id:
            task.customer = source = Customer.objects.get_in_scope(actor, "view", pk=customer_id)
        elif lead_id:
            task.lead = source = Lead.objects.get_in_scope(actor, "view", pk=lead_id)
        task.source_label = (
            data.get("source_label") or (str(source) if source is not None else "")
        )[:100]
        _clean_task(task)
        task.save()
        audit(actor=actor, action="task.create", obj=task, after=snapshot(task))
        _notify_task_owner(task, actor)
    return task


def _lock_task(actor, task_id: int, action: str = "change") -> Task:
    return get_in_scope(
        Task.objects.select_for_update(of=("self",)).select_related("owner"),
        actor,
        action,
        pk=task_id,
    )


def _require_open(task: Task) -> None:
    if task.status != TaskStatus.OPEN:
        raise DomainError(_("任务已完成或已取消，不能再修改。"))


def task_update(*, actor, task_id: int, data: dict) -> Task:
    with transaction.atomic():
        task = _lock_task(actor, task_id)
        _require_open(task)
        before = snapshot(task)
        old_owner_id = task.owner_id
        for name in TASK_FIELDS:
            if name not in data:
                continue
            value = data[name]
            if name in ("owner", "acceptor"):
                value = _as_user(value, name)
            elif name in ("title", "description"):
                value = (value or "").strip()
            setattr(task, name, value)
        _clean_task(task)
        task.save()
        audit(actor=actor, action="task.update", obj=task, before=before, after=snapshot(task))
        if task.owner_id != old_owner_id:
            _notify_task_owner(task, actor)
    return task


def _decimal(value, field: str) -> Decimal:
    try:
        number = Decimal(str(value if value not in (None, "") else 0))
    except InvalidOperation:
        raise ValidationError({field: _("请输入数字。")}) from None
    if not number.is_finite() or number < 0:
        raise ValidationError({field: _("不能为负数。")})
    return number


def task_item_save(*, actor, task_id: int, data: dict, item_id: int | None = None) -> TaskItem:
    """Add or change a sub-item (target value, actual value, owner, planned start/finish,
    actual finish, acceptor, notes)."""
    with transaction.atomic():
        task = _lock_task(actor, task_id)
        _require_open(task)
        item = task.items.get(pk=item_id) if item_id else TaskItem(task=task)
        before = snapshot(item) if item_id else None
        for name in ITEM_FIELDS:
            if name not in data:
                continue
            value = data[name]
            if name in ("owner", "acceptor"):
                value = _as_user(value, name)
            elif name in ("target_value", "actual_value"):
                value = _decimal(value, name)
            elif name in ("name", "notes"):
                value = (value or "").strip()
            setattr(item, name, value)
        reject_sensitive({"name": item.name, "notes": item.notes})
        errors = {}
        if not item.name:
            errors["name"] = _("请填写子项名称。")
        if item.planned_start and item.planned_finish and item.planned_start > item.planned_finish:
            errors["planned_finish"] = _("计划完成不能早于计划开始。")
        if errors:
            raise ValidationError(errors)
        item.save()
        audit(
            actor=actor,
            action="task.item_save",
            obj=task,
            before=before,
            after=snapshot(item),
            message=item.name,
        )
        if item.owner_id and item.owner_id != task.owner_id and item.owner_id != actor.pk:
            notify(
                item.owner,
                "task.assigned",
                _("任务子项：%(name)s") % {"name": item.name},
                _("任务“%(task)s”中由您负责的子项。") % {"task": task.title},
                _url("activities:task_detail", task.pk),
            )
    return item


def task_progress_add(
    *,
    actor,
    task_id: int,
    note: str,
    day: datetime.date | None = None,
    item_id: int | None = None,
    actual_value=None,
) -> TaskProgress:
    """A daily progress update (日进度); with an item and a value it sets the item's
    cumulative actual value. The task's owner and creator, and a sub-item's owner for their
    item, may report."""
    note = (note or "").strip()
    reject_sensitive({"note": note})
    if not note:
        raise ValidationError({"note": _("请填写今日进展。")})
    with transaction.atomic():
        task = get_in_scope(Task, actor, "view", pk=task_id)
        task = Task.objects.select_for_update().get(pk=task.pk)
        _require_open(task)
        item = task.items.filter(pk=item_id).first() if item_id else None
        if item_id and item is None:
            raise ValidationError({"item": _("子项不存在。")})
        may_change = restrict(Task, actor, "change").filter(pk=task.pk).exists()
        if not may_change and not (item is not None and item.owner_id == actor.pk):
            raise NotAllowed(_("只有任务负责人、创建人或子项负责人可以填写进度。"))
        value = None
        if actual_value not in (None, ""):
            if item is None:
                raise ValidationError({"item": _("填写实际值时请选择子项。")})
            value = _decimal(actual_value, "actual_value")
            before = snapshot(item, ["actual_value"])
            item.actual_value = value
            item.save(update_fields=["actual_value"])
            audit(
                actor=actor,
                action="task.item_actual",
                obj=task,
                before=before,
                after=snapshot(item, ["actual_value"]),
                message=item.name,
            )
        progress = TaskProgress.objects.create(
            task=task,
            item=item,
            day=day or timezone.localdate(),
            actual_value=value,
            note=note,
            actor=_user(actor),
        )
        audit(actor=actor, action="task.progress", obj=task, message=note[:200])
    return progress


def task_complete(*, actor, task_id: int, note: str = "") -> Task:
    with transaction.atomic():
        task = _lock_task(actor, task_id)
        _require_open(task)
        before = snapshot(task, ["status", "completed_at"])
        task.status, task.completed_at = TaskStatus.DONE, timezone.now()
        task.save(update_fields=["status", "completed_at"])
        audit(
            actor=actor,
            action="task.complete",
            obj=task,
            before=before,
            after=snapshot(task, ["status", "completed_at"]),
            message=note,
        )
    return task


def task_cancel(*, actor, task_id: int, reason: str) -> Task:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写取消原因。")})
    with transaction.atomic():
        task = _lock_task(actor, task_id)
        _require_open(task)
        before = snapshot(task, ["status"])
        task.status = TaskStatus.CANCELLED
        task.save(update_fields=["status"])
        audit(
            actor=actor,
            action="task.cancel",
            obj=task,
            before=before,
            after=snapshot(task, ["status"]),
            message=reason,
        )
    return task
