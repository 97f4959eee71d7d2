from django.urls import path

from reports import excel_views

urlpatterns = [
    path("reports/ministry.xlsx", excel_views.ministry_report, name="ministry_report"),
    path("reports/frozen/", excel_views.frozen_reports, name="frozen_reports"),
    path("reports/frozen/freeze/", excel_views.freeze, name="freeze_report"),
    path("reports/frozen/<int:pk>/", excel_views.frozen_download, name="frozen_download"),
]
