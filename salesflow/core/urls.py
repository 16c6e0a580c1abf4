from django.urls import include, path

from . import views

app_name = "core"

urlpatterns = [
    path("settings/", views.settings_list, name="settings"),
    path("settings/<str:key>/", views.setting_edit, name="setting_edit"),
    path("audit/", views.audit_log, name="audit_log"),
    path(
        "history/<int:content_type_id>/<str:object_id>/",
        views.object_history,
        name="object_history",
    ),
    path("calendar/", include("salesflow.core.urls_calendar")),
    path("recycle-bin/", views.recycle_bin, name="recycle_bin"),
]
