"""A program whose 44 shares are all calculated from units' contributions, for the
benchmark and the tests of the parts (tests/test_parts.py).

`calculate_shares(program, units=30)` makes a university with faculties and `units`
departments under them; a teaching staff, a student and an income total (the shares'
denominators, each shared by many KPIs, as in the program) and a numerator input per
share; every department reports every input. Contributions are random (seeded):
with `mixed`, in every state, some missing and some units marked not applicable; else
all approved. Written in bulk: the caller measures pages, not writes."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from directions.models import Program
from kpis.models import (
    ActualState,
    Calculation,
    Contribution,
    Exemption,
    Input,
    Kpi,
    OrgUnit,
    OrgUnitKind,
)
from kpis.signals import data_changed

DENOMINATORS = (("staff", "Teaching staff"), ("students", "Students"), ("income", "Income"))
# Mixed states: for each input and year, every unit approved (or, rarely, not
# applicable), or approved and submitted, or anything: submitted, draft, returned,
# missing, not applicable. So some values are complete, some only with submitted
# ones counted, some partial.
MODES = {
    "approved": [ActualState.APPROVED] * 12 + ["exempt"],
    "published": [ActualState.APPROVED] * 3 + [ActualState.SUBMITTED],
    "mixed": [ActualState.APPROVED] * 10
    + [ActualState.SUBMITTED] * 4
    + [ActualState.DRAFT] * 2
    + [ActualState.RETURNED]
    + ["missing"] * 2
    + ["exempt"],
}


def _names(name: str) -> dict:
    """The same name in every language (Kazakh is the fallback of the others)."""
    return {"name_kk": name, "name_ru": name, "name_en": name}


@dataclass
class CalculatedProgram:
    university: OrgUnit
    faculties: list[OrgUnit]
    departments: list[OrgUnit]
    formulas: dict[int, tuple[list[int], list[int]]]  # kpi id → (numerator, denominator)
    # (input id, unit id, year) → (value, state) of every contribution written
    rows: dict[tuple[int, int, int], tuple[Decimal, str]] = field(default_factory=dict)
    exempt: set[tuple[int, int, int]] = field(default_factory=set)


@transaction.atomic
def calculate_shares(
    program: Program,
    *,
    units: int = 30,
    faculties: int = 3,
    seed: int = 14,
    mixed: bool = False,
    sums: int = 0,
    prefix: str = "calc",
) -> CalculatedProgram:
    """Every share of `program` calculated over `units` departments (and the first
    `sums` count KPIs as sums of an input), with contributions for every year."""
    rng = random.Random(seed)
    university = OrgUnit.objects.create(
        code=f"{prefix}-uni", **_names("University"), kind=OrgUnitKind.UNIVERSITY
    )
    faculty_units = [
        OrgUnit.objects.create(
            code=f"{prefix}-fac{n}",
            **_names(f"Faculty {n}"),
            kind=OrgUnitKind.FACULTY,
            parent=university,
        )
        for n in range(1, min(faculties, units) + 1)
    ]
    departments = [
        OrgUnit.objects.create(
            code=f"{prefix}-dep{n:02}",
            **_names(f"Department {n:02}"),
            kind=OrgUnitKind.DEPARTMENT,
            parent=faculty_units[n % len(faculty_units)],
        )
        for n in range(1, units + 1)
    ]
    bottoms = [
        Input.objects.create(program=program, code=f"{prefix}-{code}", **_names(name))
        for code, name in DENOMINATORS
    ]
    shares = list(Kpi.objects.filter(program=program, unit="percent").order_by("id"))
    counts = list(Kpi.objects.filter(program=program, unit="count").order_by("id"))[:sums]
    result = CalculatedProgram(university, faculty_units, departments, {})
    tops: dict[int, Input] = {}
    for n, kpi in enumerate(shares + counts):
        top = Input.objects.create(
            program=program,
            code=f"{prefix}-n-{kpi.code.replace('.', '-')}",
            **_names(f"Counted for {kpi.code}"),
            unit="count",
        )
        tops[kpi.id] = top
        calculation = Calculation.objects.create(kpi=kpi)
        calculation.numerator.set([top])
        denominator = [] if kpi in counts else [bottoms[n % len(bottoms)]]
        calculation.denominator.set(denominator)
        result.formulas[kpi.id] = ([top.id], [d.id for d in denominator])
    for item in [*bottoms, *tops.values()]:
        item.reporters.set(departments)

    now = timezone.now()
    contributions, exemptions = [], []
    modes = {
        (item.id, year): rng.choice(["approved", "approved", "published", "mixed"])
        for item in [*bottoms, *tops.values()]
        for year in program.years
    }

    def add(item: Input, unit: OrgUnit, year: int, value: Decimal) -> None:
        state = rng.choice(MODES[modes[item.id, year]]) if mixed else ActualState.APPROVED
        key = (item.id, unit.id, year)
        if state == "missing":
            return
        if state == "exempt":
            exemptions.append(Exemption(input=item, unit=unit, year=year, reason="none here"))
            result.exempt.add(key)
            return
        published = state in (ActualState.SUBMITTED, ActualState.APPROVED)
        contributions.append(
            Contribution(
                input=item,
                unit=unit,
                year=year,
                value=value,
                state=state,
                submitted_at=now if published else None,
                approved_at=now if state == ActualState.APPROVED else None,
                is_demo=True,
            )
        )
        result.rows[key] = (value, state)

    for unit in departments:
        for year in program.years:
            totals = {b.id: Decimal(rng.randint(40, 600)) for b in bottoms}
            for bottom in bottoms:
                add(bottom, unit, year, totals[bottom.id])
            for kpi_id, top in tops.items():
                numerator, denominator = result.formulas[kpi_id]
                ceiling = int(totals[denominator[0]]) if denominator else 300
                add(top, unit, year, Decimal(rng.randint(0, ceiling)))
    Contribution.objects.bulk_create(contributions, batch_size=2000)
    Exemption.objects.bulk_create(exemptions, batch_size=2000)
    data_changed.send(sender=Contribution)  # bulk_create sends no post_save
    return result
