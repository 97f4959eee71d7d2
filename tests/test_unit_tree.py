"""The tree of units: the planning office places units under one another on the People
pages and in the administration, through the same rules (kpis.units)."""

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation

from kpis import units
from kpis.models import Contribution, Input, OrgUnit, OrgUnitKind
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
def tree(program):
    """A university with a faculty holding a department."""
    planner = User.objects.get(username="planner")

    def make(code, kind, parent=None):
        data = units.UnitData(code, f"{code} kk", f"{code} ru", f"{code} en", kind, parent)
        return units.save_unit(actor=planner, data=data)

    root = make("t-uni", OrgUnitKind.UNIVERSITY)
    faculty = make("t-fac", OrgUnitKind.FACULTY, root)
    department = make("t-dep", OrgUnitKind.DEPARTMENT, faculty)
    return {"planner": planner, "root": root, "faculty": faculty, "department": department}


def data_of(unit: OrgUnit, **changes) -> units.UnitData:
    fields = {
        "code": unit.code,
        "name_kk": unit.name_kk,
        "name_ru": unit.name_ru or "",
        "name_en": unit.name_en or "",
        "kind": unit.kind,
        "parent": unit.parent,
    } | changes
    return units.UnitData(**fields)


def test_the_people_page_lists_units_as_an_indented_tree(tree):
    page = client_for("planner").get("/people/").content.decode()
    root, faculty, department = (page.index(f"{c} en") for c in ("t-uni", "t-fac", "t-dep"))
    assert root < faculty < department
    assert 'class="tree-depth-2" data-depth="2"' in page[page.index('id="unit-t-dep"') :][:200]
    assert "faculty or institute" in page
    # Units with nothing to enter (no KPI, no input to report) are not flagged headless.
    assert 'id="unit-t-uni" class=""' in page and 'id="unit-t-dep" class=""' in page
    assert 'id="unit-finance" class="flagged"' in page  # owns KPIs, has no head


def test_a_unit_cannot_be_placed_under_itself_or_below_itself(tree):
    planner, faculty, department = tree["planner"], tree["faculty"], tree["department"]
    with pytest.raises(ValidationError) as refused:
        units.save_unit(actor=planner, data=data_of(faculty, parent=faculty), unit=faculty)
    assert "is part of" in str(refused.value)
    # Made an office (which may sit under a faculty), the department still cannot hold
    # its own faculty.
    with pytest.raises(ValidationError) as refused:
        units.save_unit(
            actor=planner,
            data=data_of(faculty, kind=OrgUnitKind.DEPARTMENT, parent=department),
            unit=faculty,
        )
    assert "cannot be part of" in str(refused.value)
    faculty.refresh_from_db()
    assert faculty.parent == tree["root"]


def test_the_kinds_follow_the_university_faculty_department_order(tree):
    faculty, department = tree["faculty"], tree["department"]
    problems = units.unit_problems(data_of(faculty, parent=department), faculty)
    assert "parent" in problems
    second = units.UnitData("t-uni2", "Екінші", "", "", OrgUnitKind.UNIVERSITY, faculty)
    problems = units.unit_problems(second)
    assert problems["parent"] == ["A university is part of no other unit: leave this empty."]
    # A faculty that holds a department cannot become a department itself.
    problems = units.unit_problems(data_of(faculty, kind=OrgUnitKind.DEPARTMENT), faculty)
    assert "move them to another unit first" in problems["kind"][0]
    with pytest.raises(PermissionDenied):
        units.save_unit(actor=User.objects.get(username="head"), data=data_of(faculty))


def test_the_form_shows_every_problem_at_once_and_keeps_what_was_typed(tree):
    client = client_for("planner")
    page = client.post(
        "/people/units/new/",
        {
            "name_kk": "",
            "name_ru": "Новая кафедра",
            "code": "t-fac",
            "kind": "faculty",
            "parent": tree["department"].pk,
        },
    ).content.decode()
    assert "Nothing was saved" in page
    assert "Type the unit&#x27;s name in Kazakh" in page or "This field is required" in page
    assert "The code t-fac is taken by another unit." in page
    assert "is part of a university, not of a department" in page
    assert 'value="Новая кафедра"' in page
    assert not OrgUnit.objects.filter(name_ru="Новая кафедра").exists()


def test_the_planning_office_adds_and_moves_a_unit_on_the_people_pages(tree):
    client = client_for("planner")
    response = client.post(
        "/people/units/new/",
        {
            "name_kk": "Жаңа кафедра",
            "name_ru": "Новая кафедра",
            "name_en": "New department",
            "code": "t-new",
            "kind": "department",
            "parent": tree["faculty"].pk,
        },
    )
    assert response.status_code == 302
    new = OrgUnit.objects.get(code="t-new")
    assert (new.parent, new.name_kk, new.kind) == (tree["faculty"], "Жаңа кафедра", "department")
    url = f"/people/units/{new.pk}/edit/"
    fields = form_fields(client.get(url).content.decode(), "person-form")
    fields |= {"parent": str(tree["root"].pk), "kind": "department"}  # selects are not read
    client.post(url, fields)
    new.refresh_from_db()
    assert new.parent == tree["root"]
    logged = LogEntry.objects.filter(object_id=str(new.pk)).count()
    assert logged == 2  # added, then moved


def test_only_the_planning_office_edits_units(tree):
    for username in ("head", "rector"):
        client = client_for(username)
        assert client.get("/people/units/new/").status_code == 403
        page = f"/people/units/{tree['department'].pk}/delete/"
        assert client.post(page).status_code == 403
    assert OrgUnit.objects.filter(pk=tree["department"].pk).exists()


def test_a_unit_with_contributions_is_not_deleted(tree, program):
    department, client = tree["department"], client_for("planner")
    staff = Input.objects.create(program=program, code="t-staff", name="Staff")
    staff.reporters.add(department)
    Contribution.objects.create(input=staff, unit=department, year=2024, value=5)
    page = client.post(f"/people/units/{department.pk}/delete/", follow=True).content.decode()
    assert "has 1 contributions to inputs" in page
    assert OrgUnit.objects.filter(pk=department.pk).exists()
    # A unit that holds others is not deleted either; an empty one is.
    client.post(f"/people/units/{tree['faculty'].pk}/delete/")
    assert OrgUnit.objects.filter(pk=tree["faculty"].pk).exists()
    Contribution.objects.all().delete()
    client.post(f"/people/units/{department.pk}/delete/")
    assert not OrgUnit.objects.filter(pk=department.pk).exists()


def test_the_admin_keeps_the_same_rules(tree, planner):
    planner.cookies["django_language"] = "en"
    faculty, department = tree["faculty"], tree["department"]
    url = reverse("admin:kpis_orgunit_change", args=[faculty.pk])
    fields = {
        "code": faculty.code,
        "name_kk": faculty.name_kk,
        "name_ru": faculty.name_ru,
        "name_en": faculty.name_en,
        "kind": "faculty",
        "parent": department.pk,
    }
    page = planner.post(url, fields).content.decode()
    assert "cannot be part of" in page
    faculty.refresh_from_db()
    assert faculty.parent == tree["root"]
    fields["parent"] = ""
    fields["name_en"] = "Renamed faculty"
    assert planner.post(url, fields).status_code == 302
    faculty.refresh_from_db()
    assert (faculty.parent, faculty.name_en) == (None, "Renamed faculty")
    # Deleting a unit that holds another is refused with the reason.
    delete = reverse("admin:kpis_orgunit_delete", args=[faculty.pk])
    page = planner.post(delete, {"post": "yes"}).content.decode()
    assert "holds other units" in page
    assert OrgUnit.objects.filter(pk=faculty.pk).exists()
