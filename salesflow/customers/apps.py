from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "salesflow.customers"
    label = "customers"
    verbose_name = _("客户")

    def ready(self) -> None:
        from salesflow.core import navigation

        from . import tasks  # noqa: F401  (periodic jobs)

        navigation.register(
            navigation.NavEntry(_("客户"), "customers:list", "bi-building", "customer", order=20)
        )
        navigation.register(
            navigation.NavEntry(
                _("公海"), "customers:pool", "bi-water", "customer", "add", order=25
            )
        )
