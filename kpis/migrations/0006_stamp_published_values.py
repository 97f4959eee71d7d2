"""A submitted value has submitted_at; an approved one has submitted_at and approved_at.

Before this, the admin and its import could write submitted or approved values without
going through the workflow, so a database may hold such rows. Their stamps are set to the
best time known — when the row was last written — so that 0007 can add the constraints; the
values themselves are not touched."""

from django.db import migrations
from django.db.models import F
from django.db.models.functions import Coalesce


def stamp_rows_written_around_the_workflow(apps, schema_editor):
    Actual = apps.get_model("kpis", "Actual")
    published = Actual.objects.filter(state__in=["submitted", "approved"], submitted_at=None)
    published.update(submitted_at=Coalesce(F("approved_at"), F("updated_at")))
    Actual.objects.filter(state="approved", approved_at=None).update(approved_at=F("updated_at"))


class Migration(migrations.Migration):
    dependencies = [("kpis", "0005_translations")]

    # Its own migration, so its own transaction: PostgreSQL cannot add the constraints
    # in the transaction that updated the rows (pending trigger events).
    operations = [
        migrations.RunPython(stamp_rows_written_around_the_workflow, migrations.RunPython.noop)
    ]
