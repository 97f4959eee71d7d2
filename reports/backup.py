"""Backup and restore of everything the application knows: the program, targets, values,
comments, evidence files, frozen reports, users, roles and the whole change history.

A backup is one zip file:

- `data.json`: Django's serialisation, primary keys kept so the history stays linked,
  read from one database snapshot;
- `media/evidence/…`, `media/frozen/…`: exactly the files the database refers to
  (every `Evidence.file` and `FrozenReport.file`), nothing else from MEDIA_ROOT;
- `manifest.json`: the format, row counts per model, the SHA-256 of data.json and the
  SHA-256 and size of every file in `media/`.

A restore checks the whole archive before it writes anything (see `check_backup`), then
restores the database and the files together or not at all."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import uuid
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.management import call_command
from django.core.serializers.base import DeserializationError
from django.db import DatabaseError, connection, models, transaction
from django.utils import timezone

FORMAT_VERSION = 2
# The only folders of MEDIA_ROOT a backup holds and a restore writes to.
MEDIA_FOLDERS = ("evidence", "frozen")
MEDIA_NOTE = (
    "media/ holds exactly the files listed under 'files': every file an Evidence or "
    "FrozenReport row refers to, nothing else from MEDIA_ROOT."
)
# Framework bookkeeping that migrations and the running server recreate by themselves.
SKIPPED_APPS = {"contenttypes", "sessions", "admin", "axes"}
# The dashboards' cache counter moves on by itself when the restore writes.
SKIPPED_MODELS = {"auth.permission", "reports.dataversion"}
CHUNK = 1 << 20
SHA256 = re.compile(r"[0-9a-f]{64}")


class BackupError(Exception):
    """The backup cannot be written or restored; the message, one line, says why."""


@dataclass(frozen=True)
class MediaFile:
    sha256: str
    size: int


@dataclass(frozen=True)
class Reference:
    """A row's file field: which row, and the SHA-256 the row itself records (frozen reports)."""

    row: str
    sha256: str | None


@dataclass(frozen=True)
class CheckedBackup:
    manifest: dict
    rows: list
    files: dict[str, MediaFile]


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


# Writing ----------------------------------------------------------------------------------


def write_backup(target: Path) -> dict:
    """Write a backup zip to `target` and return its manifest. The zip appears at `target`
    only when it is complete; a file the database refers to but that is missing, or a frozen
    report that no longer matches its SHA-256, stops the backup (it could not be restored)."""
    for _attempt in range(3):
        data, counts, references = _read_database()
        try:
            return _write_zip(target, data, counts, references)
        except _FileVanished:
            continue  # a user removed evidence after our snapshot: take a new one
    raise BackupError("Files kept disappearing while the backup was written; run it again.")


class _FileVanished(Exception):
    pass


def _read_database() -> tuple[bytes, dict[str, int], dict[str, Reference]]:
    """Every row, the counts and the file references, all from one snapshot of the database."""
    models_ = backed_up_models()
    outermost = not connection.in_atomic_block
    if outermost:
        # A failed health check would run its query inside the transaction below, before
        # SET TRANSACTION, which PostgreSQL refuses: do it now.
        connection.close_if_health_check_failed()
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            # READ COMMITTED takes a new snapshot per statement: a value committed between
            # two reads would be in the counts and not in the rows (or in the history and not
            # in the values). REPEATABLE READ reads everything as of the first statement.
            # Inside a caller's transaction (tests) the caller's isolation applies.
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        # SQLite: a transaction's reads already come from one snapshot of the file.
        rows = serializers.serialize(
            "python",
            (obj for model in _dependency_order(models_) for obj in _rows(model)),
            use_natural_foreign_keys=True,
        )
        counts = model_counts()
    data = json.dumps(rows, default=_exact, ensure_ascii=False).encode()
    return data, counts, _references(rows)


def _write_zip(
    target: Path, data: bytes, counts: dict[str, int], references: dict[str, Reference]
) -> dict:
    media = Path(settings.MEDIA_ROOT)
    partial = target.with_name(target.name + ".partial")
    files: dict[str, MediaFile] = {}
    try:
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("data.json", data)
            for path, reference in sorted(references.items()):
                if _unsafe_media_path(path):
                    raise BackupError(f"{reference.row} refers to an unsafe path: {path}")
                files[path] = _copy_into(archive, media / path, path, reference)
                if reference.sha256 and files[path].sha256 != reference.sha256:
                    raise BackupError(
                        f"{path} no longer matches the SHA-256 recorded when the report was "
                        "frozen; put the original file back before taking a backup."
                    )
            manifest = {
                "format": FORMAT_VERSION,
                "created_at": timezone.now().isoformat(),
                "counts": counts,
                "data_sha256": hashlib.sha256(data).hexdigest(),
                "media": MEDIA_NOTE,
                "files": {path: {"sha256": f.sha256, "size": f.size} for path, f in files.items()},
            }
            archive.writestr("manifest.json", json.dumps(manifest, indent=1))
        partial.replace(target)
    except BaseException as exc:
        partial.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise BackupError(f"The backup cannot be written: {exc}") from exc
        raise
    return manifest


def _copy_into(
    archive: zipfile.ZipFile, source: Path, path: str, reference: Reference
) -> MediaFile:
    if not source.is_file():
        if _still_referenced(path):
            raise BackupError(
                f"{path} is missing from MEDIA_ROOT, but {reference.row} refers to it."
            )
        raise _FileVanished
    digest, size = hashlib.sha256(), 0
    with open(source, "rb") as handle:
        info = zipfile.ZipInfo.from_file(source, f"media/{path}")
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w") as out:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
    return MediaFile(digest.hexdigest(), size)


def _still_referenced(path: str) -> bool:
    return any(
        model._default_manager.filter(**{name: path}).exists()
        for model, names in _file_fields().items()
        for name in names
    )


# Checking ---------------------------------------------------------------------------------


def check_backup(source: Path) -> dict:
    """Check the backup at `source` as a restore would, writing nothing; return its manifest."""
    with _open_archive(source) as archive:
        return _check(archive).manifest


def _open_archive(source: Path) -> zipfile.ZipFile:
    name = Path(source).name
    try:
        return zipfile.ZipFile(source)
    except FileNotFoundError:
        raise BackupError(f"{source} does not exist.") from None
    except (zipfile.BadZipFile, EOFError, ValueError):
        with open(source, "rb") as handle:
            start = handle.read(4)
        if start == b"PK\x03\x04":
            raise BackupError(
                f"{name} is incomplete: the end of the zip file is missing (truncated copy?)."
            ) from None
        raise BackupError(f"{name} is not a zip file.") from None
    except OSError as exc:
        raise BackupError(f"{source} cannot be read: {exc.strerror}.") from None


def _check(archive: zipfile.ZipFile) -> CheckedBackup:
    """Everything a restore relies on, checked before anything is written. Any problem is a
    BackupError naming it."""
    names = archive.namelist()
    twice = [name for name, times in Counter(names).items() if times > 1]
    if twice:
        raise BackupError(f"The backup holds {twice[0]} more than once.")
    unsafe = [name for name in names if _unsafe_member(name)]
    if unsafe:
        raise BackupError(
            f"Unsafe path in the backup: {unsafe[0]} (files may only be under "
            "media/evidence/ or media/frozen/)."
        )
    if "manifest.json" not in names:
        raise BackupError("The backup has no manifest.json: it was not written by backup_data.")
    manifest = _parse_manifest(_read_member(archive, "manifest.json"))
    files = {
        path: MediaFile(entry["sha256"], entry["size"]) for path, entry in manifest["files"].items()
    }
    unsafe = sorted(path for path in files if _unsafe_media_path(path))
    if unsafe:
        raise BackupError(f"Unsafe path in the backup's manifest: {unsafe[0]}")
    expected = {"manifest.json", "data.json"} | {f"media/{path}" for path in files}
    missing, extra = sorted(expected - set(names)), sorted(set(names) - expected)
    if missing:
        raise BackupError(f"{missing[0]} is missing from the backup, but its manifest lists it.")
    if extra:
        raise BackupError(f"Unexpected entry in the backup: {extra[0]} is not in its manifest.")

    data = _read_member(archive, "data.json")
    if hashlib.sha256(data).hexdigest() != manifest["data_sha256"]:
        raise BackupError("data.json does not match its checksum: the backup is damaged.")
    for path, expected_file in sorted(files.items()):
        if _digest_member(archive, f"media/{path}") != expected_file:
            raise BackupError(
                f"media/{path} does not match the SHA-256 in the manifest: "
                "the file was replaced or damaged."
            )

    rows = _parse_rows(data)
    _check_counts(rows, manifest["counts"])
    references = _references(rows)
    for path, reference in sorted(references.items()):
        if path not in files:
            raise BackupError(f"{reference.row} refers to {path}, which is not in the backup.")
        if reference.sha256 is not None and files[path].sha256 != reference.sha256:
            raise BackupError(
                f"media/{path} does not match the SHA-256 recorded when the report was "
                "frozen: the file was replaced."
            )
    unreferenced = sorted(set(files) - set(references))
    if unreferenced:
        raise BackupError(f"media/{unreferenced[0]} is in the backup, but no row refers to it.")
    return CheckedBackup(manifest, rows, files)


def _unsafe_media_path(path: str) -> bool:
    """Anything but a plain relative path under evidence/ or frozen/."""
    parts = path.split("/")
    return (
        len(parts) < 2
        or parts[0] not in MEDIA_FOLDERS
        or any(part in ("", ".", "..") for part in parts)
        or "\\" in path
        or "\0" in path
    )


def _unsafe_member(name: str) -> bool:
    if name.startswith("media/"):
        return _unsafe_media_path(name[len("media/") :])
    return (
        name.startswith("/")
        or "\\" in name
        or re.match(r"[A-Za-z]:", name) is not None
        or ".." in name.split("/")
    )


def _parse_manifest(raw: bytes) -> dict:
    try:
        manifest = json.loads(raw)
    except ValueError:
        raise BackupError("manifest.json is not valid JSON: the backup is damaged.") from None
    if not isinstance(manifest, dict):
        raise BackupError("manifest.json is not in the expected form.")
    if manifest.get("format") != FORMAT_VERSION:
        raise BackupError(
            f"Unknown backup format {manifest.get('format')!r}: "
            f"this version restores format {FORMAT_VERSION}."
        )
    counts, files = manifest.get("counts"), manifest.get("files")
    well_formed = (
        isinstance(manifest.get("data_sha256"), str)
        and isinstance(counts, dict)
        and all(isinstance(n, int) and n >= 0 for n in counts.values())
        and isinstance(files, dict)
        and all(
            isinstance(entry, dict)
            and isinstance(entry.get("sha256"), str)
            and SHA256.fullmatch(entry["sha256"])
            and isinstance(entry.get("size"), int)
            for entry in files.values()
        )
    )
    if not well_formed:
        raise BackupError("manifest.json is not in the expected form.")
    return manifest


def _parse_rows(data: bytes) -> list:
    try:
        rows = json.loads(data)
    except ValueError:
        raise BackupError("data.json is not valid JSON.") from None
    if not isinstance(rows, list) or not all(
        isinstance(row, dict)
        and isinstance(row.get("model"), str)
        and isinstance(row.get("fields"), dict)
        for row in rows
    ):
        raise BackupError("data.json is not in the expected form.")
    return rows


def _check_counts(rows: list, counts: dict[str, int]) -> None:
    """The manifest and the rows were read from one snapshot, so they agree."""
    known = {model._meta.label_lower for model in backed_up_models()}
    found = Counter(row["model"] for row in rows)
    for label in sorted(set(found) | set(counts)):
        if label not in known and (found[label] or counts.get(label)):
            raise BackupError(
                f"The backup holds rows of {label}, which this version of the application "
                "does not know."
            )
        if found[label] != counts.get(label, 0):
            raise BackupError(
                f"data.json holds {found[label]} rows of {label} but the manifest counts "
                f"{counts.get(label, 0)}: the backup is inconsistent."
            )


def _read_member(archive: zipfile.ZipFile, name: str) -> bytes:
    try:
        return archive.read(name)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise BackupError(_damaged(name, exc)) from None
    except (NotImplementedError, RuntimeError) as exc:  # compression or encryption
        raise BackupError(f"{name} cannot be read from the backup: {exc}") from None


def _digest_member(archive: zipfile.ZipFile, name: str) -> MediaFile:
    digest, size = hashlib.sha256(), 0
    try:
        with archive.open(name) as member:
            while chunk := member.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise BackupError(_damaged(name, exc)) from None
    except (NotImplementedError, RuntimeError) as exc:
        raise BackupError(f"{name} cannot be read from the backup: {exc}") from None
    return MediaFile(digest.hexdigest(), size)


def _damaged(name: str, exc: Exception) -> str:
    if "CRC" in str(exc):
        return f"{name} is damaged in the backup: its CRC check failed."
    return f"{name} is damaged in the backup and cannot be read."


def _file_fields() -> dict:
    """The models whose rows point at files in MEDIA_ROOT (the history tables keep only names)."""
    fields = {}
    for model in backed_up_models():
        names = [f.name for f in model._meta.concrete_fields if isinstance(f, models.FileField)]
        if names:
            fields[model] = names
    return fields


def _references(rows: list) -> dict[str, Reference]:
    """Every media file the serialised rows refer to."""
    from reports.models import FrozenReport

    by_label = {model._meta.label_lower: names for model, names in _file_fields().items()}
    frozen = FrozenReport._meta.label_lower
    references = {}
    for row in rows:
        for name in by_label.get(row["model"], ()):
            path = row["fields"].get(name)
            if path:
                # A frozen report's row must record the SHA-256 its file is checked against.
                sha256 = str(row["fields"].get("sha256") or "") if row["model"] == frozen else None
                references[str(path)] = Reference(f"{row['model']} {row.get('pk')}", sha256)
    return references


# Restoring --------------------------------------------------------------------------------


def restore_backup(source: Path, *, wipe: bool = False) -> dict:
    """Load a backup into this database and MEDIA_ROOT. Refuses a database that holds data
    unless `wipe`; then everything is deleted first. The archive is checked completely
    before anything is written; then the database and the files are restored together or
    not at all."""
    with _open_archive(source) as archive:
        checked = _check(archive)
        try:
            holds_data = _holds_data()
        except DatabaseError as exc:
            raise BackupError(
                f"The database is not ready (run manage.py migrate first): {_line(exc)}"
            ) from exc
        if holds_data and not wipe:
            raise BackupError("The database is not empty; restore with --wipe to replace it.")
        _restore(archive, checked, wipe=wipe)
    return checked.manifest


def _restore(archive: zipfile.ZipFile, checked: CheckedBackup, *, wipe: bool) -> None:
    media = Path(settings.MEDIA_ROOT)
    placement = _Placement(media)
    try:
        placement.stage(archive, checked.files)
        with transaction.atomic():
            if wipe:
                call_command("flush", interactive=False, verbosity=0)
            _load(checked.rows)
            counts = model_counts()
            differ = {
                k: (v, counts.get(k))
                for k, v in checked.manifest["counts"].items()
                if counts.get(k) != v
            }
            if differ:
                raise BackupError(f"Rows differ after restore (expected, found): {differ}")
            _reset_sequences()
            # The files go into place last, before COMMIT; if COMMIT fails they are taken
            # out again below and what they replaced is put back. The window that remains:
            # a crash (power cut, kill -9) between these moves and COMMIT rolls the database
            # back but leaves the moved files in MEDIA_ROOT, no row referring to them, and
            # the .restore-* staging folder (holding, under .displaced/, any file they
            # replaced); and a COMMIT that reached PostgreSQL but whose answer was lost makes
            # us take out files the committed rows refer to. Either way: restore again
            # with --wipe.
            placement.place(checked.files)
    except BaseException as exc:
        placement.undo()
        if isinstance(exc, BackupError):
            raise
        if isinstance(
            exc, DatabaseError | DeserializationError | ValidationError | ObjectDoesNotExist
        ):
            raise BackupError(f"The database refused the backup's rows: {_line(exc)}") from exc
        if isinstance(exc, OSError):
            raise BackupError(f"The files could not be written to MEDIA_ROOT: {exc}") from exc
        raise
    finally:
        placement.clean_up()


def _load(rows: list) -> None:
    deferred = []
    for obj in serializers.deserialize("python", rows, handle_forward_references=True):
        obj.save()
        if obj.deferred_fields:
            deferred.append(obj)
    for obj in deferred:
        obj.save_deferred_fields()


class _Placement:
    """The restored files: extracted into a staging folder inside MEDIA_ROOT (so moving
    them into place is a rename on the same disk), moved into place, and taken out again
    if the restore fails, leaving MEDIA_ROOT exactly as it was."""

    def __init__(self, media: Path) -> None:
        self.media = media
        self.staging = media / f".restore-{uuid.uuid4().hex}"
        self.created: list[Path] = []  # folders this restore made, parents first
        self.placed: list[Path] = []
        self.displaced: list[tuple[Path, Path]] = []  # (kept aside, original place)

    def stage(self, archive: zipfile.ZipFile, files: dict[str, MediaFile]) -> None:
        self._make_folder(self.staging)
        for path, expected in files.items():
            target = self.staging / path
            target.parent.mkdir(parents=True, exist_ok=True)
            digest, size = hashlib.sha256(), 0
            try:
                with archive.open(f"media/{path}") as member, open(target, "wb") as out:
                    while chunk := member.read(CHUNK):
                        digest.update(chunk)
                        size += len(chunk)
                        out.write(chunk)
            except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
                raise BackupError(_damaged(f"media/{path}", exc)) from None
            if MediaFile(digest.hexdigest(), size) != expected:  # the zip changed since checked
                raise BackupError(f"media/{path} changed while it was being restored.")

    def place(self, files: dict[str, MediaFile]) -> None:
        for path, expected in sorted(files.items()):
            destination = self.media / path
            if destination.is_file() and _file_digest(destination) == expected:
                continue  # already there, byte for byte
            self._make_folder(destination.parent)
            if destination.exists() or destination.is_symlink():
                aside = self.staging / ".displaced" / path
                aside.parent.mkdir(parents=True, exist_ok=True)
                os.replace(destination, aside)
                self.displaced.append((aside, destination))
            os.replace(self.staging / path, destination)
            self.placed.append(destination)

    def undo(self) -> None:
        for destination in reversed(self.placed):
            destination.unlink(missing_ok=True)
        for aside, destination in reversed(self.displaced):
            os.replace(aside, destination)
        self.placed, self.displaced = [], []
        shutil.rmtree(self.staging, ignore_errors=True)
        for folder in reversed(self.created):
            with contextlib.suppress(OSError):  # not empty: something else is in it
                folder.rmdir()

    def clean_up(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)

    def _make_folder(self, folder: Path) -> None:
        missing = []
        while not folder.exists():
            missing.append(folder)
            folder = folder.parent
        for new in reversed(missing):
            new.mkdir()
            self.created.append(new)


def _file_digest(path: Path) -> MediaFile:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return MediaFile(digest.hexdigest(), size)


def _line(exc: Exception) -> str:
    """The first line of a message: database errors add DETAIL lines."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


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


def _dependency_order(models_: list) -> list:
    from django.core.serializers import sort_dependencies

    by_app: dict = {}
    for model in models_:
        by_app.setdefault(apps.get_app_config(model._meta.app_label), []).append(model)
    ordered = sort_dependencies(by_app.items(), allow_cycles=True)
    return [m for m in ordered if m in models_]


def _reset_sequences() -> None:
    """PostgreSQL keeps id sequences apart from the rows: move them past the restored ids."""
    from django.core.management.color import no_style

    statements = connection.ops.sequence_reset_sql(no_style(), backed_up_models())
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
