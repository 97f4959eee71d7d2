from django.core.management.base import BaseCommand, CommandError

from directions.models import Program
from directions.selectors import current_program
from kpis.definitions import (
    DEFINITIONS_FIXTURE,
    DefinitionsError,
    discard_proposed,
    load_definitions,
    read_definitions,
)


class Command(BaseCommand):
    help = (
        "Load the proposed inputs and calculations (fixtures/definitions_proposed.json), "
        "marked proposed. Safe to run again: it never changes what is already there. "
        "--discard removes the proposed ones nobody has reported."
    )

    def add_arguments(self, parser):
        parser.add_argument("--fixture", default=str(DEFINITIONS_FIXTURE))
        parser.add_argument(
            "--discard",
            action="store_true",
            help="remove proposed (unconfirmed) inputs and calculations without contributions",
        )

    def handle(self, *args, fixture: str, discard: bool, **options):
        if discard:
            program = current_program()
            if program is None:
                raise CommandError("No program is loaded.")
            report = discard_proposed(program)
            self.stdout.write(
                f"discarded {len(report.calculations)} calculations "
                f"({', '.join(report.calculations) or '—'}) and {len(report.inputs)} inputs"
            )
            for line in report.kept:
                self.stdout.write(self.style.WARNING(f"  kept {line}"))
            return
        try:
            data = read_definitions(fixture)
        except (OSError, ValueError, DefinitionsError) as exc:
            raise CommandError(f"Cannot read {fixture}: {exc}") from exc
        program = Program.objects.filter(code=data.get("program", "")).first() or current_program()
        if program is None:
            raise CommandError("Load the program first: python manage.py load_program")
        try:
            report = load_definitions(program, data)
        except (KeyError, TypeError) as exc:
            raise CommandError(f"Cannot load {fixture}: {exc}") from exc
        self.stdout.write(
            f"created {len(report.created_inputs)} inputs and "
            f"{len(report.created_calculations)} calculations (marked proposed)"
        )
        for line in report.skipped:
            self.stdout.write(self.style.ERROR(f"  not loaded: {line}"))
        if report.differing:
            self.stdout.write(
                self.style.WARNING(
                    f"{len(report.differing)} differences from the file; the database's "
                    "version was kept:"
                )
            )
            for line in report.differing:
                self.stdout.write(f"  {line}")
        if not report.changed_anything and not report.skipped:
            self.stdout.write(self.style.SUCCESS("The definitions are loaded; nothing changed."))
