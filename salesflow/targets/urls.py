from django.urls import path

from . import views, views_reports

app_name = "targets"

urlpatterns = [
    path("", views.home, name="home"),
    path("list/", views.target_list, name="target_list"),
    path("list/export/", views.target_export, name="target_export"),
    path("new/", views.target_create, name="target_create"),
    path("<int:pk>/", views.target_detail, name="target_detail"),
    path("<int:pk>/adjust/", views.target_adjust, name="target_adjust"),
    path("<int:pk>/decompose/", views.target_decompose, name="target_decompose"),
    path("completion/", views.completion, name="completion"),
    path("performance/", views.performance, name="performance"),
    path("reports/", views_reports.report_list, name="report_list"),
    path("reports/export/", views_reports.report_export, name="report_export"),
    path("reports/start/<slug:kind>/", views_reports.report_start, name="report_start"),
    path("reports/team/", views_reports.report_team, name="report_team"),
    path("reports/<int:pk>/", views_reports.report_detail, name="report_detail"),
    path("reports/<int:pk>/comment/", views_reports.report_comment, name="report_comment"),
    path("reports/<int:pk>/print/", views_reports.report_print, name="report_print"),
]
