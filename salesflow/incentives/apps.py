from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncentivesConfig(AppConfig):
    name = "salesflow.incentives"
    label = "incentives"
    verbose_name = _("考核与激励")

    def ready(self) -> None:
        from . import wiring

        wiring.connect()
