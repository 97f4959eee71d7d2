from django.urls import path

from kpis import people_views

urlpatterns = [
    path("people/", people_views.people_list, name="people"),
    path("people/new/", people_views.person_new, name="person_new"),
    path("people/<int:pk>/", people_views.person_edit, name="person"),
    path("people/<int:pk>/active/", people_views.person_active, name="person_active"),
    path("people/<int:pk>/password/", people_views.person_password, name="person_password"),
    path("people/units/<int:pk>/", people_views.unit_heads, name="unit_heads"),
    path("people/units/new/", people_views.unit_new, name="unit_new"),
    path("people/units/<int:pk>/edit/", people_views.unit_edit, name="unit_edit"),
    path("people/units/<int:pk>/delete/", people_views.unit_delete, name="unit_delete"),
    path(
        "accounts/password/",
        people_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
]
