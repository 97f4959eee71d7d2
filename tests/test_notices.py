"""Notifications against a real SMTP server (aiosmtpd, tests/smtp.py): the right people
get the right notice in their language, once; nothing for a closed or complete unit;
and a year's calendar on a simulated clock (the time is passed in as `now`) produces
exactly the expected reminders, digests and summaries."""

from __future__ import annotations

import socket
from datetime import date, datetime, timedelta
from decimal import Decimal as D

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kpis import services
from kpis.models import Actual, ActualState, Kpi, OrgUnit
from notices import services as notices
from notices.models import EmailState, Kind, Notification, Profile, ReminderSettings
from tests import smtp as smtp_server
from tests import test_contributions
from tests.smtp import body

smtp = smtp_server.smtp  # the fixture: a real SMTP server's inbox

YEAR = 2025


def at(day: date, hour: int = 9, minute: int = 0) -> datetime:
    """A moment in Almaty."""
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour, minute))


@pytest.fixture
def people(program):
    """The demo's people with addresses and languages: head reads Russian, head2
    English, the planner Kazakh (the default), the rector English."""
    languages = {"head": "ru", "head2": "en", "rector": "en"}
    found = {}
    for name in ("planner", "head", "head2", "rector"):
        user = User.objects.get(username=name)
        user.email = f"{name}@metu.test"
        user.save()
        if name in languages:
            Profile.objects.update_or_create(user=user, defaults={"language": languages[name]})
        found[name] = user
    Notification.objects.all().delete()  # the demo's approvals notified the heads
    return found


def submitted(program, code: str, year: int = YEAR, value=D(5), when=None) -> Actual:
    """A value submitted directly (at a simulated moment)."""
    kpi = Kpi.objects.get(program=program, code=code)
    actual, _created = Actual.objects.update_or_create(
        kpi=kpi,
        year=year,
        defaults={
            "value": value,
            "state": ActualState.SUBMITTED,
            "submitted_at": when or timezone.now(),
        },
    )
    return actual


def submit_unit(program, unit_code: str, when: datetime) -> None:
    for kpi in Kpi.objects.filter(program=program, owner__code=unit_code):
        submitted(program, kpi.code, when=when)


# --- Workflow events --------------------------------------------------------------------


def test_a_returned_value_reaches_the_units_head_in_their_language_once(program, people, smtp):
    actual = submitted(program, "1.1.3")
    planner = people["planner"]
    services.return_for_revision(user=planner, actual=actual, reason="Attach the order")
    notice = Notification.objects.get()
    assert (notice.recipient, notice.kind, notice.language) == (people["head"], Kind.RETURNED, "ru")
    assert actual.kpi.name_ru in notice.body and "Attach the order" in notice.body
    assert actual.kpi.name_kk not in notice.body or actual.kpi.name_kk == actual.kpi.name_ru

    assert notices.send_pending().sent == 1
    assert notices.send_pending().sent == 0  # a second run sends nothing again
    (mail,) = smtp.messages
    assert mail["To"] == "head@metu.test"
    assert mail["Subject"].strip() == notice.subject
    assert "Attach the order" in body(mail) and actual.kpi.name_ru in body(mail)
    notice.refresh_from_db()
    assert notice.email_state == EmailState.SENT and notice.attempts == 1


def test_approved_and_reopened_values_notify_and_a_person_may_turn_the_email_off(
    program, people, smtp
):
    Profile.objects.filter(user=people["head"]).update(email_off=[Kind.APPROVED])
    actual = submitted(program, "1.1.3")
    planner = people["planner"]
    actual = services.approve(user=planner, actual=actual)
    services.reopen(user=planner, actual=actual, reason="Wrong year counted")
    kinds = dict(Notification.objects.values_list("kind", "email_state"))
    assert kinds == {Kind.APPROVED: EmailState.OFF, Kind.REOPENED: EmailState.PENDING}
    notices.send_pending()
    assert [m["Subject"].strip() for m in smtp.messages] == [
        Notification.objects.get(kind=Kind.REOPENED).subject
    ]
    # Both are under the bell whatever the e-mail.
    assert Notification.objects.filter(recipient=people["head"]).count() == 2


def test_a_workflow_notice_is_created_once_even_if_the_event_is_sent_twice(program, people):
    from kpis.signals import workflow_event

    actual = submitted(program, "1.1.3")
    actual = services.return_for_revision(user=people["planner"], actual=actual, reason="Why")
    workflow_event.send(
        sender=Actual, row=actual, event="returned", user=people["planner"], reason="Why"
    )
    assert Notification.objects.count() == 1


def test_a_refused_transition_notifies_nobody(program, people):
    actual = submitted(program, "1.1.3")
    with pytest.raises(services.WorkflowError):
        services.reopen(user=people["planner"], actual=actual, reason="not approved yet")
    assert not Notification.objects.exists()


# --- Reminders: nothing for a closed or a complete unit ----------------------------------


def calendar(program, *, due: date, opens=None, closes=None, keep_open=False):
    return services.set_calendar(
        user=User.objects.get(username="planner"),
        program=program,
        year=YEAR,
        opens=opens,
        due=due,
        closes=closes,
        keep_open=keep_open,
    )


def test_reminders_skip_a_complete_unit_and_a_closed_year(program, people, smtp):
    due = date(2026, 3, 1)
    calendar(program, due=due, closes=date(2026, 3, 10))
    submit_unit(program, "digital", at(date(2026, 2, 1)))  # complete
    created = notices.create_due_notices(at(due - timedelta(days=7)))
    reminded = {(n.recipient.username, n.params["unit"]) for n in created if "unit" in n.params}
    assert reminded == {("head", "academic"), ("head2", "science")}
    notices.send_pending(now=at(due - timedelta(days=7)))
    reminders = [m for m in smtp.messages if m["To"] != "rector@metu.test"]  # weekly summary
    assert sorted(m["To"] for m in reminders) == ["head2@metu.test", "head@metu.test"]
    # After the close date nobody may enter: no reminder after the due date.
    assert notices.scheduled_reminders(program, at(date(2026, 3, 11))) == []


def test_the_reminder_is_written_in_each_heads_language_with_the_planning_offices_text(
    program, people, smtp
):
    ReminderSettings.objects.create(
        pk=1,
        days_before=5,
        subject_ru="Напоминание: {unit}, {count} показателей ({when})",
        body_ru="Коллеги, {unit} должен сдать до {due}:\n{list}\n{link}",
    )
    due = date(2026, 3, 1)
    calendar(program, due=due)
    notices.create_due_notices(at(due - timedelta(days=5)))
    notices.send_pending(now=at(due - timedelta(days=5)))
    academic = OrgUnit.objects.get(code="academic")
    (ru,) = [m for m in smtp.to("head@metu.test") if academic.name_ru in m["Subject"]]
    assert ru["Subject"].strip().startswith(f"Напоминание: {academic.name_ru}, ")
    text = body(ru)
    assert "1 марта 2026" in text  # the due date in Russian
    assert Kpi.objects.get(program=program, code="1.1.3").name_ru in text
    (en,) = smtp.to("head2@metu.test")  # English: the application's own text
    science = OrgUnit.objects.get(code="science")
    assert science.name_en in en["Subject"] and "due in 5 days" in en["Subject"]
    assert "March 1, 2026" in body(en) or "1 March 2026" in body(en)


# --- The simulated timeline ---------------------------------------------------------------


def test_a_years_calendar_produces_exactly_the_expected_notices_once_each(program, people, smtp):
    """2025's values are due on 1 March 2026 and entry closes on 3 March; the academic
    department has an exception until 10 March. Reminders 7 days before and 3 days after.
    The digitalisation centre submits everything on 25 February. A cron run at 09:00 and
    another at 09:05 every day from 15 February to 20 March."""
    ReminderSettings.objects.create(pk=1, days_before=7, days_after=3)
    due = date(2026, 3, 1)
    calendar(program, opens=date(2026, 1, 10), due=due, closes=date(2026, 3, 3))
    services.grant_exception(
        user=people["planner"],
        program=program,
        year=YEAR,
        unit=OrgUnit.objects.get(code="academic"),
        until=date(2026, 3, 10),
    )
    day = date(2026, 2, 15)
    while day <= date(2026, 3, 20):
        if day == date(2026, 2, 25):
            submit_unit(program, "digital", at(day, 11))
        if day == date(2026, 3, 5):  # approved far below its target: it turns red
            red = submitted(program, "2.1.1", value=D(0), when=at(day, 10))
            red.state, red.approved_at = ActualState.APPROVED, at(day, 10)
            red.save()
        for minute in (0, 5):
            notices.create_due_notices(at(day, 9, minute))
            notices.send_pending(now=at(day, 9, minute))
        day += timedelta(days=1)

    got = sorted(
        (
            n.created_at.astimezone(timezone.get_current_timezone()).date().isoformat(),
            n.kind,
            n.recipient.username,
            n.params.get("unit") or n.params.get("week") or n.params.get("day"),
        )
        for n in Notification.objects.select_related("recipient")
    )
    planners = [u.username for u in notices.planners()]
    expected = sorted(
        [
            ("2026-02-22", Kind.REMINDER_BEFORE, "head", "academic"),
            ("2026-02-22", Kind.REMINDER_BEFORE, "head", "digital"),
            ("2026-02-22", Kind.REMINDER_BEFORE, "head2", "science"),
            # After the due date only the academic department may still enter.
            ("2026-03-04", Kind.REMINDER_AFTER, "head", "academic"),
            *[("2026-02-26", Kind.DIGEST, name, "2026-02-25") for name in planners],
            *[("2026-03-06", Kind.DIGEST, name, "2026-03-05") for name in planners],
            # Sunday 15 February belongs to week 7; then every Monday.
            ("2026-02-15", Kind.WEEKLY, "rector", "2026-W07"),
            ("2026-02-16", Kind.WEEKLY, "rector", "2026-W08"),
            ("2026-02-23", Kind.WEEKLY, "rector", "2026-W09"),
            ("2026-03-02", Kind.WEEKLY, "rector", "2026-W10"),
            ("2026-03-09", Kind.WEEKLY, "rector", "2026-W11"),
            ("2026-03-16", Kind.WEEKLY, "rector", "2026-W12"),
        ]
    )
    assert got == expected
    # Every notice e-mailed exactly once, to its recipient, in their language.
    ids = smtp.notice_ids()
    assert sorted(ids) == sorted(Notification.objects.values_list("id", flat=True))
    assert len(ids) == len(set(ids))
    for notice in Notification.objects.select_related("recipient"):
        (mail,) = [m for m in smtp.messages if int(m["X-METU-Notice"]) == notice.pk]
        assert mail["To"] == notice.recipient.email
        assert notice.language == {"head": "ru", "head2": "en", "rector": "en"}.get(
            notice.recipient.username, "kk"
        )
    summary = Notification.objects.get(kind=Kind.WEEKLY, params__week="2026-W11")
    academic = OrgUnit.objects.get(code="academic")
    assert academic.name_en in summary.body  # still owing, and still allowed to enter
    assert "2.1.1 2025" in summary.body  # turned red in the week before
    assert "2.1.1 2025" not in Notification.objects.get(params__week="2026-W10").body
    assert "2.1.1 2025" not in Notification.objects.get(params__week="2026-W12").body


# --- Sending: retries, failures shown to the planning office -----------------------------


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens once the socket is closed


def test_a_failed_email_is_retried_with_backoff_and_shown_to_the_planning_office(
    program, people, smtp, settings
):
    settings.NOTICE_RETRY_SECONDS = 300
    working_port = settings.EMAIL_PORT
    settings.EMAIL_PORT = closed_port()
    actual = submitted(program, "1.1.3")
    services.return_for_revision(user=people["planner"], actual=actual, reason="Attach it")
    now = timezone.now()
    assert notices.send_pending(now=now).failed == 1
    notice = Notification.objects.get()
    assert notice.email_state == EmailState.FAILED and notice.attempts == 1
    assert notice.next_attempt_at == now + timedelta(seconds=300)
    assert notice.last_error

    failures = Client()
    failures.force_login(people["planner"])
    page = failures.get(reverse("notices")).content.decode()
    assert f'data-failed="{notice.pk}"' in page
    head = Client()
    head.force_login(people["head"])
    assert "data-failed" not in head.get(reverse("notices")).content.decode()

    assert notices.send_pending(now=now + timedelta(seconds=299)).failed == 1 - 1  # not yet
    assert notices.send_pending(now=now + timedelta(seconds=301)).failed == 1  # still down
    notice.refresh_from_db()
    assert notice.attempts == 2 and notice.next_attempt_at == now + timedelta(seconds=301 + 600)
    settings.EMAIL_PORT = working_port
    assert notices.send_pending(now=now + timedelta(seconds=901)).sent == 1
    notice.refresh_from_db()
    assert notice.email_state == EmailState.SENT and notice.last_error == ""
    assert len(smtp.messages) == 1


def test_the_command_creates_and_sends(program, people, smtp):
    actual = submitted(program, "1.1.3")
    services.return_for_revision(user=people["planner"], actual=actual, reason="Attach it")
    call_command("send_notifications")
    call_command("send_notifications")
    assert len(smtp.to("head@metu.test")) == 1
    assert sorted(smtp.notice_ids()) == sorted(Notification.objects.values_list("id", flat=True))


# --- Contributions ----------------------------------------------------------------------

parts = test_contributions.parts  # the fixture: two departments reporting two inputs


def test_a_returned_contribution_notifies_its_units_heads_and_reminders_list_inputs(
    program, people, parts, smtp
):
    from kpis.models import Contribution, Exemption

    first, second = parts["departments"]
    first_head, second_head = parts["heads"]
    first_head.email = "dephead1@metu.test"
    first_head.save()
    contribution = Contribution.objects.create(
        input=parts["staff"],
        unit=first,
        year=YEAR,
        value=D(40),
        state=ActualState.SUBMITTED,
        submitted_at=timezone.now(),
    )
    services.return_for_revision(
        user=people["planner"], actual=contribution, reason="Count part-timers too"
    )
    (notice,) = Notification.objects.filter(kind=Kind.RETURNED)
    assert notice.recipient == first_head
    assert "Count part-timers too" in notice.body and parts["staff"].name in notice.body
    notices.send_pending()
    assert [m["To"] for m in smtp.messages] == ["dephead1@metu.test"]

    # The second department has nothing to report of the degree input: exempted.
    Exemption.objects.create(input=parts["degree"], unit=second, year=YEAR, reason="None")
    owed = notices.owed_by_unit(program, YEAR)
    assert [i.code for i in owed[first.pk].inputs] == ["staff", "staff-degree"]
    assert ("i", parts["staff"].pk) in owed[first.pk].returned
    assert [i.code for i in owed[second.pk].inputs] == ["staff"]
