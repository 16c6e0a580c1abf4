"""What the planning module plugs into the shared kernel at start-up: its one navigation entry
(sub-pages are linked from the module's index) and the ``interview_themes`` analysis."""

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
