"""The parts behind calculated KPIs, as the pages and exports show them: the formula in
words, the units' contributions as a tree (university → faculty → department) with
each unit's numerator, denominator and own share, and how many units are complete.

Reading is a fixed number of queries (kpis.selectors.read_rollup, the inputs' names,
the units, and the contributions a reader may see); the tree is built in Python from
kpis.rollup, so a page's query count does not grow with the units or the years."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from django.utils.translation import gettext as _

from directions.models import Program
from kpis.models import ActualState, Contribution, Input, OrgUnit
from kpis.rollup import Computed, Formula, Rollup
from kpis.selectors import read_rollup


def parts_of(actual) -> Computed | None:
    """The computed value behind a counted value: the value itself when it is computed,
    the one beside it when the planning office entered it instead, else None."""
    if isinstance(actual, Computed):
        return actual
    return getattr(actual, "computed", None)


def unit_progress(
    rollup: Rollup, kpi_id: int, year: int, *, within: int | None = None
) -> tuple[int, int]:
    """(units whose every expected part is counted, units expected to report) for a
    calculated KPI in a year: "partial: 5 of 7 units"."""
    formula = rollup.formulas[kpi_id]
    units = None if within is None else rollup.subtree(within)
    complete: dict[int, bool] = {}
    for input_id in formula.inputs:
        for unit_id in rollup.reporters.get(input_id, ()):
            if units is not None and unit_id not in units:
                continue
            if (input_id, unit_id, year) in rollup.exempt:
                continue
            counted = (input_id, unit_id, year) in rollup.values
            complete[unit_id] = complete.get(unit_id, True) and counted
    return sum(complete.values()), len(complete)


@dataclass
class Parts:
    """What the parts of a program's calculated KPIs are shown with."""

    rollup: Rollup
    inputs: dict[int, Input]
    units: dict[int, OrgUnit]

    @cached_property
    def unit_names(self) -> dict[int, str]:
        """Each unit's name in the active language, read once: through the translation
        fields every read costs a language lookup, and exports repeat them thousands
        of times."""
        return {unit_id: unit.name for unit_id, unit in self.units.items()}

    @cached_property
    def input_names(self) -> dict[int, str]:
        return {input_id: item.name for input_id, item in self.inputs.items()}

    def formula(self, kpi_id: int) -> Formula | None:
        return self.rollup.formulas.get(kpi_id)

    def formula_text(self, kpi_id: int) -> str:
        """The formula in words: "With a degree ÷ Teaching staff × 100, each side summed
        over the units before dividing", or "the sum of Students over the units"."""
        formula = self.rollup.formulas[kpi_id]
        numerator = self._names(formula.numerator)
        if formula.is_share:
            return _(
                "%(numerator)s ÷ %(denominator)s × 100, each side summed over the units "
                "before dividing"
            ) % {"numerator": numerator, "denominator": self._names(formula.denominator)}
        return _("the sum of %(inputs)s over the units") % {"inputs": numerator}

    def _names(self, input_ids: tuple[int, ...]) -> str:
        names = [self.input_names[i] for i in input_ids if i in self.inputs]
        text = " + ".join(names)
        return f"({text})" if len(names) > 1 else text

    def reporting_units(self, kpi_id: int) -> set[int]:
        """The units that report any of the KPI's inputs, and every unit above them."""
        formula = self.rollup.formulas[kpi_id]
        found: set[int] = set()
        for input_id in formula.inputs:
            for unit_id in self.rollup.reporters.get(input_id, ()):
                while unit_id is not None and unit_id not in found:
                    found.add(unit_id)
                    unit_id = self.rollup.parents.get(unit_id)
        return found

    def tree(self, kpi_id: int, year: int, *, root: int | None = None) -> list[UnitNode]:
        """The units behind the KPI in `year`, depth first, each with its subtree's
        figure (numerator, denominator, share) and its progress; under `root` only (a
        drill-down), else from the university's total down."""
        involved = self.reporting_units(kpi_id)
        children: dict[int | None, list[int]] = {}
        for unit_id in involved:
            parent = self.rollup.parents.get(unit_id)
            children.setdefault(parent if parent in involved else None, []).append(unit_id)
        for ids in children.values():
            ids.sort(key=lambda i: (self.units[i].name, i) if i in self.units else ("", i))
        nodes: list[UnitNode] = []
        if root is None and len(children.get(None, [])) == 1:
            root = children[None][0]  # the university itself is a unit: no total above it
        if root is None:
            done, expected = unit_progress(self.rollup, kpi_id, year)
            nodes.append(
                UnitNode(None, 0, self.rollup.computed(kpi_id, year), done, expected, True)
            )
            todo = [(unit_id, 1) for unit_id in reversed(children.get(None, []))]
        else:
            todo = [(root, 0)] if root in involved else []
        while todo:
            unit_id, depth = todo.pop()
            kids = children.get(unit_id, [])
            done, expected = unit_progress(self.rollup, kpi_id, year, within=unit_id)
            computed = self.rollup.computed(kpi_id, year, within=unit_id)
            nodes.append(
                UnitNode(self.units.get(unit_id), depth, computed, done, expected, bool(kids))
            )
            todo.extend((kid, depth + 1) for kid in reversed(kids))
        return nodes

    def ancestors(self, unit_id: int) -> list[OrgUnit]:
        """The units above `unit_id`, the top first (a drill-down's way back)."""
        found: list[OrgUnit] = []
        unit = self.units.get(unit_id)
        parent = unit.parent_id if unit else None
        while parent in self.units and len(found) < len(self.units):
            found.append(self.units[parent])
            parent = self.units[parent].parent_id
        return list(reversed(found))

    def subtree(self, unit_id: int) -> set[int]:
        """`unit_id` and every unit below it."""
        children: dict[int | None, list[int]] = {}
        for unit in self.units.values():
            children.setdefault(unit.parent_id, []).append(unit.id)
        found, todo = set(), [unit_id]
        while todo:
            unit = todo.pop()
            if unit not in found:
                found.add(unit)
                todo.extend(children.get(unit, ()))
        return found


@dataclass
class UnitNode:
    """A unit in a calculated KPI's tree (None: the whole university) with its
    subtree's figure."""

    unit: OrgUnit | None
    depth: int
    computed: Computed
    done: int  # units in the subtree whose parts are all counted
    expected: int  # units in the subtree expected to report
    has_children: bool
    entries: list[Entry] = field(default_factory=list)

    @property
    def partial(self) -> bool:
        return self.computed.value is None and self.done < self.expected


@dataclass
class Entry:
    """What a unit itself reported of one input, as far as the reader may see it."""

    input: Input
    side: str  # "numerator", "denominator" or "both"
    value: Decimal | None
    state: str  # a workflow state, "missing" or "exempt"

    @property
    def counted(self) -> bool:
        return self.state in (ActualState.APPROVED, ActualState.SUBMITTED)


def with_names(program: Program, rollup: Rollup, units: list[OrgUnit] | None = None) -> Parts:
    """`rollup` (read already, e.g. by reports.selectors.program_values) with the names
    of its inputs and units: one query for the inputs (none when nothing is calculated),
    one for the units unless given."""
    if not rollup.formulas:
        return Parts(rollup, {}, {})
    if units is None:
        units = list(OrgUnit.objects.order_by())
    inputs = {i.id: i for i in Input.objects.filter(program=program).order_by()}
    return Parts(rollup, inputs, {u.id: u for u in units})


@dataclass
class YearParts:
    """A calculated KPI's parts in a year, as the exports write them."""

    computed: Computed
    units_reported: int
    units_expected: int
    contributions: list[tuple[OrgUnit, Input, str, Decimal, str]]  # unit, input, side, …


def year_parts(parts: Parts, kpi_id: int, year: int) -> YearParts:
    """The KPI's value from its counted parts in `year`, how many units are complete,
    and each counted contribution (unit, input, numerator/denominator/both, value,
    state), ordered by unit and input."""
    formula = parts.rollup.formulas[kpi_id]
    computed = parts.rollup.computed(kpi_id, year)
    done, expected = unit_progress(parts.rollup, kpi_id, year)
    rows = [
        (
            parts.units[p.unit_id],
            parts.inputs[p.input_id],
            _side(formula, p.input_id),
            p.value,
            p.state,
        )
        for p in computed.parts
        if p.unit_id in parts.units and p.input_id in parts.inputs
    ]
    rows.sort(key=lambda r: (r[0].code, r[1].code))
    return YearParts(computed, done, expected, rows)


def read_parts(
    program: Program, *, include_submitted: bool = False, kpis: list[int] | None = None
) -> Parts:
    """The rollup (kpis.selectors.read_rollup) with the inputs' and units' names: eight
    queries whatever the number of KPIs, units and years (two when nothing is
    calculated)."""
    rollup = read_rollup(program, include_submitted=include_submitted, kpis=kpis)
    units = {u.id: u for u in OrgUnit.objects.order_by()}
    if not rollup.formulas:
        return Parts(rollup, {}, units)
    inputs = {i.id: i for i in Input.objects.filter(program=program).order_by()}
    return Parts(rollup, inputs, units)


def with_entries(parts: Parts, nodes: list[UnitNode], kpi_id: int, year: int, user) -> None:
    """Each unit's own entries of the KPI's inputs in `year` as `user` may see them
    (ContributionQuerySet.visible_to: drafts only to their unit and the planning
    office); a part not visible or not entered is "missing". One query."""
    formula = parts.rollup.formulas[kpi_id]
    unit_ids = [node.unit.id for node in nodes if node.unit is not None]
    seen = {
        (input_id, unit_id): (value, state)
        for input_id, unit_id, value, state in Contribution.objects.visible_to(user)
        .filter(input_id__in=formula.inputs, unit_id__in=unit_ids, year=year)
        .order_by()
        .values_list("input_id", "unit_id", "value", "state")
    }
    for node in nodes:
        if node.unit is None:
            continue
        for input_id in formula.inputs:
            if node.unit.id not in parts.rollup.reporters.get(input_id, ()):
                continue
            if (input_id, node.unit.id, year) in parts.rollup.exempt:
                value, state = None, "exempt"
            else:
                value, state = seen.get((input_id, node.unit.id), (None, "missing"))
            side = _side(formula, input_id)
            node.entries.append(Entry(parts.inputs[input_id], side, value, state))


def _side(formula: Formula, input_id: int) -> str:
    top, bottom = input_id in formula.numerator, input_id in formula.denominator
    return "both" if top and bottom else "numerator" if top else "denominator"


def latest_year_with_parts(parts: Parts, kpi_id: int, years: list[int]) -> int:
    """The year a KPI's tree opens on: the latest with any counted part, else the first."""
    with_parts = {y for (i, _u, y) in parts.rollup.values if i in parts.formula(kpi_id).inputs}
    candidates = [y for y in years if y in with_parts]
    return candidates[-1] if candidates else years[0]


@dataclass
class TreeRow:
    unit: OrgUnit
    depth: int


def unit_tree(units: list[OrgUnit]) -> list[TreeRow]:
    """`units` (ordered by name) depth first under their parents."""
    ids = {unit.id for unit in units}
    children: dict[int | None, list[OrgUnit]] = {}
    for unit in units:
        parent = unit.parent_id if unit.parent_id in ids else None
        children.setdefault(parent, []).append(unit)
    rows: list[TreeRow] = []
    todo = [(unit, 0) for unit in reversed(children.get(None, []))]
    seen: set[int] = set()
    while todo:
        unit, depth = todo.pop()
        if unit.id in seen:
            continue
        seen.add(unit.id)
        rows.append(TreeRow(unit, depth))
        todo.extend((kid, depth + 1) for kid in reversed(children.get(unit.id, [])))
    return rows


@dataclass
class InputLine:
    """One input a unit of the subtree reports, by year: its entries as the reader may
    see them, and (on the input's first line) the subtree's counted total."""

    input: Input
    unit: OrgUnit
    cells: list[tuple[Decimal | None, str]]  # (value, state) per year


@dataclass
class KpiShare:
    kpi: object
    formula: Formula
    cells: list[tuple[Computed, int, int]]  # (computed within the unit, done, expected)


def unit_view(parts: Parts, unit: OrgUnit, program: Program, user) -> dict:
    """What a unit's page shows: the units under it, the inputs they report by year
    (ContributionQuerySet.visible_to), the subtree's counted totals and its share of
    every calculated KPI it contributes to. Two queries beyond read_parts."""
    from kpis.models import Kpi

    rollup = parts.rollup
    subtree = parts.subtree(unit.id)
    years = program.years
    reported = sorted(
        {(i, u) for i, units in rollup.reporters.items() for u in units if u in subtree},
        key=lambda pair: (
            parts.inputs[pair[0]].name if pair[0] in parts.inputs else "",
            parts.units[pair[1]].name if pair[1] in parts.units else "",
        ),
    )
    seen = {
        (i, u, y): (v, s)
        for i, u, y, v, s in Contribution.objects.visible_to(user)
        .filter(unit_id__in=sorted(subtree), input__program=program)
        .order_by()
        .values_list("input_id", "unit_id", "year", "value", "state")
    }
    lines = []
    totals: dict[int, list[Decimal | None]] = {}
    for input_id, unit_id in reported:
        if input_id not in parts.inputs or unit_id not in parts.units:
            continue
        cells = []
        for year in years:
            if (input_id, unit_id, year) in rollup.exempt:
                cells.append((None, "exempt"))
            else:
                cells.append(seen.get((input_id, unit_id, year), (None, "missing")))
        lines.append(InputLine(parts.inputs[input_id], parts.units[unit_id], cells))
        sums = totals.setdefault(input_id, [Decimal(0)] * len(years))
        for n, year in enumerate(years):
            part = rollup.values.get((input_id, unit_id, year))
            if sums[n] is not None and part is not None:
                sums[n] += part.value
            elif (input_id, unit_id, year) not in rollup.exempt:
                sums[n] = None  # a part missing: no total
    kpi_ids = [
        kpi_id
        for kpi_id, formula in rollup.formulas.items()
        if any(u in subtree for i in formula.inputs for u in rollup.reporters.get(i, ()))
    ]
    kpis = Kpi.objects.filter(id__in=kpi_ids).only("id", "code", "name", "unit").order_by()
    shares = []
    for kpi in kpis:
        cells = []
        for year in years:
            done, expected = unit_progress(rollup, kpi.id, year, within=unit.id)
            cells.append((rollup.computed(kpi.id, year, within=unit.id), done, expected))
        shares.append(KpiShare(kpi, rollup.formulas[kpi.id], cells))
    shares.sort(key=lambda s: [int(p) for p in s.kpi.code.split(".")])
    return {
        "ancestors": parts.ancestors(unit.id),
        "children": sorted(
            (u for u in parts.units.values() if u.parent_id == unit.id), key=lambda u: u.name
        ),
        "lines": lines,
        # A total only where more than one unit reports the input (else it repeats it).
        "totals": [
            (parts.inputs[i], sums)
            for i, sums in totals.items()
            if sum(1 for line in lines if line.input.id == i) > 1
        ],
        "shares": shares,
    }
