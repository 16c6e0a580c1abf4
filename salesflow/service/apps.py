from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    name = "salesflow.service"
    label = "service"
    verbose_name = _("客户服务与维护")

    def ready(self) -> None:
        from . import wiring

        wiring.connect()
