"""The target tracking checkpoint (跟踪检查): after each month (or quarter, per the setting
``target.checkpoint_period``) every owner of a target running in that period is reminded, once,
to review their completion by day ``target.checkpoint_day`` of the next month (moved to the next
working day when that day is a holiday or weekend)."""

from __future__ import annotations

import datetime

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from salesflow.core.settings_registry import get_setting
from salesflow.core.workcalendar import is_workday, next_workday

from . import metrics
from .models import Target


def checkpoint_for(today: datetime.date):
    """``(period start, period end, due date)`` of the checkpoint that is open on ``today``,
    or None. A checkpoint opens on the first day of the month after the period and closes at
    its due date."""
    first = today.replace(day=1)
    if get_setting("target.checkpoint_period") == "quarter" and first.month not in (1, 4, 7, 10):
        return None
    end = first - datetime.timedelta(days=1)
    months = 3 if get_setting("target.checkpoint_period") == "quarter" else 1
    start = end.replace(day=1)
    for _i in range(months - 1):
        start = (start - datetime.timedelta(days=1)).replace(day=1)
    due = first.replace(day=get_setting("target.checkpoint_day"))
    if not is_workday(due):
        due = next_workday(due)
    if today > due:
        return None
    return start, end, due


def checkpoint_sweep(now: datetime.datetime | None = None) -> int:
    """Remind each owner of a target that overlaps the closed period; one reminder per owner
    and checkpoint. The message lists each target's completion (actuals in one batch)."""
    from salesflow.activities.notify import remind_once

    today = timezone.localdate(now or timezone.now())
    found = checkpoint_for(today)
    if found is None:
        return 0
    start, end, due = found
    targets = list(
        Target.objects.filter(Q(period_start__lte=end) & Q(period_end__gte=start))
        .filter(owner__is_active=True)
        .select_related("owner", "department", "region", "product_line")
        .order_by("owner_id", "period_start", "id")
    )
    actuals = metrics.actuals_for(targets)
    by_owner: dict = {}
    for t in targets:
        by_owner.setdefault(t.owner, []).append(t)
    sent = 0
    for owner, items in by_owner.items():
        lines = [
            f"{t}: {metrics.percent_text(metrics.completion(actuals.get(t.pk), t.value))}"
            for t in items
        ]
        title = _("目标跟踪检查：请在 %(due)s 前复盘 %(from)s 至 %(to)s 的目标完成情况") % {
            "due": due,
            "from": start,
            "to": end,
        }
        if remind_once(
            f"target.checkpoint:{start}:{owner.pk}",
            owner,
            "target.checkpoint",
            title,
            "\n".join(lines[:20]),
            reverse("targets:target_list"),
        ):
            sent += 1
    return sent
