"""The yearly report to the Ministry as an Excel workbook, in the layout of table 4.2.

Sheets: the program (directions, goals and tasks merged over their KPIs, the targets of
every year, the value, achievement and status of the chosen year or of every year), a
summary per direction, and "About" (what the file contains and who made it)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from directions.models import Program
from kpis.models import Sense, Unit
from kpis.status import Status
from kpis.values import display_value
from kpis.workbooks import escape_formula, workbook_bytes
from reports import dashboards
from reports.selectors import kpis_with_values

__all__ = ["build_ministry_report", "report_filename", "workbook_bytes"]

STATUS_FILLS = {
    Status.ACHIEVED: "C6EFCE",
    Status.CLOSE: "FFEB9C",
    Status.BEHIND: "FFC7CE",
    Status.NO_TARGET: "EDEDED",
    Status.NO_DATA: "FFFFFF",
}
HEADER_FILL = PatternFill("solid", fgColor="0B3D6E")
DIRECTION_FILL = PatternFill("solid", fgColor="DCE6F1")
THIN = Side(style="thin", color="B7BEC8")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="top")
CENTRE = Alignment(horizontal="center", vertical="center", wrap_text=True)
RIGHT = Alignment(horizontal="right")
BOLD = Font(bold=True)
HEADER_FONT = Font(bold=True, color="FFFFFF")
DIRECTION_FONT = Font(bold=True, color="0B3D6E")
FIXED_COLUMNS = 6  # goal, task, code, KPI, unit, sense
HEADER_ROW = 3


_FILLS = {status: PatternFill("solid", fgColor=colour) for status, colour in STATUS_FILLS.items()}


def fill_for(status: str) -> PatternFill:
    return _FILLS[status]


def style(cell, key: tuple, **attributes) -> None:
    """Give `cell` a style once worked out for `key` in this workbook.

    openpyxl hashes every font, fill and border it is given; for thousands of cells
    that was most of the report's time. Copying a cell's style indices is cheap."""
    styles = cell.parent.parent.__dict__.setdefault("_metu_styles", {})
    if key not in styles:
        for name, value in attributes.items():
            setattr(cell, name, value)
        styles[key] = cell._style if cell._style is not None else StyleArray()
    cell._style = StyleArray(styles[key])  # a copy: a later change to one cell stays its own


@dataclass(frozen=True)
class Words:
    """The names of statuses, units and senses in the report's language, translated
    once per report rather than for each of thousands of cells."""

    statuses: dict[str, str]
    units: dict[str, str]
    senses: dict[str, str]

    @classmethod
    def translated(cls) -> Words:
        names = ({c.value: text(c.label) for c in choices} for choices in (Status, Unit, Sense))
        return cls(*names)


def text(value: object) -> str:
    """Text for a cell: never a formula, whatever a user typed (see escape_formula)."""
    return escape_formula(str(value)) if value is not None else ""


def build_ministry_report(
    program: Program,
    *,
    year: int | None,
    include_submitted: bool = False,
    user=None,
    language: str | None = None,
) -> Workbook:
    """The report for `year`, or for every year of the program when `year` is None."""
    with translation.override(language or translation.get_language()):
        rows = dashboards.kpi_rows(
            kpis_with_values(program, include_submitted=include_submitted), program.years
        )
        years = [year] if year else program.years
        workbook = Workbook()
        words = Words.translated()
        _program_sheet(workbook.active, program, rows, years, include_submitted, words)
        _summary_sheet(workbook.create_sheet(), program, rows, years)
        _about_sheet(workbook.create_sheet(), program, year, include_submitted, user)
    return workbook


def report_filename(program: Program, year: int | None) -> str:
    return f"{program.code}-{year or 'all-years'}-report.xlsx"


def _program_sheet(
    sheet: Worksheet, program: Program, rows, years, include_submitted, words: Words
) -> None:
    sheet.title = _("Program")[:31]
    headers = [_("Goal"), _("Task"), _("Code"), _("KPI"), _("Unit"), _("Sense")]
    headers += [_("Target %(year)s") % {"year": y} for y in program.years]
    for y in years:
        headers += [
            _("Value %(year)s") % {"year": y},
            _("Achievement, %% (%(year)s)") % {"year": y},
            _("Status %(year)s") % {"year": y},
        ]
    last_column = len(headers)
    _title(sheet, program, years, include_submitted, last_column)
    for column, header in enumerate(headers, start=1):
        cell = sheet.cell(HEADER_ROW, column, text(header))
        style(
            cell, ("header",), font=HEADER_FONT, fill=HEADER_FILL, alignment=CENTRE, border=BORDER
        )
    row_number = HEADER_ROW + 1
    for direction_rows in _by_direction(rows):
        row_number = _direction_block(
            sheet, direction_rows, years, program, row_number, last_column, words
        )
    _layout(sheet, program, years, last_column)


def _title(sheet: Worksheet, program: Program, years, include_submitted, last_column) -> None:
    sheet.cell(1, 1, text(program.title)).font = Font(bold=True, size=14)
    counted = _("approved and submitted values") if include_submitted else _("approved values only")
    period = str(years[0]) if len(years) == 1 else f"{years[0]}–{years[-1]}"
    sheet.cell(
        2,
        1,
        text(_("Report for %(period)s · %(counted)s") % {"period": period, "counted": counted}),
    )
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=last_column)
    sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=last_column)


def _by_direction(rows) -> list[list]:
    groups: dict[int, list] = {}
    for row in rows:
        groups.setdefault(row.kpi.task.goal.direction.number, []).append(row)
    return [groups[number] for number in sorted(groups)]


def _direction_block(
    sheet, rows, years, program, first_row: int, last_column: int, words: Words
) -> int:
    direction = rows[0].kpi.task.goal.direction
    heading = sheet.cell(first_row, 1, text(f"{direction.number}. {direction.name}".upper()))
    style(heading, ("direction",), font=DIRECTION_FONT, fill=DIRECTION_FILL)
    sheet.merge_cells(
        start_row=first_row, start_column=1, end_row=first_row, end_column=last_column
    )
    start = first_row + 1
    row_number = start
    task_start, current_task = start, None
    for row in rows:
        task = row.kpi.task
        if current_task is not None and task.id != current_task.id:
            _merge_down(sheet, 2, task_start, row_number - 1, current_task.name)
            task_start = row_number
        current_task = task
        _kpi_row(sheet, row_number, row, years, program, words)
        row_number += 1
    _merge_down(sheet, 2, task_start, row_number - 1, f"{current_task.number} {current_task.name}")
    _merge_down(sheet, 1, start, row_number - 1, rows[0].kpi.task.goal.name)
    return row_number


def _merge_down(sheet, column: int, first: int, last: int, value: str) -> None:
    sheet.cell(first, column, text(value))
    if last > first:
        sheet.merge_cells(start_row=first, start_column=column, end_row=last, end_column=column)
    for row in range(first, last + 1):
        style(sheet.cell(row, column), ("merged",), alignment=WRAP, border=BORDER)


def _kpi_row(sheet, row_number: int, row, years, program, words: Words) -> None:
    kpi = row.kpi
    values = [text(kpi.code), text(kpi.name), words.units[kpi.unit], words.senses[kpi.sense]]
    for column, value in enumerate(values, start=3):
        style(sheet.cell(row_number, column, value), ("text",), alignment=WRAP, border=BORDER)
    column = FIXED_COLUMNS + 1
    for year in program.years:
        _value_cell(sheet.cell(row_number, column), kpi, row.cell(year).target)
        column += 1
    for year in years:
        cell = row.cell(year)
        _value_cell(sheet.cell(row_number, column), kpi, cell.actual)
        achievement = sheet.cell(row_number, column + 1, _number(cell.assessment.achievement))
        style(achievement, ("achievement",), number_format='0.0"%"', border=BORDER)
        status = cell.assessment.status
        style(
            sheet.cell(row_number, column + 2, words.statuses[status]),
            ("status", status),
            fill=fill_for(status),
            border=BORDER,
            alignment=CENTRE,
        )
        column += 3


def _value_cell(cell, kpi, obj) -> None:
    """A target or value: a number with the unit's format; a ratio or rank as text."""
    if obj is None or obj.value is None:
        style(cell, ("empty",), border=BORDER)
        return
    if kpi.is_ratio or kpi.is_rank:
        cell.value = text(display_value(kpi.unit, obj.value, obj.value2))
        style(cell, ("right",), border=BORDER, alignment=RIGHT)
        return
    cell.value = _number(obj.value)
    if kpi.unit == "percent":
        whole = obj.value == obj.value.to_integral_value()
        number_format = '0"%"' if whole else '0.0#"%"'
    else:
        number_format = "#,##0"
    style(cell, ("number", number_format), border=BORDER, number_format=number_format)


def _number(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    normal = value.normalize()
    return int(normal) if normal == normal.to_integral_value() else float(normal)


def _layout(sheet: Worksheet, program: Program, years, last_column: int) -> None:
    widths = {1: 26, 2: 30, 3: 8, 4: 60, 5: 14, 6: 12}
    for column in range(1, last_column + 1):
        width = widths.get(column, 11 if column <= FIXED_COLUMNS + len(program.years) else 13)
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.row_dimensions[HEADER_ROW].height = 45
    sheet.freeze_panes = f"E{HEADER_ROW + 1}"
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A3
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.gridLines = False


def _summary_sheet(sheet: Worksheet, program: Program, rows, years) -> None:
    sheet.title = _("Summary")[:31]
    headers = [
        _("Year"),
        _("Direction"),
        _("KPIs"),
        _("achieved"),
        _("close to target"),
        _("behind target"),
        _("no target"),
        _("no data"),
        _("Achievement, %"),
    ]
    for column, header in enumerate(headers, start=1):
        cell = sheet.cell(1, column, text(header))
        style(cell, ("summary header",), font=HEADER_FONT, fill=HEADER_FILL, alignment=CENTRE)
    row_number = 2
    statuses = [Status.ACHIEVED, Status.CLOSE, Status.BEHIND, Status.NO_TARGET, Status.NO_DATA]
    names = {r.kpi.task.goal.direction.number: r.kpi.task.goal.direction.name for r in rows}
    whole_program = text(_("Whole program"))
    for year in years:
        overall, by_direction = dashboards.summarise(rows, year)
        lines = [(text(f"{n}. {names[n]}"), by_direction[n], False) for n in sorted(by_direction)]
        lines.append((whole_program, overall, True))
        for label, summary, total in lines:
            weight = {"font": BOLD} if total else {}
            for column, value in enumerate([year, label, summary.total], start=1):
                style(sheet.cell(row_number, column, value), ("summary", total), **weight)
            for offset, status in enumerate(statuses, start=4):
                cell = sheet.cell(row_number, offset, summary.counts[status])
                style(cell, ("count", status, total), fill=fill_for(status), **weight)
            achievement = sheet.cell(row_number, 9, _number(summary.achievement))
            style(achievement, ("percent", total), number_format='0.0"%"', **weight)
            row_number += 1
    for column, width in enumerate([8, 50, 8, 11, 14, 13, 11, 10, 14], start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = "A2"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


def _about_sheet(sheet: Worksheet, program: Program, year, include_submitted, user) -> None:
    sheet.title = _("About")[:31]
    who = (user.get_full_name() or user.username) if user is not None else _("command line")
    lines = [
        (_("Program"), program.title),
        (_("Period"), f"{program.start_year}–{program.end_year}"),
        (_("Report year"), year or _("every year")),
        (
            _("Values counted"),
            _("approved and submitted values") if include_submitted else _("approved values only"),
        ),
        (_("Generated"), timezone.localtime().strftime("%Y-%m-%d %H:%M")),
        (_("Generated by"), who),
        (
            _("Status rule"),
            _(
                "Achieved: target met; close: at least the threshold per cent "
                "of the target; behind: below it."
            ),
        ),
    ]
    for number, (label, value) in enumerate(lines, start=1):
        style(sheet.cell(number, 1, text(label)), ("label",), font=BOLD)
        sheet.cell(number, 2, text(value) if isinstance(value, str) else value)
    sheet.column_dimensions["A"].width = 24
    sheet.column_dimensions["B"].width = 90
