"""Every write of the targets module: setting and decomposing targets (with sum checks),
adjusting them (history and reason kept), and the managers' variance notes. Reports are in
``report_services``."""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from salesflow.core.audit import audit, snapshot
from salesflow.core.errors import DomainError, NotAllowed, ValidationError
from salesflow.core.scope import has_right
from salesflow.core.settings_registry import get_setting

from .models import (
    ADDITIVE_METRICS,
    Level,
    PerformanceNote,
    PeriodKind,
    Target,
    TargetAdjustment,
)

AUDIT_FIELDS = [
    "metric",
    "period_kind",
    "period_start",
    "period_end",
    "level",
    "department",
    "region",
    "product_line",
    "customer_type",
    "value",
    "owner",
    "parent",
]


class SumMismatch(DomainError):
    """Children of a target do not add up to it and the setting says block."""

    def __init__(self, parent_value, children_sum):
        self.difference = parent_value - children_sum
        super().__init__(
            _("下级目标合计 %(sum)s 与上级目标 %(parent)s 不一致（差额 %(diff)s）。")
            % {"sum": children_sum, "parent": parent_value, "diff": self.difference},
            code="sum_check",
        )


@dataclass
class SumCheck:
    parent_value: Decimal
    children_sum: Decimal
    children: int

    @property
    def difference(self) -> Decimal:
        """Parent − children: positive is still to decompose, negative is over-decomposed."""
        return self.parent_value - self.children_sum

    @property
    def ok(self) -> bool:
        return self.children == 0 or self.difference == 0


@dataclass
class Outcome:
    target: Target
    warnings: list[str] = field(default_factory=list)


# --- periods ----------------------------------------------------------------------------------


def period_bounds(kind: str, year: int, number: int = 1) -> tuple[datetime.date, datetime.date]:
    """First and last day of a year, quarter (1–4) or month (1–12)."""
    if kind == PeriodKind.YEAR:
        return datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    if kind == PeriodKind.QUARTER:
        if not 1 <= number <= 4:
            raise ValidationError(_("季度应为 1–4。"))
        first = 3 * (number - 1) + 1
        last = first + 2
        return datetime.date(year, first, 1), datetime.date(
            year, last, calendar.monthrange(year, last)[1]
        )
    if not 1 <= number <= 12:
        raise ValidationError(_("月份应为 1–12。"))
    return datetime.date(year, number, 1), datetime.date(
        year, number, calendar.monthrange(year, number)[1]
    )


# --- checks -----------------------------------------------------------------------------------


def _require_set(actor) -> None:
    if not has_right(actor, "target", "add") or not has_right(actor, "target", "change"):
        raise NotAllowed(_("只有销售总监可以制定和调整目标。"))


def _value(raw) -> Decimal:
    try:
        value = Decimal(str(raw)).quantize(Decimal("0.01"))
    except (InvalidOperation, TypeError):
        raise ValidationError({"value": _("请输入数字。")}) from None
    if value < 0:
        raise ValidationError({"value": _("目标值不能为负数。")})
    return value


def _validate(target: Target) -> None:
    if target.period_end < target.period_start:
        raise ValidationError({"period_end": _("结束日期不能早于开始日期。")})
    if target.level == Level.TEAM and not target.department_id:
        raise ValidationError({"department": _("团队目标需要选择团队。")})
    if target.level != Level.TEAM:
        target.department = None
    if target.metric not in ADDITIVE_METRICS and target.value > 100:
        raise ValidationError({"value": _("比率目标应在 0–100（%）之间。")})
    parent = target.parent
    if parent is not None:
        if parent.metric != target.metric:
            raise ValidationError(_("下级目标的指标必须与上级目标相同。"))
        if target.period_start < parent.period_start or target.period_end > parent.period_end:
            raise ValidationError(_("下级目标的周期必须在上级目标的周期之内。"))


def sum_check(parent: Target) -> SumCheck:
    agg = parent.children.aggregate(total=Sum("value"))
    return SumCheck(
        parent_value=parent.value,
        children_sum=agg["total"] or Decimal(0),
        children=parent.children.count(),
    )


def _enforce(parent: Target | None) -> list[str]:
    """After a change under ``parent``: block (raise, rolling back) or warn per the setting.
    Rates are not additive: no sum check."""
    if parent is None or parent.metric not in ADDITIVE_METRICS:
        return []
    check = sum_check(parent)
    if check.ok:
        return []
    if get_setting("target.sum_check") == "block":
        raise SumMismatch(check.parent_value, check.children_sum)
    return [str(SumMismatch(check.parent_value, check.children_sum))]


# --- writes -----------------------------------------------------------------------------------


def target_create(*, actor, data: dict) -> Outcome:
    """A new target (a total, or one child of a decomposition)."""
    _require_set(actor)
    with transaction.atomic():
        target = Target(created_by=actor, **data)
        target.value = _value(target.value)
        if target.parent_id:
            target.parent = Target.objects.select_for_update().get(pk=target.parent_id)
        _validate(target)
        target.save()
        audit(actor=actor, action="target.create", obj=target, after=snapshot(target, AUDIT_FIELDS))
        warnings = _enforce(target.parent)
    return Outcome(target, warnings)


def target_decompose(*, actor, parent_id: int, children: list[dict], reason: str = "") -> Outcome:
    """Set the whole decomposition of a target at once: ``children`` are dicts of Target fields,
    with ``id`` for an existing child (its value change is an adjustment with ``reason``).
    Children not listed are kept. The sum check runs once on the result."""
    _require_set(actor)
    with transaction.atomic():
        parent = Target.objects.select_for_update().get(pk=parent_id)
        existing = {c.pk: c for c in parent.children.select_for_update()}
        for row in children:
            row = dict(row)
            child_id = row.pop("id", None)
            if child_id:
                child = existing.get(int(child_id))
                if child is None:
                    raise ValidationError(_("下级目标不存在。"))
                new_value = _value(row.get("value", child.value))
                if new_value != child.value:
                    if not reason.strip():
                        raise ValidationError({"reason": _("调整已有目标请填写调整原因。")})
                    _record_adjustment(actor, child, new_value, reason)
                continue
            child = Target(
                created_by=actor,
                parent=parent,
                metric=parent.metric,
                period_kind=row.pop("period_kind", parent.period_kind),
                period_start=row.pop("period_start", parent.period_start),
                period_end=row.pop("period_end", parent.period_end),
                **row,
            )
            child.value = _value(child.value)
            _validate(child)
            child.save()
            audit(
                actor=actor, action="target.create", obj=child, after=snapshot(child, AUDIT_FIELDS)
            )
        warnings = _enforce(parent)
    return Outcome(parent, warnings)


def _record_adjustment(actor, target: Target, new_value: Decimal, reason: str) -> None:
    before = snapshot(target, ["value"])
    TargetAdjustment.objects.create(
        target=target, old_value=target.value, new_value=new_value, reason=reason, actor=actor
    )
    target.value = new_value
    if target.metric not in ADDITIVE_METRICS and new_value > 100:
        raise ValidationError({"value": _("比率目标应在 0–100（%）之间。")})
    target.save(update_fields=["value", "updated_at"])
    audit(
        actor=actor,
        action="target.adjust",
        obj=target,
        before=before,
        after=snapshot(target, ["value"]),
        message=reason,
    )


def target_adjust(*, actor, target_id: int, value, reason: str) -> Outcome:
    """Change a target's value (动态调整): the old and new value and the reason are kept. The
    sum checks of its parent and of its own children apply (block or warn per the setting)."""
    _require_set(actor)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("请填写调整原因。")})
    new_value = _value(value)
    with transaction.atomic():
        target = Target.objects.restrict(actor, "change").select_for_update().get(pk=target_id)
        if new_value == target.value:
            raise ValidationError({"value": _("新目标值与当前值相同。")})
        _record_adjustment(actor, target, new_value, reason.strip())
        warnings = _enforce(target.parent) + _enforce(target)
    return Outcome(target, warnings)


def target_delete(*, actor, target_id: int) -> None:
    if not has_right(actor, "target", "delete"):
        raise NotAllowed(_("没有删除目标的权限。"))
    with transaction.atomic():
        target = Target.objects.restrict(actor, "delete").select_for_update().get(pk=target_id)
        parent = target.parent
        audit(
            actor=actor, action="target.delete", obj=target, before=snapshot(target, AUDIT_FIELDS)
        )
        target.delete()
        _enforce(parent)


# --- variance notes ---------------------------------------------------------------------------


def performance_note_add(*, actor, data: dict) -> PerformanceNote:
    """A manager records why a row of the performance analysis differs, the action, the
    person responsible and the due date."""
    if not has_right(actor, "report", "approve"):
        raise NotAllowed(_("只有经理可以记录业绩差异原因和改进措施。"))
    for name in ("reason", "action"):
        if not str(data.get(name) or "").strip():
            raise ValidationError({name: _("此项必填。")})
    from salesflow.core.scope import owner_ids_for

    visible = owner_ids_for(actor, "report", "view")
    owner = data["owner"]
    if visible is not None and owner.pk not in visible:
        raise ValidationError({"owner": _("责任人不在您的团队中。")})
    with transaction.atomic():
        note = PerformanceNote.objects.create(created_by=actor, **data)
        audit(
            actor=actor,
            action="performance_note.add",
            obj=note,
            after=snapshot(note, ["dimension", "key", "reason", "action", "owner", "due_date"]),
        )
    return note
