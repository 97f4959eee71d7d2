"""Units report inputs on My KPIs; a calculated KPI's value follows from them."""

from decimal import Decimal as D

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.utils import translation

from kpis import roles, services
from kpis.models import (
    ActualState,
    Calculation,
    Contribution,
    Input,
    Kpi,
    OrgUnit,
    OrgUnitKind,
)
from reports.exports import program_document
from tests.html import form_fields


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def parts(program):
    """A faculty with two departments; each reports the teaching staff and those with a
    degree; 1.2.2 (the share with a degree) is calculated from them."""
    faculty = OrgUnit.objects.create(code="t-fac", name="Faculty", kind=OrgUnitKind.FACULTY)
    departments = [
        OrgUnit.objects.create(
            code=f"t-dep{n}", name=f"Department {n}", kind=OrgUnitKind.DEPARTMENT, parent=faculty
        )
        for n in (1, 2)
    ]
    heads = []
    for n, department in enumerate(departments, 1):
        user = User.objects.create_user(f"dephead{n}", password=f"dephead{n}-demo-pass")
        user.groups.add(Group.objects.get(name=roles.DEPARTMENT_HEAD))
        department.heads.add(user)
        heads.append(user)
    staff = Input.objects.create(program=program, code="staff", name="Teaching staff")
    degree = Input.objects.create(program=program, code="staff-degree", name="With a degree")
    for item in (staff, degree):
        item.reporters.set(departments)
    kpi = Kpi.objects.get(program=program, code="1.2.2")
    calculation = Calculation.objects.create(kpi=kpi)
    calculation.numerator.set([degree])
    calculation.denominator.set([staff])
    return {"departments": departments, "heads": heads, "staff": staff, "degree": degree}


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client


def key(item, unit) -> str:
    return f"i{item.id}-u{unit.id}"


def enter(client, parts, department, staff, degree, action="submit_all"):
    url = "/entry/?year=2025"
    fields = form_fields(client.get(url).content.decode(), "entry-form")
    fields[f"{key(parts['staff'], department)}-value"] = staff
    fields[f"{key(parts['degree'], department)}-value"] = degree
    return client.post(url, {**fields, "action": action}, follow=True).content.decode()


def kpi_value(program, year=2025):
    document = program_document(program)
    for direction in document["directions"]:
        for goal in direction["goals"]:
            for task in goal["tasks"]:
                for kpi in task["kpis"]:
                    if kpi["code"] == "1.2.2":
                        return kpi["actuals"][str(year)]
    raise AssertionError("1.2.2 not exported")


def approve_all(program):
    planner = User.objects.get(username="planner")
    for contribution in Contribution.objects.filter(state=ActualState.SUBMITTED):
        services.approve(user=planner, actual=contribution, seen_version=contribution.version)


def test_a_department_enters_its_inputs_and_the_university_value_follows(program, parts):
    first, second = parts["departments"]
    page = client_of(parts["heads"][0]).get("/entry/?year=2025").content.decode()
    assert "Inputs your units report" in page and "feeds 1.2.2" in page
    assert "Department 2" not in page  # only the units the head heads

    assert "2 values submitted" in enter(client_of(parts["heads"][0]), parts, first, "40", "20")
    assert kpi_value(program) is None  # nothing approved yet
    approve_all(program)
    assert kpi_value(program) is None  # partial: the second department has not reported

    enter(client_of(parts["heads"][1]), parts, second, "60", "30")
    approve_all(program)
    assert kpi_value(program) == 50  # (20 + 30) ÷ (40 + 60) × 100, summed before dividing
    row = Contribution.objects.get(input=parts["staff"], unit=first, year=2025)
    # Submitted on creation, then approved: both in the history.
    assert (row.value, row.history.count()) == (D(40), 2)


def test_a_head_cannot_report_for_a_unit_they_do_not_head(program, parts):
    first, second = parts["departments"]
    client = client_of(parts["heads"][0])
    url = "/entry/?year=2025"
    fields = form_fields(client.get(url).content.decode(), "entry-form")
    fields.update({f"{key(parts['staff'], second)}-version": "0"})
    fields[f"{key(parts['staff'], second)}-value"] = "99"
    page = client.post(url, {**fields, "action": "save"}, follow=True).content.decode()
    assert "you may not enter values for Teaching staff here" in page
    assert not Contribution.objects.exists()


def test_a_contribution_is_checked_by_its_measure_with_every_problem_at_once(program, parts):
    first = parts["departments"][0]
    page = enter(client_of(parts["heads"][0]), parts, first, "-4", "2,5", action="save")
    assert "cannot be negative" in page and "whole number" in page
    assert not Contribution.objects.exists()


def test_only_the_planning_office_replaces_a_calculated_value_and_says_why(program, parts):
    planner = client_of(User.objects.get(username="planner"))
    kpi = Kpi.objects.get(program=program, code="1.2.2")
    url = "/entry/?year=2025&unit=academic"
    fields = form_fields(planner.get(url).content.decode(), "entry-form")
    fields[f"k{kpi.id}-value"] = "48"
    page = planner.post(url, {**fields, "action": "save"}, follow=True).content.decode()
    assert "needs a reason" in page
    fields[f"k{kpi.id}-reason"] = "Two lecturers counted in both departments"
    planner.post(url, {**fields, "action": "save"}, follow=True)
    entered = kpi.actuals.get(year=2025)
    assert (entered.value, entered.override_reason) == (
        48,
        "Two lecturers counted in both departments",
    )

    head = User.objects.get(username="head")  # heads the unit that owns 1.2.2
    page = client_of(head).get(url).content.decode()
    assert f'name="k{kpi.id}-value"' not in page  # shown, calculated, not editable
    with pytest.raises(services.PermissionDenied):
        services.save_entries(
            user=head,
            program=program,
            year=2025,
            entries=[services.Entry(kpi=kpi, value=D(50), reason="x", seen_version=1)],
        )


def review_page(client, state="submitted") -> str:
    return client.get(f"/review/?kind=parts&year=2025&state={state}").content.decode()


def test_the_planning_office_reviews_contributions_on_the_review_page(program, parts):
    first, second = parts["departments"]
    enter(client_of(parts["heads"][0]), parts, first, "40", "20")
    enter(client_of(parts["heads"][1]), parts, second, "60", "30")
    planner = client_of(User.objects.get(username="planner"))
    page = review_page(planner)
    assert "Teaching staff" in page and "Department 2" in page and "feeds 1.2.2" in page

    degree = Contribution.objects.get(input=parts["degree"], unit=second)
    url = f"/review/parts/{degree.pk}/return/"
    answer = planner.post(url, {"version": degree.version, "reason": ""}, follow=True)
    assert "give a reason" in answer.content.decode()
    answer = planner.post(url, {"version": degree.version, "reason": "Count PhD holders only"})
    degree.refresh_from_db()
    assert (degree.state, degree.return_reason) == ("returned", "Count PhD holders only")
    assert "Count PhD holders only" in review_page(planner, "returned")

    ticked = Contribution.objects.filter(state=ActualState.SUBMITTED)
    fields = {"kind": "parts", "selected": [str(c.pk) for c in ticked]}
    fields.update({f"version-{c.pk}": str(c.version) for c in ticked})
    page = planner.post("/review/approve-selected/", fields, follow=True).content.decode()
    assert "3 values approved and locked" in page and "Teaching staff · Department 1" in page
    assert kpi_value(program) is None  # the returned part is missing: partial
    states = dict(Contribution.objects.values_list("pk", "state"))
    assert sorted(states.values()) == ["approved"] * 3 + ["returned"]


def test_an_approval_of_a_contribution_changed_meanwhile_is_refused(program, parts):
    first = parts["departments"][0]
    enter(client_of(parts["heads"][0]), parts, first, "40", "20")
    planner = client_of(User.objects.get(username="planner"))
    staff = Contribution.objects.get(input=parts["staff"], unit=first)
    url = f"/review/parts/{staff.pk}/approve/"
    page = planner.post(url, {"version": staff.version - 1}, follow=True).content.decode()
    assert "Someone else" in page
    staff.refresh_from_db()
    assert staff.state == "submitted"


@pytest.mark.parametrize("units", [2, 12])
def test_the_review_of_contributions_runs_a_fixed_number_of_queries(
    units, program, parts, django_assert_num_queries
):
    faculty = parts["departments"][0].parent
    reporters = [
        OrgUnit.objects.create(code=f"q{n}", name=f"Q {n}", kind="department", parent=faculty)
        for n in range(units)
    ]
    planner = User.objects.get(username="planner")
    for unit in reporters:
        for year in (2024, 2025):
            Contribution.objects.create(
                input=parts["staff"],
                unit=unit,
                year=year,
                value=D(10),
                state="approved" if year == 2024 else "submitted",
                submitted_at="2025-01-01T00:00Z",
                approved_at="2025-01-02T00:00Z" if year == 2024 else None,
                submitted_by=planner,
            )
    client = client_of(planner)
    review_page(client)
    with django_assert_num_queries(19):  # 4 of them: the warnings of the year; 1 the bell
        page = review_page(client)
    assert page.count('id="part-') == units


def test_a_department_reports_its_inputs_through_the_excel_template(program, parts):
    from tests.test_excel_import import row_of, send, template, to_bytes

    first, second = parts["departments"]
    client = client_of(parts["heads"][0])
    book = template(client, f"/entry/template.xlsx?unit={first.code}&year=2025")
    sheet = book.worksheets[0]
    staff, degree = row_of(sheet, "staff"), row_of(sheet, "staff-degree")
    assert sheet.cell(staff, 4).value == "→ 1.2.2"  # the KPIs it feeds, where a target is
    assert sheet.cell(staff, 8).protection.locked  # an input has no explanation to type
    sheet.cell(staff, 6).value, sheet.cell(degree, 6).value = 40, 20
    sheet.cell(staff, 7).value = "HR report of 1 October"
    response = send(client, to_bytes(book))
    page = response.content.decode()
    assert "HR report of 1 October" in page and "Teaching staff" in page
    client.post(response.redirect_chain[-1][0], {"action": "submit"})
    rows = Contribution.objects.filter(unit=first).order_by("input__code")
    assert [(c.input.code, c.value, c.state) for c in rows] == [
        ("staff", 40, "submitted"),
        ("staff-degree", 20, "submitted"),
    ]
    assert rows[0].comment == "HR report of 1 October"

    # An input named twice is refused by its line, and nothing is saved.
    book = template(client, f"/entry/template.xlsx?unit={first.code}&year=2025")
    sheet = book.worksheets[0]
    sheet.cell(sheet.max_row + 1, 1).value = "staff"
    page = send(client, to_bytes(book)).content.decode()
    assert "appears twice" in page
    assert Contribution.objects.count() == 2 and not Contribution.objects.filter(unit=second)


def test_the_review_shows_a_large_change_from_last_year_beside_the_contribution(program, parts):
    first = parts["departments"][0]
    planner = User.objects.get(username="planner")
    Contribution.objects.create(
        input=parts["staff"],
        unit=first,
        year=2024,
        value=D(100),
        state="approved",
        submitted_at="2024-12-01T00:00Z",
        approved_at="2024-12-02T00:00Z",
        submitted_by=planner,
    )
    enter(client_of(parts["heads"][0]), parts, first, "40", "20")
    page = review_page(client_of(planner))
    staff = Contribution.objects.get(input=parts["staff"], unit=first, year=2025)
    row = page.split(f'id="part-{staff.pk}"')[1].split("</tr>")[0]
    assert "60 % less than the approved 100 of 2024" in row
    assert "part-warning" not in page.split(f'id="part-{staff.pk}"')[0]  # only that row


def test_a_dean_with_nothing_to_enter_is_pointed_to_the_faculty_page(program, parts):
    faculty = parts["departments"][0].parent
    dean = User.objects.create_user("t-dean", password="t-dean-demo-pass")
    dean.groups.add(Group.objects.get(name=roles.DEPARTMENT_HEAD))
    faculty.heads.add(dean)
    page = client_of(dean).get("/entry/?year=2025").content.decode()
    assert "Your units have nothing to enter themselves" in page
    assert f'href="/units/{faculty.pk}/"' in page
