from pathlib import Path

from django.core.management.base import BaseCommand
from django.utils import timezone

from reports.backup import write_backup


class Command(BaseCommand):
    help = "Write everything (program, values, history, users, evidence files) to one zip file."

    def add_arguments(self, parser):
        parser.add_argument("--output", help="zip file to write (default: metu-backup-<time>.zip)")

    def handle(self, *args, output: str | None, **options):
        target = Path(output or f"metu-backup-{timezone.now():%Y%m%d-%H%M%S}.zip")
        manifest = write_backup(target)
        rows = sum(manifest["counts"].values())
        self.stdout.write(self.style.SUCCESS(f"Wrote {target}: {rows} rows."))
