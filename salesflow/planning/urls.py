from django.urls import path

from . import views

app_name = "planning"

urlpatterns = [
    path("", views.index, name="index"),
    # strategy plans
    path("plans/", views.plan_list, name="plans"),
    path("plans/export/", views.plan_export, name="plan_export"),
    path("plans/new/", views.plan_create, name="plan_create"),
    path("plans/<int:pk>/", views.plan_detail, name="plan_detail"),
    path("plans/<int:pk>/edit/", views.plan_edit, name="plan_edit"),
    path("plans/<int:pk>/print/", views.plan_print, name="plan_print"),
    path("plans/<int:pk>/milestones/", views.milestone_add, name="milestone_add"),
    path("plans/<int:pk>/reviews/", views.plan_review_add, name="plan_review_add"),
    # review meetings
    path("meetings/", views.meeting_list, name="meetings"),
    path("meetings/export/", views.meeting_export, name="meeting_export"),
    path("meetings/new/", views.meeting_create, name="meeting_create"),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting_detail"),
    path("meetings/<int:pk>/edit/", views.meeting_edit, name="meeting_edit"),
    path("meetings/<int:pk>/print/", views.meeting_print, name="meeting_print"),
    path("meetings/<int:pk>/prepare/", views.meeting_prepare, name="meeting_prepare"),
    path("meetings/<int:pk>/actions/", views.meeting_action_add, name="meeting_action_add"),
    # training
    path("training/", views.training_list, name="trainings"),
    path("training/export/", views.training_export, name="training_export"),
    path("training/new/", views.training_create, name="training_create"),
    path("training/<int:pk>/", views.training_detail, name="training_detail"),
    path("training/<int:pk>/edit/", views.training_edit, name="training_edit"),
    path("training/<int:pk>/print/", views.training_print, name="training_print"),
    path("training/<int:pk>/participants/", views.participant_save, name="participant_save"),
    path(
        "training/<int:pk>/participants/<int:participant_id>/remove/",
        views.participant_remove,
        name="participant_remove",
    ),
    # process interviews
    path("interviews/", views.interview_list, name="interviews"),
    path("interviews/export/", views.interview_export, name="interview_export"),
    path("interviews/themes/", views.interview_themes, name="interview_themes"),
    path("interviews/new/", views.interview_create, name="interview_create"),
    path("interviews/<int:pk>/", views.interview_detail, name="interview_detail"),
    path("interviews/<int:pk>/edit/", views.interview_edit, name="interview_edit"),
    path("interviews/<int:pk>/print/", views.interview_print, name="interview_print"),
]
