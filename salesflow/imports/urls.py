from django.urls import path

from . import views

app_name = "imports"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/mapping/", views.mapping, name="mapping"),
    path("<int:pk>/preview/", views.preview_page, name="preview"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/progress/", views.progress, name="progress"),
    path("<int:pk>/errors.xlsx", views.error_report, name="error_report"),
    path("<int:pk>/run/", views.run_again, name="run_again"),
    path("<int:pk>/undo/", views.undo, name="undo"),
    path("profiles/", views.profiles, name="profiles"),
    path("profiles/<int:pk>/export/", views.profile_export, name="profile_export"),
    path("profiles/<int:pk>/delete/", views.profile_delete, name="profile_delete"),
]
