from django.urls import path

from . import views

app_name = "knowledge"

urlpatterns = [
    path("", views.index, name="index"),
    path("handbook/", views.handbook, name="handbook"),
    path("handbook/<int:template_id>/<str:stage_name>/", views.page_detail, name="page"),
    path("handbook/<int:template_id>/<str:stage_name>/edit/", views.page_edit, name="page_edit"),
    path("scripts/", views.script_list, name="scripts"),
    path("scripts/new/", views.script_create, name="script_create"),
    path("scripts/<int:pk>/", views.script_detail, name="script"),
    path("scripts/<int:pk>/edit/", views.script_edit, name="script_edit"),
    path("cases/", views.case_list, name="cases"),
    path("cases/new/", views.case_create, name="case_create"),
    path("cases/<int:pk>/", views.case_detail, name="case"),
    path("cases/<int:pk>/edit/", views.case_edit, name="case_edit"),
    path("<str:kind>/<int:pk>/history/", views.history, name="history"),
    path("<str:kind>/<int:pk>/diff/", views.diff, name="diff"),
    path("<str:kind>/<int:pk>/restore/<int:number>/", views.restore, name="restore"),
    path("tools/", views.tool_list, name="tools"),
    path("tools/<slug:key>.xlsx", views.tool_download, name="tool_download"),
]
