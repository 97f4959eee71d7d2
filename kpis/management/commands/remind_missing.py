from django.conf import settings
from django.core.mail import send_mail
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from directions.selectors import current_program
from kpis import selectors


class Command(BaseCommand):
    help = "List what each unit still owes for a year; with --send, e-mail the unit heads."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--send", action="store_true", help="e-mail each unit's heads")
        parser.add_argument(
            "--lang", default=settings.LANGUAGE_CODE, help="language of the e-mails"
        )

    def handle(self, *args, year: int, send: bool, lang: str, **options):
        program = current_program()
        if program is None or not program.covers(year):
            raise CommandError(f"{year} is not a year of the loaded program.")
        with translation.override(lang):
            sent = 0
            owed_by = selectors.owed_by_unit(program, year)
            for row in selectors.progress_by_unit(program, year):
                if row.unit is None:
                    if row.total:
                        self.stdout.write(self.style.WARNING(f"{row.total} KPIs have no unit."))
                    continue
                owed = owed_by.pop(row.unit.id, None)
                if not owed:
                    self.stdout.write(f"{row.unit.name}: {_('nothing owed')}")
                    continue
                sent += self._report(owed, year, send)
            for owed in owed_by.values():  # units that report inputs and own no KPI
                sent += self._report(owed, year, send)
            if send:
                self.stdout.write(self.style.SUCCESS(f"{sent} e-mails sent."))

    def _report(self, owed, year: int, send: bool) -> int:
        self.stdout.write(f"{owed.unit.name}: {len(owed)}")
        for line in owed.lines():
            self.stdout.write(f"  {line[:100]}")
        return self._send(owed.unit, owed, year) if send else 0

    def _send(self, unit, owed, year: int) -> int:
        recipients = [h.email for h in unit.heads.all() if h.email]
        if not recipients:
            self.stdout.write(self.style.WARNING(f"  {unit.name}: no head with an e-mail address"))
            return 0
        subject = _("KPI values for %(year)s still to submit: %(n)s") % {
            "year": year,
            "n": len(owed),
        }
        lines = [
            _("Dear colleague,"),
            "",
            _("%(unit)s has not yet submitted these KPI values for %(year)s:")
            % {"unit": unit.name, "year": year},
            "",
            *[f"  {line}" for line in owed.lines()],
            "",
            _("Please enter and submit them on the “My KPIs” page."),
        ]
        send_mail(subject, "\n".join(lines), None, recipients)
        return len(recipients)
