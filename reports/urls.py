from django.urls import path

from reports import views

urlpatterns = [
    path("kpi/<str:code>/", views.kpi_detail, name="kpi_detail"),
]
