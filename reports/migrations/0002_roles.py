from django.db import migrations


def sync(apps, schema_editor):
    from kpis.roles import sync_role_groups

    sync_role_groups(apps)


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_initial"), ("kpis", "0005_translations")]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
