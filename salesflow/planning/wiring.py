"""What the planning module plugs into the shared kernel at start-up: its one navigation entry
(sub-pages are linked from the module's index), the ``interview_themes`` analysis, the
notification kind and the periodic review reminder."""

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _


def connect() -> None:
    from salesflow.core import dashboard, navigation

    from .analyses import register_analyses

    navigation.register(
        navigation.NavEntry(
            _("规划与复盘"), "planning:index", "bi-clipboard-data", "plan", order=70
        )
    )
    register_analyses()
    dashboard.register(_open_actions_card)
    _connect_notifications()
    from . import tasks  # noqa: F401  (periodic jobs)


def _connect_notifications() -> None:
    from salesflow.activities import notify

    from .tasks import REVIEW_DUE_KIND

    notify.KINDS.setdefault(REVIEW_DUE_KIND, _("策略规划待回顾"))


def _open_actions_card(user):
    """Home card: review-meeting action items still open in the user's scope (the overdue ones
    in the hint), linking to the meetings."""
    from django.urls import reverse
    from django.utils import timezone

    from salesflow.activities.models import TaskStatus
    from salesflow.core.dashboard import Card
    from salesflow.core.scope import has_right

    from .models import MeetingAction

    if not has_right(user, "meeting", "view"):
        return []
    open_actions = MeetingAction.objects.restrict(user, "view").filter(task__status=TaskStatus.OPEN)
    counts = open_actions.aggregate(
        total=Count("id"), overdue=Count("id", filter=Q(task__due_at__lt=timezone.now()))
    )
    return [
        Card(
            _("复盘行动事项未完成"),
            counts["total"],
            reverse("planning:meetings"),
            hint=_("其中已逾期 %(n)s 项") % {"n": counts["overdue"]},
            tone="danger" if counts["overdue"] else "primary",
        )
    ]
