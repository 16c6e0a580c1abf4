"""``{% sla_badge %}`` is built in Python; its markup is that of ``includes/sla_badge.html``."""

import datetime

import pytest
from django.template import Context, Template
from django.template.loader import render_to_string
from django.utils import timezone

from salesflow.core.sla import SLA_STATE_BADGES, SLA_STATE_LABELS, sla_state


def _tag(due_at, done_at=None, label=""):
    return Template("{% load salesflow_tags %}{% sla_badge due_at done_at label %}").render(
        Context({"due_at": due_at, "done_at": done_at, "label": label})
    )


def _included(due_at, done_at=None, label=""):
    if due_at is None:
        return render_to_string("includes/sla_badge.html", {"show": False})
    state = sla_state(due_at, done_at=done_at)
    return render_to_string(
        "includes/sla_badge.html",
        {
            "show": True,
            "css": SLA_STATE_BADGES[state],
            "text": SLA_STATE_LABELS[state],
            "due_at": due_at,
            "label": label,
        },
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("due_in_hours", "done", "label"),
    [
        (None, False, ""),
        (-5, False, ""),
        (1, False, "筛选"),
        (100, False, "录入 <b>"),
        (-2, True, ""),
    ],
)
def test_sla_badge_markup(due_in_hours, done, label):
    now = timezone.now()
    due_at = None if due_in_hours is None else now + datetime.timedelta(hours=due_in_hours)
    done_at = now if done else None
    assert _tag(due_at, done_at, label) == _included(due_at, done_at, label)
    if due_at is not None:
        assert "badge" in _tag(due_at, done_at, label)
