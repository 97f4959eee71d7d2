"""Reading an uploaded template: the file checked before anything parses it, its rows read
as entries, and what saving them would do worked out by the workflow service itself, run
as a dry run (services.check_entries): an upload obeys the rules the entry form obeys."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from defusedxml import DefusedXmlException
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from directions.models import Program
from kpis import services
from kpis.files import OLE2, Refusal, UnsafeArchive, office_parts
from kpis.measures import Values
from kpis.models import Actual, Contribution, Input, Kpi, OrgUnit
from kpis.services import Entry, misses_target, reportable_pairs
from kpis.spreadsheets.layout import (
    EXPLANATION,
    INPUTS,
    MAX_UPLOAD,
    META_ROWS_FROM,
    META_SHEET,
    TEMPLATE_MARK,
    SpreadsheetError,
    accepted_headers,
    headers,
)
from kpis.status import assess_kpi

NOT_A_TEMPLATE = "This is not a METU entry template: download it from “My KPIs”."


@dataclass
class PreviewRow:
    line: int
    code: str
    name: str = ""
    old: str = ""
    new: str = ""
    comment: str = ""
    change: str = "error"  # new, changed, clear, unchanged or error
    message: str = ""
    kpi: Kpi | None = None
    input: Input | None = None  # a row of an input the unit reports, instead of a KPI
    unit: OrgUnit | None = None
    value: Decimal | None = None
    value2: Decimal | None = None
    version: int = 0
    explanation: str = ""
    target: str = ""
    achievement: Decimal | None = None
    needs_explanation: bool = False  # misses its target with no explanation

    @property
    def measure(self):
        return (self.kpi or self.input).measure

    def entry(self, *, submit: bool = False) -> Entry:
        return Entry(
            kpi=self.kpi,
            input=self.input,
            unit=self.unit if self.input else None,
            value=self.value,
            value2=self.value2,
            comment=self.comment,
            explanation=self.explanation,
            seen_version=self.version,
            submit=submit,
        )


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
        return [row.entry(submit=submit) for row in self.changes]


class Downloaded(NamedTuple):
    """A row of the template as it was when downloaded."""

    version: int
    value: object
    comment: str
    explanation: str


ARCHIVE_REFUSALS = {
    Refusal.DAMAGED: lambda: _("The workbook is damaged and cannot be read."),
    Refusal.MACROS: lambda: _("The workbook contains macros. Save it as a plain .xlsx workbook."),
    Refusal.BOMB: lambda: _("The workbook unpacks to an implausible size and was refused."),
}


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
        unit, year, downloaded = _meta(workbook, program=program)
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
    _dry_run(preview, user=user)
    return preview


def _caused_by(exc: BaseException, kind: type) -> bool:
    while exc is not None:
        if isinstance(exc, kind):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _meta(workbook, *, program: Program) -> tuple[OrgUnit, int, dict[str, Downloaded]]:
    if META_SHEET not in workbook.sheetnames:
        raise SpreadsheetError(_(NOT_A_TEMPLATE))
    meta = list(workbook[META_SHEET].iter_rows(max_col=5, values_only=True))
    values = [row[0] for row in meta[:4]]
    if len(values) < 4 or values[0] != TEMPLATE_MARK:
        raise SpreadsheetError(_(NOT_A_TEMPLATE))
    if values[1] != program.code:
        raise SpreadsheetError(_("This template belongs to another program."))
    unit = OrgUnit.objects.filter(code=values[2]).first()
    year = _whole(values[3])
    if unit is None or year is None or not program.covers(year):
        raise SpreadsheetError(_(NOT_A_TEMPLATE))
    downloaded = {}
    for code, version, value, comment, explanation in (
        (list(row) + [None] * 5)[:5] for row in meta[META_ROWS_FROM - 1 :]
    ):
        if code is not None and _whole(version) is not None:
            downloaded[str(code)] = Downloaded(
                _whole(version), value, _text(comment), _text(explanation)
            )
    return unit, year, downloaded


def _whole(value) -> int | None:
    """A whole number from a cell: ASCII digits only (never "²", which isdigit() admits)."""
    text = str(value).strip() if value is not None else ""
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else None


def _text(raw) -> str:
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
    inputs = {i.code: i for i in Input.objects.filter(program=preview.program, code__in=codes)}
    editable = set(
        Kpi.objects.editable_by(user).filter(program=preview.program).values_list("code", flat=True)
    )
    reportable = reportable_pairs(user, {i.id for i in inputs.values()})
    stored = _stored_rows(preview, kpis.values(), inputs.values())
    seen: set[str] = set()
    for (number, row), code in zip(data, codes, strict=True):
        cells = list(row) + [None] * (EXPLANATION - len(row))
        item = PreviewRow(line=number, code=code)
        preview.rows.append(item)
        kpi, input = kpis.get(code), inputs.get(code)
        if kpi is None and input is None:
            item.message = _("Unknown KPI code “%(code)s”.") % {"code": code}
            continue
        item.name = kpi.name if kpi else input.name
        if code in seen:
            item.message = _("KPI %(code)s appears twice in the file.") % {"code": code}
            continue
        seen.add(code)
        if kpi is not None and (code not in editable or kpi.owner_id != preview.unit.id):
            item.message = _("KPI %(code)s is not one of %(unit)s's KPIs that you may enter.") % {
                "code": code,
                "unit": preview.unit.name,
            }
            continue
        if input is not None and (input.id, preview.unit.id) not in reportable:
            item.message = _("%(unit)s does not report “%(name)s”, or you may not report it.") % {
                "unit": preview.unit.name,
                "name": input.name,
            }
            continue
        item.kpi, item.input, item.unit = kpi, input, preview.unit
        typed = [cells[column - 1] for column in INPUTS]
        if input is not None:
            typed[-1] = None  # inputs have no explanation of a missed target
        _read_value(item, preview.year, typed, stored.get(code), downloaded.get(code))


def _stored_rows(preview: Preview, kpis, inputs) -> dict[str, Actual | Contribution]:
    """This year's stored value of each KPI, and contribution of each input by the unit,
    by the code the file names it with."""
    rows: dict[str, Actual | Contribution] = {
        a.kpi.code: a
        for a in Actual.objects.filter(kpi__in=list(kpis), year=preview.year).select_related("kpi")
    }
    parts = Contribution.objects.filter(
        input__in=list(inputs), unit=preview.unit, year=preview.year
    ).select_related("input")
    rows.update({c.input.code: c for c in parts})
    return rows


def _read_value(
    item: PreviewRow,
    year: int,
    typed: list,
    actual: Actual | Contribution | None,
    downloaded: Downloaded | None,
) -> None:
    """Read the row's cells and say what it would change; whether the workflow allows it
    is for _dry_run to say."""
    raw_value, raw_comment, raw_explanation = typed
    measure = item.measure
    item.comment, item.explanation = _text(raw_comment), _text(raw_explanation)
    item.new = "" if raw_value is None else str(raw_value).strip()[:40]
    target = None
    if item.kpi is not None:
        target = next((t for t in item.kpi.targets.all() if t.year == year), None)
        item.target = measure.display_target(*_pair(target))
    if actual is not None and actual.value is not None:
        item.old = measure.display(actual.value, actual.value2)
    try:
        item.value, item.value2 = measure.parse_cell(raw_value)
    except ValidationError as exc:
        item.message = " ".join(exc.messages)  # what the file holds stays shown in `new`
        return
    if item.value is not None:
        item.new = measure.display(item.value, item.value2)
        if item.kpi is not None:
            values = Values(item.value, item.value2)
            item.achievement = assess_kpi(item.kpi, target, values).achievement
    item.version = actual.version if actual else 0
    item.change, item.message = _change(item, actual, downloaded)


def _change(
    item: PreviewRow, actual: Actual | Contribution | None, downloaded: Downloaded | None
) -> tuple[str, str]:
    stored = (
        (actual.value, actual.value2, actual.comment, actual.explanation)
        if actual
        else (None, None, "", "")
    )
    if (item.value, item.value2, item.comment, item.explanation) == stored:
        return "unchanged", ""
    if downloaded is not None:
        if _as_downloaded(item, downloaded):
            # Left as it was downloaded: someone else's newer value stays as it is.
            return "unchanged", _(
                "Changed by someone else since you downloaded the template; kept."
            )
        item.version = downloaded.version  # what the person changed it from
    if actual is None:
        return "new", ""
    if item.value is None and actual.value is not None:
        return "clear", ""
    return "changed", ""


def _as_downloaded(item: PreviewRow, downloaded: Downloaded) -> bool:
    try:
        before = item.measure.parse_cell(downloaded.value)
    except ValidationError:
        return False
    typed = (item.value, item.value2, item.comment, item.explanation)
    return typed == (*before, downloaded.comment, downloaded.explanation)


def _dry_run(preview: Preview, *, user) -> None:
    """What the workflow would refuse if the changes were saved now, row by row."""
    rows = {row.entry().key: row for row in preview.changes}
    if not rows:
        return
    try:
        problems = services.check_entries(
            user=user,
            program=preview.program,
            year=preview.year,
            entries=[row.entry() for row in rows.values()],
        )
    except services.WorkflowError as exc:
        raise SpreadsheetError(str(exc)) from None
    for key, row in rows.items():
        found = problems.get(key)
        if found:
            row.change, row.message = "error", " ".join(_for_a_file(p) for p in found)
        elif row.kpi is not None and row.value is not None and not row.explanation:
            row.needs_explanation = misses_target(row.kpi, preview.year, row.value, row.value2)


def _for_a_file(problem: str) -> str:
    if getattr(problem, "code", "") in ("conflict", "deleted"):
        return _("%(conflict)s Download the template again to start from the newer value.") % {
            "conflict": problem
        }
    return problem


def _pair(row) -> tuple:
    return (row.value, row.value2) if row is not None else (None, None)
