from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.utils.translation import gettext_lazy as _

from .scope import has_right

ADMIN_OBJECT_TYPES = ("org.user", "org.department", "org.role", "core.setting", "core.calendar")


class SalesflowAdminSite(admin.AdminSite):
    site_header = _("salesflow 系统管理")
    site_title = _("salesflow 系统管理")
    index_title = _("组织、角色与权限")

    def login(self, request, extra_context=None):
        # One sign-in page for everyone (our roles, not Django's is_staff, open the admin).
        from django.contrib.auth.views import redirect_to_login

        return redirect_to_login(request.GET.get("next") or self.index_url())

    def index_url(self):
        from django.urls import reverse

        return reverse("admin:index", current_app=self.name)

    def has_permission(self, request):
        user = request.user
        return user.is_active and (
            user.is_superuser or any(has_right(user, t, "view") for t in ADMIN_OBJECT_TYPES)
        )


class SalesflowAdminConfig(AdminConfig):
    default_site = "salesflow.core.admin_site.SalesflowAdminSite"
