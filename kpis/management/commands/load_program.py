from django.core.management.base import BaseCommand, CommandError

from kpis.loading import (
    DEFAULT_FIXTURE,
    FixtureError,
    load_program,
    read_fixture,
    read_translations,
)


class Command(BaseCommand):
    help = (
        "Load the development program (directions, goals, tasks, KPIs, targets, alignment) "
        "from its fixture. Safe to run again: it never touches actual values."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--fixture", default=str(DEFAULT_FIXTURE), help="path to the JSON fixture"
        )
        parser.add_argument(
            "--overwrite",
            action="store_true",
            help="reset names and targets edited in the application to the fixture's values",
        )

    def handle(self, *args, fixture: str, overwrite: bool, **options):
        try:
            report = load_program(
                read_fixture(fixture), overwrite=overwrite, translations=read_translations(fixture)
            )
        except (OSError, ValueError, KeyError, FixtureError) as exc:
            raise CommandError(f"Cannot load {fixture}: {exc}") from exc
        for model, count in sorted(report.created.items()):
            self.stdout.write(f"created {count} {model}")
        for model, count in sorted(report.updated.items()):
            self.stdout.write(f"reset {count} {model} to the fixture")
        if report.differing:
            self.stdout.write(
                self.style.WARNING(
                    f"{len(report.differing)} records differ from the fixture and were kept "
                    "(run with --overwrite to reset them):"
                )
            )
            for line in report.differing:
                self.stdout.write(f"  {line}")
        if not report.changed_anything:
            self.stdout.write(self.style.SUCCESS("The program is up to date; nothing changed."))
        else:
            self.stdout.write(self.style.SUCCESS("Program loaded."))
