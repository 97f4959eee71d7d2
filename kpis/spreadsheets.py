"""A unit's data-entry workbook: built for download, read back safely on upload.

The workbook has the unit's KPIs with their targets; only the value and comment cells
are unlocked, and value cells validate what Excel lets one type. Reading an upload
never trusts the file: size, type, macros, zip bombs and XML bombs are refused before
openpyxl parses anything, and every row is checked like the entry form checks it."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from defusedxml import DefusedXmlException
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from directions.models import Program
from kpis.files import OLE2, Refusal, UnsafeArchive, office_parts
from kpis.measures import Measure, Values
from kpis.models import Actual, ActualState, Kpi, OrgUnit
from kpis.services import EDITABLE_STATES, Entry, conflict_message, misses_target
from kpis.status import assess_kpi
from kpis.workbooks import set_text

MAX_UPLOAD = 5 * 1024 * 1024
MAX_COMMENT = 2000  # as the entry form
META_SHEET = "meta"
META_ROWS_FROM = 6  # below the mark, program, unit and year: what each row held
TEMPLATE_MARK = "metu-entry-template"
UNLOCKED = Protection(locked=False)
INPUT_FILL = PatternFill("solid", fgColor="FFF8DC")


class SpreadsheetError(Exception):
    """The file as a whole cannot be used; the message says why, for the user."""


# The template's columns; only value, comment and explanation are typed in.
CODE, NAME, UNIT, TARGET, PREVIOUS, VALUE, COMMENT, EXPLANATION = range(1, 9)
WIDTHS = {CODE: 9, NAME: 62, UNIT: 14, TARGET: 12, PREVIOUS: 12, VALUE: 14, COMMENT: 36}
WIDTHS[EXPLANATION] = 36
INPUTS = (VALUE, COMMENT, EXPLANATION)


def headers(year: int) -> list[str]:
    return [
        _("Code"),
        _("KPI"),
        _("Unit"),
        _("Target %(year)s") % {"year": year},
        _("Value %(year)s") % {"year": year - 1},
        _("Value %(year)s") % {"year": year},
        _("Comment"),
        _("Why the target was missed"),
    ]


def accepted_headers(year: int) -> list[list[str]]:
    """The header row in each language: a template downloaded in Russian may come back."""
    from django.conf import settings

    result = []
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            result.append(headers(year))
    return result


# --- Building the template ---------------------------------------------------------


def build_template(*, user, program: Program, unit: OrgUnit, year: int) -> Workbook:
    kpis = list(
        Kpi.objects.editable_by(user)
        .filter(program=program, owner=unit)
        .prefetch_related("targets", "actuals")
        .order_by("task__goal__direction__number", "task__position", "position")
    )
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Values")[:31]
    for column, title in enumerate(headers(year), start=1):
        cell = sheet.cell(1, column, title)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    validations = _Validations(sheet)
    for row, kpi in enumerate(kpis, start=2):
        _template_row(sheet, row, kpi, year, validations)
    for column, width in WIDTHS.items():
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = "C2"
    sheet.protection.sheet = True
    sheet.protection.formatColumns = False  # people may still widen columns
    meta = workbook.create_sheet(META_SHEET)
    for row, value in enumerate([TEMPLATE_MARK, program.code, unit.code, year], start=1):
        meta.cell(row, 1, value)
    # What each row held when downloaded: an upload then tells a cell its user left
    # alone from one they changed, and never lets the first overwrite a newer value.
    for row, kpi in enumerate(kpis, start=META_ROWS_FROM):
        actual = _actual_of(kpi, year)
        meta.cell(row, 1, kpi.code)
        meta.cell(row, 2, actual.version if actual else 0)
        meta.cell(row, 3, sheet.cell(row - META_ROWS_FROM + 2, VALUE).value)
        set_text(meta.cell(row, 4), actual.comment if actual else "")
        set_text(meta.cell(row, 5), actual.explanation if actual else "")
    meta.sheet_state = "hidden"
    meta.protection.sheet = True
    return workbook


class _Validations(dict):
    """One data validation per measure in use, each added to the sheet once."""

    def __init__(self, sheet) -> None:
        super().__init__()
        self.sheet = sheet

    def __missing__(self, measure: Measure) -> DataValidation:
        validation = DataValidation(
            **measure.validation_rule(),
            allow_blank=True,
            showErrorMessage=True,
            showInputMessage=True,
            errorTitle=_("Not a valid value"),
        )
        validation.error = validation.prompt = measure.validation_message()
        self.sheet.add_data_validation(validation)
        self[measure] = validation
        return validation


def _actual_of(kpi: Kpi, year: int) -> Actual | None:
    return next((a for a in kpi.actuals.all() if a.year == year), None)


def _template_row(sheet, row: int, kpi: Kpi, year: int, validations) -> None:
    target = next((t for t in kpi.targets.all() if t.year == year), None)
    actual, previous = _actual_of(kpi, year), _actual_of(kpi, year - 1)
    set_text(sheet.cell(row, CODE), kpi.code)
    set_text(sheet.cell(row, NAME), kpi.name).alignment = Alignment(wrap_text=True, vertical="top")
    set_text(sheet.cell(row, UNIT), kpi.get_unit_display())
    measure = kpi.measure
    set_text(sheet.cell(row, TARGET), measure.display_target(*_pair(target)))
    set_text(sheet.cell(row, PREVIOUS), measure.display(*_pair(previous)))
    if actual is not None and actual.value is not None:
        sheet.cell(row, VALUE).value = measure.cell(actual.value, actual.value2)
    if actual is not None:
        set_text(sheet.cell(row, COMMENT), actual.comment)
        set_text(sheet.cell(row, EXPLANATION), actual.explanation)
    if actual is None or actual.state in EDITABLE_STATES:
        for column in INPUTS:
            cell = sheet.cell(row, column)
            cell.protection = UNLOCKED
            cell.fill = INPUT_FILL
            if column != VALUE:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        validations[measure].add(sheet.cell(row, VALUE))


def _pair(row) -> tuple:
    return (row.value, row.value2) if row is not None else (None, None)


# --- Reading an upload -------------------------------------------------------------


@dataclass
class PreviewRow:
    line: int
    code: str
    name: str = ""
    old: str = ""
    new: str = ""
    comment: str = ""
    change: str = "error"  # new, changed, unchanged or error
    message: str = ""
    kpi: Kpi | None = None
    value: Decimal | None = None
    value2: Decimal | None = None
    version: int = 0
    explanation: str = ""
    target: str = ""
    achievement: Decimal | None = None
    needs_explanation: bool = False  # misses its target with no explanation


@dataclass
class Preview:
    program: Program
    unit: OrgUnit
    year: int
    rows: list[PreviewRow] = field(default_factory=list)

    @property
    def has_errors(self) -> bool:
        return any(row.change == "error" for row in self.rows)

    @property
    def changes(self) -> list[PreviewRow]:
        return [row for row in self.rows if row.change in ("new", "changed", "clear")]

    @property
    def needing_explanation(self) -> list[PreviewRow]:
        """Rows that miss their target with no explanation: they cannot be submitted."""
        return [row for row in self.changes if row.needs_explanation]

    def entries(self, *, submit: bool = False) -> list[Entry]:
        return [
            Entry(
                kpi=row.kpi,
                value=row.value,
                value2=row.value2,
                comment=row.comment,
                explanation=row.explanation,
                seen_version=row.version,
                submit=submit,
            )
            for row in self.changes
        ]


def check_file(content: bytes) -> None:
    """Refuse what is not a plain, honest .xlsx before any XML is parsed."""
    if len(content) > MAX_UPLOAD:
        raise SpreadsheetError(_("The file is larger than 5 MB."))
    if content.startswith(OLE2):
        raise SpreadsheetError(
            _(
                "This is a password-protected workbook or an old .xls file. "
                "Save it as a normal .xlsx workbook without a password."
            )
        )
    if not content.startswith(b"PK\x03\x04"):
        raise SpreadsheetError(_("This is not an Excel workbook (.xlsx)."))
    try:
        names = office_parts(io.BytesIO(content))
    except UnsafeArchive as exc:
        raise SpreadsheetError(ARCHIVE_REFUSALS[exc.refusal]()) from None
    if "xl/workbook.xml" not in names:
        raise SpreadsheetError(_("This is not an Excel workbook (.xlsx)."))


ARCHIVE_REFUSALS = {
    Refusal.DAMAGED: lambda: _("The workbook is damaged and cannot be read."),
    Refusal.MACROS: lambda: _("The workbook contains macros. Save it as a plain .xlsx workbook."),
    Refusal.BOMB: lambda: _("The workbook unpacks to an implausible size and was refused."),
}


def read_upload(content: bytes, *, user, program: Program) -> Preview:
    """Check an uploaded template and say, row by row, what saving it would do."""
    check_file(content)
    try:
        # Not read_only: every sheet is parsed here, inside the guard (files are ≤ 5 MB).
        workbook = load_workbook(io.BytesIO(content), data_only=True)
    except Exception as exc:  # openpyxl raises many kinds; all mean "unreadable"
        if _caused_by(exc, DefusedXmlException):
            raise SpreadsheetError(_("The workbook contains unsafe XML and was refused.")) from None
        raise SpreadsheetError(_("The workbook is damaged and cannot be read.")) from None
    try:
        unit, year, downloaded = _meta(workbook, user=user, program=program)
        sheet = workbook.worksheets[0]
        rows = list(sheet.iter_rows(values_only=True))
    finally:
        workbook.close()
    _check_header(rows[0] if rows else (), year)
    data = [(number, row) for number, row in enumerate(rows[1:], start=2) if _filled(row)]
    if not data:
        raise SpreadsheetError(_("The sheet has no rows to import."))
    preview = Preview(program=program, unit=unit, year=year)
    _read_rows(preview, data, user=user, downloaded=downloaded)
    return preview


def _caused_by(exc: BaseException, kind: type) -> bool:
    while exc is not None:
        if isinstance(exc, kind):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


class Downloaded(NamedTuple):
    """A row of the template as it was when downloaded."""

    version: int
    value: object
    comment: str
    explanation: str


def _meta(workbook, *, user, program: Program) -> tuple[OrgUnit, int, dict[str, Downloaded]]:
    if META_SHEET not in workbook.sheetnames:
        raise SpreadsheetError(_("This is not a METU entry template: download it from “My KPIs”."))
    meta = list(workbook[META_SHEET].iter_rows(max_col=5, values_only=True))
    values = [row[0] for row in meta[:4]]
    if len(values) < 4 or values[0] != TEMPLATE_MARK:
        raise SpreadsheetError(_("This is not a METU entry template: download it from “My KPIs”."))
    if values[1] != program.code:
        raise SpreadsheetError(_("This template belongs to another program."))
    unit = OrgUnit.objects.filter(code=values[2]).first()
    year = _whole(values[3])
    if unit is None or year is None or not program.covers(year):
        raise SpreadsheetError(_("This is not a METU entry template: download it from “My KPIs”."))
    downloaded = {}
    for code, version, value, comment, explanation in (
        (list(row) + [None] * 5)[:5] for row in meta[META_ROWS_FROM - 1 :]
    ):
        if code is not None and _whole(version) is not None:
            downloaded[str(code)] = Downloaded(
                _whole(version), value, _comment_text(comment), _comment_text(explanation)
            )
    return unit, year, downloaded


def _whole(value) -> int | None:
    """A whole number from a cell: ASCII digits only (never "²", which isdigit() admits)."""
    text = str(value).strip() if value is not None else ""
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else None


def _comment_text(raw) -> str:
    return "" if raw is None else str(raw).replace("\r\n", "\n").strip()


def _filled(row) -> bool:
    return any(cell not in (None, "") for cell in row)


def _check_header(found, year: int) -> None:
    found = [str(cell).strip() if cell is not None else "" for cell in found]
    while found and not found[-1]:
        found.pop()
    for expected in accepted_headers(year):
        if found == expected:
            return
    expected = headers(year)
    missing = [h for h in expected if h not in found]
    extra = [h for h in found if h not in sum(accepted_headers(year), [])]
    if missing and not extra and len(found) < len(expected):
        problem = _("columns are missing: %(names)s") % {"names": ", ".join(missing)}
    elif extra:
        problem = _("unexpected columns: %(names)s") % {"names": ", ".join(extra)}
    else:
        problem = _("the columns are not in the template's order")
    raise SpreadsheetError(
        _("The first row must be the template's header (%(expected)s): %(problem)s.")
        % {"expected": ", ".join(expected), "problem": problem}
    )


def _read_rows(preview: Preview, data, *, user, downloaded: dict[str, Downloaded]) -> None:
    codes = [str(row[0]).strip() if row and row[0] is not None else "" for _n, row in data]
    kpis = {
        k.code: k
        for k in Kpi.objects.filter(program=preview.program, code__in=codes).prefetch_related(
            "targets"
        )
    }
    editable = set(
        Kpi.objects.editable_by(user).filter(program=preview.program).values_list("code", flat=True)
    )
    actuals = {
        a.kpi.code: a
        for a in Actual.objects.filter(kpi__in=kpis.values(), year=preview.year).select_related(
            "kpi"
        )
    }
    seen: set[str] = set()
    for (number, row), code in zip(data, codes, strict=True):
        cells = list(row) + [None] * (EXPLANATION - len(row))
        item = PreviewRow(line=number, code=code)
        preview.rows.append(item)
        kpi = kpis.get(code)
        if kpi is None:
            item.message = _("Unknown KPI code “%(code)s”.") % {"code": code}
            continue
        item.kpi, item.name = kpi, kpi.name
        if code in seen:
            item.message = _("KPI %(code)s appears twice in the file.") % {"code": code}
            continue
        seen.add(code)
        if code not in editable or kpi.owner_id != preview.unit.id:
            item.message = _("KPI %(code)s is not one of %(unit)s's KPIs that you may enter.") % {
                "code": code,
                "unit": preview.unit.name,
            }
            continue
        typed = [cells[column - 1] for column in INPUTS]
        _read_value(item, kpi, preview.year, typed, actuals.get(code), downloaded.get(code))


def _read_value(
    item: PreviewRow,
    kpi: Kpi,
    year: int,
    typed: list,
    actual: Actual | None,
    downloaded: Downloaded | None,
) -> None:
    raw_value, raw_comment, raw_explanation = typed
    item.comment = _comment_text(raw_comment)
    item.explanation = _comment_text(raw_explanation)
    item.new = "" if raw_value is None else str(raw_value).strip()[:40]
    target = next((t for t in kpi.targets.all() if t.year == year), None)
    measure = kpi.measure
    item.target = measure.display_target(*_pair(target))
    if actual is not None and actual.value is not None:
        item.old = measure.display(actual.value, actual.value2)
    try:
        item.value, item.value2 = measure.parse_cell(raw_value)
        measure.check(item.value, item.value2)
    except ValidationError as exc:
        # Show what the file holds and what is saved now, so the row can be found and fixed.
        item.message = " ".join(exc.messages)
        return
    if max(len(item.comment), len(item.explanation)) > MAX_COMMENT:
        item.message = _(
            "The comment has %(n)s characters; at most %(max)s are kept. Shorten it."
        ) % {"n": max(len(item.comment), len(item.explanation)), "max": MAX_COMMENT}
        return
    item.new = measure.display(item.value, item.value2) if item.value is not None else ""
    item.version = actual.version if actual else 0
    item.change, item.message = _change(item, kpi, actual, downloaded)
    if item.value is not None:
        assessment = assess_kpi(kpi, target, Values(item.value, item.value2))
        item.achievement = assessment.achievement
        item.needs_explanation = (
            item.change != "error"
            and not item.explanation
            and misses_target(kpi, year, item.value, item.value2)
        )


def _change(
    item: PreviewRow, kpi: Kpi, actual: Actual | None, downloaded: Downloaded | None
) -> tuple[str, str]:
    """What saving the row would do, and why not when it must not."""
    stored = (
        (actual.value, actual.value2, actual.comment, actual.explanation)
        if actual
        else (None, None, "", "")
    )
    if (item.value, item.value2, item.comment, item.explanation) == stored:
        return "unchanged", ""
    if downloaded is not None and _as_downloaded(item, kpi, downloaded):
        # Left as it was downloaded: someone else's newer value stays as it is.
        return "unchanged", _("Changed by someone else since you downloaded the template; kept.")
    if downloaded is not None and downloaded.version != item.version:
        if actual is None:
            return "error", _("This value was deleted after you downloaded the template.")
        return "error", _(
            "%(conflict)s Download the template again to start from the newer value."
        ) % {"conflict": conflict_message(actual)}
    if actual is not None and actual.state not in EDITABLE_STATES:
        state = ActualState(actual.state).label
        return "error", _("This value is %(state)s and can no longer be changed here.") % {
            "state": state
        }
    if actual is None:
        return "new", ""
    if item.value is None and actual.value is not None:
        return "clear", ""
    return "changed", ""


def _as_downloaded(item: PreviewRow, kpi: Kpi, downloaded: Downloaded) -> bool:
    try:
        before = kpi.measure.parse_cell(downloaded.value)
    except ValidationError:
        return False
    typed = (item.value, item.value2, item.comment, item.explanation)
    return typed == (*before, downloaded.comment, downloaded.explanation)
