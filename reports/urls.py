from django.urls import path

from reports import export_views, views

urlpatterns = [
    path("matrix/", views.matrix, name="matrix"),
    path("direction/<int:number>/", views.direction_page, name="direction"),
    path("kpi/<str:code>/", views.kpi_detail, name="kpi_detail"),
    path("reports/program.json", export_views.program_json, name="program_json"),
    path("reports/program.csv", export_views.program_csv, name="program_csv"),
]
