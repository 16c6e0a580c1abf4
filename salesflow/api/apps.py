from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "salesflow.api"
    label = "api"
    verbose_name = _("开放接口")

    def ready(self) -> None:
        from . import tasks  # noqa: F401  (registers the periodic purge)
