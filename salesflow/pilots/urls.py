from django.urls import path

from . import views

app_name = "pilots"

urlpatterns = [
    path("", views.pilot_list, name="list"),
    path("new/", views.pilot_create, name="create"),
    path("<int:pk>/", views.pilot_detail, name="detail"),
    path("<int:pk>/edit/", views.pilot_edit, name="edit"),
    path("<int:pk>/decide/", views.pilot_decide, name="decide"),
    path("<int:pk>/survey/", views.survey_add, name="survey"),
    path("<int:pk>/feedback/", views.feedback_add, name="feedback"),
]
