from django.urls import path

from . import views

app_name = "customers"

urlpatterns = [
    path("", views.customer_list, name="list"),
    path("export/", views.customer_export, name="export"),
    path("new/", views.customer_create, name="create"),
    path("assign/", views.customer_assign, name="assign"),
    path("pool/", views.pool, name="pool"),
    path("pool/<int:pk>/claim/", views.pool_claim, name="claim"),
    path("contacts/<int:pk>/edit/", views.contact_edit, name="contact_edit"),
    path("<int:pk>/", views.customer_detail, name="detail"),
    path("<int:pk>/edit/", views.customer_edit, name="edit"),
    path("<int:pk>/contacts/new/", views.contact_add, name="contact_add"),
    path("<int:pk>/grade/", views.customer_grade, name="grade"),
    path("<int:pk>/return/", views.customer_return, name="return"),
    path("<int:pk>/merge/", views.customer_merge, name="merge"),
    path("<int:pk>/delete/", views.customer_delete, name="delete"),
]
