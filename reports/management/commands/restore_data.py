from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from reports.backup import BackupError, restore_backup


class Command(BaseCommand):
    help = "Restore a backup written by backup_data. Refuses a non-empty database unless --wipe."

    def add_arguments(self, parser):
        parser.add_argument("backup", help="the zip file written by backup_data")
        parser.add_argument(
            "--wipe", action="store_true", help="delete everything in this database first"
        )

    def handle(self, *args, backup: str, wipe: bool, **options):
        try:
            manifest = restore_backup(Path(backup), wipe=wipe)
        except (BackupError, OSError, KeyError, ValueError) as exc:
            raise CommandError(f"Nothing was restored: {exc}") from exc
        rows = sum(manifest["counts"].values())
        self.stdout.write(self.style.SUCCESS(f"Restored {rows} rows from {backup}."))
