from django.urls import path

from . import views

app_name = "pipeline"

urlpatterns = [
    path("", views.opportunity_list, name="list"),
    path("export/", views.opportunity_export, name="export"),
    path("new/", views.opportunity_create, name="create"),
    path("board/", views.board, name="board"),
    path("board/column/", views.board_column, name="board_column"),
    path("reports/skips/", views.skip_report, name="skip_report"),
    path("submissions/<int:pk>/file/", views.submission_file, name="submission_file"),
    path("<int:pk>/", views.opportunity_detail, name="detail"),
    path("<int:pk>/edit/", views.opportunity_edit, name="edit"),
    path("<int:pk>/move/", views.move, name="move"),
    path("<int:pk>/outputs/<int:output_id>/", views.output_submit, name="output"),
    path("<int:pk>/advance/", views.advance, name="advance"),
    path("<int:pk>/back/", views.move_back, name="back"),
    path("<int:pk>/skip/", views.request_skip, name="skip"),
    path("<int:pk>/win/", views.win, name="win"),
    path("<int:pk>/lose/", views.lose, name="lose"),
    path("<int:pk>/reopen/", views.reopen, name="reopen"),
    path("<int:pk>/assign/", views.assign, name="assign"),
    path("<int:pk>/delete/", views.delete, name="delete"),
]
