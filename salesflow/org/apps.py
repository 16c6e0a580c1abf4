from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "salesflow.org"
    label = "org"
    verbose_name = _("组织与权限")

    def ready(self) -> None:
        from salesflow.core import navigation

        navigation.register(
            navigation.NavEntry(
                _("组织架构"), "org:overview", "bi-diagram-3", "org.user", group="admin", order=5
            )
        )
        navigation.register(
            navigation.NavEntry(
                _("用户与角色"), "admin:index", "bi-people", "org.user", group="admin", order=10
            )
        )
