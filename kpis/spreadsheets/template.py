"""Building a unit's entry template: its KPIs with target and last year's value, only
the value, comment and explanation cells unlocked, and what each row held when it was
downloaded (hidden), so an upload can tell a row its user changed from one left alone."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from directions.models import Program
from kpis.measures import Measure
from kpis.models import Actual, Calculation, Contribution, Kpi, OrgUnit
from kpis.selectors import input_rows
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


@dataclass
class TemplateRow:
    """One row of the template: a KPI of the unit, or an input the unit reports."""

    code: str
    name: str
    unit_label: str
    target: str  # the target for a KPI; the KPIs an input feeds
    previous: str
    stored: Actual | Contribution | None
    measure: Measure
    editable: bool
    explained: bool  # has a "why the target was missed" cell (inputs have none)


def template_rows(*, user, program: Program, unit: OrgUnit, year: int) -> list[TemplateRow]:
    """The unit's KPIs the user may enter, then the inputs the unit reports. A calculated
    KPI is shown but locked: its value comes from the inputs."""
    kpis = list(
        Kpi.objects.editable_by(user)
        .filter(program=program, owner=unit)
        .prefetch_related("targets", "actuals")
        .order_by("task__goal__direction__number", "task__position", "position")
    )
    calculated = set(Calculation.objects.filter(kpi__in=kpis).values_list("kpi_id", flat=True))
    rows = [_kpi_row(kpi, year, kpi.id in calculated) for kpi in kpis]
    for item in input_rows(user, program, year, unit):
        stored = item.actual
        rows.append(
            TemplateRow(
                code=item.input.code,
                name=item.input.name,
                unit_label=item.input.get_unit_display(),
                target="→ " + ", ".join(item.feeds) if item.feeds else "",
                previous=_shown(item.input.measure, item.previous),
                stored=stored,
                measure=item.input.measure,
                editable=stored is None or stored.state in EDITABLE_STATES,
                explained=False,
            )
        )
    return rows


def _kpi_row(kpi: Kpi, year: int, calculated: bool) -> TemplateRow:
    target = next((t for t in kpi.targets.all() if t.year == year), None)
    actual, previous = _actual_of(kpi, year), _actual_of(kpi, year - 1)
    name = kpi.name
    if calculated:
        name = f"{name} ({_('calculated from its units’ inputs')})"
    return TemplateRow(
        code=kpi.code,
        name=name,
        unit_label=kpi.get_unit_display(),
        target=kpi.measure.display_target(*_pair(target)),
        previous=_shown(kpi.measure, previous),
        stored=actual,
        measure=kpi.measure,
        editable=not calculated and (actual is None or actual.state in EDITABLE_STATES),
        explained=True,
    )


def _shown(measure: Measure, row) -> str:
    return measure.display(*_pair(row))


def build_template(*, user, program: Program, unit: OrgUnit, year: int) -> Workbook:
    rows = template_rows(user=user, program=program, unit=unit, year=year)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Values")[:31]
    for column, title in enumerate(headers(year), start=1):
        cell = sheet.cell(1, column, title)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    validations = _Validations(sheet)
    for number, row in enumerate(rows, start=2):
        _template_row(sheet, number, row, validations)
    for column, width in WIDTHS.items():
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = "C2"
    sheet.protection.sheet = True
    sheet.protection.formatColumns = False  # people may still widen columns
    meta = workbook.create_sheet(META_SHEET)
    for number, value in enumerate([TEMPLATE_MARK, program.code, unit.code, year], start=1):
        meta.cell(number, 1, value)
    # What each row held when downloaded: an upload then tells a cell its user left
    # alone from one they changed, and never lets the first overwrite a newer value.
    for number, row in enumerate(rows, start=META_ROWS_FROM):
        stored = row.stored
        meta.cell(number, 1, row.code)
        meta.cell(number, 2, stored.version if stored else 0)
        meta.cell(number, 3, sheet.cell(number - META_ROWS_FROM + 2, VALUE).value)
        set_text(meta.cell(number, 4), stored.comment if stored else "")
        set_text(meta.cell(number, 5), stored.explanation if stored else "")
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


def _template_row(sheet, number: int, row: TemplateRow, validations) -> None:
    set_text(sheet.cell(number, CODE), row.code)
    name = set_text(sheet.cell(number, NAME), row.name)
    name.alignment = Alignment(wrap_text=True, vertical="top")
    set_text(sheet.cell(number, UNIT), row.unit_label)
    set_text(sheet.cell(number, TARGET), row.target)
    set_text(sheet.cell(number, PREVIOUS), row.previous)
    stored = row.stored
    if stored is not None and stored.value is not None:
        sheet.cell(number, VALUE).value = row.measure.cell(stored.value, stored.value2)
    if stored is not None:
        set_text(sheet.cell(number, COMMENT), stored.comment)
        set_text(sheet.cell(number, EXPLANATION), stored.explanation)
    if not row.editable:
        return
    for column in INPUTS if row.explained else (VALUE, COMMENT):
        cell = sheet.cell(number, column)
        cell.protection = UNLOCKED
        cell.fill = INPUT_FILL
        if column != VALUE:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    validations[row.measure].add(sheet.cell(number, VALUE))


def _pair(row) -> tuple:
    return (row.value, row.value2) if row is not None else (None, None)
