from django.urls import path

from . import views

app_name = "service"

urlpatterns = [
    path("", views.complaint_list, name="complaint_list"),
    path("complaints/export/", views.complaint_export, name="complaint_export"),
    path("complaints/new/", views.complaint_create, name="complaint_create"),
    path("complaints/<int:pk>/", views.complaint_detail, name="complaint_detail"),
    path("complaints/<int:pk>/<str:step>/", views.complaint_step, name="complaint_step"),
    path("customers/<int:customer_pk>/plan/", views.plan_detail, name="plan_detail"),
    path("customers/<int:customer_pk>/plan/generate/", views.plan_generate, name="plan_generate"),
    path("customers/<int:customer_pk>/survey/", views.survey_create, name="survey_create"),
    path("customers/<int:customer_pk>/action/", views.action_record, name="action_record"),
    path("actions/", views.action_list, name="action_list"),
    path("actions/export/", views.action_export, name="action_export"),
    path("actions/<int:pk>/log/", views.action_log, name="action_log"),
    path("measures/", views.measures, name="measures"),
]
