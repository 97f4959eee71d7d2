from django.urls import path

from metu_strategy import converters  # noqa: F401 - registers the path converters
from reports import public_views, yearly_views

urlpatterns = [
    path("reports/yearly/", yearly_views.yearly_report, name="yearly_report"),
    path("reports/yearly/download/", yearly_views.yearly_download, name="yearly_download"),
    path("reports/yearly/freeze/", yearly_views.yearly_freeze, name="yearly_freeze"),
    path(
        "reports/yearly/frozen/<id:pk>/<str:kind>/",
        yearly_views.yearly_frozen_download,
        name="yearly_frozen_download",
    ),
    path("reports/narratives/", yearly_views.narratives, name="narratives"),
    path(
        "reports/narratives/<id:number>/<year:year>/<str:language>/",
        yearly_views.narrative_edit,
        name="narrative_edit",
    ),
    path("reports/publishing/", yearly_views.public_settings, name="public_settings"),
    path("public/", public_views.overview, name="public_overview"),
    path("public/matrix/", public_views.matrix, name="public_matrix"),
    path("public/kpi/<kpi_code:code>/", public_views.kpi, name="public_kpi"),
    path("public/reports/<id:pk>.pdf", public_views.report_pdf, name="public_report_pdf"),
]
