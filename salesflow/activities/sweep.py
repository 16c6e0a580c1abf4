"""The reminder jobs: the SLA sweep (every minute) and the cadence digest (working days 08:30).

Each reminder goes out exactly once: its key (what, which record, which deadline, which
stage of lateness, for whom) is written to the ``Reminder`` ledger by ``remind_once`` and a
unique constraint refuses a second one, even when two workers sweep at the same moment. On
PostgreSQL the sweep also claims the rows it works on with ``FOR UPDATE SKIP LOCKED``, so two
workers share the work instead of waiting on each other.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from salesflow.core.settings_registry import get_setting
from salesflow.core.sla import BREACHED, DUE_SOON, sla_state
from salesflow.core.workcalendar import is_workday
from salesflow.customers.models import Customer
from salesflow.leads.models import OPEN_STATUSES, Lead, LeadGrade, LeadStatus
from salesflow.org.models import User
from salesflow.pipeline.models import Opportunity, OpportunityStatus

from .models import Reminder, Task, TaskStatus
from .notify import remind_once
from .selectors import due_for

#: Deadlines missed longer ago than this are not reminded any more (e.g. the first sweep after
#: importing old data must not flood everyone); they stay on the lists and on my day.
LOOKBACK = datetime.timedelta(days=7)
_KEY_CHUNK = 500


def _url(name: str, *args) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


@dataclass(frozen=True)
class Check:
    """One kind of deadline the sweep watches."""

    name: str  # the key prefix, e.g. "lead.a_contact"
    kind: str  # the notification kind (preferences)
    due_field: str
    queryset: Callable  # (horizon) -> queryset of candidates with ``owner`` set
    soon_title: object  # lazy text with %(name)s
    breach_title: object
    url: Callable  # (obj) -> str


def _leads_a_contact(horizon):
    return Lead.objects.filter(
        grade=LeadGrade.A,
        first_contact_at__isnull=True,
        status__in=OPEN_STATUSES,
        owner__isnull=False,
        first_contact_due_at__lt=horizon,
    )


def _leads_screening(horizon):
    return Lead.objects.filter(
        status=LeadStatus.NEW,
        graded_at__isnull=True,
        owner__isnull=False,
        screening_due_at__lt=horizon,
    )


def _opportunities_stage(horizon):
    return Opportunity.objects.filter(status=OpportunityStatus.OPEN, stage_due_at__lt=horizon)


def _tasks_due(horizon):
    return Task.objects.filter(status=TaskStatus.OPEN, due_at__lt=horizon)


CHECKS = (
    Check(
        "lead.a_contact",
        "lead.sla",
        "first_contact_due_at",
        _leads_a_contact,
        gettext_lazy("A类线索即将超过首次联系时限：%(name)s"),
        gettext_lazy("A类线索首次联系已超时：%(name)s"),
        lambda lead: _url("leads:detail", lead.pk),
    ),
    Check(
        "lead.screening",
        "lead.sla",
        "screening_due_at",
        _leads_screening,
        gettext_lazy("线索即将超过筛选时限：%(name)s"),
        gettext_lazy("线索筛选已超时：%(name)s"),
        lambda lead: _url("leads:detail", lead.pk),
    ),
    Check(
        "opportunity.stage",
        "opportunity.sla",
        "stage_due_at",
        _opportunities_stage,
        gettext_lazy("商机阶段即将超时：%(name)s"),
        gettext_lazy("商机阶段已超时：%(name)s"),
        lambda opp: _url("pipeline:detail", opp.pk),
    ),
    Check(
        "task.due",
        "task.overdue",
        "due_at",
        _tasks_due,
        gettext_lazy("任务即将到期：%(name)s"),
        gettext_lazy("任务已逾期：%(name)s"),
        lambda task: _url("activities:task_detail", task.pk),
    ),
)


def _existing_keys(keys: list[str]) -> set[str]:
    found: set[str] = set()
    for index in range(0, len(keys), _KEY_CHUNK):
        chunk = keys[index : index + _KEY_CHUNK]
        found.update(Reminder.objects.filter(key__in=chunk).values_list("key", flat=True))
    return found


def _reminders_for(check: Check, obj, now) -> list[tuple[str, User, str, str]]:
    """``[(key, user, title, body), …]`` that ``obj`` calls for right now."""
    due_at = getattr(obj, check.due_field)
    # The "due soon" window is the setting ``sla.due_soon_hours`` (the 即将到期 badge's).
    state = sla_state(due_at, now=now)
    if state not in (DUE_SOON, BREACHED):
        return []
    owner = obj.owner
    stamp = timezone.localtime(due_at).strftime("%Y-%m-%dT%H:%M")
    base = f"{check.name}:{obj.pk}:{stamp}"
    due_text = timezone.localtime(due_at).strftime("%Y-%m-%d %H:%M")
    name = str(obj)
    if state == DUE_SOON:
        body = _("截止 %(due)s。") % {"due": due_text}
        return [(f"{base}:soon", owner, check.soon_title % {"name": name}, body)]
    body = _("截止 %(due)s，负责人 %(owner)s。") % {"due": due_text, "owner": owner}
    reminders = [(f"{base}:breach", owner, check.breach_title % {"name": name}, body)]
    manager = owner.manager
    if manager is not None and manager.is_active and manager.pk != owner.pk:
        title = _("下属超时：%(title)s") % {"title": check.breach_title % {"name": name}}
        reminders.append((f"{base}:breach:manager:{manager.pk}", manager, title, body))
    return reminders


def _sweep_check(check: Check, now: datetime.datetime) -> int:
    horizon = now + datetime.timedelta(hours=float(get_setting("sla.due_soon_hours")))
    sent = 0
    with transaction.atomic():
        qs = (
            check.queryset(horizon)
            .filter(**{f"{check.due_field}__gte": now - LOOKBACK})
            .select_related("owner__manager")
            .order_by(check.due_field, "pk")
        )
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True, of=("self",))
        planned = []
        for obj in qs:
            if obj.owner is None or not obj.owner.is_active:
                continue
            planned.extend((obj, *r) for r in _reminders_for(check, obj, now))
        done = _existing_keys([key for _obj, key, *_rest in planned])
        for obj, key, user, title, body in planned:
            if key in done:
                continue
            if remind_once(key, user, check.kind, title, body, check.url(obj)) is not None:
                sent += 1
    return sent


def sla_sweep(now: datetime.datetime | None = None) -> int:
    """Remind owners of deadlines due soon and of breaches (and the owner's manager of
    breaches): A-class first contact, screening, opportunity stage, tasks. Idempotent;
    returns the number of reminders sent."""
    now = now or timezone.now()
    return sum(_sweep_check(check, now) for check in CHECKS)


# --- the cadence digest -----------------------------------------------------------------------


def _names(items, limit: int = 8) -> str:
    names = [str(item) for item in items[:limit]]
    more = len(items) - len(names)
    return "、".join(names) + (_(" 等 %(n)s 个") % {"n": len(items)} if more > 0 else "")


def cadence_digest(today: datetime.date | None = None, now: datetime.datetime | None = None) -> int:
    """One message per person on a working day: follow-ups due today and overdue by cadence,
    and tasks due today or overdue. Non-working days (holidays, weekends without 调休) are
    skipped. Idempotent per person and day; returns how many digests were sent."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    if not is_workday(today):
        return 0
    end = datetime.datetime.combine(
        today + datetime.timedelta(days=1),
        datetime.time.min,
        tzinfo=timezone.get_default_timezone(),
    )
    owner_ids = set(
        Lead.objects.filter(status__in=OPEN_STATUSES, next_followup_due_at__lt=end)
        .values_list("owner_id", flat=True)
        .distinct()
    )
    owner_ids |= set(
        Customer.objects.filter(next_followup_due_at__lt=end)
        .values_list("owner_id", flat=True)
        .distinct()
    )
    task_counts: dict[int, int] = {}
    for owner_id in Task.objects.filter(status=TaskStatus.OPEN, due_at__lt=end).values_list(
        "owner_id", flat=True
    ):
        task_counts[owner_id] = task_counts.get(owner_id, 0) + 1
    owner_ids |= set(task_counts)
    owner_ids.discard(None)
    sent = 0
    url = _url("activities:my_day")
    for user in User.objects.filter(pk__in=sorted(owner_ids), is_active=True).order_by("pk"):
        due = due_for(user, today)
        tasks = task_counts.get(user.pk, 0)
        if not (due.count_today or due.count_overdue or tasks):
            continue
        title = _("今日待跟进 %(today)s 个，逾期 %(overdue)s 个，待办任务 %(tasks)s 个") % {
            "today": due.count_today,
            "overdue": due.count_overdue,
            "tasks": tasks,
        }
        lines = []
        if due.customers_overdue or due.leads_overdue:
            lines.append(
                _("逾期：%(names)s") % {"names": _names(due.customers_overdue + due.leads_overdue)}
            )
        if due.customers_today or due.leads_today:
            lines.append(
                _("今日：%(names)s") % {"names": _names(due.customers_today + due.leads_today)}
            )
        key = f"cadence.digest:{user.pk}:{today.isoformat()}"
        if remind_once(key, user, "cadence.due", title, "\n".join(lines), url) is not None:
            sent += 1
    return sent
