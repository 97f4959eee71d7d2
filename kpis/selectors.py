"""Querysets the entry, review and progress pages need, built in one place."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from directions.models import Program
from kpis import roles
from kpis.models import (
    PUBLISHED_STATES,
    Actual,
    ActualState,
    Calculation,
    Contribution,
    Evidence,
    Exemption,
    Input,
    Kpi,
    OrgUnit,
    Target,
)
from kpis.reasons import SEPARATOR, Reason, detail_of
from kpis.rollup import Formula, Part, Rollup
from kpis.status import assess_kpi


@dataclass
class EntryRow:
    kpi: Kpi
    target: Target | None
    previous: Actual | None  # last year's value, as far as the user may see it
    actual: Actual | None
    computed: object | None = None  # a calculated KPI's value from its parts (rollup)

    @property
    def key(self) -> str:
        return f"k{self.kpi.id}"

    @property
    def version(self) -> int:
        return self.actual.version if self.actual else 0

    @property
    def state(self) -> str:
        return self.actual.state if self.actual else "missing"

    @property
    def calculated(self) -> bool:
        return self.computed is not None


@dataclass
class InputRow:
    """One input a unit reports, on the entry page: its contribution this year and last
    year's, and the KPIs it feeds."""

    input: Input
    unit: OrgUnit
    previous: Contribution | None
    actual: Contribution | None  # named as EntryRow's, so rows share the page's markup
    feeds: list[str]  # codes of the KPIs calculated from it

    @property
    def key(self) -> str:
        return f"i{self.input.id}-u{self.unit.id}"

    @property
    def version(self) -> int:
        return self.actual.version if self.actual else 0

    @property
    def state(self) -> str:
        return self.actual.state if self.actual else "missing"


def units_for(user, program: Program) -> QuerySet[OrgUnit]:
    """The units whose values `user` may enter: those owning KPIs they may enter or
    reporting inputs they may report; all of them for the planning office."""
    editable = Kpi.objects.editable_by(user).filter(program=program)
    reported = Input.reporters.through.objects.filter(input__program=program)
    if not roles.is_planner(user):
        reported = reported.filter(orgunit__heads=user)
    return (
        OrgUnit.objects.filter(Q(kpis__in=editable) | Q(id__in=reported.values("orgunit_id")))
        .distinct()
        .order_by("name")
    )


def input_rows(user, program: Program, year: int, unit: OrgUnit | None = None) -> list[InputRow]:
    """The inputs `user` may report for `year`, by unit, each with this year's and last
    year's contribution (as far as the user may see them) and the KPIs it feeds. A fixed
    number of queries whatever the number of rows."""
    pairs = Input.reporters.through.objects.filter(input__program=program)
    if not roles.is_planner(user):
        pairs = pairs.filter(orgunit__heads=user)
    if unit is not None:
        pairs = pairs.filter(orgunit=unit)
    pairs = list(pairs.select_related("input", "orgunit").order_by("orgunit__name", "input__code"))
    contributions = {
        (c.input_id, c.unit_id, c.year): c
        for c in Contribution.objects.visible_to(user)
        .filter(input__in={p.input_id for p in pairs}, year__in=[year, year - 1])
        .prefetch_related(Prefetch("evidence", queryset=Evidence.objects.order_by("id")))
    }
    feeds = _feeds({p.input_id for p in pairs})
    return [
        InputRow(
            p.input,
            p.orgunit,
            contributions.get((p.input_id, p.orgunit_id, year - 1)),
            contributions.get((p.input_id, p.orgunit_id, year)),
            feeds.get(p.input_id, []),
        )
        for p in pairs
    ]


def _code_order(code: str) -> tuple[int, ...]:
    return tuple(int(part) for part in code.split(".") if part.isdigit())


def entry_rows(user, program: Program, year: int, unit: OrgUnit | None = None) -> list[EntryRow]:
    """The KPIs `user` may enter for `year`, each with its target, last year's value and
    this year's value and evidence. A fixed number of queries whatever the number of rows."""
    kpis = (
        Kpi.objects.editable_by(user)
        .filter(program=program)
        .select_related("owner", "task__goal__direction")
        .prefetch_related(
            Prefetch("targets", queryset=Target.objects.filter(year=year)),
            Prefetch(
                "actuals",
                queryset=Actual.objects.visible_to(user)
                .filter(year__in=[year, year - 1])
                .prefetch_related(Prefetch("evidence", queryset=Evidence.objects.order_by("id"))),
            ),
        )
        .order_by("task__goal__direction__number", "task__position", "position")
    )
    if unit is not None:
        kpis = kpis.filter(owner=unit)
    rows = []
    for kpi in kpis:
        by_year = {a.year: a for a in kpi.actuals.all()}
        target = next(iter(kpi.targets.all()), None)
        rows.append(EntryRow(kpi, target, by_year.get(year - 1), by_year.get(year)))
    return rows


def _review_filter(
    program: Program, year: int | None = None, unit: OrgUnit | None = None
) -> QuerySet[Actual]:
    return _scoped(Actual.objects.filter(kpi__program=program), year, unit and {"kpi__owner": unit})


def _scoped(queryset: QuerySet, year: int | None, unit: dict | None) -> QuerySet:
    """The review page's filters: a year (None for all) and a unit (a lookup, or None)."""
    if year:
        queryset = queryset.filter(year=year)
    return queryset.filter(**unit) if unit else queryset


def _state_counts(queryset: QuerySet) -> dict[str, int]:
    """How many rows each workflow state holds, in one query: the review page's tabs."""
    counts = dict.fromkeys(ActualState.values, 0)
    counts.update(dict(queryset.values_list("state").annotate(n=Count("id")).order_by()))
    return counts


def review_queue(
    program: Program,
    *,
    state: str = ActualState.SUBMITTED,
    year: int | None = None,
    unit: OrgUnit | None = None,
) -> QuerySet[Actual]:
    """Values waiting for (or past) the planning office's review, oldest submission first."""
    return (
        _review_filter(program, year, unit)
        .filter(state=state)
        .select_related("kpi__owner", "submitted_by", "approved_by")
        .prefetch_related(
            "evidence",
            Prefetch("kpi__targets", queryset=Target.objects.order_by("year")),
            Prefetch("kpi__actuals", queryset=Actual.objects.order_by("year")),
        )
        .order_by(
            "submitted_at",
            "kpi__task__goal__direction__number",
            "kpi__task__position",
            "kpi__position",
        )
    )


def review_counts(
    program: Program, *, year: int | None = None, unit: OrgUnit | None = None
) -> dict[str, int]:
    """How many values each state holds under the review page's filters, in one query:
    the numbers on its tabs."""
    return _state_counts(_review_filter(program, year, unit))


def _parts_filter(
    program: Program, year: int | None = None, unit: OrgUnit | None = None
) -> QuerySet[Contribution]:
    return _scoped(
        Contribution.objects.filter(input__program=program), year, unit and {"unit": unit}
    )


def review_parts(
    program: Program,
    *,
    state: str = ActualState.SUBMITTED,
    year: int | None = None,
    unit: OrgUnit | None = None,
) -> list[Contribution]:
    """Contributions waiting for (or past) review, oldest submission first, each with
    `previous` (the unit's contribution of the year before) and `feeds` (the codes of
    the KPIs calculated from it). Four queries whatever the length of the queue."""
    rows = list(
        _parts_filter(program, year, unit)
        .filter(state=state)
        .select_related("input", "unit", "submitted_by", "approved_by")
        .prefetch_related(Prefetch("evidence", queryset=Evidence.objects.order_by("id")))
        .order_by("submitted_at", "input__code", "unit__name")
    )
    if not rows:
        return rows
    wanted = Q()
    for row in rows:
        wanted |= Q(input_id=row.input_id, unit_id=row.unit_id, year=row.year - 1)
    previous = {(c.input_id, c.unit_id, c.year + 1): c for c in Contribution.objects.filter(wanted)}
    feeds = _feeds({row.input_id for row in rows})
    for row in rows:
        row.previous = previous.get((row.input_id, row.unit_id, row.year))
        row.feeds = feeds.get(row.input_id, [])
    return rows


def part_counts(
    program: Program, *, year: int | None = None, unit: OrgUnit | None = None
) -> dict[str, int]:
    """How many contributions each state holds under the review page's filters."""
    return _state_counts(_parts_filter(program, year, unit))


def _feeds(input_ids: set[int]) -> dict[int, list[str]]:
    """The codes of the KPIs each input feeds, in the program's order."""
    feeds: dict[int, set[str]] = {}
    for side in (Calculation.numerator, Calculation.denominator):
        links = side.through.objects.filter(input__in=input_ids)
        for input_id, code in links.values_list("input_id", "calculation__kpi__code"):
            feeds.setdefault(input_id, set()).add(code)
    return {input_id: sorted(codes, key=_code_order) for input_id, codes in feeds.items()}


@dataclass
class ReturnStamp:
    """The latest time the planning office sent a value back: returned or reopened."""

    reason_code: str  # Reason.RETURNED or Reason.REOPENED
    who: str
    when: datetime
    reason: str

    @property
    def reopened(self) -> bool:
        return self.reason_code == Reason.REOPENED


RETURN_CODES = (Reason.RETURNED, Reason.REOPENED)


def _sent_back(queryset: QuerySet[Actual]) -> dict[int, ReturnStamp]:
    """For each value of `queryset` that was ever returned or reopened, the latest such
    record of its history: one query for the whole queue (the ids stay a subquery)."""
    sent_back = Q()
    for code in RETURN_CODES:
        sent_back |= Q(history_change_reason=code.value)
        sent_back |= Q(history_change_reason__startswith=f"{code.value}{SEPARATOR}")
    records = (
        Actual.history.filter(sent_back, id__in=queryset.order_by().values("id"))
        .select_related("history_user")
        .order_by("id", "-history_date", "-history_id")
    )
    stamps: dict[int, ReturnStamp] = {}
    for record in records:
        if record.id in stamps:
            continue
        user = record.history_user
        code = (record.history_change_reason or "").partition(SEPARATOR)[0]
        stamps[record.id] = ReturnStamp(
            reason_code=code,
            who=(user.get_full_name() or user.username) if user else "—",
            when=record.history_date,
            reason=detail_of(record.history_change_reason),
        )
    return stamps


def review_rows(program: Program, **filters) -> list[Actual]:
    """The review queue, each value with what the reviewer compares it with: `target`,
    `previous` (last year's value) and `assessment` (whether it meets the target), and
    `sent_back` (who last returned or reopened it, when and why; None if nobody did).
    A fixed number of queries whatever the length of the queue."""
    queue = review_queue(program, **filters)
    actuals = list(queue)
    stamps = _sent_back(queue) if actuals else {}
    for actual in actuals:
        by_year = {a.year: a for a in actual.kpi.actuals.all()}
        actual.previous = by_year.get(actual.year - 1)
        actual.target = next((t for t in actual.kpi.targets.all() if t.year == actual.year), None)
        actual.assessment = assess_kpi(actual.kpi, actual.target, actual)
        actual.sent_back = stamps.get(actual.pk)
    return actuals


@dataclass
class UnitProgress:
    unit: OrgUnit | None
    total: int
    draft: int
    submitted: int
    returned: int
    approved: int

    @property
    def missing(self) -> int:
        return self.total - self.draft - self.submitted - self.returned - self.approved

    @property
    def owed(self) -> int:
        """KPIs the unit has not yet submitted: missing, drafts and returned ones."""
        return self.missing + self.draft + self.returned

    @classmethod
    def summed(cls, rows: list[UnitProgress]) -> UnitProgress:
        """The whole program's progress: every unit's counts added up."""
        counts = ("total", "draft", "submitted", "returned", "approved")
        return cls(None, *(sum(getattr(row, name) for row in rows) for name in counts))


def _state_count(state: str, year: int, prefix: str = "kpis__", where: Q | None = None) -> Count:
    condition = Q(**{f"{prefix}actuals__year": year, f"{prefix}actuals__state": state})
    return Count(f"{prefix}actuals", filter=condition & where if where else condition)


def progress_by_unit(program: Program, year: int) -> list[UnitProgress]:
    """For each unit: how many of its KPIs are missing, draft, submitted, returned, approved.
    A unit may own KPIs of several programs: only this program's KPIs and values count."""
    in_program = Q(kpis__program=program)
    units = (
        OrgUnit.objects.annotate(
            total=Count("kpis", filter=in_program, distinct=True),
            **{s: _state_count(s, year, where=in_program) for s in ActualState.values},
        )
        .filter(total__gt=0)
        .prefetch_related("heads")
        .order_by("name")
    )
    result = [UnitProgress(u, u.total, u.draft, u.submitted, u.returned, u.approved) for u in units]
    unassigned = Kpi.objects.filter(program=program, owner__isnull=True).aggregate(
        total=Count("id", distinct=True),
        **{s: _state_count(s, year, prefix="") for s in ActualState.values},
    )
    if unassigned["total"]:
        result.append(UnitProgress(None, **unassigned))
    return result


@dataclass
class Owed:
    """What a unit has not yet submitted for a year: KPIs and inputs, returned ones noted."""

    unit: OrgUnit
    kpis: list[Kpi] = field(default_factory=list)
    inputs: list[Input] = field(default_factory=list)
    returned: set[tuple[str, int]] = field(default_factory=set)

    def lines(self) -> list[str]:
        """The list in the active language (names are read in it)."""
        out = []
        for kpi in self.kpis:
            mark = f" — {_('returned for revision')}" if ("k", kpi.id) in self.returned else ""
            out.append(f"{kpi.code}  {kpi.name}{mark}")
        for item in self.inputs:
            mark = f" — {_('returned for revision')}" if ("i", item.id) in self.returned else ""
            out.append(f"{item.name}{mark}")
        return out

    def __len__(self) -> int:
        return len(self.kpis) + len(self.inputs)


def owed_by_unit(program: Program, year: int) -> dict[int, Owed]:
    """For each unit with anything missing, in draft or returned for `year`: what (its
    KPIs and the inputs it reports; exempt inputs are not owed). Five queries."""
    owed: dict[int, Owed] = {}
    states = dict(
        Actual.objects.filter(kpi__program=program, year=year).values_list("kpi_id", "state")
    )
    kpis = (
        Kpi.objects.filter(program=program, owner__isnull=False)
        .select_related("owner")
        .order_by("task__goal__direction__number", "task__position", "position")
    )
    for kpi in kpis:
        if states.get(kpi.id) in PUBLISHED_STATES:
            continue
        entry = owed.setdefault(kpi.owner_id, Owed(kpi.owner))
        entry.kpis.append(kpi)
        if states.get(kpi.id) == ActualState.RETURNED:
            entry.returned.add(("k", kpi.id))
    parts = {
        (i, u): s
        for i, u, s in Contribution.objects.filter(input__program=program, year=year).values_list(
            "input_id", "unit_id", "state"
        )
    }
    exempt = set(
        Exemption.objects.filter(input__program=program, year=year).values_list(
            "input_id", "unit_id"
        )
    )
    pairs = (
        Input.reporters.through.objects.filter(input__program=program)
        .select_related("input", "orgunit")
        .order_by("input__code")
    )
    for pair in pairs:
        key = (pair.input_id, pair.orgunit_id)
        if key in exempt or parts.get(key) in PUBLISHED_STATES:
            continue
        entry = owed.setdefault(pair.orgunit_id, Owed(pair.orgunit))
        entry.inputs.append(pair.input)
        if parts.get(key) == ActualState.RETURNED:
            entry.returned.add(("i", pair.input_id))
    return owed


def _decimal(value) -> Decimal:
    """SQLite hands decimals back as numbers or text; PostgreSQL as Decimal."""
    return value if isinstance(value, Decimal) else Decimal(str(value))


def read_rollup(
    program: Program, *, include_submitted: bool = False, kpis: list[int] | None = None
) -> Rollup:
    """What the program's calculated KPIs are computed from: their formulas, who reports
    each input, exemptions and the counted contributions (approved, or approved and
    submitted). Six queries whatever the number of KPIs, inputs, units and years; one
    for a program with no calculated KPI. With `kpis` (ids), only what those KPIs are
    computed from (a KPI's page need not read the whole program's contributions)."""
    sides: dict[int, dict[str, list[int]]] = {}
    for side in ("numerator", "denominator"):
        links = getattr(Calculation, side).through.objects.filter(calculation__kpi__program=program)
        if kpis is not None:
            links = links.filter(calculation__kpi_id__in=kpis)
        for kpi_id, input_id in links.values_list("calculation__kpi_id", "input_id").order_by(
            "input_id"
        ):
            sides.setdefault(kpi_id, {"numerator": [], "denominator": []})[side].append(input_id)
        if not sides:  # every calculated KPI has a numerator: none here, none at all
            return Rollup({}, {}, set(), {}, {})
    formulas = {
        kpi_id: Formula(kpi_id, tuple(s["numerator"]), tuple(s["denominator"]))
        for kpi_id, s in sides.items()
    }
    of_inputs = Q(input__program=program)
    if kpis is not None:
        of_inputs &= Q(input_id__in=sorted({i for f in formulas.values() for i in f.inputs}))
    reporters: dict[int, set[int]] = {}
    links = Input.reporters.through.objects.filter(of_inputs)
    for input_id, unit_id in links.values_list("input_id", "orgunit_id"):
        reporters.setdefault(input_id, set()).add(unit_id)
    exempt = set(Exemption.objects.filter(of_inputs).values_list("input_id", "unit_id", "year"))
    states = [ActualState.APPROVED] + ([ActualState.SUBMITTED] if include_submitted else [])
    counted = (
        Contribution.objects.filter(of_inputs, state__in=states, value__isnull=False)
        .order_by()
        .values_list("input_id", "unit_id", "year", "value", "state")
    )
    # Thousands of rows (30 units × 50 inputs × 7 years): read as plain tuples, without
    # Django's converter call for each value, which cost as much as the query.
    sql, params = counted.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    values = {(i, u, y): Part(i, u, y, _decimal(v), s) for i, u, y, v, s in rows}
    parents = dict(OrgUnit.objects.values_list("id", "parent_id"))
    return Rollup(formulas, reporters, exempt, values, parents)


# --- Inputs, calculations and their parts (the planning office's pages) ---------------


@dataclass
class InputUse:
    """An input as the Inputs and calculations page lists it."""

    input: Input
    reporters: list[OrgUnit]
    feeds: list[str]  # codes of the KPIs calculated from it
    contributions: int


@dataclass
class CalculationRow:
    calculation: Calculation
    numerator: list[Input]
    denominator: list[Input]


def definition_rows(program: Program) -> tuple[list[CalculationRow], list[InputUse]]:
    """The program's calculations (by KPI) and inputs (by code), each with what uses
    it. A fixed number of queries whatever their number."""
    calculations = list(
        Calculation.objects.filter(kpi__program=program)
        .select_related("kpi__task__goal__direction")
        .prefetch_related("numerator", "denominator")
        .order_by("kpi__task__goal__direction__number", "kpi__task__position", "kpi__position")
    )
    feeds: dict[int, set[str]] = {}
    rows = []
    for calculation in calculations:
        numerator = sorted(calculation.numerator.all(), key=lambda i: i.code)
        denominator = sorted(calculation.denominator.all(), key=lambda i: i.code)
        for item in [*numerator, *denominator]:
            feeds.setdefault(item.id, set()).add(calculation.kpi.code)
        rows.append(CalculationRow(calculation, numerator, denominator))
    inputs = (
        Input.objects.filter(program=program)
        .annotate(n=Count("contributions"))
        .prefetch_related("reporters")
        .order_by("code")
    )
    uses = [
        InputUse(
            item,
            _by_name(item.reporters.all()),
            sorted(feeds.get(item.id, ()), key=_code_order),
            item.n,
        )
        for item in inputs
    ]
    return rows, uses


def _by_name(units) -> list[OrgUnit]:
    from kpis.people import sorted_units

    return sorted_units(units)


@dataclass
class PartCell:
    """One unit's part of one input in a year: its state, or that it is exempt."""

    unit: OrgUnit
    state: str  # missing, draft, returned, submitted, approved, exempt; "" = not a reporter
    contribution: Contribution | None = None
    exemption: Exemption | None = None


@dataclass
class PartsRow:
    input: Input
    cells: list[PartCell]


PART_STATES = ("missing", "draft", "returned", "submitted", "approved", "exempt")


def parts_grid(program: Program, year: int) -> tuple[list[OrgUnit], list[PartsRow], dict]:
    """Every input × every reporting unit for `year`: what each unit has entered,
    submitted, had approved, still owes, or is exempt from. Units in tree order; the
    counts of each state. Five queries whatever the number of inputs and units."""
    from kpis.units import unit_tree

    inputs = list(
        Input.objects.filter(program=program).prefetch_related("reporters").order_by("code")
    )
    reporting = {unit.pk for item in inputs for unit in item.reporters.all()}
    columns = [row.unit for row in unit_tree(OrgUnit.objects.all()) if row.unit.pk in reporting]
    contributions = {
        (c.input_id, c.unit_id): c
        for c in Contribution.objects.filter(input__program=program, year=year)
    }
    exemptions = {
        (e.input_id, e.unit_id): e
        for e in Exemption.objects.filter(input__program=program, year=year).select_related(
            "decided_by"
        )
    }
    counts = dict.fromkeys(PART_STATES, 0)
    rows = []
    for item in inputs:
        reporters = {unit.pk for unit in item.reporters.all()}
        cells = []
        for unit in columns:
            if unit.pk not in reporters:
                cells.append(PartCell(unit, ""))
                continue
            key = (item.pk, unit.pk)
            contribution, exemption = contributions.get(key), exemptions.get(key)
            if exemption is not None:
                state = "exempt"
            elif contribution is None or contribution.value is None:
                state = "missing" if contribution is None else contribution.state
            else:
                state = contribution.state
            counts[state] += 1
            cells.append(PartCell(unit, state, contribution, exemption))
        rows.append(PartsRow(item, cells))
    return columns, rows, counts


def exemption_history(program: Program, year: int, limit: int = 50) -> list:
    """The latest exemptions and withdrawals of `year`, newest first, each with who,
    the unit, the input and the reason as recorded. One query."""
    return list(
        Exemption.history.filter(input__program=program, year=year)
        .select_related("history_user", "input", "unit")
        .order_by("-history_date", "-history_id")[:limit]
    )


def contribution_warnings(program: Program, year: int) -> dict[int, str]:
    """What the reviewer should look at among the contributions of `year`, each with a
    sentence: a figure that differs from the same unit's approved figure of the year
    before by more than `settings.CONTRIBUTION_CHANGE_WARNING` per cent (30 by
    default), and a unit whose numerator of a share exceeds its denominator (the
    numerator's contributions are flagged). Warnings, never refusals: the review page
    shows them beside the contribution. Four queries whatever the number of rows."""
    from django.conf import settings

    limit = Decimal(str(settings.CONTRIBUTION_CHANGE_WARNING))
    previous = {
        (c.input_id, c.unit_id): c.value
        for c in Contribution.objects.filter(
            input__program=program,
            year=year - 1,
            state=ActualState.APPROVED,
            value__isnull=False,
        ).only("input_id", "unit_id", "value")
    }
    warnings: dict[int, list[str]] = {}
    current = list(
        Contribution.objects.filter(
            input__program=program, year=year, value__isnull=False
        ).select_related("input")
    )
    for contribution in current:
        before = previous.get((contribution.input_id, contribution.unit_id))
        if before is None:
            continue
        measure = contribution.input.measure
        shown = {
            "previous": measure.display(before),
            "year": year - 1,
            "value": measure.display(contribution.value),
        }
        if before == 0:
            if contribution.value != 0:
                message = _("%(value)s, where the approved figure of %(year)s was 0.")
                warnings.setdefault(contribution.id, []).append(message % shown)
            continue
        change = (contribution.value - before) / before * 100
        if abs(change) > limit:
            shown["change"] = f"{abs(change):.0f}"
            message = (
                _("%(change)s %% more than the approved %(previous)s of %(year)s.")
                if change > 0
                else _("%(change)s %% less than the approved %(previous)s of %(year)s.")
            )
            warnings.setdefault(contribution.id, []).append(message % shown)
    for contribution_id, message in _above_denominator(program, current).items():
        warnings.setdefault(contribution_id, []).append(message)
    return {key: " ".join(messages) for key, messages in warnings.items()}


def _above_denominator(program: Program, current: list[Contribution]) -> dict[int, str]:
    """The numerator contributions of a unit whose share's numerator exceeds its
    denominator in the same year (each side summed over the unit's own figures)."""
    sides: dict[str, dict[str, set[int]]] = {}
    for side in ("numerator", "denominator"):
        links = getattr(Calculation, side).through.objects.filter(calculation__kpi__program=program)
        for code, input_id in links.values_list("calculation__kpi__code", "input_id"):
            sides.setdefault(code, {"numerator": set(), "denominator": set()})[side].add(input_id)
    by_unit: dict[int, dict[int, Contribution]] = {}
    for contribution in current:
        by_unit.setdefault(contribution.unit_id, {})[contribution.input_id] = contribution
    found: dict[int, list[str]] = {}
    for code in sorted(sides, key=_code_order):
        top_inputs, bottom_inputs = sides[code]["numerator"], sides[code]["denominator"]
        if not bottom_inputs:
            continue
        for parts in by_unit.values():
            top = [parts[i] for i in top_inputs if i in parts]
            bottom = [parts[i] for i in bottom_inputs if i in parts]
            if not top or not bottom:
                continue
            above, below = sum(c.value for c in top), sum(c.value for c in bottom)
            if above > below:
                measure = top[0].input.measure
                message = _(
                    "%(code)s: this unit's numerator (%(top)s) is above its denominator "
                    "(%(bottom)s)."
                ) % {"code": code, "top": measure.display(above), "bottom": measure.display(below)}
                for contribution in top:
                    found.setdefault(contribution.id, []).append(message)
    return {key: " ".join(messages) for key, messages in found.items()}
