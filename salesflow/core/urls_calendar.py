"""Included at ``/system/calendar/`` inside the ``core`` namespace (``core:calendar``)."""

from django.urls import path

from . import views_calendar

urlpatterns = [
    path("", views_calendar.calendar_page, name="calendar"),
    path(
        "<int:pk>/delete/", views_calendar.calendar_override_delete, name="calendar_override_delete"
    ),
]
