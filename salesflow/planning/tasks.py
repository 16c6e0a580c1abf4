"""Periodic jobs of the planning module (idempotent: at-least-once delivery is safe)."""

import datetime

from django.utils import timezone
from django_tasks import task

from salesflow.core.jobs import periodic

REVIEW_DUE_KIND = "plan.review_due"


def review_reminders(today: datetime.date | None = None) -> int:
    """Remind the owner of each running plan whose periodic review is due, once per due day."""
    from django.urls import reverse
    from django.utils.translation import gettext as _

    from salesflow.activities.notify import remind_once

    from .selectors import plans_due_for_review

    today = today or timezone.localdate()
    sent = 0
    for plan, due in plans_due_for_review(today):
        notification = remind_once(
            f"plan-review:{plan.pk}:{due.isoformat()}",
            plan.owner,
            REVIEW_DUE_KIND,
            _("策略规划待回顾：%(title)s") % {"title": plan.title},
            _("回顾日期 %(day)s 已到，请记录进展和调整措施。") % {"day": due.isoformat()},
            reverse("planning:plan_detail", args=[plan.pk]),
        )
        sent += notification is not None
    return sent


@periodic("planning.review_reminders", at=datetime.time(8, 40))
@task()
def plan_review_reminders() -> int:
    return review_reminders()
