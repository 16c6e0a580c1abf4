from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DealsConfig(AppConfig):
    name = "salesflow.deals"
    label = "deals"
    verbose_name = _("报价、合同与回款")

    def ready(self) -> None:
        from . import wiring

        wiring.connect()
