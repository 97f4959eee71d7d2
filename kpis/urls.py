from django.urls import path

from kpis import calendar_views, views
from metu_strategy import converters  # noqa: F401 - registers the path converters

urlpatterns = [
    path("entry/", views.entry, name="entry"),
    path("review/", views.review, name="review"),
    path("review/approve-selected/", views.approve_selected, name="approve_selected"),
    path("review/<id:pk>/<str:action>/", views.review_action, name="review_action"),
    path(
        "review/parts/<id:pk>/<str:action>/",
        views.review_action,
        {"kind": views.PARTS},
        name="review_part_action",
    ),
    path("progress/", views.progress, name="progress"),
    path("years/<year:year>/<open_close:state>/", views.set_year, name="set_year"),
    path("years/<year:year>/calendar/", calendar_views.year_calendar, name="year_calendar"),
    path("years/<year:year>/exceptions/", calendar_views.exception_add, name="entry_exception_add"),
    path(
        "years/<year:year>/exceptions/<id:pk>/remove/",
        calendar_views.exception_remove,
        name="entry_exception_remove",
    ),
    path("evidence/<id:pk>/", views.evidence_download, name="evidence"),
    path("evidence/<id:pk>/delete/", views.evidence_delete, name="evidence_delete"),
    path("targets/<id:pk>/change/", views.target_change, name="target_change"),
    path("targets/history/<id:history_id>/revert/", views.target_revert, name="target_revert"),
]
