"""The complaint SLA sweep (every minute): each breached clock of an open complaint reminds the
handler (the person who logged it while nobody is assigned) and that person's manager, once
per clock and deadline (the reminder ledger of ``activities.notify.remind_once`` decides), and
records the breach on the complaint's timeline. PostgreSQL workers share the rows with
``FOR UPDATE SKIP LOCKED``."""

from __future__ import annotations

import datetime

from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from salesflow.activities.notify import remind_once

from .clocks import breached_clocks, overdue_q
from .models import OPEN_STATES, Complaint, ComplaintEvent, ComplaintEventKind

#: Breaches older than this are not reminded any more (they stay on the overdue list).
LOOKBACK = datetime.timedelta(days=7)


def _recipients(complaint: Complaint) -> list:
    person = complaint.handler or complaint.created_by
    if person is None or not person.is_active:
        return []
    people = [person]
    manager = person.manager
    if manager is not None and manager.is_active and manager.pk != person.pk:
        people.append(manager)
    return people


def complaint_sla_sweep(now: datetime.datetime | None = None) -> int:
    """Remind breaches of complaint clocks; idempotent. Returns the reminders sent."""
    now = now or timezone.now()
    sent = 0
    with transaction.atomic():
        qs = (
            Complaint.objects.filter(state__in=OPEN_STATES)
            .filter(overdue_q(now))
            .select_related("customer", "handler__manager", "created_by__manager")
            .order_by("pk")
        )
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True, of=("self",))
        for complaint in qs:
            url = reverse("service:complaint_detail", args=[complaint.pk])
            for clock in breached_clocks(complaint, now):
                due_at = getattr(complaint, clock.due_field)
                if due_at < now - LOOKBACK:
                    continue
                stamp = timezone.localtime(due_at).strftime("%Y-%m-%dT%H:%M")
                due_text = timezone.localtime(due_at).strftime("%Y-%m-%d %H:%M")
                title = _("投诉%(clock)s已超时：%(c)s") % {"clock": clock.label, "c": complaint}
                first = True
                for person in _recipients(complaint):
                    key = f"complaint.{clock.name}:{complaint.pk}:{stamp}:{person.pk}"
                    body = _("截止 %(due)s，处理人 %(h)s。") % {
                        "due": due_text,
                        "h": complaint.handler or _("未指派"),
                    }
                    shown = title if first else _("下属超时：%(t)s") % {"t": title}
                    if remind_once(key, person, "complaint.sla", shown, body, url) is not None:
                        sent += 1
                        if first:
                            ComplaintEvent.objects.create(
                                complaint=complaint,
                                kind=ComplaintEventKind.BREACHED,
                                from_state=complaint.state,
                                to_state=complaint.state,
                                at=now,
                                clock=clock.name,
                                note=_("%(clock)s超时（截止 %(due)s）")
                                % {"clock": clock.label, "due": due_text},
                            )
                    first = False
    return sent


#: A plan's owner is told this many days before its 12 months end.
RENEWAL_NOTICE = datetime.timedelta(days=14)


def plan_renewal_reminders(today: datetime.date | None = None) -> int:
    """Tell each plan's owner, once per plan period, that the plan ends within two weeks (or
    has ended in the last month) and should be generated again from the customer's current
    tier. Returns the reminders sent."""
    from .models import MaintenancePlan

    today = today or timezone.localdate()
    sent = 0
    plans = (
        MaintenancePlan.objects.filter(
            period_end__lte=today + RENEWAL_NOTICE,
            period_end__gte=today - datetime.timedelta(days=30),
            owner__is_active=True,
        )
        .select_related("customer", "owner")
        .order_by("pk")
    )
    for plan in plans:
        key = f"maintenance.plan_end:{plan.pk}:{plan.period_end.isoformat()}"
        title = _("维护计划即将到期：%(c)s") % {"c": plan.customer.name}
        body = _("计划期间至 %(end)s，请按客户当前等级重新生成。") % {
            "end": plan.period_end.isoformat()
        }
        url = reverse("service:plan_detail", args=[plan.customer_id])
        if remind_once(key, plan.owner, "maintenance.plan", title, body, url) is not None:
            sent += 1
    return sent
