"""The unit's Excel template: download, fill, upload, preview, confirm — and every kind
of bad file, each refused with a message and the database unchanged."""

import io
import zipfile
from decimal import Decimal as D

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook, load_workbook

from kpis import services
from kpis.models import Actual, ActualState, Kpi
from kpis.spreadsheets import CODE, COMMENT, EXPLANATION, NAME, PREVIOUS, VALUE
from tests.files import upload

ACADEMIC = reverse("entry_template") + "?unit=academic&year=2025"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def sign_in(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    client.cookies["django_language"] = "en"
    return client


def template(client: Client, url: str = ACADEMIC):
    response = client.get(url)
    assert response.status_code == 200
    return load_workbook(io.BytesIO(response.content))


def to_bytes(book) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def row_of(sheet, code: str) -> int:
    return next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, 1).value == code)


def send(client: Client, content: bytes, name: str = "filled.xlsx"):
    return client.post(reverse("entry_upload"), {"file": upload(name, content)}, follow=True)


def database():
    return (
        sorted(
            Actual.objects.values_list("kpi__code", "year", "value", "value2", "comment", "state")
        ),
        Actual.history.count(),
    )


def test_template_has_the_units_kpis_and_only_what_is_typed_unlocked(program):
    book = template(sign_in("head"))
    sheet = book.worksheets[0]
    codes = [sheet.cell(r, 1).value for r in range(2, sheet.max_row + 1)]
    assert codes == [k.code for k in Kpi.objects.filter(owner__code="academic").order_by("code")]
    assert [c.value for c in sheet[1]] == [
        "Code",
        "KPI",
        "Unit",
        "Target 2025",
        "Value 2024",
        "Value 2025",
        "Comment",
        "Why the target was missed",
    ]
    assert sheet.protection.sheet
    row = row_of(sheet, "1.1.3")
    assert sheet.cell(row, 4).value == "70"
    locked = [sheet.cell(row, c).protection.locked for c in range(CODE, EXPLANATION + 1)]
    assert locked == [True] * 5 + [False] * 3
    ranges = " ".join(str(v.sqref) for v in sheet.data_validations.dataValidation)
    assert f"F{row}" in ranges
    assert book["meta"].sheet_state == "hidden"


def test_round_trip_puts_values_in_the_database_with_history(program):
    head = sign_in("head")
    book = template(head)
    sheet = book.worksheets[0]
    sheet.cell(row_of(sheet, "1.1.3"), VALUE).value = 71.5
    sheet.cell(row_of(sheet, "1.1.3"), COMMENT).value = "From the graduate survey"
    sheet.cell(row_of(sheet, "1.1.1"), VALUE).value = "3 520"
    sheet.cell(row_of(sheet, "1.1.2"), VALUE).value = "98,6/1,4"

    response = send(head, to_bytes(book))
    page = response.content.decode()
    assert response.redirect_chain[-1][0].startswith("/entry/upload/")
    assert page.count("import-new") == 3 and "import-error" not in page
    assert not Actual.objects.filter(year=2025).exists()  # nothing before confirming

    response = head.post(response.redirect_chain[-1][0], {"action": "confirm"}, follow=True)
    assert "3 values imported" in response.content.decode()
    actuals = {a.kpi.code: a for a in Actual.objects.filter(year=2025).select_related("kpi")}
    assert str(actuals["1.1.3"].value) == "71.5000"
    assert actuals["1.1.3"].comment == "From the graduate survey"
    assert actuals["1.1.1"].value == 3520
    assert (actuals["1.1.2"].value, actuals["1.1.2"].value2) == (D("98.6"), D("1.4"))
    assert all(a.state == ActualState.DRAFT for a in actuals.values())
    record = actuals["1.1.3"].history.first()
    assert record.history_user.username == "head"

    # The same file again changes nothing.
    again = send(head, to_bytes(template(head)))
    assert "The file changes nothing" in again.content.decode()


def test_submit_from_the_preview(program):
    head = sign_in("head")
    book = template(head)
    sheet = book.worksheets[0]
    sheet.cell(row_of(sheet, "1.1.3"), VALUE).value = 75  # meets the 70 % target
    response = send(head, to_bytes(book))
    head.post(response.redirect_chain[-1][0], {"action": "submit"})
    assert Actual.objects.get(kpi__code="1.1.3", year=2025).state == ActualState.SUBMITTED


def test_cancel_saves_nothing(program):
    head = sign_in("head")
    book = template(head)
    sheet = book.worksheets[0]
    sheet.cell(row_of(sheet, "1.1.3"), VALUE).value = 75
    response = send(head, to_bytes(book))
    head.post(response.redirect_chain[-1][0], {"action": "cancel"})
    assert not Actual.objects.exists()
    assert head.get(response.redirect_chain[-1][0]).status_code == 404  # the upload is gone


def test_a_value_changed_between_preview_and_confirm_is_refused(program):
    head = sign_in("head")
    book = template(head)
    sheet = book.worksheets[0]
    sheet.cell(row_of(sheet, "1.1.3"), VALUE).value = 75
    preview = send(head, to_bytes(book)).redirect_chain[-1][0]
    kpi = Kpi.objects.prefetch_related("targets").get(program=program, code="1.1.3")
    planner = User.objects.get(username="planner")
    services.save_entries(
        user=planner,
        program=program,
        year=2025,
        entries=[services.Entry(kpi=kpi, value=D(72), seen_version=0)],
    )
    response = head.post(preview, {"action": "confirm"}, follow=True)
    assert Actual.objects.get(kpi=kpi, year=2025).value == 72
    assert "Nothing was saved" in response.content.decode()


def filled_template(client: Client, **cells):
    book = template(client)
    sheet = book.worksheets[0]
    for code, value in cells.items():
        sheet.cell(row_of(sheet, code.replace("_", ".")), VALUE).value = value
    return book


def zip_with(content: bytes, extra: dict[str, bytes]) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            target.writestr(item, extra.pop(item.filename, data))
        for name, data in extra.items():
            target.writestr(name, data)
    return buffer.getvalue()


BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b'<sheetData><row><c t="inlineStr"><is><t>&lol3;</t></is></c></row></sheetData></worksheet>'
)


def bad_files(client: Client) -> dict[str, tuple[bytes, str]]:
    good = to_bytes(filled_template(client, **{"1_1_3": 75}))

    def edited(change) -> bytes:
        book = filled_template(client, **{"1_1_3": 75})
        change(book.worksheets[0])
        return to_bytes(book)

    def swap_columns(sheet):
        for row in sheet.iter_rows():
            row[VALUE - 1].value, row[COMMENT - 1].value = (
                row[COMMENT - 1].value,
                row[VALUE - 1].value,
            )

    def other_unit(sheet):
        sheet.cell(2, 1).value = "2.1.1"

    return {
        "not an xlsx": (b"Code,KPI\n1.1.3,75\n", "not an Excel workbook"),
        "a renamed pdf": (b"%PDF-1.4 not a workbook", "not an Excel workbook"),
        "password-protected (OLE2)": (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600,
            "password-protected",
        ),
        "macros": (zip_with(good, {"xl/vbaProject.bin": b"\x00" * 128}), "macros"),
        "zip bomb": (
            zip_with(good, {"xl/media/padding.bin": b"\x00" * (60 * 1024 * 1024)}),
            "implausible size",
        ),
        "xml bomb": (zip_with(good, {"xl/worksheets/sheet1.xml": BILLION_LAUGHS}), "unsafe XML"),
        "missing column": (edited(lambda s: s.delete_cols(EXPLANATION)), "columns are missing"),
        "extra column": (
            edited(lambda s: s.cell(1, EXPLANATION + 1, "Notes")),
            "unexpected columns",
        ),
        "reordered columns": (edited(swap_columns), "not in the template"),
        "unknown code": (edited(lambda s: s.cell(2, 1, "9.9.9")), "Unknown KPI code"),
        "another unit's KPI": (edited(other_unit), "is not one of"),
        "duplicate rows": (edited(lambda s: s.cell(3, 1, s.cell(2, 1).value)), "appears twice"),
        "letters for a number": (
            edited(lambda s: s.cell(row_of(s, "1.1.3"), VALUE, "much")),
            "not a number",
        ),
        "share over 100": (
            edited(lambda s: s.cell(row_of(s, "1.1.3"), VALUE, 120)),
            "between 0 and 100",
        ),
        "empty sheet": (edited(lambda s: s.delete_rows(2, s.max_row)), "no rows"),
        "over 5 MB": (good + b"\x00" * (5 * 1024 * 1024), "larger than 5 MB"),
        "not a template": (to_bytes(Workbook()), "not a METU entry template"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "not an xlsx",
        "a renamed pdf",
        "password-protected (OLE2)",
        "macros",
        "zip bomb",
        "xml bomb",
        "missing column",
        "extra column",
        "reordered columns",
        "unknown code",
        "another unit's KPI",
        "duplicate rows",
        "letters for a number",
        "share over 100",
        "empty sheet",
        "over 5 MB",
        "not a template",
    ],
)
def test_bad_files_are_refused_and_change_nothing(program, case):
    head = sign_in("head")
    content, message = bad_files(head)[case]
    before = database()
    response = send(head, content, name="upload.xlsx")
    page = response.content.decode()
    if response.redirect_chain and "/entry/upload/" in response.redirect_chain[-1][0]:
        # Readable files with bad rows reach the preview, where confirming is impossible.
        assert message in page and "import-error" in page
        confirm = head.post(response.redirect_chain[-1][0], {"action": "confirm"}, follow=True)
        assert "Nothing was saved" in confirm.content.decode()
    else:
        assert message in page, page[:2000]
    assert database() == before
    assert "Traceback" not in page


def test_a_row_in_error_shows_what_the_file_holds(program):
    head = sign_in("head")
    book = filled_template(head, **{"1_1_3": "abc", "1_1_4": 5})
    page = send(head, to_bytes(book)).content.decode()
    row = page.split('id="import-row-1.1.3"')[1].split("</tr>")[0]
    assert '<strong class="bad-input">abc</strong>' in row  # not "—": what to correct
    assert "is not a number" in row


# --- What a template written by the application holds, and what uploading it does ----


def _save(program, username: str, code: str, value, comment: str = ""):
    kpi = Kpi.objects.prefetch_related("targets").get(program=program, code=code)
    current = Actual.objects.filter(kpi=kpi, year=2025).first()
    services.save_entries(
        user=User.objects.get(username=username),
        program=program,
        year=2025,
        entries=[
            services.Entry(
                kpi=kpi,
                value=value,
                comment=comment,
                seen_version=current.version if current else 0,
            )
        ],
    )


def test_text_starting_with_a_formula_sign_is_written_as_text_and_reads_back_unchanged(
    program,
):
    _save(program, "head", "1.1.3", D(71), comment='=HYPERLINK("http://evil.example","x")')
    Kpi.objects.filter(program=program, code="1.1.4").update(name="=1+1 a renamed KPI")
    head = sign_in("head")
    raw = head.get(ACADEMIC).content
    sheet = load_workbook(io.BytesIO(raw)).worksheets[0]
    for code, column in (("1.1.3", COMMENT), ("1.1.4", NAME)):
        cell = sheet.cell(row_of(sheet, code), column)
        assert cell.data_type == "s" and cell.value.startswith("=")
    before = database()
    page = send(head, raw).content.decode()
    assert "The file changes nothing" in page
    assert database() == before
    assert Actual.objects.get(kpi__code="1.1.3", year=2025).comment.startswith("=HYPERLINK")


def test_a_blank_cell_over_a_stored_value_says_it_will_clear_it(program):
    _save(program, "head", "1.1.3", D(71))
    head = sign_in("head")
    book = template(head)
    sheet = book.worksheets[0]
    sheet.cell(row_of(sheet, "1.1.3"), VALUE).value = None
    response = send(head, to_bytes(book))
    assert "will clear the stored value" in response.content.decode()
    head.post(response.redirect_chain[-1][0], {"action": "confirm"})
    assert Actual.objects.get(kpi__code="1.1.3", year=2025).value is None


def test_an_old_template_leaves_values_entered_since_alone(program):
    head = sign_in("head")
    book = template(head)  # downloaded before anything was entered
    _save(program, "planner", "1.1.3", D(72), comment="From the registrar")
    sheet = book.worksheets[0]
    sheet.cell(row_of(sheet, "1.1.4"), VALUE).value = 6  # the head fills another row only
    response = send(head, to_bytes(book))
    page = response.content.decode()
    assert "Changed by someone else since you downloaded the template; kept." in page
    head.post(response.redirect_chain[-1][0], {"action": "confirm"})
    kept = Actual.objects.get(kpi__code="1.1.3", year=2025)
    assert (kept.value, kept.comment) == (72, "From the registrar")
    assert Actual.objects.get(kpi__code="1.1.4", year=2025).value == 6


def test_an_old_template_cannot_overwrite_a_newer_value(program):
    head = sign_in("head")
    book = template(head)
    _save(program, "planner", "1.1.3", D(72))
    sheet = book.worksheets[0]
    sheet.cell(row_of(sheet, "1.1.3"), VALUE).value = 65
    page = send(head, to_bytes(book)).content.decode()
    assert "Download the template again" in page
    assert "import-error" in page
    assert Actual.objects.get(kpi__code="1.1.3", year=2025).value == 72


def test_a_comment_over_the_limit_is_refused_not_cut(program):
    head = sign_in("head")
    book = template(head)
    sheet = book.worksheets[0]
    sheet.cell(row_of(sheet, "1.1.3"), VALUE).value = 75
    sheet.cell(row_of(sheet, "1.1.3"), COMMENT).value = "x" * 2001
    page = send(head, to_bytes(book)).content.decode()
    assert "The comment has 2001 characters" in page
    assert "import-error" in page


def test_uploads_abandoned_for_a_day_are_removed(program, settings):
    import os
    import time

    folder = settings.MEDIA_ROOT / "imports"
    folder.mkdir(parents=True)
    stale, fresh = folder / "stale.xlsx", folder / "fresh.xlsx"
    for path in (stale, fresh):
        path.write_bytes(b"x")
    day_ago = time.time() - 25 * 3600
    os.utime(stale, (day_ago, day_ago))
    head = sign_in("head")
    book = template(head)
    sheet = book.worksheets[0]
    sheet.cell(row_of(sheet, "1.1.3"), VALUE).value = 75
    send(head, to_bytes(book))
    assert not stale.exists() and fresh.exists()


def test_the_template_shows_last_years_value_and_takes_an_explanation(program):
    _save_year(program, "1.1.3", 2024, D(66))
    head = sign_in("head")
    book = template(head)
    sheet = book.worksheets[0]
    row = row_of(sheet, "1.1.3")
    assert sheet.cell(row, PREVIOUS).value == "66"
    sheet.cell(row, VALUE).value = 60  # the 2025 target is 70 %: a miss
    sheet.cell(row, EXPLANATION).value = "Two faculties reported late"
    response = send(head, to_bytes(book))
    page = response.content.decode()
    assert "85.7 %" in page  # achievement 60 / 70
    assert "explain why before submitting" not in page
    head.post(response.redirect_chain[-1][0], {"action": "submit"})
    actual = Actual.objects.get(kpi__code="1.1.3", year=2025)
    assert (actual.state, actual.explanation) == (
        ActualState.SUBMITTED,
        "Two faculties reported late",
    )


def test_submitting_a_miss_without_explanation_names_the_rows_to_fix(program):
    head = sign_in("head")
    book = template(head)
    sheet = book.worksheets[0]
    sheet.cell(row_of(sheet, "1.1.3"), VALUE).value = 60
    sheet.cell(row_of(sheet, "1.1.4"), VALUE).value = 6
    response = send(head, to_bytes(book))
    preview = response.redirect_chain[-1][0]
    assert response.content.decode().count("explain why before submitting") == 1
    page = head.post(preview, {"action": "submit"}, follow=True).content.decode()
    assert "need an explanation: 1.1.3." in page
    assert "import-needs-explanation" in page
    assert not Actual.objects.filter(year=2025).exists()
    head.post(preview, {"action": "confirm"})  # as drafts, it can be saved
    assert Actual.objects.filter(year=2025, state=ActualState.DRAFT).count() == 2


def _save_year(program, code: str, year: int, value):
    kpi = Kpi.objects.prefetch_related("targets").get(program=program, code=code)
    services.save_entries(
        user=User.objects.get(username="planner"),
        program=program,
        year=year,
        entries=[services.Entry(kpi=kpi, value=value, seen_version=0)],
    )
