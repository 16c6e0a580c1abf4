from django.urls import path

from . import views

app_name = "leads"

urlpatterns = [
    path("", views.lead_list, name="list"),
    path("unassigned/", views.lead_unassigned, name="unassigned"),
    path("export/", views.lead_export, name="export"),
    path("new/", views.lead_create, name="create"),
    path("assign/", views.lead_assign, name="assign"),
    path("<int:pk>/", views.lead_detail, name="detail"),
    path("<int:pk>/edit/", views.lead_edit, name="edit"),
    path("<int:pk>/screen/", views.lead_screen, name="screen"),
    path("<int:pk>/assess/", views.lead_assess, name="assess"),
    path("<int:pk>/contact/", views.lead_contact, name="contact"),
    path("<int:pk>/status/", views.lead_status, name="status"),
    path("<int:pk>/convert/", views.lead_convert, name="convert"),
    path("<int:pk>/merge/", views.lead_merge, name="merge"),
    path("<int:pk>/delete/", views.lead_delete, name="delete"),
]
