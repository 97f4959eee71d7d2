"""The yearly report to the Ministry as an Excel workbook, in the layout of table 4.2.

Sheets: the program for the chosen year (directions, goals and tasks merged over their
KPIs, the baseline, the targets of every year, the year's value, achievement, status,
the explanation of a miss and the responsible unit) — or one such sheet per year for
every year —, a summary per direction, the KPIs' passports, the parts behind the
calculated KPIs (where any KPI is calculated), and "About" (what the file contains and
who made it).

The workbook is made to be printed. LibreOffice does not fit a row's height to wrapped
text when it opens a file, and Excel does so only on screen, so every row gets an
explicit height worked out here from its text and its columns' widths (`_lines`)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from functools import cache, lru_cache

from django.conf import settings
from django.utils import timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import MergedCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.worksheet.merge import MergedCellRange
from openpyxl.worksheet.worksheet import Worksheet

from directions.models import Program
from kpis.models import PASSPORT_TEXTS, RANKING_FIELDS, ActualState, Kpi, Sense, Unit
from kpis.rollup import Computed
from kpis.status import STATUS_SYMBOLS, Status
from kpis.values import plain
from kpis.workbooks import set_text, workbook_bytes
from reports import dashboards
from reports import parts as kpi_parts
from reports.selectors import program_values

__all__ = ["build_ministry_report", "report_filename", "workbook_bytes"]

STATUS_FILLS = {
    Status.ACHIEVED: "C6EFCE",
    Status.CLOSE: "FFEB9C",
    Status.BEHIND: "FFC7CE",
    Status.NO_TARGET: "EDEDED",
    Status.NO_DATA: "FFFFFF",
    Status.NOT_DUE: "F4F6F8",
}
# Calibri is what Excel opens with; LibreOffice prints it with Carlito, which has the
# same widths (Debian's fonts-crosextra-carlito), so the row heights below hold in both.
FONT_NAME = "Calibri"
FONT_SIZE = 11
HEADER_FILL = PatternFill("solid", fgColor="0B3D6E")
DIRECTION_FILL = PatternFill("solid", fgColor="DCE6F1")
THIN = Side(style="thin", color="B7BEC8")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="top")
CENTRE = Alignment(horizontal="center", vertical="center", wrap_text=True)
TOP_CENTRE = Alignment(horizontal="center", vertical="top", wrap_text=True)
LEFT = Alignment(horizontal="left", vertical="top", wrap_text=True)
RIGHT = Alignment(horizontal="right", vertical="top")
FONT = Font(name=FONT_NAME, size=FONT_SIZE)
BOLD = Font(name=FONT_NAME, size=FONT_SIZE, bold=True)
TITLE_FONT = Font(name=FONT_NAME, size=14, bold=True)
HEADER_FONT = Font(name=FONT_NAME, size=FONT_SIZE, bold=True, color="FFFFFF")
DIRECTION_FONT = Font(name=FONT_NAME, size=FONT_SIZE, bold=True, color="0B3D6E")
FIXED_COLUMNS = 6  # goal, task, code, KPI, unit, sense; then the baseline and the targets
HEADER_ROW = 3
# Column widths in characters (Excel's unit: the width of a digit). The program sheet
# is 19 columns, about 280 characters: fitted to the width of A3 landscape LibreOffice
# prints it at 74 %, 11-point text as 8.1 points (tests/test_excel_print.py checks ≥ 8).
PROGRAM_WIDTHS = {"goal": 16, "task": 20, "code": 7, "kpi": 42, "unit": 13, "sense": 11}
TARGET_WIDTH = 9
VALUE_WIDTH = 10
ACHIEVEMENT_WIDTH = 10
EXPLANATION_WIDTH = 30
OWNER_WIDTH = 24
BASELINE_WIDTH = TARGET_WIDTH
MAX_ROW_HEIGHT = 409  # points: the most Excel allows


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


def merge(sheet: Worksheet, first: int, column: int, last: int, last_column: int, *, framed=False):
    """Merge rows first…last of columns column…last_column. When `framed`, every cell of
    the range takes the style of the top-left one (styled first), whose borders then
    frame the merged cell; Excel and LibreOffice take everything else from the top-left
    cell. openpyxl's own merge_cells works each edge's border out cell by cell, and
    over seven sheets that was most of the report's time."""
    start = sheet.cell(first, column)
    coord = CellRange(min_row=first, min_col=column, max_row=last, max_col=last_column).coord
    sheet.merged_cells.add(MergedCellRange(sheet, coord))
    for row in range(first, last + 1):
        for each in range(column, last_column + 1):
            if (row, each) != (first, column):
                cell = MergedCell(sheet, row, each)
                if framed:
                    cell._style = StyleArray(start._style)
                sheet._cells[row, each] = cell


def text_cell(sheet: Worksheet, row: int, column: int, value: object, key: tuple, **attributes):
    """A styled cell holding `value` as text that never becomes a formula. The style
    comes first: set_text may mark the cell with Excel's quote prefix, which is part of
    the style."""
    cell = sheet.cell(row, column)
    style(cell, key, **attributes)
    return set_text(cell, value)


def status_name(status: str) -> str:
    """A status as the report writes it: its symbol, then its name, so that it never
    depends on colour alone."""
    return f"{STATUS_SYMBOLS[status]} {Status(status).label}"


@dataclass(frozen=True)
class Words:
    """The names of statuses, units and senses in the report's language, translated
    once per report rather than for each of thousands of cells."""

    statuses: dict[str, str]
    units: dict[str, str]
    senses: dict[str, str]

    @classmethod
    def translated(cls) -> Words:
        return cls(
            {status.value: status_name(status) for status in Status},
            {unit.value: str(unit.label) for unit in Unit},
            {sense.value: str(sense.label) for sense in Sense},
        )


@cache
def status_width() -> int:
    """Wide enough for the longest status name in any language, on one line: a status
    is read at a glance, and the same layout serves every language."""
    longest = 0.0
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            longest = max(longest, *(text_width(status_name(s), bold=False) for s in Status))
    return math.ceil(longest + 2)


def build_ministry_report(
    program: Program,
    *,
    year: int | None,
    include_submitted: bool = False,
    user=None,
    language: str | None = None,
) -> Workbook:
    """The report for `year`, or for every year of the program when `year` is None
    (a sheet per year, each printable on its own)."""
    with translation.override(language or translation.get_language()):
        values = program_values(
            program, include_submitted=include_submitted, with_explanations=True, with_passport=True
        )
        rows = dashboards.kpi_rows(values.kpis, program.years)
        years = [year] if year else program.years
        workbook = Workbook()
        words = Words.translated()
        baseline_year = _common_baseline_year(rows)
        widths = [width for _header, width in _program_columns(program, years[0], baseline_year)]
        content = Content(
            program,
            rows,
            words,
            {row.kpi.id: FixedCells.of(row, program, widths, words, baseline_year) for row in rows},
            include_submitted,
            baseline_year,
        )
        for number, each in enumerate(years):
            sheet = workbook.active if number == 0 else workbook.create_sheet()
            title = _("Program") if year else _("Program %(year)s") % {"year": each}
            sheet.title = title[:31]
            _program_sheet(sheet, content, each)
        _summary_sheet(workbook.create_sheet(), program, rows, years, words)
        _passport_sheet(workbook.create_sheet(), rows, words)
        parts = kpi_parts.with_names(program, values.rollup, values.units)
        if parts.rollup.formulas:  # a sheet only where some KPI is calculated from parts
            _parts_sheet(workbook.create_sheet(), rows, years, parts)
        _about_sheet(workbook.create_sheet(), program, year, include_submitted, user)
    return workbook


def report_filename(program: Program, year: int | None) -> str:
    return f"{program.code}-{year or 'all-years'}-report.xlsx"


def _common_baseline_year(rows) -> int | None:
    """The year of every baseline in the report, when they share one: the column's
    header names it, else each cell does."""
    years = {row.kpi.baseline_year for row in rows if row.kpi.baseline is not None}
    return years.pop() if len(years) == 1 else None


def _program_columns(
    program: Program, year: int, baseline_year: int | None
) -> list[tuple[str, float]]:
    """(header, width) of each column of a year's program sheet."""
    baseline = _("Baseline %(year)s") % {"year": baseline_year} if baseline_year else _("Baseline")
    columns = [
        (_("Goal"), PROGRAM_WIDTHS["goal"]),
        (_("Task"), PROGRAM_WIDTHS["task"]),
        (_("Code"), PROGRAM_WIDTHS["code"]),
        (_("KPI"), PROGRAM_WIDTHS["kpi"]),
        (_("Unit"), PROGRAM_WIDTHS["unit"]),
        (_("Sense"), PROGRAM_WIDTHS["sense"]),
        (baseline, BASELINE_WIDTH),
    ]
    columns += [(_("Target %(year)s") % {"year": y}, TARGET_WIDTH) for y in program.years]
    columns += [
        (_("Value %(year)s") % {"year": year}, VALUE_WIDTH),
        (_("Achievement, %% (%(year)s)") % {"year": year}, ACHIEVEMENT_WIDTH),
        (_("Status %(year)s") % {"year": year}, status_width()),
        (_("Why the target was missed"), EXPLANATION_WIDTH),
        (_("Responsible unit"), OWNER_WIDTH),
    ]
    return columns


def _program_sheet(sheet: Worksheet, content: Content, year: int) -> None:
    columns = _program_columns(content.program, year, content.baseline_year)
    widths = [width for _header, width in columns]
    last_column = len(columns)
    _title(sheet, content.program, year, content.include_submitted, last_column)
    for column, (header, _width) in enumerate(columns, start=1):
        text_cell(
            sheet,
            HEADER_ROW,
            column,
            header,
            ("header",),
            font=HEADER_FONT,
            fill=HEADER_FILL,
            alignment=CENTRE,
            border=BORDER,
        )
    sheet.row_dimensions[HEADER_ROW].height = _height(
        max(_lines(header, width, bold=True) for header, width in columns)
    )
    row_number = HEADER_ROW + 1
    for direction_rows in _by_direction(content.rows):
        row_number = _direction_block(sheet, content, direction_rows, year, row_number, widths)
    _layout(sheet, widths)


def _title(sheet: Worksheet, program: Program, year: int, include_submitted, last_column) -> None:
    text_cell(sheet, 1, 1, program.title, ("title",), font=TITLE_FONT)
    counted = _("approved and submitted values") if include_submitted else _("approved values only")
    subtitle = _("Report for %(period)s · %(counted)s") % {"period": year, "counted": counted}
    text_cell(sheet, 2, 1, subtitle, ("subtitle",), font=FONT)
    merge(sheet, 1, 1, 1, last_column)
    merge(sheet, 2, 1, 2, last_column)
    sheet.row_dimensions[1].height = _height(1, size=14)


def _by_direction(rows) -> list[list]:
    groups: dict[int, list] = {}
    for row in rows:
        groups.setdefault(row.kpi.task.goal.direction.number, []).append(row)
    return [groups[number] for number in sorted(groups)]


def _direction_block(
    sheet, content: Content, rows, year: int, first_row: int, widths: list[float]
) -> int:
    direction = rows[0].kpi.task.goal.direction
    text_cell(
        sheet,
        first_row,
        1,
        f"{direction.number}. {direction.name}".upper(),
        ("direction",),
        font=DIRECTION_FONT,
        fill=DIRECTION_FILL,
        alignment=WRAP,
    )
    merge(sheet, first_row, 1, first_row, len(widths))
    sheet.row_dimensions[first_row].height = _height(1)
    start = first_row + 1
    row_number = start
    task_start, current_task = start, None
    for row in rows:
        task = row.kpi.task
        if current_task is not None and task.id != current_task.id:
            _merge_down(sheet, 2, task_start, row_number - 1, _task_label(current_task), widths)
            task_start = row_number
        current_task = task
        _kpi_row(sheet, row_number, row, content, year, widths)
        row_number += 1
    _merge_down(sheet, 2, task_start, row_number - 1, _task_label(current_task), widths)
    _merge_down(sheet, 1, start, row_number - 1, rows[0].kpi.task.goal.name, widths)
    return row_number


def _task_label(task) -> str:
    return f"{task.number} {task.name}"


def _merge_down(sheet, column: int, first: int, last: int, value: str, widths) -> None:
    """`value` over rows first…last of `column`; the last row grows when the rows'
    heights together are too short for the text."""
    text_cell(sheet, first, column, value, ("merged",), font=FONT, alignment=WRAP, border=BORDER)
    if last > first:
        merge(sheet, first, column, last, column, framed=True)
    needed = _height(_lines(value, widths[column - 1]))
    rows = [sheet.row_dimensions[row] for row in range(first, last + 1)]
    missing = needed - sum(row.height for row in rows)
    if missing > 0:
        rows[-1].height = min(rows[-1].height + missing, MAX_ROW_HEIGHT)


@dataclass(frozen=True)
class FixedCells:
    """What a KPI's row shows on every year's sheet, worked out once per report: over
    seven sheets, reading names through the translation fields and formatting the
    targets again was a good part of the report's time."""

    texts: tuple[str, str, str, str]  # code, name, unit, sense (columns C…F)
    owner: str
    baseline: tuple[object, str]  # a value spec (see _value_spec)
    targets: tuple[tuple[object, str], ...]  # a value spec per year
    lines: int  # the lines the texts, the baseline and the owner need

    @classmethod
    def of(
        cls, row, program: Program, widths: list[float], words: Words, baseline_year: int | None
    ) -> FixedCells:
        kpi = row.kpi
        texts = (kpi.code, kpi.name, words.units[kpi.unit], words.senses[kpi.sense])
        owner = kpi.owner.name if kpi.owner else ""
        baseline = _baseline_spec(kpi, baseline_year)
        lines = max(
            *(_lines(text, widths[column]) for column, text in enumerate(texts, start=2)),
            _lines(baseline[0], widths[FIXED_COLUMNS]) if baseline[1] == "wrapped" else 1,
            _lines(owner, widths[-1]),
        )
        targets = tuple(
            _value_spec(kpi, row.cell(year).target, target=True) for year in program.years
        )
        return cls(texts, owner, baseline, targets, lines)


def _baseline_spec(kpi, baseline_year: int | None) -> tuple[object, str]:
    """The baseline as a target is written where the header names its year, else as
    text with its year: 3 160 (2021)."""
    baseline = kpi.baseline
    if baseline is None or baseline.year == baseline_year:
        return _value_spec(kpi, baseline)
    shown = kpi.measure.display(baseline.value, baseline.value2)
    return f"{shown} ({baseline.year})", "wrapped"


@dataclass(frozen=True)
class Content:
    """What every year's program sheet is written from."""

    program: Program
    rows: list[dashboards.KpiRow]
    words: Words
    fixed: dict[int, FixedCells]  # by KPI id
    include_submitted: bool
    baseline_year: int | None  # the year of every baseline, when they share one


def _kpi_row(sheet, row_number: int, row, content: Content, year: int, widths) -> None:
    fixed = content.fixed[row.kpi.id]
    for column, value in enumerate(fixed.texts, start=3):
        text_cell(
            sheet, row_number, column, value, ("text",), font=FONT, alignment=WRAP, border=BORDER
        )
    column = FIXED_COLUMNS + 1
    for spec in (fixed.baseline, *fixed.targets):
        _value_cell(sheet.cell(row_number, column), spec)
        column += 1
    cell = row.cell(year)
    _value_cell(sheet.cell(row_number, column), _value_spec(row.kpi, cell.actual))
    achievement = sheet.cell(row_number, column + 1, _number(cell.assessment.achievement))
    style(
        achievement,
        ("achievement",),
        font=FONT,
        number_format='0.0"%"',
        border=BORDER,
        alignment=RIGHT,
    )
    status = cell.assessment.status
    status_name = content.words.statuses[status]
    style(
        sheet.cell(row_number, column + 2, status_name),
        ("status", status),
        font=FONT,
        fill=fill_for(status),
        border=BORDER,
        alignment=TOP_CENTRE,
    )
    explanation = cell.actual.explanation if cell.actual else ""
    for offset, value in ((3, explanation), (4, fixed.owner)):
        text_cell(
            sheet,
            row_number,
            column + offset,
            value,
            ("text",),
            font=FONT,
            alignment=WRAP,
            border=BORDER,
        )
    lines = max(
        fixed.lines,
        _lines(status_name, widths[column + 1]),
        _lines(explanation, widths[column + 2]),
    )
    sheet.row_dimensions[row_number].height = _height(lines)


def _value_spec(kpi, obj, *, target: bool = False) -> tuple[object, str]:
    """A target or value as (what the cell holds, how): "" when empty, "text" where the
    measure writes words (a ratio, a ranking's top-N or band), else a number format."""
    if obj is None or obj.value is None:
        return None, ""
    measure = kpi.measure
    text = measure.excel_text(obj.value, obj.value2, target=target)
    if text is not None:
        return text, "text"
    return measure.cell(obj.value, None), measure.excel_format(obj.value)


def _value_cell(cell, spec: tuple[object, str]) -> None:
    value, how = spec
    if not how:
        style(cell, ("empty",), font=FONT, border=BORDER)
    elif how == "wrapped":
        style(cell, ("wrapped",), font=FONT, border=BORDER, alignment=WRAP)
        set_text(cell, value)
    elif how == "text":
        style(cell, ("right",), font=FONT, border=BORDER, alignment=RIGHT)
        set_text(cell, value)
    else:
        cell.value = value
        style(cell, ("number", how), font=FONT, border=BORDER, number_format=how, alignment=RIGHT)


def _number(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    normal = value.normalize()
    return int(normal) if normal == normal.to_integral_value() else float(normal)


def _layout(sheet: Worksheet, widths: list[float]) -> None:
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = f"E{HEADER_ROW + 1}"
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    _print_setup(sheet, paper=sheet.PAPERSIZE_A3, landscape=True)


def _print_setup(sheet: Worksheet, *, paper: str, landscape: bool, one_page: bool = False):
    """Fitted to the paper's width (and to one page when `one_page`), narrow margins,
    the sheet's name and the page number in the footer."""
    sheet.page_setup.orientation = "landscape" if landscape else "portrait"
    sheet.page_setup.paperSize = paper
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 1 if one_page else 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.gridLines = False
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.page_margins.top = sheet.page_margins.bottom = 0.5
    sheet.page_margins.header = sheet.page_margins.footer = 0.25
    sheet.oddFooter.left.text = "&A"
    sheet.oddFooter.right.text = "&P / &N"


def _summary_sheet(sheet: Worksheet, program: Program, rows, years, words: Words) -> None:
    sheet.title = _("Summary")[:31]
    statuses = [
        Status.ACHIEVED,
        Status.CLOSE,
        Status.BEHIND,
        Status.NO_DATA,
        Status.NOT_DUE,
        Status.NO_TARGET,
    ]
    columns = [(_("Year"), 7), (_("Direction"), 44), (_("KPIs"), 7)]
    columns += [(words.statuses[status], 12) for status in statuses]
    columns += [(_("Achievement, %"), 12)]
    _header_row(sheet, columns, "summary header")
    row_number = 2
    names = {r.kpi.task.goal.direction.number: r.kpi.task.goal.direction.name for r in rows}
    for year in years:
        overall, by_direction = dashboards.summarise(rows, year)
        lines = [(f"{n}. {names[n]}", by_direction[n], False) for n in sorted(by_direction)]
        lines.append((_("Whole program"), overall, True))
        for label, summary, total in lines:
            _summary_row(sheet, row_number, year, label, summary, statuses, total=total)
            sheet.row_dimensions[row_number].height = _height(
                _lines(label, columns[1][1], bold=total)
            )
            row_number += 1
    sheet.freeze_panes = "A2"
    sheet.print_title_rows = "1:1"
    _print_setup(sheet, paper=sheet.PAPERSIZE_A4, landscape=True)


def _summary_row(sheet, row: int, year: int, label: str, summary, statuses, *, total: bool):
    """A direction's (or, in bold, the whole program's) status counts in a year."""
    font = BOLD if total else FONT
    common = {"font": font, "border": BORDER}
    style(sheet.cell(row, 1, year), ("summary year", total), **common, alignment=TOP_CENTRE)
    text_cell(sheet, row, 2, label, ("summary label", total), **common, alignment=WRAP)
    style(sheet.cell(row, 3, summary.total), ("summary count", total), **common, alignment=RIGHT)
    for column, status in enumerate(statuses, start=4):
        style(
            sheet.cell(row, column, summary.counts[status]),
            ("count", status, total),
            **common,
            fill=fill_for(status),
            alignment=RIGHT,
        )
    style(
        sheet.cell(row, 4 + len(statuses), _number(summary.achievement)),
        ("percent", total),
        **common,
        number_format='0.0"%"',
        alignment=RIGHT,
    )


def _field(name: str) -> str:
    return capfirst(Kpi._meta.get_field(name).verbose_name)


def _passport_columns() -> list[tuple[str, float]]:
    return [
        (_("Code"), 7),
        (_("KPI"), 36),
        (_field("definition"), 30),
        (_field("formula"), 24),
        (_field("data_source"), 18),
        (_field("verification"), 20),
        (_field("collection_method"), 18),
        (_field("frequency"), 12),
        (_("Responsible unit"), 18),
        (_field("ranking_name"), 18),
        (_("Baseline"), 12),
        (_("Baseline: comment and source"), 28),
    ]


def _passport_texts(kpi) -> list[str]:
    """A passport's row: the texts in the report's language (Kazakh where untranslated)."""
    baseline = kpi.baseline
    shown = ""
    if baseline is not None:
        shown = f"{kpi.measure.display(baseline.value, baseline.value2)} ({baseline.year})"
    about = [kpi.baseline_comment]
    if kpi.baseline_source:
        about.append(f"{_('Source')}: {kpi.baseline_source}")
    return [
        kpi.code,
        kpi.name,
        kpi.definition,
        kpi.formula,
        kpi.data_source,
        kpi.verification,
        kpi.collection_method,
        str(kpi.get_frequency_display()) if kpi.frequency else "",
        kpi.owner.name if kpi.owner else "",
        kpi.ranking if kpi.measure.ranking else "",
        shown,
        "\n".join(text for text in about if text),
    ]


def _has_passport(kpi) -> bool:
    return kpi.baseline is not None or any(
        getattr(kpi, name) for name in (*PASSPORT_TEXTS, "frequency", *RANKING_FIELDS)
    )


def _header_row(sheet: Worksheet, columns: list[tuple[str, float]], style: str) -> None:
    """A sheet's first row: its columns' headers and widths, as high as the longest
    header wraps to."""
    for column, (header, width) in enumerate(columns, start=1):
        text_cell(
            sheet,
            1,
            column,
            header,
            (style,),
            font=HEADER_FONT,
            fill=HEADER_FILL,
            alignment=CENTRE,
            border=BORDER,
        )
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.row_dimensions[1].height = _height(
        max(_lines(header, width, bold=True) for header, width in columns)
    )


def _passport_sheet(sheet: Worksheet, rows, words: Words) -> None:
    """Every KPI the planning office wrote a passport or a baseline for: what it counts,
    how and from where, and its value before the program."""
    sheet.title = _("KPI passports")[:31]
    columns = _passport_columns()
    _header_row(sheet, columns, "passport header")
    kpis = [row.kpi for row in rows if _has_passport(row.kpi)]
    if not kpis:
        text_cell(sheet, 2, 1, _("No KPI has a passport or a baseline yet."), ("about",), font=FONT)
        merge(sheet, 2, 1, 2, len(columns))
    for number, kpi in enumerate(kpis, start=2):
        texts = _passport_texts(kpi)
        for column, text in enumerate(texts, start=1):
            text_cell(
                sheet,
                number,
                column,
                text or None,
                ("text",),
                font=FONT,
                alignment=WRAP,
                border=BORDER,
            )
        sheet.row_dimensions[number].height = _height(
            max(_lines(text, width) for text, (_header, width) in zip(texts, columns, strict=True))
        )
    sheet.freeze_panes = "C2"
    sheet.print_title_rows = "1:1"
    _print_setup(sheet, paper=sheet.PAPERSIZE_A3, landscape=True)


def _parts_columns() -> list[tuple[str, float]]:
    return [
        (_("Code"), 9),
        (_("KPI"), 40),
        (_("Year"), 7),
        (capfirst(_("unit")), 28),
        (_("Part of"), 22),
        (_("Inputs"), 30),
        (_("Numerator"), 13),
        (_("Denominator"), 13),
        (_("Value"), 12),
        (_("State"), 30),
    ]


def _parts_sheet(sheet: Worksheet, rows, years: list[int], parts: kpi_parts.Parts) -> None:
    """The parts behind every calculated KPI, year by year: first the university's
    figure (numerator and denominator summed over the units, the value computed from
    them, how many units are counted, the value the planning office entered instead and
    why), then each unit's counted contributions: its numerator and denominator (each
    the sum of its inputs on that side), its own share and its inputs one by one."""
    sheet.title = _("Parts")[:31]
    columns = _parts_columns()
    _header_row(sheet, columns, "parts header")
    calculated = [row for row in rows if parts.formula(row.kpi.id) is not None]
    states = {state.value: str(state.label) for state in ActualState}
    # Names read once: through the translation fields each read costs a language lookup,
    # and a unit's or an input's name recurs in every KPI's and year's rows.
    unit_names, input_names = parts.unit_names, parts.input_names
    number = 2
    for row in calculated:
        kpi = row.kpi
        formula = parts.formula_text(kpi.id)
        for year in years:
            found = kpi_parts.year_parts(parts, kpi.id, year)
            computed = found.computed
            counted = row.cell(year).actual
            if computed.value is not None:
                state = _("complete: %(n)s of %(m)s units") % {
                    "n": found.units_reported,
                    "m": found.units_expected,
                }
            else:
                state = _("partial: %(n)s of %(m)s units") % {
                    "n": found.units_reported,
                    "m": found.units_expected,
                }
            if counted is not None and not isinstance(counted, Computed):
                entered = kpi.measure.display(counted.value, counted.value2)
                state += "; " + _("entered instead: %(value)s — %(reason)s") % {
                    "value": entered,
                    "reason": getattr(counted, "reason", "") or "—",
                }
            texts = [kpi.code, kpi.name, str(year), _("University (total)"), "", formula]
            _parts_row(sheet, number, texts, computed, state, bold=True)
            sheet.row_dimensions[number].height = _height(
                max(
                    _lines(kpi.name, 40, bold=True),
                    _lines(formula, 30, bold=True),
                    _lines(state, 30, bold=True),
                )
            )
            number += 1
            for unit, entries in _by_unit(found.contributions):
                inputs = "; ".join(
                    f"{input_names[item.id]}: {plain(value)}" for item, _s, value, _t in entries
                )
                parent = unit_names.get(unit.parent_id, "")
                texts = [kpi.code, "", str(year), unit_names[unit.id], parent, inputs]
                top = _side_sum(entries, "numerator")
                bottom = _side_sum(entries, "denominator")
                share = None
                if top is not None and bottom:
                    share = (top / bottom * 100).quantize(Decimal("0.0001"))
                cells = [top, bottom, share if bottom is not None else top]
                label = ", ".join(dict.fromkeys(states.get(e[3], e[3]) for e in entries))
                _parts_row(sheet, number, texts, cells, label, bold=False)
                number += 1
    sheet.freeze_panes = "D2"
    sheet.print_title_rows = "1:1"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(number - 1, 1)}"
    _print_setup(sheet, paper=sheet.PAPERSIZE_A4, landscape=True)


def _by_unit(contributions) -> list[tuple[object, list[tuple]]]:
    """(unit, [(input, side, value, state), …]) in the order given (by unit)."""
    grouped: dict[int, tuple[object, list[tuple]]] = {}
    for unit, item, side, value, state in contributions:
        grouped.setdefault(unit.id, (unit, []))[1].append((item, side, value, state))
    return list(grouped.values())


def _side_sum(entries, side: str) -> Decimal | None:
    values = [value for _item, each, value, _state in entries if each in (side, "both")]
    return sum(values, Decimal(0)) if values else None


def _parts_row(sheet, number: int, texts: list[str], figures, state: str, *, bold: bool) -> None:
    """A row of the parts sheet: texts, then numerator, denominator and value as numbers
    (`figures` a Computed or the three numbers), then the state."""
    font = BOLD if bold else FONT
    for column, text in enumerate(texts, start=1):
        text_cell(
            sheet,
            number,
            column,
            text or None,
            ("parts text", bold),
            font=font,
            alignment=WRAP,
            border=BORDER,
        )
    if isinstance(figures, Computed):
        figures = [figures.numerator, figures.denominator, figures.value]
    for column, value in enumerate(figures, start=len(texts) + 1):
        cell = sheet.cell(number, column, _number(value))
        style(cell, ("parts number", bold), font=font, border=BORDER, alignment=RIGHT)
    text_cell(
        sheet,
        number,
        len(texts) + 4,
        state,
        ("parts text", bold),
        font=font,
        alignment=WRAP,
        border=BORDER,
    )


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
    label_width, value_width = 26, 80
    for number, (label, value) in enumerate(lines, start=1):
        text_cell(sheet, number, 1, label, ("label",), font=BOLD, alignment=WRAP)
        if isinstance(value, str):
            text_cell(sheet, number, 2, value, ("about",), font=FONT, alignment=WRAP)
        else:
            style(sheet.cell(number, 2, value), ("about number",), font=FONT, alignment=LEFT)
        sheet.row_dimensions[number].height = _height(
            max(_lines(label, label_width, bold=True), _lines(str(value), value_width))
        )
    sheet.column_dimensions["A"].width = label_width
    sheet.column_dimensions["B"].width = value_width
    _print_setup(sheet, paper=sheet.PAPERSIZE_A4, landscape=False, one_page=True)


# How wide characters are in Calibri (and Carlito), in widths of a digit: groups of
# letters measured from the fonts' advance widths, each group's width near its widest.
_CHAR_WIDTHS = {
    **dict.fromkeys(" .,;:'!|iIjlіІ", 0.5),
    **dict.fromkeys('()-/"[]frtJгғт', 0.75),
    **dict.fromkeys("csvxyzзкстуұүхчэ", 0.9),
    **dict.fromkeys("mwжмфшщыю%", 1.45),
    **dict.fromkeys("MWЖМФШЩЫЮ", 1.75),
}
_UPPER = 1.25
_OTHER = 1.02  # other letters and the digits
_BOLD = 1.05
# Excel counts a column's width in whole pixels per digit (7 for Calibri 11 on a 96 dpi
# screen) while a digit is 7.3 pixels wide, and a cell keeps a margin on each side.
_ROOM_PER_WIDTH = 0.95
_CELL_MARGINS = 0.4


def text_width(value: str, *, bold: bool = False) -> float:
    """The width `value` takes in Calibri 11, in digit widths."""
    width = 0.0
    for char in value:
        known = _CHAR_WIDTHS.get(char)
        width += known if known is not None else _UPPER if char.isupper() else _OTHER
    return width * (_BOLD if bold else 1.0)


@lru_cache(maxsize=8192)  # KPI names recur on every year's sheet
def _lines(value: str, column_width: float, *, bold: bool = False) -> int:
    """The lines `value` wraps to in a column `column_width` characters wide, breaking
    between words as Excel and LibreOffice do (a word longer than the line is broken
    wherever it has to be)."""
    if not value:
        return 1
    room = column_width * _ROOM_PER_WIDTH - _CELL_MARGINS
    space = text_width(" ", bold=bold)
    lines = 0
    for paragraph in value.split("\n"):
        lines += 1
        used = 0.0
        for word in paragraph.split():
            width = text_width(word, bold=bold)
            if used and used + space + width <= room:
                used += space + width
                continue
            if used:
                lines += 1
            spans = max(1, math.ceil(width / room))
            lines += spans - 1
            used = width - (spans - 1) * room
    return lines


def _height(lines: int, size: int = FONT_SIZE) -> float:
    """Points for `lines` lines of text as Excel spaces them: 15 points a line of 11-point
    Calibri. LibreOffice sets lines closer (about 11.5 points), so it prints with room to
    spare; Excel would cut off whatever did not fit."""
    return min(round(lines * size * 15 / 11, 1), MAX_ROW_HEIGHT)
