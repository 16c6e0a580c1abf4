"""What the pilots module plugs into the kernel at start-up: the settings override provider,
the pipeline's version provider, the navigation entry and the daily status job."""

from django.utils.translation import gettext_lazy as _


def connect() -> None:
    from salesflow.core import navigation
    from salesflow.core.settings_registry import register_override_provider
    from salesflow.pipeline.services import register_version_provider

    from . import overrides

    register_override_provider(overrides.setting_override)
    register_version_provider(overrides.version_override)
    navigation.register(
        navigation.NavEntry(_("流程试点"), "pilots:list", "bi-flag", "pilot", order=78)
    )
    from . import report, tasks  # noqa: F401  (the analysis, periodic jobs)
