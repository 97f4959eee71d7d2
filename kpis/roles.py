"""The three roles, as Django groups with permissions (created by a migration).

Code asks about permissions, not group names, so a superuser or a custom group with
the same permissions behaves the same way."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

PLANNING_OFFICE = "planning_office"
DEPARTMENT_HEAD = "department_head"
RECTORS_OFFICE = "rectors_office"

ROLE_LABELS = {
    PLANNING_OFFICE: _("Planning office"),
    DEPARTMENT_HEAD: _("Department head"),
    RECTORS_OFFICE: _("Rector's office"),
}

# app_label.codename for every permission each group holds.
_VIEW_ALL = [
    "directions.view_program",
    "directions.view_direction",
    "directions.view_goal",
    "directions.view_task",
    "directions.view_statedocument",
    "directions.view_alignment",
    "directions.view_targetindicator",
    "kpis.view_kpi",
    "kpis.view_target",
    "kpis.view_actual",
    "kpis.view_orgunit",
    "kpis.view_reportingyear",
    "kpis.view_evidence",
    "reports.view_frozenreport",
]
_PLANNER_WRITES = [
    f"{app}.{verb}_{model}"
    for app, models in {
        "directions": [
            "program",
            "direction",
            "goal",
            "task",
            "statedocument",
            "alignment",
            "targetindicator",
        ],
        "kpis": ["kpi", "target", "actual", "orgunit", "reportingyear", "evidence"],
    }.items()
    for model in models
    for verb in ("add", "change", "delete")
]

ROLE_PERMISSIONS = {
    PLANNING_OFFICE: _VIEW_ALL
    + _PLANNER_WRITES
    + ["kpis.approve_actual", "kpis.enter_actual", "reports.add_frozenreport"],
    DEPARTMENT_HEAD: _VIEW_ALL + ["kpis.enter_actual"],
    RECTORS_OFFICE: _VIEW_ALL,
}


def is_planner(user) -> bool:
    return user.is_authenticated and user.has_perm("kpis.approve_actual")


def is_department_head(user) -> bool:
    return user.is_authenticated and user.has_perm("kpis.enter_actual") and not is_planner(user)


def is_reader_only(user) -> bool:
    return user.is_authenticated and not user.has_perm("kpis.enter_actual")


def role_label(user) -> str:
    if is_planner(user):
        return str(ROLE_LABELS[PLANNING_OFFICE])
    if is_department_head(user):
        return str(ROLE_LABELS[DEPARTMENT_HEAD])
    return str(ROLE_LABELS[RECTORS_OFFICE])


def sync_role_groups(apps) -> None:
    """Give each role group exactly its permissions. Called from migrations, so a
    change to ROLE_PERMISSIONS lands with a new migration that calls it again."""
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations; the groups need them now.
    # create_permissions skips an app without models_module, which a migration's app
    # registry never has; the real registry's value is put back (post_migrate needs it).
    for app_config in apps.get_app_configs():
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = models_module or True
        try:
            create_permissions(app_config, apps=apps, verbosity=0)
        finally:
            app_config.models_module = models_module

    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for group_name, perms in ROLE_PERMISSIONS.items():
        group, _created = group_model.objects.get_or_create(name=group_name)
        # A permission of a model that a later migration creates is skipped here;
        # the migration that adds the model calls this function again.
        wanted = [
            p
            for perm in perms
            for p in permission_model.objects.filter(
                content_type__app_label=perm.split(".")[0], codename=perm.split(".")[1]
            )
        ]
        group.permissions.set(wanted)
