"""What the planning module plugs into the shared kernel at start-up: its one navigation entry
(sub-pages are linked from the module's index), the ``interview_themes`` analysis, the
notification kind and the periodic review reminder."""

from django.utils.translation import gettext_lazy as _


def connect() -> None:
    from salesflow.core import navigation

    from .analyses import register_analyses

    navigation.register(
        navigation.NavEntry(
            _("规划与复盘"), "planning:index", "bi-clipboard-data", "plan", order=70
        )
    )
    register_analyses()
    _connect_notifications()
    from . import tasks  # noqa: F401  (periodic jobs)


def _connect_notifications() -> None:
    from salesflow.activities import notify

    from .tasks import REVIEW_DUE_KIND

    notify.KINDS.setdefault(REVIEW_DUE_KIND, _("策略规划待回顾"))
