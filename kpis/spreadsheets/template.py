"""Building a unit's entry template: its KPIs with target and last year's value, only
the value, comment and explanation cells unlocked, and what each row held when it was
downloaded (hidden), so an upload can tell a row its user changed from one left alone."""

from __future__ import annotations

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from directions.models import Program
from kpis.measures import Measure
from kpis.models import Actual, Kpi, OrgUnit
from kpis.services import EDITABLE_STATES
from kpis.spreadsheets.layout import (
    CODE,
    COMMENT,
    EXPLANATION,
    INPUTS,
    META_ROWS_FROM,
    META_SHEET,
    NAME,
    PREVIOUS,
    TARGET,
    TEMPLATE_MARK,
    UNIT,
    VALUE,
    headers,
)
from kpis.workbooks import set_text

UNLOCKED = Protection(locked=False)
INPUT_FILL = PatternFill("solid", fgColor="FFF8DC")
WIDTHS = {CODE: 9, NAME: 62, UNIT: 14, TARGET: 12, PREVIOUS: 12, VALUE: 14, COMMENT: 36}
WIDTHS[EXPLANATION] = 36


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
