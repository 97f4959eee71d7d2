"""Backup, wipe, restore: every row and every evidence file comes back."""

from decimal import Decimal as D

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from kpis import services
from kpis.demo import setup_demo_values
from kpis.models import Evidence, Kpi, Target
from reports.backup import backed_up_models
from tests.files import pdf_bytes, upload

pytestmark = pytest.mark.django_db(transaction=True)


def snapshot() -> dict:
    """Every field of every row of every backed-up model."""
    return {
        model._meta.label_lower: sorted(
            (
                tuple(sorted((k, str(v)) for k, v in row.items()))
                for row in model._default_manager.values()
            ),
        )
        for model in backed_up_models()
    }


def test_backup_wipe_restore_finds_every_row(program, tmp_path):
    setup_demo_values(program)
    head, planner = User.objects.get(username="head"), User.objects.get(username="planner")
    kpi = Kpi.objects.prefetch_related("targets").get(program=program, code="1.2.1")
    (actual,) = services.save_entries(
        user=head,
        program=program,
        year=2025,
        entries=[services.Entry(kpi=kpi, value=D(12), comment="=cmd", seen_version=0)],
    )
    services.attach_evidence(actual=actual, user=head, upload=upload("order.pdf", pdf_bytes()))
    target = Target.objects.get(kpi__program=program, kpi__code="1.1.1", year=2029)
    services.change_target(user=planner, target=target, value=D(4700), value2=None, reason="plan")

    before = snapshot()
    evidence = Evidence.objects.get()
    evidence_bytes = evidence.file.read()
    backup = tmp_path / "backup.zip"
    call_command("backup_data", "--output", str(backup))

    call_command("flush", interactive=False, verbosity=0)
    evidence.file.delete(save=False)
    assert not Kpi.objects.exists() and not User.objects.exists()

    call_command("restore_data", str(backup))

    assert snapshot() == before
    restored = Evidence.objects.get()
    assert restored.file.read() == evidence_bytes
    assert Target.objects.get(pk=target.pk).history.first().history_change_reason.endswith("plan")
    # New rows still get fresh ids after the restore (sequences were moved on).
    services.change_target(user=planner, target=target, value=D(4800), value2=None, reason="again")


def test_restore_refuses_a_database_with_data(program, tmp_path):
    backup = tmp_path / "b.zip"
    call_command("backup_data", "--output", str(backup))
    with pytest.raises(CommandError, match="not empty"):
        call_command("restore_data", str(backup))
    call_command("restore_data", str(backup), "--wipe")
    assert Kpi.objects.filter(program=program).count() == 80


def test_a_damaged_backup_restores_nothing(program, tmp_path):
    import zipfile

    backup = tmp_path / "b.zip"
    call_command("backup_data", "--output", str(backup))
    damaged = tmp_path / "damaged.zip"
    with zipfile.ZipFile(backup) as source, zipfile.ZipFile(damaged, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            target.writestr(name, data.replace(b"3160", b"3161") if name == "data.json" else data)
    with pytest.raises(CommandError, match="checksum"):
        call_command("restore_data", str(damaged), "--wipe")
    assert Kpi.objects.filter(program=program).count() == 80
