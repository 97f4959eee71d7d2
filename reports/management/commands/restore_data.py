from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from reports.backup import BackupError, check_backup, restore_backup


class Command(BaseCommand):
    help = (
        "Restore a backup written by backup_data. The whole file is checked before anything "
        "is written. Refuses a non-empty database unless --wipe."
    )

    def add_arguments(self, parser):
        parser.add_argument("backup", help="the zip file written by backup_data")
        parser.add_argument(
            "--wipe", action="store_true", help="delete everything in this database first"
        )
        parser.add_argument(
            "--check", action="store_true", help="only check the backup; change nothing"
        )

    def handle(self, *args, backup: str, wipe: bool, check: bool, **options):
        try:
            if check:
                manifest = check_backup(Path(backup))
            else:
                manifest = restore_backup(Path(backup), wipe=wipe)
        except BackupError as exc:
            prefix = "The backup is not sound" if check else "Nothing was restored"
            raise CommandError(f"{prefix}: {exc}") from exc
        rows, files = sum(manifest["counts"].values()), len(manifest["files"])
        done = "can be restored" if check else "was restored"
        self.stdout.write(
            self.style.SUCCESS(f"{backup} {done}: {rows} rows, {files} files, all checked.")
        )
