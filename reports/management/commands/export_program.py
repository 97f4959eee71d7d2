import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from directions.models import Program
from directions.selectors import current_program
from reports.exports import BOM, is_localized_csv, program_document, program_rows, write_csv


class Command(BaseCommand):
    help = "Print the program with its targets and actual values as JSON or CSV."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=["json", "csv"], default="json")
        parser.add_argument("--program", help="program code (default: the current program)")
        parser.add_argument(
            "--lang",
            choices=[code for code, _name in settings.LANGUAGES],
            help="language of the names (default: Kazakh, as the program is written). "
            "With --format csv, kk and ru give the file for Excel in that language "
            "(semicolons, translated headers and names, decimal commas, a byte-order "
            "mark); without --lang, or with en, the CSV is the machine-readable one "
            "(commas, English codes, decimal points)",
        )
        parser.add_argument(
            "--include-submitted",
            action="store_true",
            help="count submitted values too, not only approved ones",
        )

    def handle(self, *args, lang: str | None, **options):
        # Only a language asked for changes the CSV's form: other systems read the
        # default output.
        localized = lang is not None and is_localized_csv(lang)
        with translation.override(lang or settings.LANGUAGE_CODE):
            self._export(localized=localized, **options)

    def _export(
        self,
        *,
        format: str,
        program: str | None,
        include_submitted: bool,
        localized: bool,
        **options,
    ):
        chosen = Program.objects.filter(code=program).first() if program else current_program()
        if chosen is None:
            raise CommandError("No such program. Load one with: python manage.py load_program")
        if format == "json":
            document = program_document(chosen, include_submitted=include_submitted)
            self.stdout.write(json.dumps(document, ensure_ascii=False, indent=2))
        else:
            self.stdout.ending = ""  # the csv module ends its own rows
            if localized:
                self.stdout.write(BOM)
            rows = program_rows(chosen, include_submitted=include_submitted, localized=localized)
            write_csv(rows, self.stdout, localized=localized)
