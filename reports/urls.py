from django.urls import path

from metu_strategy import converters  # noqa: F401 - registers the path converters
from reports import export_views, unit_views, views

urlpatterns = [
    path("program/", views.program_page, name="program"),
    path("matrix/", views.matrix, name="matrix"),
    path("direction/<id:number>/", views.direction_page, name="direction"),
    path("kpi/<kpi_code:code>/", views.kpi_detail, name="kpi_detail"),
    path("units/", unit_views.units_list, name="units"),
    path("units/<id:pk>/", unit_views.unit_page, name="unit_page"),
    path("reports/program.json", export_views.program_json, name="program_json"),
    path("reports/program.csv", export_views.program_csv, name="program_csv"),
]
