"""The Ministry report, read back with openpyxl."""

import io
import math
from decimal import Decimal as D

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from kpis.measures import measure_for
from kpis.models import Actual, ActualState, Kpi
from kpis.status import Status
from reports.excel import STATUS_FILLS, build_ministry_report, workbook_bytes
from reports.models import FrozenReport
from tests.seed_table_42 import EXPECTED_KPIS
from tests.stamps import stamps

YEARS = list(range(2023, 2030))
TARGET_COLUMNS = range(8, 15)  # H…N: targets 2023…2029 (G is the baseline)


def read(content: bytes):
    return load_workbook(io.BytesIO(content))


def kpi_rows(sheet) -> dict[str, int]:
    """Row number of each KPI code (column C)."""
    return {
        sheet.cell(r, 3).value: r
        for r in range(4, sheet.max_row + 1)
        if isinstance(sheet.cell(r, 3).value, str) and sheet.cell(r, 3).value.count(".") == 2
    }


def approve(program, code, year, value, value2=None, state=ActualState.APPROVED, comment=""):
    kpi = Kpi.objects.get(program=program, code=code)
    return Actual.objects.create(
        kpi=kpi,
        year=year,
        value=D(value),
        value2=value2,
        state=state,
        comment=comment,
        **stamps(state),
    )


@pytest.fixture
def report(program):
    approve(program, "1.1.3", 2024, 62)  # close
    approve(program, "1.2.1", 2024, 2)  # behind
    approve(program, "1.1.1", 2024, 3300)  # achieved
    approve(program, "1.1.2", 2024, D("98.8"), D("1.2"))
    approve(program, "2.1.1", 2024, 9, state=ActualState.SUBMITTED)
    content = workbook_bytes(build_ministry_report(program, year=2024, language="en"))
    return read(content)


def test_every_target_matches_the_seed(report):
    sheet = report["Program"]
    rows = kpi_rows(sheet)
    assert len(rows) == 80
    for code, unit, _sense, raw_targets, _name in EXPECTED_KPIS:
        for column, raw in zip(TARGET_COLUMNS, raw_targets, strict=True):
            cell = sheet.cell(rows[code], column).value
            value, value2 = measure_for(unit).parse_target(raw)
            if value is None:
                assert cell is None, (code, raw)
            elif unit == "ratio":
                assert cell == f"{value.normalize():f}/{value2.normalize():f}", code
            elif unit == "rank":
                assert cell == f"top-{value}", code
            else:
                assert D(str(cell)) == value, (code, raw, cell)


def test_layout_merges_goals_and_tasks_over_their_kpis(report):
    sheet = report["Program"]
    merged = {str(r) for r in sheet.merged_cells.ranges}
    rows = kpi_rows(sheet)
    # Goal 1 spans all 19 KPIs of direction 1; task 1.1 its 4 KPIs.
    assert f"A{rows['1.1.1']}:A{rows['1.4.4']}" in merged
    assert f"B{rows['1.1.1']}:B{rows['1.1.4']}" in merged
    assert f"B{rows['2.1.1']}:B{rows['2.1.8']}" in merged
    # Direction headings span the whole width.
    heading = rows["1.1.1"] - 1
    assert any(r.startswith(f"A{heading}:") for r in merged)
    assert sheet.freeze_panes == "E4"
    assert sheet.print_title_rows == "$3:$3"
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.page_setup.fitToWidth == 1


def test_values_achievement_and_status_fills(report):
    sheet = report["Program"]
    rows = kpi_rows(sheet)
    value, achievement, status = 15, 16, 17  # O, P, Q
    expectations = {
        "1.1.1": (3300, "✓ achieved"),
        "1.1.3": (62, "≈ close to target"),
        "1.2.1": (2, "✗ behind target"),
        "2.1.1": (None, "? no data"),  # submitted, not approved: not counted
    }
    for code, (expected, label) in expectations.items():
        row = rows[code]
        assert sheet.cell(row, value).value == expected
        assert sheet.cell(row, status).value == label
    fills = {code: sheet.cell(rows[code], status).fill.fgColor.rgb[-6:] for code in expectations}
    assert fills["1.1.1"] == STATUS_FILLS["achieved"]
    assert fills["1.1.3"] == STATUS_FILLS["close"]
    assert fills["1.2.1"] == STATUS_FILLS["behind"]
    assert sheet.cell(rows["1.2.1"], achievement).value == 40
    assert sheet.cell(rows["1.1.2"], value).value == "98.8/1.2"
    assert sheet.cell(rows["1.1.3"], value).number_format == '0"%"'
    assert sheet.cell(rows["1.1.1"], value).number_format == "#,##0"


def test_summary_and_about_sheets(report):
    summary = report["Summary"]
    whole = next(
        r for r in range(2, summary.max_row + 1) if summary.cell(r, 2).value == "Whole program"
    )
    assert [summary.cell(whole, c).value for c in range(3, 10)] == [80, 2, 1, 1, 62, 0, 14]
    about = {r[0].value: r[1].value for r in report["About"].iter_rows()}
    assert about["Values counted"] == "approved values only"
    assert about["Report year"] == 2024


def test_explanation_of_a_miss_and_responsible_unit(program):
    approve(program, "1.2.1", 2024, 2)
    Actual.objects.filter(kpi__code="1.2.1", year=2024).update(
        explanation="-Two lecturers left in spring."
    )
    approve(program, "1.2.1", 2023, 1)
    Actual.objects.filter(kpi__code="1.2.1", year=2023).update(explanation="The 2023 reason")
    book = read(workbook_bytes(build_ministry_report(program, year=2024, language="en")))
    sheet = book["Program"]
    rows = kpi_rows(sheet)
    assert sheet.cell(3, 18).value == "Why the target was missed"
    assert sheet.cell(3, 19).value == "Responsible unit"
    # The year's own explanation, as the department wrote it (not run as a formula).
    assert sheet.cell(rows["1.2.1"], 18).value == "-Two lecturers left in spring."
    assert sheet.cell(rows["1.2.1"], 18).data_type == "s"
    assert sheet.cell(rows["1.1.3"], 18).value is None
    owner = Kpi.objects.get(program=program, code="1.2.1").owner
    assert sheet.cell(rows["1.2.1"], 19).value == owner.name_en


def test_explanations_cost_no_query_per_kpi(program):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            build_ministry_report(program, year=None, language="en")
        return len(captured)

    before = queries()
    for code in ("1.1.3", "1.2.1", "2.2.2", "3.1.1"):
        approve(program, code, 2025, 1)
    Actual.objects.filter(year=2025).update(explanation="why")
    assert queries() == before
    # The KPIs, tasks, units, targets and values, and whether any KPI is calculated from
    # inputs: reports.selectors.program_values.
    assert before == 6


def test_every_year_mode_has_a_sheet_per_year(program):
    approve(program, "1.1.3", 2023, 60)
    book = read(workbook_bytes(build_ministry_report(program, year=None, language="en")))
    years = [f"Program {year}" for year in YEARS]
    assert book.sheetnames == [*years, "Summary", "KPI passports", "About"]
    for year, name in zip(YEARS, years, strict=True):
        sheet = book[name]
        headers = [sheet.cell(3, c).value for c in range(1, sheet.max_column + 1)]
        assert headers[14:17] == [f"Value {year}", f"Achievement, % ({year})", f"Status {year}"]
        assert len(headers) == 6 + 1 + 7 + 3 + 2
        assert sheet.print_title_rows == "$3:$3" and sheet.page_setup.paperSize == 8  # A3
    rows = kpi_rows(book["Program 2023"])
    assert book["Program 2023"].cell(rows["1.1.3"], 15).value == 60
    assert book["Program 2024"].cell(rows["1.1.3"], 15).value is None


def test_wrapped_text_gets_rows_tall_enough(report):
    """LibreOffice prints a row as high as the file says. A crude lower bound: a text
    needs at least (its length × 0.85) ÷ (column width) lines, 15 points each."""
    sheet = report["Program"]
    for code, row in kpi_rows(sheet).items():
        name = sheet.cell(row, 4).value
        width = sheet.column_dimensions["D"].width
        assert sheet.row_dimensions[row].height >= 15 * math.ceil(len(name) * 0.85 / width), code
        assert sheet.cell(row, 4).alignment.wrap_text
    assert sheet.row_dimensions[3].height >= 30  # "Achievement, % (2024)" takes two lines


def test_status_column_fits_every_languages_longest_status(program):
    names = []
    for language in ("kk", "ru", "en"):
        with translation.override(language):
            names += [str(label) for label in Status.labels]
    book = read(workbook_bytes(build_ministry_report(program, year=2024, language="kk")))
    width = book.worksheets[0].column_dimensions["Q"].width
    assert width >= max(len(name) for name in names) + 2  # the symbol and a space


def test_every_cell_names_its_font(report):
    """A font without a name is printed in whatever LibreOffice picks (it was a serif)."""
    for sheet in report.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value is not None:
                    assert cell.font.name == "Calibri", (sheet.title, cell.coordinate)


def test_user_text_never_becomes_a_formula(program):
    approve(program, "1.1.3", 2024, 62, comment='=HYPERLINK("http://x")')
    Actual.objects.filter(kpi__code="1.1.3", year=2024).update(explanation="@SUM(A1)")
    kpi = Kpi.objects.get(program=program, code="1.1.3")
    kpi.name_en = "=cmd|' /C calc'!A0"
    kpi.save()
    book = read(workbook_bytes(build_ministry_report(program, year=2024, language="en")))
    sheet = book["Program"]
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f", cell.coordinate
    row = kpi_rows(sheet)["1.1.3"]
    # Text as written, typed as text with Excel's quote prefix.
    assert sheet.cell(row, 4).value == "=cmd|' /C calc'!A0"
    assert sheet.cell(row, 18).value == "@SUM(A1)"
    assert sheet.cell(row, 4).quotePrefix and sheet.cell(row, 18).quotePrefix


def test_download_from_the_dashboards(rector, program):
    response = rector.get(reverse("ministry_report") + "?year=2024&include=submitted")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = read(response.content)
    assert len(book.sheetnames) == 4
    assert rector.get(reverse("ministry_report") + "?year=1999").status_code == 404


def test_export_report_command(program, tmp_path):
    target = tmp_path / "report.xlsx"
    call_command("export_report", "--year", "2024", "--output", str(target), "--lang", "en")
    assert kpi_rows(read(target.read_bytes())["Program"])


def test_frozen_report_is_kept_unchanged(planner, program):
    approve(program, "1.1.3", 2024, 62)
    response = planner.post(
        reverse("freeze_report"), {"year": "2024", "note": "No. 15-04/112", "confirm": "yes"}
    )
    assert response.status_code == 302
    frozen = FrozenReport.objects.get()
    original = planner.get(reverse("frozen_download", args=[frozen.pk]))
    content = b"".join(original.streaming_content)
    assert FrozenReport.digest(content) == frozen.sha256

    Actual.objects.filter(kpi__code="1.1.3", year=2024).update(value=99)  # edited afterwards
    again = b"".join(planner.get(reverse("frozen_download", args=[frozen.pk])).streaming_content)
    assert again == content
    kpis = {
        k["code"]: k
        for d in frozen.snapshot["directions"]
        for g in d["goals"]
        for t in g["tasks"]
        for k in t["kpis"]
    }
    assert kpis["1.1.3"]["actuals"]["2024"] == 62


@pytest.mark.parametrize("who", ["head", "rector"])
def test_only_the_planning_office_freezes(who, request, program):
    client = request.getfixturevalue(who)
    assert client.post(reverse("freeze_report"), {"year": "2024"}).status_code == 403
    assert not FrozenReport.objects.exists()
