from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError

from directions.selectors import current_program
from kpis.demo import (
    DEMO_PART_ACCOUNTS,
    setup_demo,
    setup_demo_calendar,
    setup_demo_parts,
    setup_demo_values,
)
from kpis.passport import load_baselines
from kpis.signals import workflow_events_quiet


class Command(BaseCommand):
    help = "Create the demo accounts, units and assignments (for trying the application)."

    def handle(self, *args, **options):
        program = current_program()
        if program is None:
            raise CommandError("Load the program first: python manage.py load_program")
        with workflow_events_quiet():
            self._setup(program)

    def _setup(self, program) -> None:
        accounts = setup_demo(program)
        # The few baselines section 6 of the program states (fixtures/baselines_section6.json).
        baselines = load_baselines(user=User.objects.get(username="planner"), program=program)
        if baselines.set:
            self.stdout.write(
                f"Baselines from section 6 of the program: {', '.join(baselines.set)}."
            )
        parts = setup_demo_parts(program)
        self.stdout.write(
            "The university's tree: two faculties with two departments each, the offices; "
            f"{parts['inputs']} proposed inputs loaded, {parts['contributions']} demo "
            "contributions (2023–2024 approved, 2025 partly submitted)."
        )
        window = setup_demo_calendar(program)
        if window:
            self.stdout.write(
                f"{window.year} is due on {window.due:%Y-%m-%d} (opened {window.opens:%Y-%m-%d}, "
                f"closes {window.closes:%Y-%m-%d}): the demo's deadlines."
            )
        created = setup_demo_values(program)
        if created:
            self.stdout.write(
                f"Created {created} demo values for 2023 and 2024 (marked as demo data)."
            )
        self.stdout.write(self.style.SUCCESS("Demo accounts (user / password — role):"))
        for account in [*accounts, *DEMO_PART_ACCOUNTS]:
            self.stdout.write(f"  {account.username:8} / {account.password:14} — {account.role}")
