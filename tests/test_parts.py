"""The parts behind calculated KPIs shown everywhere: the KPI page's formula, yearly
values and tree of units, the matrix and direction pages, the unit pages, the JSON,
CSV and workbook exports, each checked against a calculation written here over the
contribution rows the test wrote."""

from __future__ import annotations

import re
from decimal import Decimal as D

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import translation

from benchmarks.parts_data import calculate_shares
from kpis.models import ActualState, Contribution, Kpi
from tests.conftest import login as login_as


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def calculated(program):
    """All 44 shares (and three counts) calculated over 7 departments in 3 faculties,
    random contributions in every state, some missing, some not applicable."""
    return calculate_shares(program, units=7, mixed=True, sums=3, seed=7)


def login(username):
    client = login_as(username)
    client.cookies["django_language"] = "en"
    return client


def expected_value(calc, kpi_id, year, *, include_submitted=False, within=None):
    """The university's (or a subtree's) value computed here from the rows the fixture
    wrote: numerator and denominator summed over the counted rows before dividing;
    None while any unit's part is missing (not counted, not exempt)."""
    counted = {ActualState.APPROVED} | ({ActualState.SUBMITTED} if include_submitted else set())
    numerator, denominator = calc.formulas[kpi_id]
    units = [d for d in calc.departments if within is None or within in (d.id, d.parent_id)]
    sums = {"top": D(0), "bottom": D(0)}
    for side, inputs in (("top", numerator), ("bottom", denominator)):
        for input_id in inputs:
            for unit in units:
                key = (input_id, unit.id, year)
                if key in calc.exempt:
                    continue
                value, state = calc.rows.get(key, (None, "missing"))
                if state not in counted:
                    return None, None, None
                sums[side] += value
    if not denominator:
        return sums["top"], sums["top"], None
    if not sums["bottom"]:
        return None, sums["top"], sums["bottom"]
    share = (sums["top"] / sums["bottom"] * 100).quantize(D("0.0001"))
    return share, sums["top"], sums["bottom"]


def a_calculated_kpi(calc, program, *, complete: bool, year=2025):
    """A share whose value in `year` is (or is not) complete, as computed here."""
    for kpi in Kpi.objects.filter(id__in=calc.formulas, unit="percent").order_by("id"):
        value, _n, _d = expected_value(calc, kpi.id, year)
        if (value is not None) == complete:
            return kpi
    raise AssertionError("the seed gave no such KPI")


def test_kpi_page_shows_formula_yearly_parts_and_the_units_tree(calculated, program):
    kpi = a_calculated_kpi(calculated, program, complete=True)
    value, numerator, denominator = expected_value(calculated, kpi.id, 2025)
    rector = login("rector")
    page = rector.get(reverse("kpi_detail", args=[kpi.code]) + "?year=2025").content.decode()
    assert "How the value is calculated" in page
    assert f"Counted for {kpi.code} ÷ " in page and "× 100" in page
    section = page[page.index('id="parts-title"') :]
    # the university value with its parts, as "15 % (15/100)"
    shown = f"({numerator:,.0f}/{denominator:,.0f})".replace(",", "\u00a0")
    assert shown.replace("\u00a0", ",") in section.replace("\u00a0", ",")
    # each faculty and department in the tree, departments under their faculty
    for unit in calculated.faculties + calculated.departments:
        assert f'data-unit="{unit.code}"' in section
    # the university is a unit itself: the tree starts from it, with no total above it
    assert 'data-unit="university"' not in section
    assert f'data-unit="{calculated.university.code}"' in section


def test_missing_parts_are_partial_with_units_counted(calculated, program):
    kpi = a_calculated_kpi(calculated, program, complete=False)
    page = login("rector").get(reverse("kpi_detail", args=[kpi.code]) + "?year=2025")
    section = page.content.decode()
    section = section[section.index('id="parts-title"') :]
    assert re.search(r"partial: \d+ of 7 units", section)


def test_drill_down_shows_one_faculty_and_its_departments(calculated, program):
    kpi = a_calculated_kpi(calculated, program, complete=True)
    faculty = calculated.faculties[0]
    url = reverse("kpi_detail", args=[kpi.code]) + f"?year=2025&unit={faculty.id}"
    section = login("rector").get(url).content.decode()
    section = section[section.index('id="parts-units"') :]
    assert 'data-unit="university"' not in section
    assert f'data-unit="{faculty.code}"' in section
    for department in calculated.departments:
        assert (f'data-unit="{department.code}"' in section) == (department.parent_id == faculty.id)


def test_drafts_in_the_tree_only_for_their_unit_and_the_planning_office(calculated, program):
    draft = Contribution.objects.filter(
        state=ActualState.DRAFT, unit__in=calculated.departments, year=2025
    ).first()
    kpi = (
        Kpi.objects.filter(calculation__numerator=draft.input).first()
        or Kpi.objects.filter(calculation__denominator=draft.input).first()
    )
    head = User.objects.create_user("unit-head", password="x-unit-head-pass")
    head.groups.add(*User.objects.get(username="head").groups.all())
    draft.unit.heads.add(head)
    url = reverse("kpi_detail", args=[kpi.code]) + "?year=2025"

    def row_of(client):
        page = client.get(url).content.decode()
        start = page.index(f'data-unit="{draft.unit.code}"')
        return page[start : page.index("</tr>", start)]

    assert "state-draft" not in row_of(login("rector"))
    assert "state-draft" in row_of(login("planner"))
    assert "state-draft" in row_of(login("unit-head"))


def _cell_of(page: str, code: str, year_index: int) -> str:
    row = page[page.index(f'<span class="code">{code}</span>') :]
    row = row[: row.index("</tr>")]
    return re.findall(r'<td class="cell[^"]*"[^>]*>.*?</td>', row)[year_index]


def test_matrix_tooltip_and_direction_page_show_the_parts(calculated, program):
    complete = a_calculated_kpi(calculated, program, complete=True)
    partial = a_calculated_kpi(calculated, program, complete=False)
    rector = login("rector")
    matrix = rector.get("/matrix/?year=2025").content.decode()
    _value, numerator, denominator = expected_value(calculated, complete.id, 2025)
    cell = _cell_of(matrix, complete.code, 2)  # 2025
    assert "calculated: " in cell and f"({numerator:,.0f}/{denominator:,.0f})" in cell
    shown = re.search(r'<span class="a">([^<]*)', cell).group(1)
    assert shown == f"{_value.quantize(D('0.01')).normalize():f}"  # two decimals at most
    assert re.search(r"partial: \d+ of \d+ parts", _cell_of(matrix, partial.code, 2))
    for kpi in (complete, partial):
        number = kpi.task.goal.direction.number
        page = rector.get(f"/direction/{number}/?year=2025").content.decode()
        cell = _cell_of(page, kpi.code, 2)
        shown = f"{numerator:,.0f}/{denominator:,.0f}" if kpi == complete else "partial "
        assert f'<small class="p">{shown}' in cell


def test_an_override_is_shown_with_its_reason_beside_the_computed_value(calculated, program):
    from kpis.models import Actual
    from tests.stamps import stamps

    kpi = a_calculated_kpi(calculated, program, complete=True)
    _value, numerator, denominator = expected_value(calculated, kpi.id, 2025)
    Actual.objects.create(
        kpi=kpi,
        year=2025,
        value=D("48.5"),
        state=ActualState.APPROVED,
        override_reason="Two lecturers counted in both faculties",
        **stamps(ActualState.APPROVED),
    )
    rector = login("rector")
    page = rector.get(reverse("kpi_detail", args=[kpi.code]) + "?year=2025").content.decode()
    section = page[page.index('id="parts-title"') :]
    row = section[section.index('href="?year=2025#parts-title"') :]
    row = row[: row.index("</tr>")]
    assert f"({numerator:,.0f}/{denominator:,.0f})" in row  # computed, beside
    assert "48.5" in row and "Two lecturers counted in both faculties" in row
    cell = _cell_of(rector.get("/matrix/?year=2025").content.decode(), kpi.code, 2)
    assert "48.5" in cell and "entered by the planning office; calculated: " in cell


def _exported_kpis(program, **options):
    from reports.exports import program_document

    document = program_document(program, **options)
    return {
        kpi["code"]: kpi
        for direction in document["directions"]
        for goal in direction["goals"]
        for task in goal["tasks"]
        for kpi in task["kpis"]
    }


def _number(value):
    return None if value is None else float(value)


@pytest.mark.parametrize("include_submitted", [False, True])
def test_every_exported_value_equals_the_roll_up_of_the_rows(
    calculated, program, include_submitted
):
    """The JSON's value of every calculated KPI in every year equals the calculation
    written here over the contribution rows: approved only (or with submitted ones);
    None and partial while a unit's part is missing; the parts beside it."""
    from kpis.models import Contribution

    exported = _exported_kpis(program, include_submitted=include_submitted)
    kpis = {k.id: k for k in Kpi.objects.filter(id__in=calculated.formulas)}
    assert len(kpis) == 47  # all 44 shares and three counts
    counted_states = {"approved", "submitted"} if include_submitted else {"approved"}
    complete = partial = 0
    for kpi_id, kpi in kpis.items():
        document = exported[kpi.code]
        assert document["calculation"]["kind"] == ("share" if kpi.unit == "percent" else "sum")
        for year in program.years:
            value, numerator, denominator = expected_value(
                calculated, kpi_id, year, include_submitted=include_submitted
            )
            parts = document["parts"][str(year)]
            assert document["actuals"][str(year)] == _number(value), (kpi.code, year)
            assert parts["calculated"] == _number(value)
            if value is None:
                partial += 1
                assert parts["partial"] is True
                assert parts["parts_counted"] < parts["parts_expected"]
                assert parts["units_counted"] < parts["units_expected"]
                continue
            complete += 1
            assert parts["partial"] is False
            assert parts["units_counted"] == parts["units_expected"]
            assert parts["numerator"] == _number(numerator)
            assert parts["denominator"] == _number(denominator)
            # each counted contribution, by unit, as the rows hold it
            written = {
                (c.unit.code, c.input.code): float(c.value)
                for c in Contribution.objects.filter(
                    input_id__in=[i for side in calculated.formulas[kpi_id] for i in side],
                    year=year,
                    state__in=counted_states,
                ).select_related("unit", "input")
            }
            assert {(c["unit"], c["input"]): c["value"] for c in parts["contributions"]} == written
    assert complete > 20 and partial > 20  # the seed gives both, so both are checked


def test_an_override_is_exported_with_the_computed_value_beside(calculated, program):
    from kpis.models import Actual
    from tests.stamps import stamps

    kpi = a_calculated_kpi(calculated, program, complete=True)
    value, numerator, denominator = expected_value(calculated, kpi.id, 2025)
    Actual.objects.create(
        kpi=kpi,
        year=2025,
        value=D("48.5"),
        state=ActualState.APPROVED,
        override_reason="Unique persons",
        **stamps(ActualState.APPROVED),
    )
    document = _exported_kpis(program)[kpi.code]
    assert document["actuals"]["2025"] == 48.5
    parts = document["parts"]["2025"]
    assert (parts["entered"], parts["override_reason"]) == (48.5, "Unique persons")
    assert (parts["calculated"], parts["numerator"]) == (float(value), float(numerator))


def test_the_csv_carries_the_parts_in_columns_after_the_old_ones(calculated, program):
    import csv
    import io

    from reports.exports import CSV_COLUMNS, program_rows, write_csv

    out = io.StringIO()
    write_csv(program_rows(program), out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert list(rows[0])[:20] == CSV_COLUMNS[:20]  # the earlier columns keep their place
    kpis = {k.code: k for k in Kpi.objects.filter(id__in=calculated.formulas)}
    checked = 0
    for row in rows:
        kpi = kpis.get(row["code"])
        if kpi is None:
            assert row["calculated"] == row["numerator"] == row["contributions"] == ""
            continue
        value, numerator, denominator = expected_value(calculated, kpi.id, int(row["year"]))
        assert row["calculated"] == ("" if value is None else format(value.normalize(), "f"))
        if value is not None:
            checked += 1
            assert row["actual"] == row["calculated"]  # no override here
            assert D(row["numerator"]) == numerator
            if denominator is not None:
                assert D(row["denominator"]) == denominator
            total = sum(
                D(part.rpartition("=")[2])
                for part in row["contributions"].split("; ")
                if f"-n-{kpi.code.replace('.', '-')}=" in part
            )
            assert total == numerator
        else:
            assert int(row["parts_counted"]) < int(row["parts_expected"])
    assert checked > 20


def test_the_ministry_workbook_lists_the_parts_of_every_calculated_kpi(calculated, program):
    import io

    from openpyxl import load_workbook

    from reports.excel import build_ministry_report, workbook_bytes

    content = workbook_bytes(build_ministry_report(program, year=None, language="en"))
    sheet = load_workbook(io.BytesIO(content))["Parts"]
    header = [c.value for c in sheet[1]]
    assert header == [
        "Code", "KPI", "Year", "Unit", "Part of", "Inputs", "Numerator", "Denominator",
        "Value", "State",
    ]  # fmt: skip
    totals, contributions = {}, {}
    for row in sheet.iter_rows(min_row=2, values_only=True):
        code, _name, year, unit, _parent, item, top, bottom, value, state = row
        if unit == "University (total)":
            totals[code, int(year)] = (top, bottom, value, state)
        else:
            key = (code, int(year))
            before = contributions.get(key, (0, 0))
            contributions[key] = (before[0] + (top or 0), before[1] + (bottom or 0))
            if top is not None and bottom:  # a unit's own share of its own parts
                assert (
                    D(str(value))
                    == (D(str(top)) / D(str(bottom)) * 100).quantize(D("0.0001")).normalize()
                )
    kpis = {k.id: k for k in Kpi.objects.filter(id__in=calculated.formulas)}
    assert len({code for code, _year in totals}) == len(kpis) == 47
    for kpi_id, kpi in kpis.items():
        for year in program.years:
            value, numerator, denominator = expected_value(calculated, kpi_id, year)
            top, bottom, shown, state = totals[kpi.code, year]
            if value is None:
                assert shown is None and state.startswith("partial: ")
                continue
            assert state.startswith("complete: ")
            assert D(str(shown)) == value.normalize() and top == numerator
            if denominator is not None:
                assert bottom == denominator
            # the units listed under it add up to the numerator and the denominator
            assert contributions[kpi.code, year] == (numerator, denominator or 0)


def test_a_faculty_page_shows_its_inputs_and_its_share_of_each_kpi(calculated, program):
    faculty = calculated.faculties[1]
    rector = login("rector")
    units = rector.get(reverse("units")).content.decode()
    assert f'href="{reverse("unit_page", args=[faculty.id])}"' in units
    page = rector.get(reverse("unit_page", args=[faculty.id])).content.decode()
    shares = page[page.index('id="unit-shares"') : page.index('id="unit-inputs"')]
    checked = 0
    for kpi in Kpi.objects.filter(id__in=calculated.formulas, unit="percent"):
        row = shares[shares.index(f'data-kpi="{kpi.code}"') :]
        cells = re.findall(r'<td class="num">(.*?)</td>', row[: row.index("</tr>")], re.S)
        for year, cell in zip(program.years, cells, strict=True):
            value, numerator, denominator = expected_value(
                calculated, kpi.id, year, within=faculty.id
            )
            if value is None:
                assert "partial" in cell
            else:
                checked += 1
                assert f"({numerator:,.0f}/{denominator:,.0f})" in cell
    assert checked > 20
    inputs = page[page.index('id="unit-inputs"') :]
    for department in calculated.departments:
        assert (department.name in inputs) == (department.parent_id == faculty.id)
    assert "Counted total" in inputs  # over its departments
    department = next(d for d in calculated.departments if d.parent_id == faculty.id)
    page = rector.get(reverse("unit_page", args=[department.id])).content.decode()
    assert "Counted total" not in page  # one unit: its own line is its total


def test_a_unit_page_shows_drafts_only_to_the_unit_and_the_planning_office(calculated, program):
    draft = Contribution.objects.filter(
        state=ActualState.DRAFT, unit__in=calculated.departments
    ).first()
    head = User.objects.create_user("unit-head", password="x-unit-head-pass")
    head.groups.add(*User.objects.get(username="head").groups.all())
    draft.unit.heads.add(head)
    url = reverse("unit_page", args=[draft.unit.parent_id])
    for username, sees in (("rector", False), ("planner", True), ("unit-head", True)):
        page = login(username).get(url).content.decode()
        assert ("state-draft" in page) == sees, username
    assert login("rector").get(reverse("unit_page", args=[99999999])).status_code == 404


# Queries per page with every share calculated, whatever the number of units: session,
# user, permissions, the bell's unread count (pages with the header), the program, the
# KPIs, targets and values, and the parts (formulas, reporters, exemptions,
# contributions, units, inputs).
PARTS_QUERIES = {
    "/?year=2024": 16,
    "/matrix/?year=2024": 15,
    "/direction/1/?year=2024": 17,
    "/kpi/1.1.4/?year=2025": 27,
    "/kpi/1.1.4/?year=2025&unit={faculty}": 27,
    "/units/{faculty}/": 16,
    "/reports/program.json": 15,
    "/reports/program.csv": 15,
    "/reports/ministry.xlsx?year=2025": 15,
}


@pytest.mark.parametrize("units", [3, 30])
def test_pages_run_the_same_queries_for_3_and_30_units(program, units, django_assert_num_queries):
    calculated = calculate_shares(program, units=units, mixed=True, sums=3)
    assert Kpi.objects.get(program=program, code="1.1.4").id in calculated.formulas
    client = login("rector")
    for url, expected in PARTS_QUERIES.items():
        url = url.format(faculty=calculated.faculties[0].id)
        client.get(url)  # warm the session like a real visit
        with django_assert_num_queries(expected):
            assert client.get(url).status_code == 200, url


@pytest.mark.parametrize(
    "query", ["unit=abc", "unit=99999999999999999999", "unit=-1", "year=٣", "year=1999&unit=0"]
)
def test_odd_parameters_fall_back_to_the_whole_tree(calculated, program, query):
    kpi = a_calculated_kpi(calculated, program, complete=True)
    response = login("rector").get(reverse("kpi_detail", args=[kpi.code]) + "?" + query)
    page = response.content.decode()
    assert response.status_code == 200
    assert f'data-unit="{calculated.university.code}"' in page  # the whole tree


def test_a_kpi_entered_directly_has_no_parts_section(calculated, program):
    page = login("rector").get(reverse("kpi_detail", args=["3.1.4"])).content.decode()
    assert "How the value is calculated" not in page


def test_units_pages_are_for_signed_in_users_only(calculated, program):
    from django.test import Client

    for url in (reverse("units"), reverse("unit_page", args=[calculated.faculties[0].id])):
        response = Client().get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_the_parts_render_in_kazakh_and_russian(calculated, program, language):
    client = login_as("rector")
    client.cookies["django_language"] = language
    faculty = calculated.faculties[0]
    for url in (
        "/kpi/1.1.4/?year=2025",
        f"/kpi/1.1.4/?year=2025&unit={faculty.id}",
        f"/units/{faculty.id}/",
        "/direction/1/?year=2025",
        "/matrix/?year=2025",
    ):
        response = client.get(url)
        assert response.status_code == 200 and response["Content-Language"] == language
    page = client.get("/kpi/1.1.4/?year=2025").content.decode()
    assert re.search(r"\d+,\d+ % \(\d+(\xa0\d+)?/\d+(\xa0\d+)?\)", page)  # decimal comma


def test_the_demo_parts_show_on_every_page(program):
    """The demo's proposed definitions and contributions (kpis.demo.setup_demo_parts):
    every calculated KPI's page, every unit's page and the exports."""
    from kpis.demo import setup_demo_parts
    from kpis.models import Calculation, OrgUnit

    setup_demo_parts(program)
    rector = login("rector")
    codes = list(Calculation.objects.values_list("kpi__code", flat=True))
    assert codes
    for code in codes:
        page = rector.get(reverse("kpi_detail", args=[code]))
        assert page.status_code == 200 and "How the value is calculated" in page.content.decode()
    for unit in OrgUnit.objects.all():
        assert rector.get(reverse("unit_page", args=[unit.id])).status_code == 200
    exported = _exported_kpis(program)
    assert all(exported[code]["calculation"] is not None for code in codes)
    for url in ("/reports/program.csv", "/reports/ministry.xlsx?year=2024", "/matrix/"):
        assert rector.get(url).status_code == 200


def test_the_values_table_judges_a_calculated_kpi_by_its_value_from_the_parts(calculated, program):
    from kpis.measures import Values
    from kpis.status import assess_kpi

    kpi = a_calculated_kpi(calculated, program, complete=True)
    value, _n, _d = expected_value(calculated, kpi.id, 2025)
    expected = assess_kpi(kpi, kpi.targets.get(year=2025), Values(value)).status
    page = login("rector").get(reverse("kpi_detail", args=[kpi.code])).content.decode()
    table = page[page.index('class="grid kpi-years"') :]
    row = table[table.index('<th scope="row">2025</th>') :].split("</tr>")[0]
    assert f"status-{expected}" in row and expected != "no_data"
