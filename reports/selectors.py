"""Querysets the reports and dashboards need, built in one place."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from django.db import connection
from django.db.models import Prefetch, Q

from directions.models import Alignment, Direction, Program, TargetIndicator, Task
from kpis.models import PASSPORT_TEXTS, Actual, ActualState, Kpi, OrgUnit, Target
from kpis.reasons import describe
from kpis.rollup import Computed, Rollup
from kpis.selectors import read_rollup
from kpis.status import assess_kpi, is_due


def counted_states(*, include_submitted: bool) -> list[str]:
    states = [ActualState.APPROVED]
    if include_submitted:
        states.append(ActualState.SUBMITTED)
    return states


def program_tree(program: Program) -> list[Direction]:
    """Directions → goals → tasks → KPIs with targets, in a fixed number of queries.

    Each KPI gets `yearly_targets`: its Target (or None) for every program year, in order."""
    kpis = Kpi.objects.select_related("owner").prefetch_related(
        Prefetch("targets", queryset=Target.objects.order_by("year"))
    )
    tasks = Task.objects.order_by("position").prefetch_related(
        Prefetch("kpis", queryset=kpis.order_by("position"))
    )
    directions = list(
        Direction.objects.filter(program=program)
        .order_by("number")
        .prefetch_related(
            "goals",
            Prefetch("goals__tasks", queryset=tasks),
            Prefetch("alignments", queryset=Alignment.objects.select_related("document")),
            Prefetch(
                "target_indicators", queryset=TargetIndicator.objects.select_related("document")
            ),
        )
    )
    for direction in directions:
        for alignment in direction.alignments.all():
            alignment.indicators = [
                i
                for i in direction.target_indicators.all()
                if i.document_id == alignment.document_id
            ]
        for goal in direction.goals.all():
            for task in goal.tasks.all():
                for kpi in task.kpis.all():
                    by_year = {t.year: t for t in kpi.targets.all()}
                    kpi.yearly_targets = [by_year.get(y) for y in program.years]
    return directions


class YearValue(NamedTuple):
    """A target or counted value as the dashboards read it: plain numbers, no model."""

    year: int
    value: Decimal | None
    value2: Decimal | None
    raw_text: str = ""
    state: str = ""
    explanation: str = ""  # why a value misses its target; read only when asked for
    computed: Computed | None = None  # a calculated KPI's parts, beside a value entered
    reason: str = ""  # why the planning office entered a calculated KPI's value


@dataclass
class ProgramValues:
    """The KPIs with their values, and the structure pages list beside them."""

    kpis: list[Kpi]
    directions: list[Direction]
    units: list[OrgUnit]
    rollup: Rollup | None = None  # what the calculated KPIs' values are computed from


def kpis_with_values(program: Program, **options) -> list[Kpi]:
    """The KPIs of `program_values`, for callers that need nothing else."""
    return program_values(program, **options).kpis


def program_values(
    program: Program,
    *,
    include_submitted: bool = False,
    direction: int | None = None,
    unit: str | None = None,
    code: str | None = None,
    with_notes: bool = False,
    with_passport: bool = False,
    with_explanations: bool = False,
) -> ProgramValues:
    """The program's KPIs (optionally of one direction, unit or code) with their task,
    direction and owner, and `yearly_targets` / `yearly_actuals`: year → YearValue of
    the targets and the counted values (with the explanation of a miss when
    `with_explanations`, the passport's texts when `with_passport`). Five queries
    whatever the number of KPIs."""
    where = Q(program=program)
    if direction is not None:
        where &= Q(task__goal__direction__number=direction)
    if unit:
        where &= Q(owner__code=unit)
    if code:
        where &= Q(code=code)
    deferred = [] if with_notes else _LONG_TEXTS
    if with_passport:
        deferred = [name for name in deferred if name not in _PASSPORT_TEXTS]
    kpis = list(Kpi.objects.filter(where).defer(*deferred).order_by())
    # The 17 tasks and the units once each, rather than joined onto every KPI row.
    # No ORDER BY where rows go into dicts: Meta.ordering would join tables only to sort.
    tasks = (
        Task.objects.filter(goal__direction__program=program)
        .select_related("goal__direction")
        .order_by()
    )
    tasks_by_id = {task.id: task for task in tasks}
    unit_list = list(OrgUnit.objects.order_by("name"))
    units = {unit.id: unit for unit in unit_list}
    of_kpis = Q(**{f"kpi__{key}": value for key, value in _lookups(where)})
    targets: dict[int, dict[int, YearValue]] = defaultdict(dict)
    target_rows = (
        Target.objects.filter(of_kpis)
        .order_by()
        .values_list("kpi_id", "year", "value", "value2", "raw_text")
    )
    for kpi_id, year, value, value2, raw in _fetch(target_rows):
        targets[kpi_id][year] = YearValue(year, _decimal(value), _decimal(value2), raw)
    actuals: dict[int, dict[int, YearValue]] = defaultdict(dict)
    # The dashboards never show explanations: their text is read only for the reports.
    fields = ["kpi_id", "year", "value", "value2", "state", "override_reason"]
    actual_rows = (
        Actual.objects.filter(
            of_kpis, state__in=counted_states(include_submitted=include_submitted)
        )
        .order_by()
        .values_list(*fields, *(["explanation"] if with_explanations else []))
    )
    for kpi_id, year, value, value2, state, reason, *rest in _fetch(actual_rows):
        explanation = rest[0] if rest else ""
        actuals[kpi_id][year] = YearValue(
            year,
            _decimal(value),
            _decimal(value2),
            state=state,
            explanation=explanation,
            reason=reason or "",
        )
    rollup = read_rollup(program, include_submitted=include_submitted)
    for kpi in kpis:
        kpi.task = tasks_by_id[kpi.task_id]
        kpi.owner = units.get(kpi.owner_id)
        kpi.yearly_targets = targets[kpi.id]
        kpi.yearly_actuals = with_calculated(kpi, actuals[kpi.id], rollup, program.years)
    # Sorted here: in SQL the order took three joins, a third of the query's time.
    kpis.sort(key=lambda k: (k.task.goal.direction.number, k.task.position, k.position))
    directions = {t.goal.direction.number: t.goal.direction for t in tasks_by_id.values()}
    return ProgramValues(kpis, [directions[n] for n in sorted(directions)], unit_list, rollup)


def kpi_for_page(program: Program, code: str) -> Kpi | None:
    """One KPI with its task, direction, owner and targets, for its page."""
    return (
        Kpi.objects.filter(program=program, code=code)
        .select_related("task__goal__direction", "owner", "program", "calculation")
        .prefetch_related("targets")
        .first()
    )


def with_counted_values(kpi: Kpi, *, include_submitted: bool) -> Kpi:
    """`kpi` (from kpi_for_page) with `yearly_targets` and `yearly_actuals` as
    program_values gives them."""
    kpi.yearly_targets = {
        t.year: YearValue(t.year, t.value, t.value2, t.raw_text) for t in kpi.targets.all()
    }
    actuals = (
        Actual.objects.filter(
            kpi=kpi, state__in=counted_states(include_submitted=include_submitted)
        )
        .order_by()
        .values_list("year", "value", "value2", "state", "override_reason")
    )
    entered = {
        year: YearValue(year, value, value2, state=state, reason=reason)
        for year, value, value2, state, reason in actuals
    }
    rollup = read_rollup(kpi.program, include_submitted=include_submitted, kpis=[kpi.id])
    kpi.yearly_actuals = with_calculated(kpi, entered, rollup, kpi.program.years)
    return kpi


def with_calculated(kpi: Kpi, entered: dict, rollup: Rollup, years: list[int]) -> dict:
    """A KPI's counted value by year: for a calculated KPI, the value computed from its
    parts (kpis.rollup.Computed), or the value the planning office entered instead with
    the computed one beside it (`computed`). `kpi.calculated_from` is its rollup.Formula
    (None for a KPI entered directly)."""
    kpi.calculated_from = rollup.formulas.get(kpi.id)
    if kpi.calculated_from is None:
        return entered
    values = {}
    for year in years:
        computed = rollup.computed(kpi.id, year)
        override = entered.get(year)
        if override is not None:
            values[year] = override._replace(computed=computed)
        elif computed.reported or computed.expected:
            values[year] = computed
    return values


def _lookups(where: Q) -> list[tuple[str, object]]:
    """The (field, value) pairs of a Q made only of ANDed keyword lookups."""
    pairs = []
    for child in where.children:
        if isinstance(child, Q):
            pairs += _lookups(child)
        else:
            pairs.append(child)
    return pairs


def _fetch(queryset) -> list[tuple]:
    """Run the ORM's own SQL but read the rows as plain tuples: for the hundreds of
    targets and values of a dashboard, Django's per-row work cost more than the query."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _decimal(value) -> Decimal | None:
    """SQLite hands decimals back as numbers or text; PostgreSQL as Decimal."""
    if value is None or isinstance(value, Decimal):
        return value
    return Decimal(str(value))


# Long texts that only the KPI page and the reports with passports show.
_PASSPORT_TEXTS = [
    f"{field}{suffix}" for field in PASSPORT_TEXTS for suffix in ("", "_kk", "_ru", "_en")
]
_LONG_TEXTS = [
    f"{field}{suffix}" for field in ("notes", "methodology") for suffix in ("", "_kk", "_ru", "_en")
] + _PASSPORT_TEXTS


@dataclass
class Change:
    """One recorded change of a KPI's target or value: who, when, old → new, why."""

    when: datetime
    who: str
    subject: str  # "target" or "value"
    year: int
    old: str
    new: str
    state: str
    reason: str
    history_id: int
    revertible: bool = False


def kpi_history(kpi: Kpi, user) -> list[Change]:
    """Every change of the KPI's targets and of the values `user` may see, newest first."""
    visible = Actual.objects.visible_to(user).filter(kpi=kpi).values("id")
    target_records = Target.history.filter(kpi_id=kpi.id).select_related("history_user")
    actual_records = Actual.history.filter(kpi_id=kpi.id, id__in=visible).select_related(
        "history_user"
    )
    changes = _changes(kpi, target_records, "target", revertible=True)
    changes += _changes(kpi, actual_records, "value", revertible=False)
    return sorted(changes, key=lambda c: c.when, reverse=True)


def _changes(kpi: Kpi, records, subject: str, *, revertible: bool) -> list[Change]:
    previous: dict[int, object] = {}
    changes = []
    measure = kpi.measure
    show = measure.display_target if subject == "target" else measure.display
    for record in records.order_by("history_date", "history_id"):
        before = previous.get(record.id)
        previous[record.id] = record
        old = show(before.value, before.value2) if before else "—"
        new = show(record.value, record.value2)
        state = getattr(record, "state", "")
        unchanged = before is not None and old == new and getattr(before, "state", "") == state
        if unchanged and not record.history_change_reason:
            continue  # a save that changed only bookkeeping
        user = record.history_user
        changes.append(
            Change(
                when=record.history_date,
                who=(user.get_full_name() or user.username) if user else "—",
                subject=subject,
                year=record.year,
                old=old,
                new=new,
                state=state,
                reason=describe(record.history_change_reason),
                history_id=record.history_id,
                revertible=revertible and before is not None and record.history_type == "~",
            )
        )
    return changes


def kpi_page(kpi: Kpi, user, program: Program) -> dict:
    """Targets, visible values and evidence of one KPI, year by year."""
    targets = {t.year: t for t in kpi.targets.all()}
    actuals = {
        a.year: a
        for a in Actual.objects.visible_to(user)
        .filter(kpi=kpi)
        .select_related("submitted_by", "approved_by")
        .prefetch_related("evidence")
    }
    years = []
    for year in program.years:
        actual = actuals.get(year)
        counted = actual if actual and actual.state == ActualState.APPROVED else None
        assessment = assess_kpi(kpi, targets.get(year), counted, due=is_due(year))
        years.append(
            {"year": year, "target": targets.get(year), "actual": actual, "assessment": assessment}
        )
    return {"year_rows": years}


def entry_states(program: Program, year: int) -> list[tuple[int, str, int]]:
    """(direction number, workflow state, number of values) for a year, in one query."""
    from django.db.models import Count

    rows = (
        Actual.objects.filter(kpi__program=program, year=year)
        .values_list("kpi__task__goal__direction__number", "state")
        .annotate(n=Count("id"))
        .order_by()
    )
    return list(rows)


def latest_year_with_values(program: Program, *, include_submitted: bool = False) -> int:
    """The year the dashboards open on: the latest with counted values, else the first."""
    year = (
        Actual.objects.filter(
            kpi__program=program, state__in=counted_states(include_submitted=include_submitted)
        )
        .order_by("-year")
        .values_list("year", flat=True)
        .first()
    )
    return year or program.start_year


@dataclass
class FreezeSummary:
    """What a report frozen now would hold for a year: the KPIs with a target and no
    counted value (their cells empty), and the values submitted but not approved."""

    year: int
    include_submitted: bool
    with_target: int
    without_value: list[Kpi]
    submitted: int

    @property
    def with_value(self) -> int:
        return self.with_target - len(self.without_value)


def freeze_summary(program: Program, year: int, *, include_submitted: bool) -> FreezeSummary:
    """Counted as the report counts: approved values, and submitted ones when asked."""
    counted = Actual.objects.filter(
        kpi__program=program,
        year=year,
        value__isnull=False,
        state__in=counted_states(include_submitted=include_submitted),
    ).values("kpi_id")
    targeted = Kpi.objects.filter(
        program=program, targets__year=year, targets__value__isnull=False
    ).distinct()
    without_value = list(
        targeted.exclude(id__in=counted)
        .select_related("owner")
        .order_by("task__goal__direction__number", "task__position", "position")
    )
    submitted = Actual.objects.filter(
        kpi__program=program, year=year, state=ActualState.SUBMITTED
    ).count()
    return FreezeSummary(year, include_submitted, targeted.count(), without_value, submitted)
