"""The notices' pages: the bell and the list, a person's settings, and the planning
office's reminders (preview, "send a reminder now", the text per language)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from kpis import services
from kpis.models import Kpi, OrgUnit
from notices.models import EmailState, Kind, Notification, Profile, ReminderSettings
from tests.test_notices import submitted

YEAR = 2025


def english(client):
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture(autouse=True)
def _no_demo_notices(program):
    Notification.objects.all().delete()  # the demo's approvals notified the heads


def unread_badge(page: str) -> int:
    found = re.search(r'data-unread="(\d+)"', page)
    return int(found.group(1)) if found else 0


def test_the_bell_counts_unread_notices_and_the_list_marks_them_read(head, program):
    planner = User.objects.get(username="planner")
    for code in ("1.1.3", "1.1.4"):
        services.return_for_revision(
            user=planner, actual=submitted(program, code), reason="Attach the order"
        )
    page = english(head).get(reverse("home")).content.decode()
    assert unread_badge(page) == 2
    listing = head.get(reverse("notices")).content.decode()
    assert listing.count('class="card notice unread"') == 2
    first = Notification.objects.filter(recipient__username="head").first()
    response = head.post(reverse("notice_read", args=[first.pk]), {"open": "1"})
    assert response.status_code == 302 and response.url == first.link
    assert unread_badge(head.get(reverse("home")).content.decode()) == 1
    head.post(reverse("notice_read_all"))
    assert unread_badge(head.get(reverse("home")).content.decode()) == 0
    assert not Notification.objects.filter(read_at__isnull=True).exists()


def test_nobody_reads_or_marks_another_persons_notices(head2, program):
    planner = User.objects.get(username="planner")
    services.return_for_revision(user=planner, actual=submitted(program, "1.1.3"), reason="x")
    notice = Notification.objects.get()
    assert notice.recipient.username == "head"
    assert notice.subject not in head2.get(reverse("notices")).content.decode()
    assert head2.post(reverse("notice_read", args=[notice.pk])).status_code == 404
    notice.refresh_from_db()
    assert notice.read_at is None


def test_a_person_chooses_their_language_and_emails(head, program):
    response = head.post(
        reverse("notice_profile"), {"language": "ru", "email": [Kind.RETURNED, Kind.WEEKLY]}
    )
    assert response.status_code == 302
    assert response.cookies["django_language"].value == "ru"  # the interface follows
    profile = Profile.objects.get(user__username="head")
    assert profile.language == "ru"
    assert set(profile.email_off) == {Kind.APPROVED, Kind.REOPENED, Kind.DIGEST}
    page = head.get(reverse("notice_profile")).content.decode()
    assert 'value="returned" checked' in page or re.search(r'value="returned"[^>]*checked', page)
    # Reminders cannot be turned off: they are not offered.
    assert 'value="reminder_before"' not in page


def test_the_planning_office_previews_and_sends_a_reminder_now_once(planner, head, program):
    Profile.objects.create(user=User.objects.get(username="head"), language="ru")
    academic = OrgUnit.objects.get(code="academic")
    url = reverse("reminder_preview") + f"?year={YEAR}&unit=academic"
    page = english(planner).get(url).content.decode()
    assert academic.name_ru in page  # the head's own language
    assert Kpi.objects.get(program=program, code="1.1.3").name_ru in page
    token = re.search(r'name="token" value="([0-9a-f]+)"', page).group(1)
    form = {"token": token, "year": YEAR, "unit": "academic"}
    response = planner.post(reverse("reminder_preview"), form)
    assert response.status_code == 302
    (notice,) = Notification.objects.filter(kind=Kind.REMINDER_NOW)
    assert notice.recipient.username == "head" and notice.language == "ru"
    assert notice.email_state == EmailState.OFF  # the demo head has no e-mail address
    planner.post(reverse("reminder_preview"), form)  # the same click again
    assert Notification.objects.filter(kind=Kind.REMINDER_NOW).count() == 1
    assert head.get(url).status_code == 403
    assert head.post(reverse("reminder_preview"), form).status_code == 403


def test_every_late_unit_is_reminded_but_not_a_complete_or_closed_one(planner, program):
    for kpi in Kpi.objects.filter(program=program, owner__code="digital"):
        submitted(program, kpi.code)
    page = english(planner).get(reverse("reminder_preview") + f"?year={YEAR}").content.decode()
    units = set(re.findall(r'data-unit="([a-z]+)"', page))
    assert {"academic", "science"} <= units and "digital" not in units
    token = re.search(r'name="token" value="([0-9a-f]+)"', page).group(1)
    planner.post(reverse("reminder_preview"), {"token": token, "year": YEAR})
    reminded = set(
        Notification.objects.filter(kind=Kind.REMINDER_NOW).values_list("params__unit", flat=True)
    )
    assert reminded == {"academic", "science"}  # the units with a head

    yesterday = timezone.localdate() - timedelta(days=1)
    services.set_calendar(
        user=User.objects.get(username="planner"),
        program=program,
        year=YEAR,
        opens=None,
        due=yesterday,
        closes=yesterday,
        keep_open=False,
    )
    page = english(planner).get(reverse("reminder_preview") + f"?year={YEAR}").content.decode()
    assert "Nobody to remind" in page


def test_the_reminder_text_is_edited_per_language_with_every_problem_at_once(planner, program):
    url = reverse("reminder_settings")
    typed = {
        "days_before": "10",
        "days_after": "2",
        "subject_ru": "Напоминание {unit} {nonsense}",
        "body_ru": "Сдайте до {due}",
        "subject_en": "Reminder {oops}",
    }
    page = english(planner).post(url, typed).content.decode()
    assert "Nothing was saved" in page
    assert "Unknown placeholder {nonsense}" in page and "Unknown placeholder {oops}" in page
    assert "Сдайте до {due}" in page  # kept as typed
    assert not ReminderSettings.objects.exists()
    typed["subject_ru"], typed["subject_en"] = "Напоминание {unit}", ""
    assert planner.post(url, typed).status_code == 302
    stored = ReminderSettings.current()
    assert (stored.days_before, stored.days_after, stored.subject_ru) == (
        10,
        2,
        "Напоминание {unit}",
    )
    assert head_forbidden(url)


def head_forbidden(url: str) -> bool:
    from django.test import Client

    client = Client()
    client.force_login(User.objects.get(username="head"))
    return client.get(url).status_code == 403


def test_progress_offers_reminders_instead_of_a_shell_command(planner, program):
    page = english(planner).get(reverse("progress") + f"?year={YEAR}").content.decode()
    assert "remind_missing" not in page
    assert reverse("reminder_preview") + f"?year={YEAR}&unit=academic" in page
    assert reverse("year_calendar", args=[YEAR]) in page
