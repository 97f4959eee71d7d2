"""The program as a document: JSON for other systems, CSV for spreadsheets."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from directions.models import Program
from kpis.models import Kpi
from kpis.values import json_value, plain
from kpis.workbooks import escape_formula
from reports.dashboards import kpi_rows
from reports.selectors import kpis_with_values

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
]


def program_document(program: Program, *, include_submitted: bool = False) -> dict:
    """program → directions → goals → tasks → KPIs, targets and actuals keyed by year."""
    kpis = kpis_with_values(program, include_submitted=include_submitted)
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
        tasks[task.id]["kpis"].append(_kpi_document(kpi, program.years))
    return {
        "code": program.code,
        "title": program.title,
        "start_year": program.start_year,
        "end_year": program.end_year,
        "actuals_counted": "approved and submitted" if include_submitted else "approved",
        "directions": list(directions.values()),
    }


def _kpi_document(kpi: Kpi, years: list[int]) -> dict:
    targets, actuals = kpi.yearly_targets, kpi.yearly_actuals
    return {
        "code": kpi.code,
        "name": kpi.name,
        "unit": kpi.unit,
        "sense": kpi.sense,
        "owner": kpi.owner.name if kpi.owner else None,
        "targets": {str(y): json_value(kpi.unit, *_pair(targets.get(y))) for y in years},
        "actuals": {str(y): json_value(kpi.unit, *_pair(actuals.get(y))) for y in years},
    }


def _pair(row) -> tuple:
    return (row.value, row.value2) if row is not None else (None, None)


def program_rows(program: Program, *, include_submitted: bool = False) -> Iterator[list[str]]:
    """One row per KPI and year, with the status the rules give."""
    kpis = kpis_with_values(program, include_submitted=include_submitted)
    for row in kpi_rows(kpis, program.years):
        kpi, task = row.kpi, row.kpi.task
        for cell in row.cells:
            target, actual, assessment = cell.target, cell.actual, cell.assessment
            yield [
                program.code,
                str(task.goal.direction.number),
                task.goal.name,
                task.number,
                kpi.code,
                kpi.name,
                kpi.unit,
                kpi.sense,
                kpi.owner.name if kpi.owner else "",
                str(cell.year),
                plain(target.value) if target else "",
                plain(target.value2) if target else "",
                target.raw_text if target else "",
                plain(actual.value) if actual else "",
                plain(actual.value2) if actual else "",
                assessment.status.value,
                plain(assessment.achievement),
            ]


def write_csv(rows: Iterable[list[str]], out: io.TextIOBase) -> None:
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow([escape_formula(cell) for cell in row])
