"""Sending notifications: one call, every channel the user chose for that kind.

``notify`` writes the in-app message and one ``Delivery`` row per other channel inside the
caller's transaction; the deliveries are sent by the worker after commit (and retried with
backoff), so nothing is sent for a rolled-back change and nothing is lost if a send fails.
``remind_once`` adds the reminder ledger: the same key never notifies twice, even when two
workers sweep at the same moment (a unique constraint decides).
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

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
        notification = Notification.objects.create(user=user, kind=kind, title=title[:200],
                                                   body=body, url=url[:300])
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


def remind_once(key: str, user, kind: str, title: str, body: str = "",
                url: str = "") -> Notification | None:
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
