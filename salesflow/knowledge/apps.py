from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KnowledgeConfig(AppConfig):
    name = "salesflow.knowledge"
    label = "knowledge"
    verbose_name = _("手册与知识库")

    def ready(self) -> None:
        from . import wiring

        wiring.connect()
