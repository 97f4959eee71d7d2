from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from reports.backup import BackupError, write_backup


class Command(BaseCommand):
    help = (
        "Write everything (program, values, history, users, evidence files, frozen reports) "
        "to one zip file, read from one snapshot of the database."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", help="zip file to write (default: metu-backup-<time>.zip)")

    def handle(self, *args, output: str | None, **options):
        target = Path(output or f"metu-backup-{timezone.now():%Y%m%d-%H%M%S}.zip")
        try:
            manifest = write_backup(target)
        except BackupError as exc:
            raise CommandError(f"No backup was written: {exc}") from exc
        rows, files = sum(manifest["counts"].values()), len(manifest["files"])
        self.stdout.write(self.style.SUCCESS(f"Wrote {target}: {rows} rows, {files} files."))
