"""Admin import and export of targets and values (django-import-export): preview,
confirmation, rollback on any error, history, and numbers that stay numbers."""

import csv
import io
import re
from decimal import Decimal as D

import pytest
from django.contrib.auth.models import User
from django.core import signing
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from kpis import services
from kpis.models import Actual, ActualState, Kpi, Target
from kpis.reasons import Reason
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


def confirm_fields(response) -> dict[str, str]:
    return dict(
        re.findall(
            r'name="(import_file_name|original_file_name|format|resource|seen_versions)"'
            r'[^>]*value="([^"]*)"',
            response.content.decode(),
        )
    )


def confirm(client, model: str, response):
    return client.post(reverse(f"admin:kpis_{model}_process_import"), confirm_fields(response))


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
        Reason.IMPORTED,
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


# --- Values go through the workflow -------------------------------------------------------

HEADER = ["kpi", "year", "value", "value2", "state", "comment", "explanation"]
SQL_OR_CODE = ["Traceback", "violates", "out of range", "IntegrityError", "DataError", "Error at"]


def values_file(*rows, kind="csv"):
    return (csv_file if kind == "csv" else xlsx_file)([HEADER, *[list(r) for r in rows]])


def imported(planner, content, kind="csv"):
    return confirm(planner, "actual", preview(planner, "actual", content, kind))


def test_an_approved_row_is_submitted_then_approved_by_the_importer(planner, program):
    before = timezone.now()
    response = imported(planner, values_file(["1.1.3", "2025", "71", "", "approved", "Ok", ""]))
    assert response.status_code == 302
    actual = Actual.objects.get(kpi__program=program, kpi__code="1.1.3", year=2025)
    assert (actual.value, actual.state, actual.version) == (D(71), ActualState.APPROVED, 2)
    assert actual.submitted_by.username == actual.approved_by.username == "planner"
    assert before <= actual.submitted_at <= actual.approved_at <= timezone.now()
    steps = actual.history.order_by("history_id")
    assert [(r.history_change_reason, r.history_user.username, r.state) for r in steps] == [
        (Reason.SUBMITTED, "planner", ActualState.SUBMITTED),
        (Reason.APPROVED, "planner", ActualState.APPROVED),
    ]


def test_draft_and_submitted_rows_are_saved_and_submitted(planner, program):
    file = values_file(
        ["1.1.3", "2025", "71", "", "draft", "", ""],
        ["1.1.4", "2025", "3", "", "submitted", "", "Two new programmes were delayed"],
    )
    assert imported(planner, file).status_code == 302
    draft = Actual.objects.get(kpi__program=program, kpi__code="1.1.3", year=2025)
    submitted = Actual.objects.get(kpi__program=program, kpi__code="1.1.4", year=2025)
    assert (draft.state, draft.submitted_at, draft.history.get().history_change_reason) == (
        ActualState.DRAFT,
        None,
        Reason.SAVED_DRAFT,
    )
    assert (submitted.state, submitted.submitted_by.username) == (ActualState.SUBMITTED, "planner")
    assert submitted.explanation == "Two new programmes were delayed"


def test_a_submitted_value_that_misses_its_target_needs_an_explanation(planner, program):
    response = preview(
        planner, "actual", values_file(["1.1.4", "2025", "3", "", "submitted", "", ""]), "csv"
    )
    assert "explain why before submitting" in response.content.decode()
    assert not Actual.objects.filter(kpi__program=program, kpi__code="1.1.4", year=2025).exists()


def test_a_submitted_value_can_be_approved_by_import_and_an_approved_one_is_left_alone(
    planner, program
):
    head = User.objects.get(username="head")
    kpi = Kpi.objects.prefetch_related("targets").get(program=program, code="1.1.3")
    entry = services.Entry(kpi=kpi, value=D(72), comment="c", submit=True)
    (actual,) = services.save_entries(user=head, program=program, year=2025, entries=[entry])
    row = ["1.1.3", "2025", "72", "", "approved", "c", ""]
    assert imported(planner, values_file(row)).status_code == 302
    actual.refresh_from_db()
    assert (actual.state, actual.submitted_by, actual.approved_by.username) == (
        ActualState.APPROVED,
        head,  # the head submitted it; the importer approved it
        "planner",
    )
    # The same file again: the row is what is stored, so nothing is asked and nothing moves.
    assert imported(planner, values_file(row)).status_code == 302
    assert Actual.objects.get(pk=actual.pk).version == actual.version


BAD_ROWS = [
    (["1.1.3", "2035", "70", "", "draft", "", ""], "The year must lie within the program"),
    (["1.1.3", "99999", "70", "", "draft", "", ""], "The year must lie within the program"),
    (["1.2.1", "2025", "150", "", "draft", "", ""], "between 0 and 100"),
    (["2.1.1", "2025", "-3", "", "draft", "", ""], "cannot be negative"),
    (["1.1.2", "2025", "50", "10", "draft", "", ""], "must add up to 100"),
    (["2.1.2", "2025", "1E+20", "", "draft", "", ""], "is not a number"),
    (["2.1.3", "2025", "10000000000", "", "draft", "", ""], "too large"),
    (["2.1.6", "2025", "many", "", "draft", "", ""], "is not a number"),
    (["9.9.9", "2025", "1", "", "draft", "", ""], "Unknown KPI code"),
    (["2.1.7", "2025", "3", "", "done", "", ""], "Unknown state"),
    (["1.2.2", "2025", "12,34567", "", "draft", "", ""], "at most 4 digits"),
    (["1.2.3", "2025", "12", "5", "draft", "", ""], "This KPI has no second part"),
]


def test_a_file_with_bad_rows_saves_nothing_and_the_preview_lists_every_problem(planner, program):
    good = ["1.1.3", "2025", "71", "", "approved", "", ""]
    twice = [["1.3.1", "2025", "55", "", "draft", "", ""], ["1.3.1", "2025", "56", "", "draft"]]
    content = values_file(good, *[row for row, _message in BAD_ROWS], *twice)
    counts = (Actual.objects.count(), Actual.history.count(), Target.history.count())

    response = preview(planner, "actual", content, "csv")
    page = response.content.decode()
    for _row, message in BAD_ROWS:
        assert message in page, message
    assert page.count("KPI 1.3.1 2025 is in more than one row") == 2
    for text in SQL_OR_CODE:
        assert text not in page
    assert 'name="import_file_name"' not in page  # nothing to confirm
    assert (Actual.objects.count(), Actual.history.count(), Target.history.count()) == counts


def test_numbers_from_a_spreadsheet_that_the_database_cannot_hold_are_refused(planner, program):
    rows = [
        ["2.1.1", 2025, 10**10, None, "draft", None, None],
        ["2.1.2", 2025, 1e20, None, "draft", None, None],
        ["2.1.3", 2025.0, 4.0, None, "draft", None, None],  # fine: whole numbers as floats
        ["2.1.6", 10**30, 4, None, "draft", None, None],
    ]
    page = preview(planner, "actual", values_file(*rows, kind="xlsx"), "xlsx").content.decode()
    assert page.count("This number is too large") == 2
    assert "The year must lie within the program" in page
    for text in SQL_OR_CODE:
        assert text not in page
    assert not Actual.objects.filter(kpi__program=program, year=2025).exists()


def test_the_preview_runs_the_workflow_and_writes_nothing(planner, program):
    content = values_file(["1.1.3", "2025", "71", "", "approved", "", ""])
    counts = (Actual.objects.count(), Actual.history.count())
    page = preview(planner, "actual", content, "csv").content.decode()
    assert 'name="import_file_name"' in page and "approved" in page
    assert (Actual.objects.count(), Actual.history.count()) == counts


def _head_saves(program, value, *, seen=None):
    head = User.objects.get(username="head")
    kpi = Kpi.objects.prefetch_related("targets").get(program=program, code="1.1.3")
    entry = services.Entry(kpi=kpi, value=D(value), seen_version=seen)
    (actual,) = services.save_entries(user=head, program=program, year=2025, entries=[entry])
    return actual


def test_a_value_changed_after_the_export_refuses_the_row(planner, program):
    first = _head_saves(program, 60)
    header = [*HEADER, "version"]
    row = ["1.1.3", "2025", "75", "", "draft", "", "", str(first.version)]
    _head_saves(program, 61, seen=first.version)  # the head corrects it after the export
    response = preview(planner, "actual", csv_file([header, row]), "csv")
    assert "saved this value at" in response.content.decode()
    assert Actual.objects.get(pk=first.pk).value == D(61)


def test_a_value_changed_after_the_preview_refuses_the_confirmation(planner, program):
    first = _head_saves(program, 60)
    shown = preview(planner, "actual", values_file(["1.1.3", "2025", "75", "", "draft"]), "csv")
    _head_saves(program, 61, seen=first.version)  # meanwhile
    response = confirm(planner, "actual", shown)
    page = response.content.decode()
    assert response.status_code == 200 and "saved this value at" in page
    assert "Import finished" not in page
    stored = Actual.objects.get(pk=first.pk)
    assert (stored.value, stored.history.count()) == (D(61), 2)


def test_a_tampered_confirmation_is_refused(planner, program):
    shown = preview(planner, "actual", values_file(["1.1.3", "2025", "75", "", "draft"]), "csv")
    fields = confirm_fields(shown) | {"seen_versions": signing.dumps({"1.1.3/2025": 7})}
    response = planner.post(reverse("admin:kpis_actual_process_import"), fields)
    assert response.status_code == 200 and "Upload the file again" in response.content.decode()
    assert not Actual.objects.filter(kpi__program=program, kpi__code="1.1.3", year=2025).exists()


# --- Targets go through the target service --------------------------------------------------


def test_target_rows_out_of_bounds_are_refused_together(planner, program):
    header = ["kpi", "year", "value", "value2", "raw_text"]
    rows = [
        ["1.1.1", "2028", "4300", "", ""],  # fine
        ["1.1.3", "2029", "150", "", ""],
        ["1.1.3", "2035", "80", "", ""],
        ["1.1.1", "2029", "10000000000", "", ""],
        ["1.1.2", "2029", "50", "10", ""],
        ["1.2.1", "2029", "8", "", ""],
        ["1.2.1", "2029", "9", "", ""],
    ]
    history = Target.history.count()
    page = preview(planner, "target", csv_file([header, *rows]), "csv").content.decode()
    for message in ["between 0 and 100", "within the program", "too large", "add up to 100"]:
        assert message in page
    assert page.count("KPI 1.2.1 2029 is in more than one row") == 2
    for text in SQL_OR_CODE:
        assert text not in page
    assert Target.history.count() == history


def test_an_imported_target_for_a_year_without_one_is_created_with_the_reason(planner, program):
    kpi = Kpi.objects.get(program=program, code="3.1.5")
    Target.objects.filter(kpi=kpi, year=2023).delete()
    header = ["kpi", "year", "value", "value2", "raw_text"]
    response = preview(planner, "target", csv_file([header, ["3.1.5", "2023", "1", "", ""]]), "csv")
    assert confirm(planner, "target", response).status_code == 302
    created = Target.objects.get(kpi=kpi, year=2023)
    record = created.history.get()
    assert (created.value, record.history_change_reason, record.history_user.username) == (
        D(1),
        Reason.IMPORTED,
        "planner",
    )


def test_a_file_without_a_needed_column_says_which_without_a_traceback(planner, program):
    content = csv_file([["kpi", "value"], ["1.1.3", "70"]])
    page = preview(planner, "actual", content, "csv").content.decode()
    assert "The file has no column year" in page
    for text in SQL_OR_CODE:
        assert text not in page
