"""The reporting calendar: a year opens, is due and closes on the planning office's
dates; it closes itself after the close date unless kept open; a unit with an
unexpired exception may still enter; heads see the deadline, Progress the late units."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal as D

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from kpis import services
from kpis.models import Kpi, OrgUnit, ReportingYear

YEAR = 2025


def english(client):
    client.cookies["django_language"] = "en"
    return client


def at(day: date) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, 12))


def planner_user():
    return User.objects.get(username="planner")


def set_window(program, **dates):
    values = {"opens": None, "due": None, "closes": None, "keep_open": False, **dates}
    return services.set_calendar(user=planner_user(), program=program, year=YEAR, **values)


def test_the_window_opens_and_closes_itself(program):
    set_window(program, opens=date(2026, 1, 10), due=date(2026, 3, 1), closes=date(2026, 3, 15))
    assert not services.year_is_open(program, YEAR, now=at(date(2026, 1, 9)))
    assert services.year_is_open(program, YEAR, now=at(date(2026, 1, 10)))
    assert services.year_is_open(program, YEAR, now=at(date(2026, 3, 15)))
    assert not services.year_is_open(program, YEAR, now=at(date(2026, 3, 16)))
    set_window(program, opens=date(2026, 1, 10), closes=date(2026, 3, 15), keep_open=True)
    assert services.year_is_open(program, YEAR, now=at(date(2026, 6, 1)))
    # Closed by hand, a year stays closed whatever its dates.
    services.set_year_open(user=planner_user(), program=program, year=YEAR, is_open=False)
    assert not services.year_is_open(program, YEAR, now=at(date(2026, 2, 1)))


def test_an_exception_lets_one_unit_enter_a_closed_year_until_its_day(program):
    yesterday = timezone.localdate() - timedelta(days=1)
    set_window(program, due=yesterday - timedelta(days=5), closes=yesterday)
    academic = OrgUnit.objects.get(code="academic")
    head = User.objects.get(username="head")
    own = Kpi.objects.get(program=program, code="1.1.3")  # academic's
    other = Kpi.objects.get(program=program, code="1.4.1")  # the digitalisation centre's
    assert own.owner == academic and other.owner.code == "digital"

    def save(kpi):
        entry = services.Entry(kpi=kpi, value=D(50))
        return services.save_entries(user=head, program=program, year=YEAR, entries=[entry])

    with pytest.raises(services.WorkflowError):
        save(own)
    services.grant_exception(
        user=planner_user(), program=program, year=YEAR, unit=academic, until=timezone.localdate()
    )
    assert services.year_is_open(program, YEAR, unit=academic)
    assert save(own)[0].value == D(50)
    with pytest.raises(services.WorkflowError):
        save(other)  # the head's other unit has no exception
    # Expired: closed again.
    assert not services.year_is_open(
        program, YEAR, unit=academic, now=timezone.now() + timedelta(days=1)
    )


def test_the_calendar_form_shows_every_problem_at_once_and_keeps_what_was_typed(planner, program):
    url = reverse("year_calendar", args=[YEAR])
    typed = {"opens": "2026-03-20", "due": "2026-03-10", "closes": "2026-03-01"}
    response = english(planner).post(url, typed)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Nothing was saved" in page
    assert "The due date cannot come before the year opens." in page
    assert "The year cannot close before its due date." in page
    for value in typed.values():
        assert f'value="{value}"' in page
    row = ReportingYear.objects.get(program=program, year=YEAR)
    assert (row.opens, row.due, row.closes) == (None, None, None)

    response = planner.post(url, {"opens": "2026-01-10", "due": "2026-03-01", "closes": ""})
    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.opens, row.due, row.closes) == (date(2026, 1, 10), date(2026, 3, 1), None)
    assert row.history.first().history_change_reason == "calendar"


def test_only_the_planning_office_edits_the_calendar(head, rector, program):
    url = reverse("year_calendar", args=[YEAR])
    assert head.get(url).status_code == 403
    assert rector.post(url, {"due": "2026-03-01"}).status_code == 403
    assert ReportingYear.objects.get(program=program, year=YEAR).due is None


@pytest.mark.parametrize(
    ("days", "shown"),
    [(12, "Due in 12 days"), (1, "Due in 1 day,"), (0, "Due today"), (-3, "Overdue by 3 days")],
)
def test_heads_see_how_long_is_left(head, program, days, shown):
    set_window(program, due=timezone.localdate() + timedelta(days=days))
    page = english(head).get(reverse("entry") + f"?year={YEAR}").content.decode()
    assert shown in page


def test_a_head_with_an_exception_is_told_so_on_a_closed_year(head, program):
    services.set_year_open(user=planner_user(), program=program, year=YEAR, is_open=False)
    services.grant_exception(
        user=planner_user(),
        program=program,
        year=YEAR,
        unit=OrgUnit.objects.get(code="academic"),
        until=timezone.localdate() + timedelta(days=3),
    )
    response = english(head).get(reverse("entry") + f"?year={YEAR}")
    page = response.content.decode()
    assert "closed for entry" in page and "may still enter them" in page
    editable = [row.kpi.owner.code for row in response.context["rows"] if row.editable]
    assert editable and set(editable) == {"academic"}


def test_progress_lists_overdue_units_first(planner, program):
    set_window(program, due=timezone.localdate() - timedelta(days=2))
    # The digitalisation centre ("Цифрландыру…", last by name) is late; the others too,
    # except the science department, which has submitted everything.
    for kpi in Kpi.objects.filter(program=program, owner__code="science"):
        services.save_entries(
            user=User.objects.get(username="head2"),
            program=program,
            year=YEAR,
            entries=[
                services.Entry(kpi=kpi, value=D(1), submit=True, explanation="Known reasons.")
            ],
        )
    rows = english(planner).get(reverse("progress") + f"?year={YEAR}").context["rows"]
    flags = [row.overdue for row in rows]
    assert flags == sorted(flags, reverse=True) and any(flags) and not all(flags)
    science = next(row for row in rows if row.unit and row.unit.code == "science")
    assert not science.overdue


def test_the_planning_office_grants_and_removes_an_exception_on_the_calendar_page(planner, program):
    url = reverse("entry_exception_add", args=[YEAR])
    page = english(planner).post(url, {"unit": "", "until": "not a date"}).content.decode()
    assert "No exception was granted" in page
    assert page.count('class="errorlist"') >= 2  # the unit and the date, at once
    academic = OrgUnit.objects.get(code="academic")
    response = planner.post(url, {"unit": academic.pk, "until": "2026-12-31", "reason": "Audit"})
    assert response.status_code == 302
    (exception,) = ReportingYear.objects.get(program=program, year=YEAR).exceptions.all()
    assert (exception.unit, exception.until, exception.reason) == (
        academic,
        date(2026, 12, 31),
        "Audit",
    )
    page = english(planner).get(reverse("year_calendar", args=[YEAR])).content.decode()
    assert "Academic Affairs Department" in page and "Audit" in page
    remove = reverse("entry_exception_remove", args=[YEAR, exception.pk])
    assert planner.post(remove).status_code == 302
    assert not ReportingYear.objects.get(program=program, year=YEAR).exceptions.exists()
