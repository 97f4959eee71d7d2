"""Backup and restore: every row and every file comes back; a damaged or altered backup is
refused, in one line, before the database or MEDIA_ROOT is touched; a backup taken while
users write is one snapshot; a frozen report whose file was altered is not served."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import shutil
import struct
import threading
import zipfile
from collections import Counter
from decimal import Decimal as D
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from kpis import services
from kpis.demo import setup_demo_values
from kpis.models import Actual, Evidence, Kpi, Target
from reports.backup import BackupError, backed_up_models
from reports.models import FrozenReport
from reports.services import freeze_report
from tests.files import pdf_bytes, png_bytes, upload

pytestmark = pytest.mark.django_db(transaction=True)


def snapshot() -> dict:
    """Every field of every row of every backed-up model, and every many-to-many link
    (a user's groups, a group's permissions) by natural key."""
    rows = {
        model._meta.label_lower: sorted(
            tuple(sorted((k, str(v)) for k, v in row.items()))
            for row in model._default_manager.values()
        )
        for model in backed_up_models()
    }
    for model in backed_up_models():
        names = [field.name for field in model._meta.many_to_many]
        for obj in model._default_manager.prefetch_related(*names) if names else ():
            for name in names:
                # Permissions are recreated by a flush, with other ids: compare them by name.
                links = sorted(str(_key(related)) for related in getattr(obj, name).all())
                rows[f"{model._meta.label_lower} {obj.pk} {name}"] = links
    return rows


def _key(obj) -> tuple:
    return obj.natural_key() if hasattr(obj, "natural_key") else (obj.pk,)


def media_files() -> dict[str, str]:
    """Every file under MEDIA_ROOT with its SHA-256, and every folder (a staging folder left
    behind, an empty folder made for nothing)."""
    media = Path(settings.MEDIA_ROOT)
    return {
        path.relative_to(media).as_posix(): (
            hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "folder"
        )
        for path in sorted(media.rglob("*"))
    }


def state() -> tuple:
    return snapshot(), media_files()


def program_with_files(program) -> tuple[Evidence, FrozenReport]:
    """Values, an evidence file and a frozen report, as users make them."""
    head, planner = User.objects.get(username="head"), User.objects.get(username="planner")
    kpi = Kpi.objects.prefetch_related("targets").get(program=program, code="1.2.1")
    (actual,) = services.save_entries(
        user=head,
        program=program,
        year=2025,
        entries=[services.Entry(kpi=kpi, value=D(12), comment="=cmd", seen_version=0)],
    )
    evidence = services.attach_evidence(
        actual=actual, user=head, upload=upload("order.pdf", pdf_bytes())
    )
    frozen = freeze_report(user=planner, program=program, year=2025, note="No. 15-04/112")
    return evidence, frozen


# Round trip -------------------------------------------------------------------------------


def test_backup_wipe_restore_finds_every_row_and_file(program, tmp_path):
    setup_demo_values(program)
    evidence, frozen = program_with_files(program)
    planner = User.objects.get(username="planner")
    target = Target.objects.get(kpi__program=program, kpi__code="1.1.1", year=2029)
    services.change_target(user=planner, target=target, value=D(4700), value2=None, reason="plan")
    before_rows, before_files = state()
    assert {name for name, sha256 in before_files.items() if sha256 != "folder"} == {
        evidence.file.name,
        frozen.file.name,
    }
    backup = tmp_path / "backup.zip"
    call_command("backup_data", "--output", str(backup))

    with zipfile.ZipFile(backup) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert manifest["files"] == {
        name: {"sha256": sha256, "size": Path(settings.MEDIA_ROOT, name).stat().st_size}
        for name, sha256 in before_files.items()
        if sha256 != "folder"
    }
    call_command("restore_data", str(backup), "--check")  # a sound backup passes the check

    call_command("flush", interactive=False, verbosity=0)
    shutil.rmtree(settings.MEDIA_ROOT)
    assert not Kpi.objects.exists() and not User.objects.exists()

    call_command("restore_data", str(backup))

    assert snapshot() == before_rows
    assert media_files() == before_files  # byte for byte, and nothing else (no staging left)
    assert Evidence.objects.get().file.read() == pdf_bytes()
    assert Target.objects.get(pk=target.pk).history.first().history_change_reason.endswith("plan")
    # New rows still get fresh ids after the restore (sequences were moved on).
    services.change_target(user=planner, target=target, value=D(4800), value2=None, reason="again")


def test_restore_over_the_same_files_replaces_the_database(program, tmp_path):
    program_with_files(program)
    before = state()
    backup = tmp_path / "b.zip"
    call_command("backup_data", "--output", str(backup))
    User.objects.create(username="after-the-backup")
    with pytest.raises(CommandError, match="not empty"):
        call_command("restore_data", str(backup))

    call_command("restore_data", str(backup), "--wipe")

    assert state() == before
    assert Kpi.objects.filter(program=program).count() == 80


# A damaged or altered backup is refused before anything is written --------------------------


def _rebuild(source: Path, target: Path, *, replace=None, drop=(), add=None, manifest=None):
    """A copy of the backup with members replaced, dropped or added and the manifest edited."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for name in old.namelist():
            if name in drop:
                continue
            data = (replace or {}).get(name) or old.read(name)
            if name == "manifest.json" and manifest:
                edited = json.loads(data)
                manifest(edited)
                data = json.dumps(edited).encode()
            new.writestr(name, data, zipfile.ZIP_DEFLATED)
        for name, data in (add or {}).items():
            new.writestr(name, data)
    return target


def _member(backup: Path, folder: str) -> str:
    with zipfile.ZipFile(backup) as archive:
        return next(n for n in archive.namelist() if n.startswith(f"media/{folder}/"))


def _flip_a_byte(backup: Path, target: Path, name: str, *, stored: bool) -> Path:
    """Flip a byte inside a member's data as it lies in the zip, as a bad disk would."""
    with zipfile.ZipFile(backup) as old, zipfile.ZipFile(target, "w") as new:
        for member in old.namelist():
            kind = zipfile.ZIP_STORED if stored and member == name else zipfile.ZIP_DEFLATED
            new.writestr(member, old.read(member), kind)
    with zipfile.ZipFile(target) as archive:
        info = archive.getinfo(name)
    raw = bytearray(target.read_bytes())
    name_length, extra_length = struct.unpack_from("<HH", raw, info.header_offset + 26)
    raw[info.header_offset + 30 + name_length + extra_length + info.compress_size // 2] ^= 0xFF
    target.write_bytes(bytes(raw))
    return target


def _not_a_zip(backup, damaged):
    damaged.write_bytes(b"This is a letter, not a backup.\n" * 40)
    return damaged, r"damaged\.zip is not a zip file\."


def _truncated(backup, damaged):
    damaged.write_bytes(backup.read_bytes()[: backup.stat().st_size // 2])
    return damaged, r"damaged\.zip is incomplete: the end of the zip file is missing"


def _crc_error_in_a_stored_file(backup, damaged):
    name = _member(backup, "evidence")
    return (
        _flip_a_byte(backup, damaged, name, stored=True),
        rf"{name} is damaged in the backup: its CRC check failed\.",
    )


def _damaged_compressed_data(backup, damaged):
    return (
        _flip_a_byte(backup, damaged, "data.json", stored=False),
        r"data\.json is damaged in the backup",
    )


def _no_manifest(backup, damaged):
    return _rebuild(backup, damaged, drop={"manifest.json"}), r"The backup has no manifest\.json"


def _manifest_not_json(backup, damaged):
    return (
        _rebuild(backup, damaged, replace={"manifest.json": b'{"format": 2,'}),
        r"manifest\.json is not valid JSON",
    )


def _older_format(backup, damaged):
    def older(manifest):
        manifest["format"] = 1

    return (
        _rebuild(backup, damaged, manifest=older),
        r"Unknown backup format 1: this version restores format 2\.",
    )


def _data_changed(backup, damaged):
    with zipfile.ZipFile(backup) as archive:
        data = archive.read("data.json").replace(b'"username": "head"', b'"username": "hexd"')
    return (
        _rebuild(backup, damaged, replace={"data.json": data}),
        r"data\.json does not match its checksum: the backup is damaged\.",
    )


def _counts_disagree(backup, damaged):
    def one_more(manifest):
        manifest["counts"]["auth.user"] += 1

    return (
        _rebuild(backup, damaged, manifest=one_more),
        r"data\.json holds \d+ rows of auth\.user but the manifest counts \d+",
    )


def _dot_dot(backup, damaged):
    def listed(manifest):
        manifest["files"]["../x"] = {"sha256": hashlib.sha256(b"x").hexdigest(), "size": 1}

    return (
        _rebuild(backup, damaged, add={"media/../x": b"x"}, manifest=listed),
        r"Unsafe path in the backup: media/\.\./x \(files may only be under",
    )


def _absolute(backup, damaged):
    return (
        _rebuild(backup, damaged, add={"/tmp/evil.sh": b"x"}),
        r"Unsafe path in the backup: /tmp/evil\.sh",
    )


def _absolute_under_media(backup, damaged):
    return (
        _rebuild(backup, damaged, add={"media//etc/cron.d/evil": b"x"}),
        r"Unsafe path in the backup: media//etc/cron\.d/evil",
    )


def _outside_the_media_folders(backup, damaged):
    return (
        _rebuild(backup, damaged, add={"media/static/app.js": b"x"}),
        r"Unsafe path in the backup: media/static/app\.js",
    )


def _extra_file(backup, damaged):
    return (
        _rebuild(backup, damaged, add={"media/evidence/2025/extra.pdf": pdf_bytes()}),
        r"Unexpected entry in the backup: media/evidence/2025/extra\.pdf is not in its manifest\.",
    )


def _extra_entry(backup, damaged):
    return (
        _rebuild(backup, damaged, add={"notes.txt": b"hello"}),
        r"Unexpected entry in the backup: notes\.txt is not in its manifest\.",
    )


def _extra_file_in_the_manifest(backup, damaged):
    def listed(manifest):
        entry = {"sha256": hashlib.sha256(pdf_bytes()).hexdigest(), "size": len(pdf_bytes())}
        manifest["files"]["evidence/2025/extra.pdf"] = entry

    return (
        _rebuild(
            backup, damaged, add={"media/evidence/2025/extra.pdf": pdf_bytes()}, manifest=listed
        ),
        r"media/evidence/2025/extra\.pdf is in the backup, but no row refers to it\.",
    )


def _missing_file(backup, damaged):
    name = _member(backup, "evidence")
    return (
        _rebuild(backup, damaged, drop={name}),
        rf"{name} is missing from the backup, but its manifest lists it\.",
    )


def _missing_file_and_entry(backup, damaged):
    name = _member(backup, "evidence")

    def unlisted(manifest):
        del manifest["files"][name.removeprefix("media/")]

    return (
        _rebuild(backup, damaged, drop={name}, manifest=unlisted),
        rf"kpis\.evidence \d+ refers to {name.removeprefix('media/')}, which is not in the backup",
    )


def _replaced_evidence(backup, damaged):
    name = _member(backup, "evidence")
    return (
        _rebuild(backup, damaged, replace={name: pdf_bytes().replace(b"Count 0", b"Count 1")}),
        rf"{name} does not match the SHA-256 in the manifest: the file was replaced or damaged\.",
    )


def _replaced_frozen_report(backup, damaged):
    name = _member(backup, "frozen")
    return (
        _rebuild(backup, damaged, replace={name: png_bytes()}),
        rf"{name} does not match the SHA-256 in the manifest: the file was replaced or damaged\.",
    )


def _replaced_frozen_report_and_manifest(backup, damaged):
    """The manifest made to agree: the SHA-256 the frozen report's row records still differs."""
    name = _member(backup, "frozen")

    def agree(manifest):
        entry = {"sha256": hashlib.sha256(png_bytes()).hexdigest(), "size": len(png_bytes())}
        manifest["files"][name.removeprefix("media/")] = entry

    return (
        _rebuild(backup, damaged, replace={name: png_bytes()}, manifest=agree),
        rf"{name} does not match the SHA-256 recorded when the report was frozen",
    )


DAMAGES = [
    _not_a_zip,
    _truncated,
    _crc_error_in_a_stored_file,
    _damaged_compressed_data,
    _no_manifest,
    _manifest_not_json,
    _older_format,
    _data_changed,
    _counts_disagree,
    _dot_dot,
    _absolute,
    _absolute_under_media,
    _outside_the_media_folders,
    _extra_file,
    _extra_entry,
    _extra_file_in_the_manifest,
    _missing_file,
    _missing_file_and_entry,
    _replaced_evidence,
    _replaced_frozen_report,
    _replaced_frozen_report_and_manifest,
]


@pytest.mark.django_db  # nothing is committed: each test rolls back, which is quicker
@pytest.mark.parametrize("damage", DAMAGES, ids=lambda f: f.__name__.strip("_"))
def test_a_damaged_backup_is_refused_before_anything_is_written(damage, program, tmp_path):
    program_with_files(program)
    backup = tmp_path / "backup.zip"
    call_command("backup_data", "--output", str(backup))
    # Afterwards the database and MEDIA_ROOT differ from the backup, so a restore that wrote
    # anything at all would show.
    User.objects.create(username="after-the-backup")
    shutil.rmtree(settings.MEDIA_ROOT)
    Path(settings.MEDIA_ROOT, "evidence").mkdir(parents=True)
    Path(settings.MEDIA_ROOT, "evidence", "kept.pdf").write_bytes(pdf_bytes())
    damaged, message = damage(backup, tmp_path / "damaged.zip")
    before = state()

    with pytest.raises(CommandError) as refused:
        call_command("restore_data", str(damaged), "--wipe")

    assert len(str(refused.value).splitlines()) == 1
    assert str(refused.value).startswith("Nothing was restored: ")
    assert isinstance(refused.value.__cause__, BackupError)
    assert re.search(message, str(refused.value)), str(refused.value)
    assert state() == before
    with pytest.raises(CommandError, match="^The backup is not sound: "):
        call_command("restore_data", str(damaged), "--check")


def test_a_restore_the_database_refuses_leaves_files_as_they_were(program, tmp_path):
    """The database refuses the rows only at COMMIT (a foreign key is checked then), after
    the files were moved into place: they are taken out again and what they replaced is
    put back."""
    _evidence, frozen = program_with_files(program)
    backup = tmp_path / "backup.zip"
    call_command("backup_data", "--output", str(backup))
    with zipfile.ZipFile(backup) as archive:
        rows = json.loads(archive.read("data.json"))
    next(row for row in rows if row["model"] == "kpis.actual")["fields"]["kpi"] = 999999
    data = json.dumps(rows).encode()

    def new_checksum(manifest):
        manifest["data_sha256"] = hashlib.sha256(data).hexdigest()

    broken = _rebuild(
        backup, tmp_path / "broken.zip", replace={"data.json": data}, manifest=new_checksum
    )
    User.objects.create(username="after-the-backup")
    shutil.rmtree(Path(settings.MEDIA_ROOT, "evidence"))
    Path(frozen.file.path).write_bytes(b"another file at the same place")
    before = state()

    with pytest.raises(CommandError, match="^Nothing was restored: The database refused"):
        call_command("restore_data", str(broken), "--wipe")

    assert state() == before


def test_a_file_that_cannot_be_put_in_place_leaves_the_database_as_it_was(program, tmp_path):
    program_with_files(program)
    backup = tmp_path / "backup.zip"
    call_command("backup_data", "--output", str(backup))
    User.objects.create(username="after-the-backup")
    shutil.rmtree(settings.MEDIA_ROOT)
    Path(settings.MEDIA_ROOT).mkdir()
    Path(settings.MEDIA_ROOT, "frozen").write_bytes(b"a file where the folder should be")
    before = state()

    with pytest.raises(CommandError, match="^Nothing was restored: The files could not be"):
        call_command("restore_data", str(backup), "--wipe")

    assert state() == before


# Writing a backup ---------------------------------------------------------------------------


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's transaction is a snapshot already; PostgreSQL's must be asked for")


def test_a_backup_taken_while_a_value_is_saved_is_one_snapshot(program, tmp_path, postgres_only):
    """Another user saves a value (on another connection, committed) after the backup has
    read the values and before it reads the rest: the backup holds the database as it was
    before that save, every table and count alike, and restores."""
    head = User.objects.get(username="head")
    before = snapshot()
    saved = threading.Event()

    def save_a_value_elsewhere():
        try:
            kpi = Kpi.objects.prefetch_related("targets").get(program=program, code="1.1.3")
            entry = services.Entry(kpi=kpi, value=D(71), seen_version=0)
            services.save_entries(user=head, program=program, year=2025, entries=[entry])
            saved.set()
        finally:
            connection.close()

    def after_the_values_are_read(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if 'FROM "kpis_actual"' in sql and not saved.is_set():
            other = threading.Thread(target=save_a_value_elsewhere)
            other.start()
            other.join(20)
        return result

    backup = tmp_path / "backup.zip"
    with connection.execute_wrapper(after_the_values_are_read):
        call_command("backup_data", "--output", str(backup))

    assert saved.is_set()
    assert Actual.objects.filter(kpi__code="1.1.3", year=2025, value=71).exists()
    with zipfile.ZipFile(backup) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        rows = json.loads(archive.read("data.json"))
    assert Counter(row["model"] for row in rows) == +Counter(manifest["counts"])

    call_command("restore_data", str(backup), "--wipe")

    assert snapshot() == before


@pytest.mark.django_db
def test_a_backup_refuses_files_it_could_not_restore(program, tmp_path):
    _evidence, frozen = program_with_files(program)
    folder = tmp_path / "backups"
    folder.mkdir()
    backup = folder / "backup.zip"

    Path(frozen.file.path).write_bytes(b"not what was sent")
    with pytest.raises(CommandError, match=rf"{frozen.file.name} no longer matches the SHA-256"):
        call_command("backup_data", "--output", str(backup))

    Path(frozen.file.path).unlink()
    with pytest.raises(
        CommandError, match=rf"^No backup was written: {frozen.file.name} is missing"
    ):
        call_command("backup_data", "--output", str(backup))
    assert list(folder.iterdir()) == []  # no partial zip left


# Frozen reports are checked on download too -------------------------------------------------


@pytest.mark.django_db
def test_an_altered_frozen_report_is_not_served(planner, program, caplog):
    planner.cookies["django_language"] = "en"
    planner.post(reverse("freeze_report"), {"year": "2025", "confirm": "yes"})
    frozen = FrozenReport.objects.get()
    url = reverse("frozen_download", args=[frozen.pk])
    assert FrozenReport.digest(b"".join(planner.get(url).streaming_content)) == frozen.sha256

    Path(frozen.file.path).write_bytes(Path(frozen.file.path).read_bytes() + b"\0")
    with caplog.at_level(logging.WARNING, logger="metu.security"):
        response = planner.get(url, follow=True)

    assert response.redirect_chain == [(reverse("frozen_reports"), 302)]
    assert response.status_code == 200
    assert "no longer matches the checksum recorded when it was frozen" in response.text
    assert any(
        "no longer matches its SHA-256" in r.getMessage() and r.name == "metu.security"
        for r in caplog.records
    )
