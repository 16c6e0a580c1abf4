"""What the knowledge module plugs in at start-up: its one navigation entry and the stage
guidance panel of the opportunity page."""

from django.utils.translation import gettext_lazy as _


def connect() -> None:
    from salesflow.core import navigation
    from salesflow.pipeline import stage_panels

    from .panel import stage_guidance_panel

    navigation.register(
        navigation.NavEntry(_("手册与知识库"), "knowledge:index", "bi-book", "knowledge", order=90)
    )
    stage_panels.register(stage_guidance_panel)
