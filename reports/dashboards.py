"""What the dashboards show, computed from KPIs already fetched with their targets and
counted values (see reports.selectors): no query here, so a page's query count does
not grow with the number of KPIs.

Overall achievement of a group of KPIs is the mean of their achievement per cent,
each capped at 100 so that one KPI far above its target cannot hide others behind,
over the KPIs that have both a target and a counted value that year."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from kpis.models import Kpi
from kpis.projection import Projection, project
from kpis.status import Assessment, Status, assess_kpi, is_due

HUNDRED = Decimal(100)


@dataclass
class Cell:
    year: int
    target: object | None
    actual: object | None
    assessment: Assessment


@dataclass
class KpiRow:
    kpi: Kpi
    cells: list[Cell]
    by_year: dict[int, Cell] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.by_year = {c.year: c for c in self.cells}

    def cell(self, year: int) -> Cell:
        return self.by_year[year]


@dataclass
class GroupSummary:
    """Status counts and overall achievement of a direction (or the whole program)."""

    counts: Counter = field(default_factory=Counter)
    achievements: list[Decimal] = field(default_factory=list)

    def add(self, assessment: Assessment) -> None:
        self.counts[assessment.status] += 1
        if assessment.achievement is not None:
            self.achievements.append(min(assessment.achievement, HUNDRED))

    @property
    def achievement(self) -> Decimal | None:
        if not self.achievements:
            return None
        return (sum(self.achievements) / len(self.achievements)).quantize(Decimal("0.1"))

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def with_target(self) -> int:
        """The KPIs with a target that year: what the achievement could be based on."""
        return self.total - self.counts[Status.NO_TARGET]

    @property
    def with_value(self) -> int:
        """The KPIs with a target and a counted value: what the achievement is based on."""
        return len(self.achievements)

    @property
    def without_value(self) -> int:
        """KPIs with a target and no counted value yet (missing, or not yet due)."""
        return self.with_target - self.with_value

    def share(self, status: str) -> float:
        """Per cent of the group's KPIs with this status, for the stacked bars."""
        return round(100 * self.counts[status] / self.total, 1) if self.total else 0.0

    # Bar segments in the order achieved, close, behind, no data (templates cannot call
    # methods with arguments).
    share_achieved = property(lambda self: self.share(Status.ACHIEVED))
    share_close = property(lambda self: self.share(Status.CLOSE))
    share_behind = property(lambda self: self.share(Status.BEHIND))
    share_no_data = property(lambda self: self.share(Status.NO_DATA))
    share_not_due = property(lambda self: self.share(Status.NOT_DUE))
    offset_behind = property(lambda self: self.share_achieved + self.share_close)
    offset_no_data = property(lambda self: self.offset_behind + self.share_behind)
    offset_not_due = property(lambda self: self.offset_no_data + self.share_no_data)

    def count(self, status: str) -> int:
        return self.counts[status]

    achieved = property(lambda self: self.counts[Status.ACHIEVED])
    close = property(lambda self: self.counts[Status.CLOSE])
    behind = property(lambda self: self.counts[Status.BEHIND])
    no_data = property(lambda self: self.counts[Status.NO_DATA])
    not_due = property(lambda self: self.counts[Status.NOT_DUE])
    no_target = property(lambda self: self.counts[Status.NO_TARGET])


def kpi_rows(kpis, years: list[int], *, today: date | None = None) -> list[KpiRow]:
    """Each KPI (from reports.selectors.kpis_with_values) with a cell per year: its
    target, counted value and status (a year that has not ended is not yet due)."""
    due = {year: is_due(year, today) for year in years}
    rows = []
    for kpi in kpis:
        targets, actuals = kpi.yearly_targets, kpi.yearly_actuals
        cells = []
        for year in years:
            target, actual = targets.get(year), actuals.get(year)
            assessment = assess_kpi(kpi, target, actual, due=due[year])
            cells.append(Cell(year, target, actual, assessment))
        rows.append(KpiRow(kpi, cells))
    return rows


def summarise(rows: list[KpiRow], year: int) -> tuple[GroupSummary, dict[int, GroupSummary]]:
    """The whole program's summary and each direction's, for one year."""
    overall = GroupSummary()
    by_direction: dict[int, GroupSummary] = {}
    for row in rows:
        assessment = row.cell(year).assessment
        overall.add(assessment)
        by_direction.setdefault(row.kpi.task.goal.direction.number, GroupSummary()).add(assessment)
    return overall, by_direction


def behind(rows: list[KpiRow], year: int) -> list[KpiRow]:
    """The KPIs behind their target in `year`, the furthest behind first."""
    late = [r for r in rows if r.cell(year).assessment.status == Status.BEHIND]
    return sorted(late, key=lambda r: r.cell(year).assessment.achievement or Decimal(0))


def yearly_summaries(rows: list[KpiRow], years: list[int]) -> dict[int, GroupSummary]:
    """For a direction's chart: its status counts in every year."""
    return {year: summarise(rows, year)[0] for year in years}


def projection_for(row: KpiRow, end_year: int) -> Projection | None:
    """The trend of the KPI's counted values (the postgraduate share for the ratio)."""
    kpi = row.kpi
    judged = kpi.measure.judged
    values = {}
    for cell in row.cells:
        if cell.actual is not None and cell.actual.value is not None:
            values[cell.year] = judged(cell.actual.value, cell.actual.value2)
    end = row.cell(end_year).target
    end_target = judged(end.value, end.value2) if end else None
    return project(
        values, end_year=end_year, sense=kpi.sense, end_target=end_target, measure=kpi.measure
    )


# The workflow's states as the overview counts them, in the order it shows them; a KPI
# with no value at all is "missing" (as on Progress and My KPIs).
ENTRY_STATES = ("approved", "submitted", "returned", "draft")


def entry_progress(states: list[tuple[int, str, int]], kpi_counts: dict[int, int]) -> dict:
    """Approved / submitted / returned / draft / missing per direction from (direction,
    state, count) rows: every state counted as itself, as on Progress, so a returned
    value is never counted as missing."""
    progress = {
        number: {**dict.fromkeys(ENTRY_STATES, 0), "missing": total}
        for number, total in kpi_counts.items()
    }
    for number, state, count in states:
        if state in ENTRY_STATES and number in progress:
            progress[number][state] += count
            progress[number]["missing"] -= count
    return progress
