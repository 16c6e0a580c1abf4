from django.contrib import admin
from django.urls import include, path

from salesflow.core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("accounts/", include("salesflow.core.urls_auth")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("system/", include("salesflow.core.urls")),
    path("org/", include("salesflow.org.urls")),
    path("leads/", include("salesflow.leads.urls")),
    path("customers/", include("salesflow.customers.urls")),
    path("pipeline/", include("salesflow.pipeline.urls")),
    path("approvals/", include("salesflow.core.urls_approvals")),
    path("me/", include("salesflow.activities.urls")),
    path("deals/", include("salesflow.deals.urls")),
    path("api/", include("salesflow.api.urls")),
    path("imports/", include("salesflow.imports.urls")),
    path("analytics/", include("salesflow.analytics.urls")),
    path("targets/", include("salesflow.targets.urls")),
    path("service/", include("salesflow.service.urls")),
    path("planning/", include("salesflow.planning.urls")),
    path("knowledge/", include("salesflow.knowledge.urls")),
    path("pilots/", include("salesflow.pilots.urls")),
    path("incentives/", include("salesflow.incentives.urls")),
    path("admin/", admin.site.urls),
]

handler403 = "salesflow.core.views.permission_denied"
handler404 = "salesflow.core.views.page_not_found"
handler500 = "salesflow.core.views.server_error"
