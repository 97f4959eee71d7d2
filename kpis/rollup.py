"""A calculated KPI's value from its parts: what units contributed of its inputs,
added up over the units (and up the tree of units) before dividing.

Pure arithmetic over numbers already read (kpis.selectors.read_rollup reads them in a
fixed number of queries): no query here, so a page's query count does not grow with
the number of KPIs, inputs or units.

- A count is the sum of its numerator inputs over the units that report them.
- A share is numerator ÷ denominator × 100, each side summed over the units first
  (DHIS2 and Akvo RSR aggregate the same way): never an average of the units' shares.
- A part that is missing is never taken as zero: until every expected part is counted
  the value is "partial: 5 of 7" and is not judged. A unit exempted for an input and
  year (nothing to report) is not expected.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

HUNDRED = Decimal(100)
STORED = Decimal("0.0001")  # values are stored with four decimals


@dataclass(frozen=True)
class Formula:
    kpi_id: int
    numerator: tuple[int, ...]  # input ids
    denominator: tuple[int, ...] = ()  # empty: the KPI is a sum

    @property
    def is_share(self) -> bool:
        return bool(self.denominator)

    @property
    def inputs(self) -> tuple[int, ...]:
        return self.numerator + tuple(i for i in self.denominator if i not in self.numerator)


class Part(NamedTuple):
    """One unit's counted contribution to one input in one year. (A tuple: a program
    has thousands, and a tuple is made several times faster than a frozen dataclass.)"""

    input_id: int
    unit_id: int
    year: int
    value: Decimal
    state: str


@dataclass
class Computed:
    """A calculated KPI's value in a year, as pages count it, with its parts. `value` is
    None until every expected part is counted (see `reported` and `expected`)."""

    year: int
    value: Decimal | None
    numerator: Decimal | None
    denominator: Decimal | None
    reported: int
    expected: int
    parts: list[Part] = field(default_factory=list)
    value2: None = None
    state: str = "calculated"
    explanation: str = ""

    @property
    def complete(self) -> bool:
        return self.expected > 0 and self.reported == self.expected

    @property
    def partial(self) -> bool:
        """Some parts are counted, not all: the page says "partial: 5 of 7"."""
        return 0 < self.reported < self.expected


@dataclass
class Rollup:
    """Everything a program's calculated KPIs are computed from, for some years."""

    formulas: dict[int, Formula]
    reporters: dict[int, set[int]]  # input → the units that report it
    exempt: set[tuple[int, int, int]]  # (input, unit, year) with nothing to report
    values: dict[tuple[int, int, int], Part]  # (input, unit, year) → counted part
    parents: dict[int, int | None]  # unit → the unit it is part of

    def computed(self, kpi_id: int, year: int, *, within: int | None = None) -> Computed:
        """The KPI's value in `year` over every reporting unit, or over the units of
        `within`'s subtree (a faculty's own figure)."""
        formula = self.formulas[kpi_id]
        units = None if within is None else self.subtree(within)
        expected = reported = 0
        sums = {"numerator": Decimal(0), "denominator": Decimal(0)}
        parts = []
        for input_id in formula.inputs:
            for unit_id in sorted(self.reporters.get(input_id, ())):
                if units is not None and unit_id not in units:
                    continue
                if (input_id, unit_id, year) in self.exempt:
                    continue
                expected += 1
                part = self.values.get((input_id, unit_id, year))
                if part is None:
                    continue
                reported += 1
                parts.append(part)
                if input_id in formula.numerator:
                    sums["numerator"] += part.value
                if input_id in formula.denominator:
                    sums["denominator"] += part.value
        result = Computed(year, None, None, None, reported, expected, parts)
        if not result.complete:
            return result
        result.numerator = sums["numerator"]
        if formula.is_share:
            result.denominator = sums["denominator"]
            if result.denominator:
                result.value = (result.numerator / result.denominator * HUNDRED).quantize(STORED)
        else:
            result.value = result.numerator
        return result

    def subtree(self, unit_id: int) -> set[int]:
        """`unit_id` and every unit below it."""
        children: dict[int | None, list[int]] = {}
        for unit, parent in self.parents.items():
            children.setdefault(parent, []).append(unit)
        found, todo = set(), [unit_id]
        while todo:
            unit = todo.pop()
            if unit not in found:
                found.add(unit)
                todo.extend(children.get(unit, ()))
        return found

    def problems(self, kpi_id: int, year: int) -> list[tuple[int, str]]:
        """(unit, what) the planning office should look at before approving: a unit
        whose numerator exceeds its denominator. Not blocking."""
        formula = self.formulas[kpi_id]
        found = []
        if not formula.is_share:
            return found
        for unit_id in sorted(self.parents):
            top = self._unit_sum(formula.numerator, unit_id, year)
            bottom = self._unit_sum(formula.denominator, unit_id, year)
            if top is not None and bottom is not None and top > bottom:
                found.append((unit_id, "numerator_above_denominator"))
        return found

    def _unit_sum(self, inputs: tuple[int, ...], unit_id: int, year: int) -> Decimal | None:
        parts = [self.values.get((i, unit_id, year)) for i in inputs]
        parts = [p.value for p in parts if p is not None]
        return sum(parts, Decimal(0)) if parts else None
