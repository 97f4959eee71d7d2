from django.urls import path

from kpis import passport_views
from metu_strategy import converters  # noqa: F401 - registers the path converters

urlpatterns = [
    path("kpi/<kpi_code:code>/passport/", passport_views.passport_edit, name="kpi_passport"),
]
