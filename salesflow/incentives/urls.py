from django.urls import path

from . import views

app_name = "incentives"

urlpatterns = [
    path("", views.home, name="home"),
    path("scorecards/", views.scorecard_list, name="scorecard_list"),
    path("scorecards/compute/", views.scorecard_compute, name="scorecard_compute"),
    path("scorecards/<int:pk>/", views.scorecard_detail, name="scorecard_detail"),
    path("scorecards/<int:pk>/comment/", views.scorecard_comment, name="scorecard_comment"),
    path("scorecards/<int:pk>/confirm/", views.scorecard_confirm, name="scorecard_confirm"),
    path("statements/", views.statement_list, name="statement_list"),
    path("statements/compute/", views.statement_compute, name="statement_compute"),
    path("statements/<int:pk>/", views.statement_detail, name="statement_detail"),
    path("statements/<int:pk>/submit/", views.statement_submit, name="statement_submit"),
    path("statements/<int:pk>/export/", views.statement_export, name="statement_export"),
    path("contests/", views.contest_list, name="contest_list"),
    path("contests/new/", views.contest_create, name="contest_create"),
    path("contests/<int:pk>/", views.contest_detail, name="contest_detail"),
]
