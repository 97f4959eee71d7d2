"""Entry progress by unit, reminders, demo data and bulk assignment."""

from django.contrib.auth.models import User
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from kpis.demo import setup_demo_values
from kpis.models import Actual, ActualState, Kpi, OrgUnit
from kpis.selectors import progress_by_unit
from tests.conftest import login


def test_progress_counts_every_state(program):
    setup_demo_values(program)
    rows = {row.unit.code: row for row in progress_by_unit(program, 2024) if row.unit}
    academic = rows["academic"]
    states = Actual.objects.filter(kpi__owner__code="academic", year=2024)
    assert academic.total == Kpi.objects.filter(owner__code="academic").count() == 15
    for state in ActualState.values:
        assert getattr(academic, state) == states.filter(state=state).count()
    assert academic.missing == 15 - states.count()
    assert sum(r.total for r in rows.values()) == 80


def test_progress_page_shows_units_and_year_switches(planner, program):
    page = planner.get(reverse("progress") + "?year=2024").content.decode()
    assert "Академиялық мәселелер департаменті" in page
    assert reverse("set_year", args=[2024, "close"]) in page


def test_remind_missing_lists_and_mails_what_units_owe(program, capsys, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    User.objects.filter(username="head").update(email="head@metu.edu.kz")
    call_command("remind_missing", "--year", "2025", "--send", "--lang", "en")
    out = capsys.readouterr().out
    assert "Academic Affairs Department: 15" in out
    assert "1.1.3" in out
    assert "no head with an e-mail address" in out  # the finance unit has no head
    sent = [m for m in mail.outbox if "head@metu.edu.kz" in m.to]
    assert len(sent) == 2  # head heads two units
    assert "1.4.1" in "".join(m.body for m in sent)


def test_demo_values_cover_every_state_and_are_marked(program):
    created = setup_demo_values(program)
    assert created > 80
    states = set(Actual.objects.filter(year=2024).values_list("state", flat=True))
    assert states == set(ActualState.values)
    assert not Actual.objects.filter(is_demo=False).exists()
    assert setup_demo_values(program) == 0  # never twice
    page = login("head").get(reverse("entry") + "?year=2024").content.decode()
    assert "демо деректер" in page  # marked in the interface (Kazakh by default)


def test_bulk_assignment_from_the_admin_list(planner, program):
    kpis = Kpi.objects.filter(program=program, code__in=["3.1.1", "3.1.2"])
    unit = OrgUnit.objects.get(code="finance")
    response = planner.post(
        reverse("admin:kpis_kpi_changelist"),
        {
            "action": "assign_to_unit",
            "_selected_action": [k.pk for k in kpis],
            "unit": unit.pk,
            "apply": "1",
        },
    )
    assert response.status_code == 302
    assert set(
        Kpi.objects.filter(owner=unit, code__startswith="3.1.").values_list("code", flat=True)
    ) >= {
        "3.1.1",
        "3.1.2",
    }
    assert (
        Kpi.objects.get(program=program, code="3.1.1").history.first().history_user.username
        == "planner"
    )


def test_progress_page_query_count_does_not_grow_with_units(
    planner, program, django_assert_max_num_queries
):
    with django_assert_max_num_queries(12):
        assert planner.get(reverse("progress") + "?year=2024").status_code == 200
