"""The program as a document: JSON for other systems, CSV for spreadsheets.

The CSV comes in two forms. In English it is the machine-readable one other systems
read: comma-separated, English codes (`at_least`, `behind`), numbers with a decimal
point. In Kazakh and Russian it is for Excel set to those languages, which splits
columns at semicolons (a comma is their decimal mark) and would otherwise open the
file as one column: semicolons, headers and names of units, senses and statuses in
the language, numbers with a decimal comma."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from decimal import Decimal

from django.utils.text import capfirst
from django.utils.translation import gettext as _

from directions.models import Program
from kpis.models import Kpi, Sense, Unit
from kpis.rollup import Computed
from kpis.status import Status
from kpis.values import plain, to_json_number
from kpis.workbooks import escape_formula
from reports import parts as parts_of_kpis
from reports.dashboards import kpi_rows
from reports.selectors import program_values

LOCALIZED_CSV_LANGUAGES = ("kk", "ru")
BOM = "\ufeff"  # lets Excel read the file as UTF-8
NEGATIVE_DECIMAL_COMMA = re.compile(r"-\d+(,\d+)?")

CSV_COLUMNS = [
    "program",
    "direction",
    "goal",
    "task",
    "code",
    "name",
    "unit",
    "sense",
    "owner",
    "year",
    "target",
    "target_postgraduate",
    "target_as_written",
    "actual",
    "actual_postgraduate",
    "status",
    "achievement_pct",
    # Added after the first version: new columns go at the end, so that readers of the
    # columns above by position keep working.
    "baseline_year",
    "baseline",
    "baseline_postgraduate",
    # A calculated KPI's parts (empty for a KPI entered directly): the value computed
    # from the counted contributions (beside `actual` when the planning office entered
    # the value instead), its numerator and denominator summed over the units, how many
    # parts and units are counted of those expected, and each counted contribution as
    # "unit/input=value" separated by "; ".
    "calculated",
    "numerator",
    "denominator",
    "parts_counted",
    "parts_expected",
    "units_counted",
    "units_expected",
    "contributions",
]


def program_document(program: Program, *, include_submitted: bool = False) -> dict:
    """program → directions → goals → tasks → KPIs, targets and actuals keyed by year."""
    values = program_values(program, include_submitted=include_submitted, with_passport=True)
    kpis = values.kpis
    parts = parts_of_kpis.with_names(program, values.rollup, values.units)
    directions: dict[int, dict] = {}
    goals: dict[int, dict] = {}
    tasks: dict[int, dict] = {}
    for kpi in kpis:
        task = kpi.task
        goal = task.goal
        direction = goal.direction
        if direction.id not in directions:
            directions[direction.id] = {
                "number": direction.number,
                "name": direction.name,
                "goals": [],
            }
        if goal.id not in goals:
            goals[goal.id] = {"number": goal.number, "name": goal.name, "tasks": []}
            directions[direction.id]["goals"].append(goals[goal.id])
        if task.id not in tasks:
            tasks[task.id] = {"number": task.number, "name": task.name, "kpis": []}
            goals[goal.id]["tasks"].append(tasks[task.id])
        tasks[task.id]["kpis"].append(_kpi_document(kpi, program.years, parts))
    return {
        "code": program.code,
        "title": program.title,
        "start_year": program.start_year,
        "end_year": program.end_year,
        "actuals_counted": "approved and submitted" if include_submitted else "approved",
        "directions": list(directions.values()),
    }


def _kpi_document(kpi: Kpi, years: list[int], parts: parts_of_kpis.Parts) -> dict:
    targets, actuals = kpi.yearly_targets, kpi.yearly_actuals
    calculation = None
    by_year = None
    formula = parts.formula(kpi.id)
    if formula is not None:
        calculation = {
            "kind": "share" if formula.is_share else "sum",
            "numerator": [parts.inputs[i].code for i in formula.numerator],
            "denominator": [parts.inputs[i].code for i in formula.denominator],
            "text": parts.formula_text(kpi.id),
        }
        by_year = {str(y): _parts_document(kpi, parts, y, actuals.get(y)) for y in years}
    return {
        "code": kpi.code,
        "name": kpi.name,
        "unit": kpi.unit,
        "sense": kpi.sense,
        "owner": kpi.owner.name if kpi.owner else None,
        "targets": {str(y): kpi.measure.json(*_pair(targets.get(y))) for y in years},
        "actuals": {str(y): kpi.measure.json(*_pair(actuals.get(y))) for y in years},
        "passport": _passport_document(kpi),
        "baseline": _baseline_document(kpi),
        "calculation": calculation,
        "parts": by_year,
    }


def _parts_document(kpi: Kpi, parts: parts_of_kpis.Parts, year: int, counted) -> dict:
    """A calculated KPI's year: the value computed from its counted parts, its sums,
    how complete it is, the value entered instead (with the reason) and every counted
    contribution by unit."""
    found = parts_of_kpis.year_parts(parts, kpi.id, year)
    computed = found.computed
    entered = counted if counted is not None and not isinstance(counted, Computed) else None
    return {
        "calculated": to_json_number(computed.value),
        "numerator": to_json_number(computed.numerator),
        "denominator": to_json_number(computed.denominator),
        "parts_counted": computed.reported,
        "parts_expected": computed.expected,
        "units_counted": found.units_reported,
        "units_expected": found.units_expected,
        "partial": computed.value is None and computed.reported < computed.expected,
        "entered": None if entered is None else kpi.measure.json(entered.value, entered.value2),
        "override_reason": (getattr(entered, "reason", "") or None) if entered else None,
        "contributions": [
            {
                "unit": unit.code,
                "unit_name": parts.unit_names[unit.id],
                "part_of": parts.units[unit.parent_id].code
                if unit.parent_id in parts.units
                else None,
                "input": item.code,
                "side": side,
                "value": to_json_number(value),
                "state": state,
            }
            for unit, item, side, value, state in found.contributions
        ],
    }


def _passport_document(kpi: Kpi) -> dict:
    """The passport in the active language (Kazakh where a text has no translation);
    null where the planning office wrote nothing."""
    ranking = None
    if kpi.measure.ranking:
        ranking = {
            "name": kpi.ranking_name or None,
            "edition": kpi.ranking_edition or None,
            "category": kpi.ranking_category or None,
        }
    return {
        "definition": kpi.definition or None,
        "formula": kpi.formula or None,
        "data_source": kpi.data_source or None,
        "verification": kpi.verification or None,
        "collection_method": kpi.collection_method or None,
        "frequency": kpi.frequency or None,
        "ranking": ranking,
    }


def _baseline_document(kpi: Kpi) -> dict | None:
    baseline = kpi.baseline
    if baseline is None:
        return None
    return {
        "year": baseline.year,
        "value": kpi.measure.json(baseline.value, baseline.value2),
        "comment": baseline.comment or None,
        "source": baseline.source or None,
    }


def _pair(row) -> tuple:
    return (row.value, row.value2) if row is not None else (None, None)


def _code(unit) -> str | None:
    return unit.code if unit is not None else None


def localized_csv_headers() -> list[str]:
    """CSV_COLUMNS in the active language, for the Kazakh and Russian CSV."""
    return [
        _("Program"),
        _("Direction"),
        _("Goal"),
        _("Task"),
        _("Code"),
        _("KPI"),
        _("Unit"),
        _("Sense"),
        _("Responsible unit"),
        _("Year"),
        _("Target"),
        _("Target: postgraduate share, %"),
        capfirst(_("as written in the program")),
        _("Value"),
        _("Value: postgraduate share, %"),
        _("Status"),
        _("Achievement, %"),
        _("Baseline year"),
        _("Baseline"),
        _("Baseline: postgraduate share, %"),
        _("Calculated from the parts"),
        _("Numerator"),
        _("Denominator"),
        _("Parts counted"),
        _("Parts expected"),
        _("Units counted"),
        _("Units expected"),
        _("Contributions (unit/input=value)"),
    ]


def is_localized_csv(language: str) -> bool:
    return language in LOCALIZED_CSV_LANGUAGES


def program_rows(
    program: Program, *, include_submitted: bool = False, localized: bool = False
) -> Iterator[list[str]]:
    """One row per KPI and year, with the status the rules give; `localized` for the
    Kazakh and Russian CSV (names of units, senses and statuses in the active language,
    decimal commas), else English codes and decimal points."""
    if localized:
        units = {unit.value: str(unit.label) for unit in Unit}
        senses = {sense.value: str(sense.label) for sense in Sense}
        statuses = {status.value: str(status.label) for status in Status}
        number = _decimal_comma
        written = _comma_for_point
    else:
        units, senses, statuses = ({c.value: c.value for c in k} for k in (Unit, Sense, Status))
        number = plain
        written = str
    values = program_values(program, include_submitted=include_submitted)
    parts = parts_of_kpis.with_names(program, values.rollup, values.units)
    for row in kpi_rows(values.kpis, program.years):
        kpi, task, measure = row.kpi, row.kpi.task, row.kpi.measure
        baseline = kpi.baseline
        baseline_columns = [
            str(baseline.year) if baseline else "",
            *(written(part) for part in measure.csv_parts(*_pair(baseline))),
        ]
        for cell in row.cells:
            target, actual, assessment = cell.target, cell.actual, cell.assessment
            yield [
                program.code,
                str(task.goal.direction.number),
                task.goal.name,
                task.number,
                kpi.code,
                kpi.name,
                units[kpi.unit],
                senses[kpi.sense],
                kpi.owner.name if kpi.owner else "",
                str(cell.year),
                *(written(part) for part in measure.csv_parts(*_pair(target))),
                target.raw_text if target else "",
                *(written(part) for part in measure.csv_parts(*_pair(actual))),
                statuses[assessment.status],
                number(assessment.achievement),
                *baseline_columns,
                *_parts_columns(kpi, parts, cell.year, number),
            ]


def _parts_columns(kpi: Kpi, parts: parts_of_kpis.Parts, year: int, number) -> list[str]:
    """The CSV's columns of a calculated KPI's parts in `year`; empty for another KPI."""
    if parts.formula(kpi.id) is None:
        return [""] * 8
    found = parts_of_kpis.year_parts(parts, kpi.id, year)
    computed = found.computed
    contributions = "; ".join(
        f"{unit.code}/{item.code}={number(value)}"
        for unit, item, _side, value, _state in found.contributions
    )
    return [
        number(computed.value),
        number(computed.numerator),
        number(computed.denominator),
        str(computed.reported),
        str(computed.expected),
        str(found.units_reported),
        str(found.units_expected),
        contributions,
    ]


def write_csv(rows: Iterable[list[str]], out: io.TextIOBase, *, localized: bool = False) -> None:
    """The header and `rows` (from program_rows with the same `localized`): semicolons
    and the active language's headers when `localized`, else commas and CSV_COLUMNS."""
    writer = csv.writer(out, delimiter=";" if localized else ",")
    writer.writerow(localized_csv_headers() if localized else CSV_COLUMNS)
    for row in rows:
        writer.writerow([_csv_cell(cell, localized) for cell in row])


def _decimal_comma(value: Decimal | None) -> str:
    return plain(value).replace(".", ",")


def _comma_for_point(text: str) -> str:
    return text.replace(".", ",")


def _csv_cell(value: str, localized: bool) -> str:
    """The cell as written: never a formula. escape_formula knows "-4.5" for a number;
    "-4,5" is one too in the Kazakh and Russian file."""
    if localized and NEGATIVE_DECIMAL_COMMA.fullmatch(value):
        return value
    return escape_formula(value)
