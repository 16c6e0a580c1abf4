from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PilotsConfig(AppConfig):
    name = "salesflow.pilots"
    label = "pilots"
    verbose_name = _("流程试点")

    def ready(self) -> None:
        from . import wiring

        wiring.connect()
