"""Create the three role groups with their permissions."""

from django.db import migrations


def create_roles(apps, schema_editor):
    from kpis.roles import sync_role_groups

    sync_role_groups(apps)


def remove_roles(apps, schema_editor):
    from kpis.roles import ROLE_PERMISSIONS

    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("kpis", "0001_initial"),
        ("directions", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
