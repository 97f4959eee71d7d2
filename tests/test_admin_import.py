"""Admin import and export of targets and values (django-import-export): preview,
confirmation, rollback on any error, history, and numbers that stay numbers."""

import csv
import io
import re
from decimal import Decimal as D

import pytest
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from kpis.models import Actual, ActualState, Kpi, Target
from kpis.resources import IMPORT_REASON
from tests.stamps import stamps


@pytest.fixture
def planner(planner):
    """The planning office reading the admin in English (messages are asserted in English)."""
    planner.cookies["django_language"] = "en"
    return planner


def csv_file(rows: list[list[str]]) -> io.BytesIO:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    content = io.BytesIO(buffer.getvalue().encode())
    content.name = "import.csv"
    return content


def xlsx_file(rows: list[list]) -> io.BytesIO:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    content = io.BytesIO()
    book.save(content)
    content.seek(0)
    content.name = "import.xlsx"
    return content


def formats(client, model: str) -> dict[str, str]:
    page = client.get(reverse(f"admin:kpis_{model}_import")).content.decode()
    options = re.findall(r'<option value="(\d+)"[^>]*>([^<]+)</option>', page)
    return {label.strip().lower(): value for value, label in options}


def preview(client, model: str, content, kind: str):
    return client.post(
        reverse(f"admin:kpis_{model}_import"),
        {"resource": "0", "format": formats(client, model)[kind], "import_file": content},
    )


def confirm(client, model: str, response):
    page = response.content.decode()
    fields = dict(
        re.findall(
            r'name="(import_file_name|original_file_name|format|resource)"[^>]*value="([^"]*)"',
            page,
        )
    )
    return client.post(reverse(f"admin:kpis_{model}_process_import"), fields)


def test_targets_import_with_preview_then_confirm_records_history(planner, program):
    content = csv_file(
        [["kpi", "year", "value", "value2", "raw_text"], ["1.1.1", "2029", "4600", "", "4600"]]
    )
    response = preview(planner, "target", content, "csv")
    assert response.status_code == 200
    target = Target.objects.get(kpi__program=program, kpi__code="1.1.1", year=2029)
    assert target.value == 4500  # a preview saves nothing

    assert confirm(planner, "target", response).status_code == 302
    target.refresh_from_db()
    assert target.value == 4600
    record = target.history.first()
    assert (record.history_change_reason, record.history_user.username) == (
        IMPORT_REASON,
        "planner",
    )


@pytest.mark.parametrize(
    "bad_row, message",
    [
        (["9.9.9", "2029", "1", "", ""], "Unknown KPI code"),
        (["1.1.3", "2029", "140", "", ""], "between 0 and 100"),
        (["1.1.1", "2035", "10", "", ""], "within the program"),
        (["1.1.1", "2029", "many", "", ""], "is not a number"),
    ],
)
def test_any_error_rolls_everything_back(planner, program, bad_row, message):
    good = ["1.1.1", "2028", "4300", "", "4300"]
    content = xlsx_file([["kpi", "year", "value", "value2", "raw_text"], good, bad_row])
    before = list(Target.objects.order_by("id").values_list("value", flat=True))
    history = Target.history.count()
    response = preview(planner, "target", content, "xlsx")
    assert message.lower() in response.content.decode().lower()
    assert 'name="import_file_name"' not in response.content.decode()  # no confirm button
    assert list(Target.objects.order_by("id").values_list("value", flat=True)) == before
    assert Target.history.count() == history


def test_values_import_refuses_approved_values(planner, program):
    kpi = Kpi.objects.get(program=program, code="1.1.3")
    Actual.objects.create(
        kpi=kpi, year=2024, value=65, state=ActualState.APPROVED, **stamps("approved")
    )
    content = csv_file(
        [
            ["kpi", "year", "value", "value2", "comment", "state"],
            ["1.1.3", "2024", "70", "", "", "approved"],
        ]
    )
    response = preview(planner, "actual", content, "csv")
    assert "approved and locked" in response.content.decode()
    assert Actual.objects.get(kpi=kpi, year=2024).value == 65


def test_values_import_creates_drafts_with_history(planner, program):
    content = csv_file(
        [
            ["kpi", "year", "value", "value2", "comment", "state"],
            ["1.1.2", "2025", "98.7", "1.3", "x", ""],
        ]
    )
    confirm(planner, "actual", preview(planner, "actual", content, "csv"))
    actual = Actual.objects.get(kpi__code="1.1.2", year=2025, kpi__program=program)
    assert (actual.value, actual.value2, actual.state) == (D("98.7"), D("1.3"), ActualState.DRAFT)
    assert actual.history.first().history_user.username == "planner"


def test_export_keeps_numbers_and_escapes_formulas(planner, program):
    kpi = Kpi.objects.get(program=program, code="1.1.3")
    Actual.objects.create(kpi=kpi, year=2024, value=62, comment='=HYPERLINK("http://evil")')
    page = planner.get(reverse("admin:kpis_actual_export")).content.decode()
    xlsx = dict(re.findall(r'<option value="(\d+)"[^>]*>([^<]+)</option>', page))
    fmt = next(k for k, v in xlsx.items() if v.strip().lower() == "xlsx")
    response = planner.post(
        reverse("admin:kpis_actual_export"),
        {
            "format": fmt,
            "resource": "0",
            **{
                f"actualresource_{f}": "on"
                for f in ["kpi", "year", "value", "value2", "state", "comment"]
            },
        },
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    header, first = rows[0], rows[1]
    record = dict(zip(header, first, strict=False))
    assert record["value"] == 62 and isinstance(record["value"], int | float)
    assert not str(record["comment"]).startswith("=")
