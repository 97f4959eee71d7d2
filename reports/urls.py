from django.urls import path

from reports import views

urlpatterns = [
    path("matrix/", views.matrix, name="matrix"),
    path("direction/<int:number>/", views.direction_page, name="direction"),
    path("kpi/<str:code>/", views.kpi_detail, name="kpi_detail"),
]
