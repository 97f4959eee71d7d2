"""A submitted value has submitted_at; an approved one has submitted_at and approved_at
(0006 stamped the rows that lacked them)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("kpis", "0006_stamp_published_values")]

    operations = [
        migrations.AddConstraint(
            model_name="actual",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("state", "submitted"), _negated=True),
                    ("submitted_at__isnull", False),
                    _connector="OR",
                ),
                name="actual_submitted_has_submitted_at",
            ),
        ),
        migrations.AddConstraint(
            model_name="actual",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("state", "approved"), _negated=True),
                    models.Q(("approved_at__isnull", False), ("submitted_at__isnull", False)),
                    _connector="OR",
                ),
                name="actual_approved_has_timestamps",
            ),
        ),
    ]
