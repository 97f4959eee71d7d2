from django.urls import path

from kpis import spreadsheet_views

urlpatterns = [
    path("entry/template.xlsx", spreadsheet_views.template_download, name="entry_template"),
    path("entry/upload/", spreadsheet_views.upload, name="entry_upload"),
    path("entry/upload/<str:token>/", spreadsheet_views.preview, name="import_preview"),
]
