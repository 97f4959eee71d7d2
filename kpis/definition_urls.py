from django.urls import path

from kpis import definition_views as views

urlpatterns = [
    path("definitions/", views.definitions_list, name="definitions"),
    path("definitions/inputs/new/", views.input_edit, name="input_new"),
    path("definitions/inputs/<int:pk>/", views.input_edit, name="input_edit"),
    path("definitions/calculations/new/", views.calculation_edit, name="calculation_new"),
    path("definitions/calculations/<int:pk>/", views.calculation_edit, name="calculation_edit"),
    path(
        "definitions/<str:kind>/<int:pk>/confirm/",
        views.definition_confirm,
        name="definition_confirm",
    ),
    path(
        "definitions/<str:kind>/<int:pk>/discard/",
        views.definition_discard,
        name="definition_discard",
    ),
    path("definitions/parts/", views.parts, name="parts"),
    path("definitions/parts/exempt/", views.exemption, name="exemption"),
    path(
        "definitions/parts/exempt/<int:pk>/withdraw/",
        views.exemption_withdraw,
        name="exemption_withdraw",
    ),
]
