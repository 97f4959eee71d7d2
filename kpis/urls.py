from django.urls import path

from kpis import views

urlpatterns = [
    path("entry/", views.entry, name="entry"),
    path("review/", views.review, name="review"),
    path("review/approve-selected/", views.approve_selected, name="approve_selected"),
    path("review/<int:pk>/<str:action>/", views.review_action, name="review_action"),
    path("progress/", views.progress, name="progress"),
    path("years/<int:year>/<str:state>/", views.set_year, name="set_year"),
    path("evidence/<int:pk>/", views.evidence_download, name="evidence"),
    path("evidence/<int:pk>/delete/", views.evidence_delete, name="evidence_delete"),
    path("targets/<int:pk>/change/", views.target_change, name="target_change"),
    path("targets/history/<int:history_id>/revert/", views.target_revert, name="target_revert"),
]
