from django.core.management.base import BaseCommand, CommandError

from directions.selectors import current_program
from kpis.demo import setup_demo


class Command(BaseCommand):
    help = "Create the demo accounts, units and assignments (for trying the application)."

    def handle(self, *args, **options):
        program = current_program()
        if program is None:
            raise CommandError("Load the program first: python manage.py load_program")
        accounts = setup_demo(program)
        self.stdout.write(self.style.SUCCESS("Demo accounts (user / password — role):"))
        for account in accounts:
            self.stdout.write(f"  {account.username:8} / {account.password:14} — {account.role}")
