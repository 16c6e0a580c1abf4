"""The SLA clocks of a complaint: which deadline, which moment stops it, and its state now
(``core.sla.sla_state``: on time / due soon / breached / met / missed)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salesflow.core.sla import BREACHED, SLA_STATE_BADGES, SLA_STATE_LABELS, sla_state


@dataclass(frozen=True)
class Clock:
    name: str
    label: object
    due_field: str
    done_field: str


CLOCKS = (
    Clock("forward", _("转交处理人"), "forward_due_at", "forwarded_at"),
    Clock("response", _("响应客户"), "response_due_at", "responded_at"),
    Clock("plan", _("处理方案"), "plan_due_at", "planned_at"),
    Clock("resolve", _("解决"), "resolve_due_at", "completed_at"),
    Clock("visit", _("完成后回访"), "visit_due_at", "visited_at"),
)


def clock_rows(complaint, now=None) -> list[dict]:
    """The clocks that apply to this complaint, for the detail page."""
    now = now or timezone.now()
    rows = []
    for clock in CLOCKS:
        due_at = getattr(complaint, clock.due_field)
        if due_at is None:
            continue
        done_at = getattr(complaint, clock.done_field)
        state = sla_state(due_at, done_at=done_at, now=now)
        rows.append(
            {
                "clock": clock,
                "due_at": due_at,
                "done_at": done_at,
                "state": state,
                "state_label": SLA_STATE_LABELS[state],
                "badge": SLA_STATE_BADGES[state],
            }
        )
    return rows


def overdue_q(now=None) -> Q:
    """Open complaints with at least one running clock past its deadline."""
    now = now or timezone.now()
    q = Q()
    for clock in CLOCKS:
        q |= Q(**{f"{clock.due_field}__lt": now, f"{clock.done_field}__isnull": True})
    return q


def breached_clocks(complaint, now) -> list[Clock]:
    return [
        clock
        for clock in CLOCKS
        if getattr(complaint, clock.due_field) is not None
        and sla_state(
            getattr(complaint, clock.due_field),
            done_at=getattr(complaint, clock.done_field),
            now=now,
        )
        == BREACHED
    ]
