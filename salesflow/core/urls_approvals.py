from django.urls import path

from . import views_approvals as views

app_name = "approvals"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("<int:pk>/decide/", views.decide, name="decide"),
    path("<int:pk>/cancel/", views.cancel, name="cancel"),
]
