"""Backup and restore of everything the application knows: the program, targets, values,
comments, evidence files, frozen reports, users, roles and the whole change history.

A backup is one zip file: `data.json` (Django's serialisation, primary keys kept so the
history stays linked), `media/` (evidence and frozen report files) and `manifest.json`
(row counts per model and a checksum) so a restore can prove it found every row back."""

from __future__ import annotations

import hashlib
import json
import shutil
import uuid
import zipfile
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

FORMAT_VERSION = 1
# Framework bookkeeping that migrations and the running server recreate by themselves.
SKIPPED_APPS = {"contenttypes", "sessions", "admin", "axes"}
# The dashboards' cache counter moves on by itself when the restore writes.
SKIPPED_MODELS = {"auth.permission", "reports.dataversion"}


class BackupError(Exception):
    """The backup file cannot be restored; the message says why."""


def backed_up_models() -> list:
    return [
        model
        for model in apps.get_models()
        if model._meta.app_label not in SKIPPED_APPS
        and model._meta.label_lower not in SKIPPED_MODELS
        and not model._meta.proxy
        and model._meta.managed
    ]


def model_counts() -> dict[str, int]:
    return {m._meta.label_lower: m._default_manager.count() for m in backed_up_models()}


def write_backup(target: Path) -> dict:
    """Write a backup zip to `target` and return its manifest."""
    models = backed_up_models()
    with transaction.atomic():  # one consistent snapshot
        rows = serializers.serialize(
            "python",
            (obj for model in _dependency_order(models) for obj in _rows(model)),
            use_natural_foreign_keys=True,
        )
        data = json.dumps(rows, default=_exact, ensure_ascii=False).encode()
        counts = model_counts()
    manifest = {
        "format": FORMAT_VERSION,
        "created_at": timezone.now().isoformat(),
        "counts": counts,
        "data_sha256": hashlib.sha256(data).hexdigest(),
    }
    media = Path(settings.MEDIA_ROOT)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", data)
        archive.writestr("manifest.json", json.dumps(manifest, indent=1))
        if media.exists():
            for path in sorted(media.rglob("*")):
                if path.is_file() and path.relative_to(media).parts[0] in {"evidence", "frozen"}:
                    archive.write(path, f"media/{path.relative_to(media).as_posix()}")
    return manifest


def restore_backup(source: Path, *, wipe: bool = False) -> dict:
    """Load a backup into this database. Refuses a database that holds data unless
    `wipe`; then everything is deleted first. All or nothing."""
    with zipfile.ZipFile(source) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        data = archive.read("data.json")
        if hashlib.sha256(data).hexdigest() != manifest["data_sha256"]:
            raise BackupError("data.json does not match its checksum: the backup is damaged.")
        if manifest.get("format") != FORMAT_VERSION:
            raise BackupError(f"Unknown backup format {manifest.get('format')}.")
        if _holds_data() and not wipe:
            raise BackupError("The database is not empty; restore with --wipe to replace it.")
        with transaction.atomic():
            if wipe:
                call_command("flush", interactive=False, verbosity=0)
            rows = json.loads(data)
            for obj in serializers.deserialize("python", rows, handle_forward_references=True):
                obj.save()
            counts = model_counts()
            missing = {
                k: (v, counts.get(k)) for k, v in manifest["counts"].items() if counts.get(k) != v
            }
            if missing:
                raise BackupError(f"Rows differ after restore (expected, found): {missing}")
        _restore_media(archive)
    _reset_sequences()
    return manifest


def _restore_media(archive: zipfile.ZipFile) -> None:
    media = Path(settings.MEDIA_ROOT)
    for name in archive.namelist():
        if not name.startswith("media/") or name.endswith("/"):
            continue
        relative = Path(name[len("media/") :])
        if ".." in relative.parts or relative.is_absolute():
            raise BackupError(f"Unsafe path in backup: {name}")
        destination = media / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        with archive.open(name) as source, open(destination, "wb") as out:
            shutil.copyfileobj(source, out)


def _exact(value):
    """JSON for what json cannot hold, without the millisecond rounding of Django's encoder."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    raise TypeError(f"Cannot serialise {type(value).__name__}")


def _holds_data() -> bool:
    """Real data, as opposed to the role groups every migrated database has."""
    from django.contrib.auth.models import User

    from directions.models import Program

    return Program.objects.exists() or User.objects.exists()


def _rows(model):
    return model._default_manager.order_by("pk").iterator(chunk_size=2000)


def _dependency_order(models: list) -> list:
    from django.core.serializers import sort_dependencies

    by_app: dict = {}
    for model in models:
        by_app.setdefault(apps.get_app_config(model._meta.app_label), []).append(model)
    ordered = sort_dependencies(by_app.items(), allow_cycles=True)
    return [m for m in ordered if m in models]


def _reset_sequences() -> None:
    """PostgreSQL keeps id sequences apart from the rows: move them past the restored ids."""
    from django.core.management.color import no_style
    from django.db import connection

    statements = connection.ops.sequence_reset_sql(no_style(), backed_up_models())
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
