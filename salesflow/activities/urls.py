"""Personal pages under /me/: notifications (follow-ups and tasks add theirs here)."""

from django.urls import path

from . import views
from . import views_notifications as notifications

app_name = "activities"

urlpatterns = [
    # notifications
    path("notifications/", notifications.notifications, name="notifications"),
    path(
        "notifications/read-all/",
        notifications.notifications_read_all,
        name="notifications_read_all",
    ),
    path("notifications/<int:pk>/read/", notifications.notification_read, name="notification_read"),
    path("notifications/<int:pk>/open/", notifications.notification_open, name="notification_open"),
    path("notifications/settings/", notifications.preferences, name="preferences"),
    path("notifications/failed/", notifications.failed, name="failed_deliveries"),
    path(
        "notifications/failed/<int:pk>/retry/",
        notifications.failed_retry,
        name="failed_delivery_retry",
    ),
    # my day, follow-ups, tasks, weekly review
    path("", views.my_day, name="my_day"),
    path("followups/", views.followup_list, name="followups"),
    path("followups/new/", views.followup_new, name="followup_new"),
    path("followups/export/", views.followup_export, name="followup_export"),
    path("followups/<int:pk>/", views.followup_detail, name="followup_detail"),
    path(
        "followups/attachments/<int:pk>/",
        views.attachment_download,
        name="followup_attachment",
    ),
    path("tasks/", views.task_list, name="tasks"),
    path("tasks/new/", views.task_new, name="task_new"),
    path("tasks/<int:pk>/", views.task_detail, name="task_detail"),
    path("tasks/<int:pk>/edit/", views.task_edit, name="task_edit"),
    path("tasks/<int:pk>/items/new/", views.task_item_edit, name="task_item_new"),
    path("tasks/<int:pk>/items/<int:item_pk>/", views.task_item_edit, name="task_item_edit"),
    path("tasks/<int:pk>/progress/", views.task_progress, name="task_progress"),
    path("tasks/<int:pk>/complete/", views.task_complete, name="task_complete"),
    path("tasks/<int:pk>/cancel/", views.task_cancel, name="task_cancel"),
    path("review/", views.weekly_review, name="weekly_review"),
]
