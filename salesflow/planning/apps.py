from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlanningConfig(AppConfig):
    name = "salesflow.planning"
    label = "planning"
    verbose_name = _("规划与辅导")

    def ready(self) -> None:
        from . import wiring

        wiring.connect()
