"""Writes of the shared kernel: settings and the calendar overrides."""

from django.db import transaction
from django.utils.translation import gettext as _

from .audit import audit, snapshot
from .errors import NotAllowed, ValidationError
from .models import CalendarOverride, SettingChange, SettingValue
from .scope import has_right
from .settings_registry import forget_cached_settings, get_definition, get_setting
from .workcalendar import forget_cached_calendar


def setting_change(*, actor, key: str, value, reason: str) -> SettingChange:
    """Change one setting; the reason is required and the change is kept in its history."""
    if not has_right(actor, "core.setting", "change"):
        raise NotAllowed(_("没有修改系统设置的权限。"))
    definition = get_definition(key)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写修改原因。")})
    new_value = definition.to_json(definition.parse(value))
    with transaction.atomic():
        forget_cached_settings()
        old_value = definition.to_json(get_setting(key))
        if old_value == new_value:
            raise ValidationError({"value": _("新值与当前值相同。")})
        SettingValue.objects.update_or_create(
            key=key, defaults={"value": new_value, "updated_by": actor}
        )
        change = SettingChange.objects.create(
            key=key, old_value=old_value, new_value=new_value, reason=reason, actor=actor
        )
        audit(
            actor=actor,
            action="setting.change",
            obj=change,
            before={key: old_value},
            after={key: new_value},
            message=reason,
        )
        forget_cached_settings()
    return change


def calendar_override_save(
    *, actor, date, is_workday: bool, name: str = "", note: str = ""
) -> CalendarOverride:
    with transaction.atomic():
        existing = CalendarOverride.objects.select_for_update().filter(date=date).first()
        if not has_right(actor, "core.calendar", "change" if existing else "add"):
            raise NotAllowed(_("没有维护工作日历的权限。"))
        before = snapshot(existing) if existing else None
        override, _created = CalendarOverride.objects.update_or_create(
            date=date,
            defaults={"is_workday": is_workday, "name": name, "note": note, "created_by": actor},
        )
        audit(
            actor=actor,
            action="calendar.override_save",
            obj=override,
            before=before,
            after=snapshot(override),
        )
    forget_cached_calendar()
    return override


def calendar_override_delete(*, actor, override_id: int) -> None:
    if not has_right(actor, "core.calendar", "delete"):
        raise NotAllowed(_("没有维护工作日历的权限。"))
    with transaction.atomic():
        override = CalendarOverride.objects.select_for_update().get(pk=override_id)
        audit(
            actor=actor,
            action="calendar.override_delete",
            obj=override,
            before=snapshot(override),
            after=None,
        )
        override.delete()
    forget_cached_calendar()
