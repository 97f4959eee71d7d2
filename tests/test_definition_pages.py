"""The planning office's Inputs and calculations pages: confirm, edit and discard the
proposed definitions, choose who reports each input, and see and exempt the parts of a
year."""

from decimal import Decimal as D
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.utils import timezone, translation

from kpis import services
from kpis.models import (
    ActualState,
    Calculation,
    Contribution,
    Exemption,
    Input,
    Kpi,
    OrgUnit,
)
from kpis.rollup import Formula
from kpis.selectors import read_rollup
from tests.html import form_fields


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def client_for(username: str) -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    client.force_login(User.objects.get(username=username))
    return client


@pytest.fixture
def loaded(program):
    call_command("load_definitions", stdout=StringIO())
    return program


def test_the_list_shows_formulas_and_proposed_state(loaded):
    page = client_for("planner").get("/definitions/").content.decode()
    assert "42 definitions are proposed" in page
    row = page[page.index('id="kpi-1.2.1"') :][:1500]
    assert "Teaching staff lecturing in English" in row and "÷ Teaching staff, total × 100" in row
    assert "proposed" in row
    assert "⚠ Nobody reports it yet" in page


@pytest.mark.parametrize("username", ["head", "rector"])
def test_only_the_planning_office_opens_the_definitions(loaded, username):
    client = client_for(username)
    for url in ("/definitions/", "/definitions/parts/", "/definitions/inputs/new/"):
        assert client.get(url).status_code == 403
    staff = Input.objects.get(code="teaching-staff")
    assert client.post(f"/definitions/input/{staff.pk}/confirm/").status_code == 403
    staff.refresh_from_db()
    assert staff.proposed


def test_confirm_and_discard(loaded):
    client = client_for("planner")
    calculation = Calculation.objects.get(kpi__code="3.2.7")
    client.post(f"/definitions/calculation/{calculation.pk}/confirm/")
    calculation.refresh_from_db()
    assert calculation.proposed is False
    staff = Input.objects.get(code="teaching-staff")
    page = client.get(f"/definitions/input/{staff.pk}/discard/").content.decode()
    assert "is used to calculate 1.2.1, 1.2.2" in page and "confirm-discard" not in page
    confirmed = {"confirm": "yes"}
    page = client.post(f"/definitions/input/{staff.pk}/discard/", confirmed, follow=True)
    assert "is used to calculate 1.2.1, 1.2.2" in page.content.decode()
    assert Input.objects.filter(pk=staff.pk).exists()
    # A calculation: the page says what discarding does; only its confirmed POST acts.
    url = f"/definitions/calculation/{calculation.pk}/discard/"
    page = client.post(url).content.decode()
    assert "its value is entered directly again" in page and "confirm-discard" in page
    assert Calculation.objects.filter(pk=calculation.pk).exists()
    client.post(url, confirmed)
    assert not Calculation.objects.filter(pk=calculation.pk).exists()
    foreign = Input.objects.get(code="staff-foreign")
    client.post(f"/definitions/input/{foreign.pk}/discard/", confirmed)
    assert not Input.objects.filter(pk=foreign.pk).exists()
    assert foreign.history.first().history_change_reason == "definitions_discarded"


def test_the_planning_office_chooses_who_reports_an_input(loaded):
    client = client_for("planner")
    staff = Input.objects.get(code="teaching-staff")
    academic, science = OrgUnit.objects.get(code="academic"), OrgUnit.objects.get(code="science")
    url = f"/definitions/inputs/{staff.pk}/"
    fields = form_fields(client.get(url).content.decode(), "person-form")
    fields |= {"unit": "persons", "reporters": [academic.pk, science.pk], "name_ru": ""}
    response = client.post(url, fields)
    assert response.status_code == 302
    staff.refresh_from_db()
    assert set(staff.reporters.all()) == {academic, science}
    assert staff.name_ru == "" and staff.proposed  # editing is not confirming
    history = client.get(url).content.decode()
    history = history[history.index('id="input-history"') :]
    assert "Changed by the planning office" in history
    assert "Loaded from the proposed definitions" in history
    # A unit of measure other than a count or money, and an empty Kazakh name, are
    # both refused at once, and what was typed is kept.
    page = client.post(
        url, fields | {"unit": "percent", "name_kk": "", "name_en": "Kept"}
    ).content.decode()
    assert "Nothing was saved" in page and 'value="Kept"' in page
    assert "This field is required" in page and "Select a valid choice" in page


def test_a_formula_that_does_not_fit_its_kpi_is_refused_with_every_reason(loaded):
    client = client_for("planner")
    calculation = Calculation.objects.get(kpi__code="1.2.1")
    staff, income = Input.objects.get(code="teaching-staff"), Input.objects.get(code="income-total")
    url = f"/definitions/calculations/{calculation.pk}/"
    page = client.post(url, {"numerator": [staff.pk], "denominator": [staff.pk, income.pk]})
    page = page.content.decode()
    assert "both in the numerator and in the denominator" in page
    assert "must count the same thing" in page
    assert [i.code for i in calculation.numerator.all()] == ["staff-teaching-in-english"]
    # A KPI is calculated anew from the new-calculation page.
    kpi = Kpi.objects.get(program=loaded, code="1.1.1")
    students, postgraduates = (Input.objects.get(code=c) for c in ("students", "postgraduates"))
    client.post(
        "/definitions/calculations/new/",
        {"kpi": kpi.pk, "numerator": [students.pk, postgraduates.pk]},
    )
    assert sorted(i.code for i in kpi.calculation.numerator.all()) == ["postgraduates", "students"]
    assert kpi.calculation.proposed is False


@pytest.fixture
def reported(loaded):
    """Two units report the teaching staff; one has submitted its figure for 2025."""
    staff = Input.objects.get(code="teaching-staff")
    english = Input.objects.get(code="staff-teaching-in-english")
    academic, science = OrgUnit.objects.get(code="academic"), OrgUnit.objects.get(code="science")
    for item in (staff, english):
        item.reporters.set([academic, science])
    head = User.objects.get(username="head")  # heads academic
    services.save_entries(
        user=head,
        program=loaded,
        year=2025,
        entries=[
            services.Entry(input=staff, unit=academic, value=D(40), submit=True),
            services.Entry(input=english, unit=academic, value=D(10)),
        ],
    )
    return {"staff": staff, "english": english, "academic": academic, "science": science}


def test_the_parts_grid_shows_each_units_state(reported):
    page = client_for("planner").get("/definitions/parts/?year=2025").content.decode()
    cell = page[page.index('id="part-teaching-staff-academic"') :]
    cell = cell[: cell.index("</td>")]
    assert "submitted" in cell and "Not applicable" not in cell
    assert "entered" in page[page.index('id="part-staff-teaching-in-english-academic"') :][:200]
    assert "missing" in page[page.index('id="part-teaching-staff-science"') :][:200]
    assert "missing: 2" in page and "submitted: 1" in page and "entered: 1" in page


def test_the_planning_office_exempts_a_unit_and_withdraws_it(reported, loaded):
    client = client_for("planner")
    english, science = reported["english"], reported["science"]
    query = f"input={english.pk}&unit={science.pk}&year=2025"
    page = client.post("/definitions/parts/exempt/", {"reason": "  "} | _params(query))
    assert "This field is required" in page.content.decode()
    client.post(
        "/definitions/parts/exempt/",
        {"reason": "Ағылшын тілінде сабақ жоқ"} | _params(query),
    )
    exemption = Exemption.objects.get(input=english, unit=science, year=2025)
    assert exemption.decided_by.username == "planner"
    page = client.get("/definitions/parts/?year=2025").content.decode()
    assert "not applicable" in page[page.index(f'id="part-{english.code}-science"') :][:300]
    rollup = read_rollup(loaded, include_submitted=True)
    kpi = Kpi.objects.get(program=loaded, code="1.2.1")
    assert rollup.computed(kpi.id, 2025).expected == 3  # science's English part not waited for
    # Withdrawn: the history keeps both steps, with who and why, and the page shows it.
    client.post(f"/definitions/parts/exempt/{exemption.pk}/withdraw/")
    assert not Exemption.objects.exists()
    page = client.get("/definitions/parts/?year=2025").content.decode()
    history = page[page.index('id="exemption-history"') :]
    assert "Not applicable withdrawn" in history
    assert "Marked not applicable: Ағылшын тілінде сабақ жоқ" in history
    steps = [
        (h.history_type, h.history_change_reason, h.history_user.username)
        for h in Exemption.history.order_by("history_id")
    ]
    assert steps == [
        ("+", "exempted: Ағылшын тілінде сабақ жоқ", "planner"),
        ("-", "exemption_withdrawn", "planner"),
    ]


def _params(query: str) -> dict:
    return dict(part.split("=") for part in query.split("&"))


def test_a_unit_that_has_submitted_is_not_exempted(reported):
    planner = User.objects.get(username="planner")
    with pytest.raises(services.WorkflowError, match="return or reopen it first"):
        services.exempt(
            user=planner,
            input=reported["staff"],
            unit=reported["academic"],
            year=2025,
            reason="x",
        )
    outsider = OrgUnit.objects.get(code="finance")
    with pytest.raises(services.WorkflowError, match="does not report"):
        services.exempt(user=planner, input=reported["staff"], unit=outsider, year=2025, reason="x")
    with pytest.raises(services.PermissionDenied):
        services.exempt(
            user=User.objects.get(username="head"),
            input=reported["staff"],
            unit=reported["science"],
            year=2025,
            reason="x",
        )
    assert not Exemption.objects.exists()


def _approved(item, unit, year, value):
    now = timezone.now()
    return Contribution.objects.create(
        input=item,
        unit=unit,
        year=year,
        value=value,
        state=ActualState.APPROVED,
        submitted_at=now,
        approved_at=now,
    )


def test_a_contribution_far_from_last_years_approved_one_is_flagged(reported, loaded, settings):
    from kpis.selectors import contribution_warnings

    staff, english, academic = reported["staff"], reported["english"], reported["academic"]
    science = reported["science"]
    _approved(staff, academic, 2024, 100)  # 2025: 40, 60 % less
    _approved(english, academic, 2024, 9)  # 2025: 10, 11 % more: no warning
    _approved(staff, science, 2024, 0)
    Contribution.objects.create(input=staff, unit=science, year=2025, value=7)
    this_year = {(c.input_id, c.unit_id): c.id for c in Contribution.objects.filter(year=2025)}
    warnings = contribution_warnings(loaded, 2025)
    assert warnings == {
        this_year[(staff.id, academic.id)]: "60 % less than the approved 100 of 2024.",
        this_year[(staff.id, science.id)]: "7, where the approved figure of 2024 was 0.",
    }
    settings.CONTRIBUTION_CHANGE_WARNING = 5
    assert this_year[(english.id, academic.id)] in contribution_warnings(loaded, 2025)
    settings.CONTRIBUTION_CHANGE_WARNING = 70
    assert list(contribution_warnings(loaded, 2025)) == [this_year[(staff.id, science.id)]]


def test_a_numerator_above_its_denominator_is_flagged_for_review(reported, loaded):
    from kpis.selectors import contribution_warnings

    english, academic = reported["english"], reported["academic"]
    row = Contribution.objects.get(input=english, unit=academic, year=2025)
    assert contribution_warnings(loaded, 2025) == {}  # 10 of 40
    row.value = D(45)
    row.save()
    assert contribution_warnings(loaded, 2025) == {
        row.id: "1.2.1: this unit's numerator (45) is above its denominator (40)."
    }


def test_numerator_above_denominator_is_a_problem_and_negative_counts_are_refused(reported):
    staff, english, academic = reported["staff"], reported["english"], reported["academic"]
    loaded_program = staff.program
    rollup = read_rollup(loaded_program, include_submitted=True)
    kpi = Kpi.objects.get(program=loaded_program, code="1.2.1")
    assert rollup.formulas[kpi.id] == Formula(kpi.id, (english.id,), (staff.id,))
    assert rollup.problems(kpi.id, 2025) == []
    _approved(english, academic, 2024, 50)
    _approved(staff, academic, 2024, 40)
    rollup = read_rollup(loaded_program)
    assert rollup.problems(kpi.id, 2024) == [(academic.id, "numerator_above_denominator")]
    head = User.objects.get(username="head")
    with pytest.raises(services.EntryErrors) as refused:
        services.save_entries(
            user=head,
            program=loaded_program,
            year=2025,
            entries=[services.Entry(input=english, unit=academic, value=D(-1))],
        )
    assert "cannot be negative" in str(refused.value.errors)


def test_the_pages_read_a_fixed_number_of_queries(reported, loaded, django_assert_num_queries):
    from kpis.selectors import contribution_warnings, definition_rows, parts_grid

    def counts():
        with django_assert_num_queries(5):
            calculations, inputs = definition_rows(loaded)
        with django_assert_num_queries(5):
            _columns, rows, _counts = parts_grid(loaded, 2025)
        with django_assert_num_queries(4):
            contribution_warnings(loaded, 2025)
        return len(calculations), len(inputs), len(rows)

    before = counts()
    # Ten more departments reporting every input, with contributions: the same queries.
    departments = [
        OrgUnit.objects.create(code=f"t-more-{n}", name=f"More {n}", kind="department")
        for n in range(10)
    ]
    for item in Input.objects.filter(program=loaded):
        item.reporters.add(*departments)
        for department in departments:
            Contribution.objects.create(input=item, unit=department, year=2025, value=3)
            _approved(item, department, 2024, 2)
    assert counts() == before
    page = client_for("planner").get("/definitions/parts/?year=2025").content.decode()
    assert page.count("part-submitted") == 1 and page.count('class="part-draft"') == 231
