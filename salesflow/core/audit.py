"""The audit trail: ``audit()`` is called by services inside their transaction."""

import datetime
import decimal
import uuid
from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.db import models

from . import context
from .models import AuditEntry

IGNORED_FIELDS = {"password", "last_login", "updated_at", "created_at", "path", "depth"}


def to_jsonable(value):
    """A JSON-safe, human-readable form of a model field value."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in value]
    return str(value)


def snapshot(obj: models.Model, fields: Iterable[str] | None = None) -> dict:
    """The concrete field values of ``obj`` (foreign keys as ids), for before/after diffs."""
    data = {}
    for field in obj._meta.concrete_fields:
        if field.name in IGNORED_FIELDS or (fields is not None and field.name not in fields):
            continue
        data[field.name] = to_jsonable(getattr(obj, field.attname))
    return data


def diff(before: dict | None, after: dict | None) -> dict:
    """``{field: [before, after]}`` for the fields that differ."""
    before, after = before or {}, after or {}
    changes = {}
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old != new:
            changes[key] = [old, new]
    return changes


def audit(
    *,
    actor,
    action: str,
    obj: models.Model | None = None,
    before: dict | None = None,
    after: dict | None = None,
    message: str = "",
    content_type: ContentType | None = None,
    object_id=None,
    object_repr: str | None = None,
) -> AuditEntry:
    """Record one action. ``before``/``after`` are snapshots; only changed keys are stored."""
    ctx = context.current()
    if obj is not None:
        content_type = ContentType.objects.get_for_model(obj, for_concrete_model=False)
        object_id = obj.pk
        object_repr = str(obj)
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditEntry.objects.create(
        actor=actor if is_user else None,
        actor_name=str(actor) if actor else "系统",
        action=action,
        content_type=content_type,
        object_id="" if object_id is None else str(object_id),
        object_repr=(object_repr or "")[:200],
        changes=diff(before, after),
        message=message,
        request_id=ctx.request_id if ctx else "",
        ip=ctx.ip if ctx else None,
    )


def history_for(obj: models.Model):
    """Audit entries of one object, newest first."""
    content_type = ContentType.objects.get_for_model(obj, for_concrete_model=False)
    return AuditEntry.objects.filter(
        content_type=content_type, object_id=str(obj.pk)
    ).select_related("actor")


# Personal data inside audit diffs: masked like everywhere else for users without the
# "view contact details" right on the object's type.
PII_FIELDS = {"phone": "phone", "email": "email", "wechat": "other", "contact_phone": "phone"}
PII_KEY_FIELDS = {"phone_key", "email_key"}


def _object_type_of(content_type) -> str:
    from .scope import registry

    model = content_type.model_class() if content_type is not None else None
    spec = registry().get(model) if model is not None else None
    return spec.object_type if spec is not None else "contact"


def shown_changes(entry: AuditEntry, user) -> dict:
    """``entry.changes`` as ``user`` may see them (phones and e-mails masked without the
    right; normalised duplicate-check keys hidden)."""
    from .pii import can_view_contact, mask_email, mask_phone

    changes = entry.changes or {}
    if not (set(changes) & (set(PII_FIELDS) | PII_KEY_FIELDS)):
        return changes
    if can_view_contact(user, _object_type_of(entry.content_type)):
        return changes
    maskers = {"phone": mask_phone, "email": mask_email, "other": lambda v: "***" if v else v}
    shown = {}
    for field, pair in changes.items():
        if field in PII_KEY_FIELDS:
            continue
        kind = PII_FIELDS.get(field)
        if kind is None:
            shown[field] = pair
        else:
            shown[field] = [maskers[kind](v) if isinstance(v, str) else v for v in pair]
    return shown


def with_shown_changes(entries, user) -> list:
    entries = list(entries)
    for entry in entries:
        entry.shown_changes = shown_changes(entry, user)
    return entries
