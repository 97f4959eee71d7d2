from django.urls import path

from metu_strategy import converters  # noqa: F401 - registers the path converters
from notices import views

urlpatterns = [
    path("notifications/", views.notice_list, name="notices"),
    path("notifications/<id:pk>/read/", views.notice_read, name="notice_read"),
    path("notifications/read-all/", views.notice_read_all, name="notice_read_all"),
    path("notifications/settings/", views.profile, name="notice_profile"),
    path("notifications/reminders/", views.reminder_settings, name="reminder_settings"),
    path("notifications/remind/", views.reminder_preview, name="reminder_preview"),
]
