from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "salesflow.analytics"
    label = "analytics"
    verbose_name = _("目标与分析")

    def ready(self) -> None:
        from . import wiring

        wiring.connect()
