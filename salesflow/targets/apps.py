from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TargetsConfig(AppConfig):
    name = "salesflow.targets"
    label = "targets"
    verbose_name = _("销售目标与报告")

    def ready(self) -> None:
        from . import wiring

        wiring.connect()
