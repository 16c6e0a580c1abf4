"""Small helpers shared by the deal services: rights, numbering, event rows, notifications."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from salesflow.core.errors import DomainError, NotAllowed
from salesflow.core.scope import has_right

from ..models import DealEvent


class IllegalTransition(DomainError):
    """The state machine refuses the move (e.g. signing a contract that is still a draft)."""

    def __init__(self, label_from: str, label_to: str):
        super().__init__(
            _("当前状态“%(from)s”不能变为“%(to)s”。") % {"from": label_from, "to": label_to},
            code="transition",
        )


def user_or_none(actor):
    return actor if getattr(actor, "pk", None) else None


def require(actor, object_type: str, action: str, message: str) -> None:
    if not has_right(actor, object_type, action):
        raise NotAllowed(message)


def assign_number(obj, prefix: str) -> None:
    """A readable unique number after the first save: ``HT-20261123-00042``."""
    stamp = timezone.localdate()
    obj.number = f"{prefix}-{stamp:%Y%m%d}-{obj.pk:05d}"
    type(obj)._base_manager.filter(pk=obj.pk).update(number=obj.number)


def record(kind: str, *, actor, note: str = "", **fields) -> DealEvent:
    """One event row: ``record("contract.sign", actor=u, contract=c, from_status=…)``."""
    return DealEvent.objects.create(kind=kind, actor=user_or_none(actor), note=note, **fields)


def move(obj, to_status: str, *, labels, actor, kind: str, note: str = "", **event_fields):
    """Change ``obj.status`` through its state machine (``obj.can_move_to``) and record it."""
    if obj.status == to_status or not obj.can_move_to(to_status):
        raise IllegalTransition(str(labels(obj.status).label), str(labels(to_status).label))
    from_status = obj.status
    obj.status = to_status
    record(
        kind,
        actor=actor,
        note=note,
        from_status=from_status,
        to_status=to_status,
        **event_fields,
    )
    return from_status


def notify_people(users, *, key: str, kind: str, title: str, body: str = "", url: str = ""):
    """Remind each distinct user once per ``key`` (owner and manager, typically)."""
    from salesflow.activities.notify import remind_once

    sent = 0
    seen = set()
    for user in users:
        if user is None or user.pk in seen or not user.is_active:
            continue
        seen.add(user.pk)
        if remind_once(f"{key}:{user.pk}", user, kind, title, body, url):
            sent += 1
    return sent


def owner_and_manager(user):
    if user is None:
        return []
    return [user, user.manager] if user.manager_id else [user]
