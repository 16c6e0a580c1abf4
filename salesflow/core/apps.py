from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "salesflow.core"
    label = "core"
    verbose_name = _("系统核心")

    def ready(self) -> None:
        from . import checks, signals, tasks  # noqa: F401  (checks, auth audit, periodic jobs)
