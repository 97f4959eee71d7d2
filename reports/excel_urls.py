from django.urls import path

from metu_strategy import converters  # noqa: F401 - registers the path converters
from reports import excel_views

urlpatterns = [
    path("reports/ministry.xlsx", excel_views.ministry_report, name="ministry_report"),
    path("reports/frozen/", excel_views.frozen_reports, name="frozen_reports"),
    path("reports/frozen/freeze/", excel_views.freeze, name="freeze_report"),
    path("reports/frozen/<id:pk>/", excel_views.frozen_download, name="frozen_download"),
]
