from django.core.management.base import BaseCommand

from notices import services


class Command(BaseCommand):
    help = (
        "Create the reminders, digests and summaries now due (each once) and send the "
        "e-mails waiting, retrying failed ones with backoff. Run it every few minutes "
        "(cron or a systemd timer); several servers may run it at once."
    )

    def add_arguments(self, parser):
        parser.add_argument("--no-create", action="store_true", help="only send what is waiting")
        parser.add_argument("--limit", type=int, default=1000, help="e-mails per run at most")

    def handle(self, *args, no_create: bool, limit: int, **options):
        created = [] if no_create else services.create_due_notices()
        result = services.send_pending(limit=limit)
        self.stdout.write(
            f"{len(created)} notifications created, {result.sent} e-mails sent, "
            f"{result.failed} failed"
        )
