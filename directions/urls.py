from django.urls import path

from directions import views

urlpatterns = [
    path("program/", views.program_page, name="program"),
]
