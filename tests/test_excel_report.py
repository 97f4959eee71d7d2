"""The Ministry report, read back with openpyxl."""

import io
from decimal import Decimal as D

import pytest
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from kpis.models import Actual, ActualState, Kpi
from kpis.values import parse_target_text
from reports.excel import STATUS_FILLS, build_ministry_report, workbook_bytes
from reports.models import FrozenReport
from tests.seed_table_42 import EXPECTED_KPIS
from tests.stamps import stamps

YEARS = list(range(2023, 2030))
TARGET_COLUMNS = range(7, 14)  # G…M: targets 2023…2029


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
            value, value2 = parse_target_text(raw, unit)
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
    value, achievement, status = 14, 15, 16  # N, O, P
    expectations = {
        "1.1.1": (3300, "achieved"),
        "1.1.3": (62, "close to target"),
        "1.2.1": (2, "behind target"),
        "2.1.1": (None, "no data"),  # submitted, not approved: not counted
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
    assert [summary.cell(whole, c).value for c in range(3, 9)] == [80, 2, 1, 1, 14, 62]
    about = {r[0].value: r[1].value for r in report["About"].iter_rows()}
    assert about["Values counted"] == "approved values only"
    assert about["Report year"] == 2024


def test_every_year_mode_has_a_status_per_year(program):
    approve(program, "1.1.3", 2023, 60)
    book = read(workbook_bytes(build_ministry_report(program, year=None, language="en")))
    sheet = book["Program"]
    headers = [sheet.cell(3, c).value for c in range(1, sheet.max_column + 1)]
    assert headers.count("Status 2023") == 1 and headers.count("Status 2029") == 1
    assert len(headers) == 6 + 7 + 7 * 3


def test_user_text_never_becomes_a_formula(program):
    approve(program, "1.1.3", 2024, 62, comment='=HYPERLINK("http://x")')
    kpi = Kpi.objects.get(program=program, code="1.1.3")
    kpi.name_en = "=cmd|' /C calc'!A0"
    kpi.save()
    book = read(workbook_bytes(build_ministry_report(program, year=2024, language="en")))
    sheet = book["Program"]
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f", cell.coordinate
    assert any(c.value == "'=cmd|' /C calc'!A0" for row in sheet.iter_rows() for c in row)


def test_download_from_the_dashboards(rector, program):
    response = rector.get(reverse("ministry_report") + "?year=2024&include=submitted")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = read(response.content)
    assert len(book.sheetnames) == 3
    assert rector.get(reverse("ministry_report") + "?year=1999").status_code == 404


def test_export_report_command(program, tmp_path):
    target = tmp_path / "report.xlsx"
    call_command("export_report", "--year", "2024", "--output", str(target), "--lang", "en")
    assert kpi_rows(read(target.read_bytes())["Program"])


def test_frozen_report_is_kept_unchanged(planner, program):
    approve(program, "1.1.3", 2024, 62)
    response = planner.post(reverse("freeze_report"), {"year": "2024", "note": "No. 15-04/112"})
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
