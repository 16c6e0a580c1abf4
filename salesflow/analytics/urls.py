from django.urls import path

from . import views

app_name = "analytics"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("all/", views.index, name="index"),
    path("variances/", views.variance_list, name="variance_list"),
    path("variances/new/", views.variance_edit, name="variance_create"),
    path("variances/<int:pk>/", views.variance_edit, name="variance_edit"),
    path("channel-costs/", views.channel_costs, name="channel_costs"),
    path("<slug:name>/", views.analysis_page, name="analysis"),
]
