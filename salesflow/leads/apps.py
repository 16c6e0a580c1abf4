from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LeadsConfig(AppConfig):
    name = "salesflow.leads"
    label = "leads"
    verbose_name = _("线索")

    def ready(self) -> None:
        from salesflow.core import dedup, navigation

        from .selectors import find_lead_duplicates

        dedup.register_finder(find_lead_duplicates)
        navigation.register(
            navigation.NavEntry(_("线索"), "leads:list", "bi-funnel", "lead", order=10)
        )
