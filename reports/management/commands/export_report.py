from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from directions.selectors import current_program
from reports.excel import build_ministry_report, workbook_bytes


class Command(BaseCommand):
    help = "Write the report for the Ministry (the layout of table 4.2) as an Excel workbook."

    def add_arguments(self, parser):
        parser.add_argument("--year", help="a year of the program, or 'all' for every year")
        parser.add_argument("--output", required=True, help="the .xlsx file to write")
        parser.add_argument("--include-submitted", action="store_true")
        parser.add_argument(
            "--lang", choices=[c for c, _n in settings.LANGUAGES], default=settings.LANGUAGE_CODE
        )

    def handle(
        self, *args, year: str | None, output: str, include_submitted: bool, lang: str, **options
    ):
        program = current_program()
        if program is None:
            raise CommandError("Load the program first: python manage.py load_program")
        if year in (None, "all"):
            chosen = None
        elif year.isdigit() and program.covers(int(year)):
            chosen = int(year)
        else:
            raise CommandError(f"{year} is not a year of {program.start_year}–{program.end_year}.")
        workbook = build_ministry_report(
            program, year=chosen, include_submitted=include_submitted, language=lang
        )
        Path(output).write_bytes(workbook_bytes(workbook))
        self.stdout.write(self.style.SUCCESS(f"Wrote {output}."))
