"""Two `send_notifications` processes started together on PostgreSQL send each e-mail
once: each locks the row it sends (SELECT … FOR UPDATE SKIP LOCKED), and a notice both
create is stored once (its UNIQUE dedupe_key). SQLite has no row locks: skipped there."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.utils import timezone

from notices.models import EmailState, Kind, Notification
from tests import smtp as smtp_server

pytestmark = pytest.mark.django_db(transaction=True)
smtp = smtp_server.smtp  # the fixture: a real SMTP server's inbox
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locks between processes are tested on PostgreSQL")


def database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return (
        f"postgres://{db['USER']}{password}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}"
        f"/{db['NAME']}"
    )


def test_two_senders_started_together_send_each_message_once(
    program, postgres_only, smtp, settings
):
    rector = User.objects.get(username="rector")
    rector.email = "rector@metu.test"
    rector.save()
    head = User.objects.get(username="head")
    head.email = "head@metu.test"
    head.save()
    now = timezone.now()
    Notification.objects.bulk_create(
        Notification(
            recipient=head,
            kind=Kind.REMINDER_NOW,
            subject_key=Kind.REMINDER_NOW,
            language="kk",
            subject=f"Reminder {i}",
            body="Please submit.",
            created_at=now,
            email_state=EmailState.PENDING,
            next_attempt_at=now,
            dedupe_key=f"race:{i}",
        )
        for i in range(80)
    )
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(settings.EMAIL_PORT),
        "LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "manage.py", "send_notifications"]
    senders = [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [sender.communicate(timeout=300)[0] for sender in senders]
    assert [sender.returncode for sender in senders] == [0, 0], outputs

    stored = list(Notification.objects.values_list("id", flat=True))
    # The 80 waiting, and the weekly summary both processes were due to create (unless
    # it is Monday before the digest hour): once.
    weekly = Notification.objects.filter(kind=Kind.WEEKLY, recipient=rector).count()
    assert weekly <= 1 and len(stored) == 80 + weekly
    sent = smtp.notice_ids()
    assert sorted(sent) == sorted(stored)  # every notice e-mailed, none twice
    assert set(Notification.objects.values_list("email_state", flat=True)) == {EmailState.SENT}
