"""Sending notifications: one call, every channel the user chose for that kind.

``notify`` writes the in-app message and one ``Delivery`` row per other channel inside the
caller's transaction; the deliveries are sent by the worker after commit (and retried with
backoff), so nothing is sent for a rolled-back change and nothing is lost if a send fails.
``remind_once`` adds the reminder ledger: the same key never notifies twice, even when two
workers sweep at the same moment (a unique constraint decides).
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Case, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salesflow.core.audit import audit

from .models import Channel, Delivery, Notification, NotificationPreference, Reminder

# kind → label; the preferences page lists these. Modules add their kinds here.
KINDS: dict[str, str] = {
    "task.assigned": _("分配给我的任务"),
    "task.overdue": _("任务逾期"),
    "lead.assigned": _("分配给我的线索"),
    "lead.sla": _("线索时限提醒"),
    "opportunity.sla": _("商机阶段超时"),
    "opportunity.stalled": _("商机停滞"),
    "cadence.due": _("今日待跟进"),
    "approval.pending": _("待我审批"),
    "approval.decided": _("审批结果"),
    "customer.pool": _("客户退回公海"),
    "report.due": _("报表提交提醒"),
}
DEFAULT_CHANNELS = [Channel.IN_APP, Channel.EMAIL]


def channels_for(user, kind: str) -> list[str]:
    pref = NotificationPreference.objects.filter(user=user, kind=kind).first()
    channels = list(pref.channels) if pref is not None else list(DEFAULT_CHANNELS)
    return [c for c in channels if c in Channel.values]


def notify(user, kind: str, title: str, body: str = "", url: str = "") -> Notification:
    """Tell ``user`` something. The in-app message is always kept (it is the inbox and the
    record); the user's other chosen channels get a Delivery each."""
    channels = channels_for(user, kind)
    with transaction.atomic():
        notification = Notification.objects.create(
            user=user, kind=kind, title=title[:200], body=body, url=url[:300]
        )
        deliveries = [
            Delivery(notification=notification, channel=channel)
            for channel in channels
            if channel != Channel.IN_APP and (channel != Channel.EMAIL or user.email)
        ]
        if deliveries:
            Delivery.objects.bulk_create(deliveries)
            transaction.on_commit(_enqueue_delivery)
    return notification


def _enqueue_delivery() -> None:
    from .tasks import send_deliveries

    send_deliveries.enqueue()


def remind_once(
    key: str, user, kind: str, title: str, body: str = "", url: str = ""
) -> Notification | None:
    """``notify`` unless a reminder with ``key`` was already sent (then None)."""
    try:
        with transaction.atomic():
            reminder = Reminder.objects.create(key=key[:200])
            notification = notify(user, kind, title, body, url)
            reminder.notification = notification
            reminder.save(update_fields=["notification"])
            return notification
    except IntegrityError:
        return None


def unread_count(user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


# --- the inbox and the preferences page ---------------------------------------------------


def inbox(user, *, unread_only: bool = False):
    """The user's messages, unread first, then newest first."""
    qs = Notification.objects.filter(user=user)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    unread_first = Case(When(read_at__isnull=True, then=Value(0)), default=Value(1))
    return qs.order_by(unread_first, "-created_at", "-id")


def notification_mark_read(*, actor, notification_id: int) -> Notification:
    """Mark one of the actor's own messages read (someone else's: DoesNotExist)."""
    notification = Notification.objects.get(pk=notification_id, user=actor)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )
    return notification


def notifications_mark_all_read(*, actor) -> int:
    return Notification.objects.filter(user=actor, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def choosable_channels(user) -> dict[str, bool]:
    """channel → whether the user can receive on it (in-app is always on, email needs an
    address, a group robot needs one configured for the user's department or the company)."""
    from .delivery import endpoint_for

    return {
        Channel.IN_APP: True,
        Channel.EMAIL: bool(user.email),
        Channel.WECOM: endpoint_for(user, Channel.WECOM) is not None,
        Channel.DINGTALK: endpoint_for(user, Channel.DINGTALK) is not None,
    }


def preferences_of(user) -> dict[str, list[str]]:
    """kind → the channels in effect (saved or default), for every kind in KINDS."""
    saved = dict(NotificationPreference.objects.filter(user=user).values_list("kind", "channels"))
    return {
        kind: [c for c in saved.get(kind, DEFAULT_CHANNELS) if c in Channel.values]
        for kind in KINDS
    }


def notification_preferences_save(*, actor, chosen: dict[str, list[str]]) -> int:
    """Save the actor's channels per kind from the preferences form. The in-app message is
    always kept; a channel the actor cannot receive on now (no email, no robot) keeps its saved
    state. Only changed kinds are written and audited; returns how many changed."""
    choosable = choosable_channels(actor)
    current = preferences_of(actor)
    changed = 0
    with transaction.atomic():
        for kind in KINDS:
            picked = set(chosen.get(kind, ()))
            wanted = [
                channel
                for channel in Channel.values
                if channel == Channel.IN_APP
                or (channel in picked if choosable[channel] else channel in current[kind])
            ]
            if set(wanted) == set(current[kind]):
                continue
            pref, _created = NotificationPreference.objects.update_or_create(
                user=actor, kind=kind, defaults={"channels": wanted}
            )
            audit(
                actor=actor,
                action="notification_preference.change",
                obj=pref,
                before={"channels": current[kind]},
                after={"channels": wanted},
            )
            changed += 1
    return changed
