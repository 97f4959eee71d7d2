"""Inputs and calculations: what a calculated KPI is computed from.

`fixtures/definitions_proposed.json` proposes them for the shares whose names state
their numerator and denominator (kept apart from the program: `load_program` never
reads it). `load_definitions` adds what the database lacks, marked proposed, and
never changes what is there: a record the planning office edited stays as it is and
the difference is reported. The planning office then confirms, edits or discards each
one here (the Inputs and calculations pages, kpis/definition_views.py).

Every function that writes checks that the actor is the planning office and runs in
one transaction. Inputs keep their history (django-simple-history); a calculation's
changes are recorded in the admin's log, as units' are."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from directions.models import Program
from kpis import roles
from kpis.measures import Unit
from kpis.models import Calculation, Input, Kpi, OrgUnit
from kpis.reasons import Reason, recorded

DEFINITIONS_FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "definitions_proposed.json"
LANGUAGES = ("kk", "ru", "en")
# What an input may count: people, things, money. A share is what a calculation makes.
INPUT_UNITS = (Unit.PERSONS, Unit.COUNT, Unit.MONEY)
# What a calculated KPI may be: a share of two sums, or a sum of whole things.
SHARE_UNITS = (Unit.PERCENT,)
SUM_UNITS = (Unit.PERSONS, Unit.COUNT)


class DefinitionsError(Exception):
    """The definitions file cannot be read as definitions; the message says why."""


def read_definitions(path: str | Path = DEFINITIONS_FIXTURE) -> dict:
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    if not isinstance(data, dict) or not isinstance(data.get("inputs"), list):
        raise DefinitionsError(f"{path}: expected an object with 'inputs' and 'calculations'")
    return data


@dataclass
class LoadReport:
    created_inputs: list[str] = field(default_factory=list)
    created_calculations: list[str] = field(default_factory=list)
    differing: list[str] = field(default_factory=list)  # kept as the database has it
    skipped: list[str] = field(default_factory=list)  # the file's own problems

    @property
    def changed_anything(self) -> bool:
        return bool(self.created_inputs or self.created_calculations)


@transaction.atomic
def load_definitions(program: Program, data: dict, *, user=None) -> LoadReport:
    """Add the file's inputs and calculations the program lacks, marked proposed.
    Idempotent; never changes an existing input or calculation (their differences from
    the file are reported)."""
    report = LoadReport()
    inputs = {i.code: i for i in Input.objects.select_for_update().filter(program=program)}
    for row in data.get("inputs", []):
        code, names, unit = row["code"], row.get("name", {}), row.get("unit", Unit.PERSONS)
        if unit not in INPUT_UNITS:
            report.skipped.append(f"input {code}: unit {unit!r} is not a count or an amount")
            continue
        existing = inputs.get(code)
        if existing is None:
            item = Input(program=program, code=code, unit=unit, proposed=True)
            for language in LANGUAGES:
                setattr(item, f"name_{language}", names.get(language, ""))
            item._history_user = user
            item._change_reason = recorded(Reason.DEFINITIONS)
            item.full_clean(exclude=["program"])
            item.save()
            inputs[code] = item
            report.created_inputs.append(code)
            continue
        for language in LANGUAGES:
            stored = getattr(existing, f"name_{language}") or ""
            wanted = names.get(language, "")
            if wanted and stored != wanted:
                report.differing.append(
                    f"input {code}: name ({language}) is {stored!r}, the file has {wanted!r}"
                )
        if existing.unit != unit:
            report.differing.append(
                f"input {code}: unit is {existing.unit!r}, the file has {unit!r}"
            )
    kpis = {k.code: k for k in Kpi.objects.filter(program=program)}
    calculations = {
        c.kpi.code: c
        for c in Calculation.objects.filter(kpi__program=program)
        .select_related("kpi")
        .prefetch_related("numerator", "denominator")
    }
    for row in data.get("calculations", []):
        code = row["kpi"]
        kpi = kpis.get(code)
        sides = {side: list(row.get(side, [])) for side in ("numerator", "denominator")}
        unknown = [c for side in sides.values() for c in side if c not in inputs]
        if kpi is None or unknown:
            what = f"no KPI {code}" if kpi is None else f"unknown inputs {', '.join(unknown)}"
            report.skipped.append(f"calculation {code}: {what}")
            continue
        existing = calculations.get(code)
        if existing is not None:
            for side, codes in sides.items():
                stored = sorted(i.code for i in getattr(existing, side).all())
                if stored != sorted(codes):
                    report.differing.append(
                        f"calculation {code}: {side} is {', '.join(stored) or '—'}, "
                        f"the file has {', '.join(sorted(codes)) or '—'}"
                    )
            continue
        problems = formula_problems(
            kpi, [inputs[c] for c in sides["numerator"]], [inputs[c] for c in sides["denominator"]]
        )
        if problems:
            report.skipped.append(f"calculation {code}: {' '.join(problems)}")
            continue
        calculation = Calculation.objects.create(kpi=kpi, proposed=True)
        calculation.numerator.set([inputs[c] for c in sides["numerator"]])
        calculation.denominator.set([inputs[c] for c in sides["denominator"]])
        report.created_calculations.append(code)
    return report


@dataclass
class DiscardReport:
    calculations: list[str] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)


@transaction.atomic
def discard_proposed(program: Program, *, user=None) -> DiscardReport:
    """Remove the proposed (not confirmed) calculations and inputs nobody has reported:
    a proposed calculation stays while units have contributed to its inputs, a proposed
    input while it has contributions or a calculation that stays uses it."""
    report = DiscardReport()
    reported = set(
        Input.objects.filter(program=program)
        .annotate(n=Count("contributions"))
        .filter(n__gt=0)
        .values_list("id", flat=True)
    )
    for calculation in (
        Calculation.objects.filter(kpi__program=program, proposed=True)
        .select_related("kpi")
        .prefetch_related("numerator", "denominator")
        .order_by("kpi__code")
    ):
        used = {i.id for i in calculation.numerator.all()} | {
            i.id for i in calculation.denominator.all()
        }
        if used & reported:
            report.kept.append(f"calculation {calculation.kpi.code}: its inputs have contributions")
            continue
        report.calculations.append(calculation.kpi.code)
        calculation.delete()
    for item in Input.objects.filter(program=program, proposed=True).order_by("code"):
        if item.id in reported:
            report.kept.append(f"input {item.code}: it has contributions")
        elif item.numerator_of.exists() or item.denominator_of.exists():
            report.kept.append(f"input {item.code}: a calculation uses it")
        else:
            report.inputs.append(item.code)
            item._history_user = user
            item._change_reason = recorded(Reason.DEFINITIONS_DISCARDED)
            item.delete()
    return report


# --- The planning office's pages -------------------------------------------------------


def formula_problems(kpi: Kpi, numerator: list[Input], denominator: list[Input]) -> list[str]:
    """Every reason the formula cannot calculate `kpi`, all at once."""
    found = []
    if not numerator:
        found.append(_("Choose at least one input for the numerator."))
    both = {i.pk for i in numerator} & {i.pk for i in denominator}
    if both:
        found.append(_("An input cannot be both in the numerator and in the denominator."))
    if denominator:
        if kpi.unit not in SHARE_UNITS:
            found.append(
                _("%(code)s is measured in %(unit)s, not as a share: it cannot have a denominator.")
                % {"code": kpi.code, "unit": kpi.get_unit_display()}
            )
        units = {i.unit for i in [*numerator, *denominator]}
        if len(units) > 1:
            found.append(
                _(
                    "The numerator and the denominator must count the same thing "
                    "(persons with persons, money with money)."
                )
            )
    elif kpi.unit not in SUM_UNITS:
        found.append(
            _(
                "%(code)s is measured in %(unit)s: calculate it as a share (give a "
                "denominator) or enter it directly."
            )
            % {"code": kpi.code, "unit": kpi.get_unit_display()}
        )
    elif any(i.unit == Unit.MONEY for i in numerator):
        found.append(_("A count of persons or things cannot add up amounts of money."))
    return found


@dataclass
class InputData:
    code: str
    name_kk: str
    name_ru: str
    name_en: str
    unit: str
    reporters: list[OrgUnit]


def input_problems(program: Program, data: InputData, item: Input | None = None) -> dict:
    """Every rule `data` breaks, by field; empty when it may be saved."""
    found: dict[str, list[str]] = {}
    code = data.code.strip()
    others = Input.objects.filter(program=program, code=code)
    if item is not None:
        others = others.exclude(pk=item.pk)
    if not code:
        found["code"] = [_("Type a code: Latin letters, digits and hyphens.")]
    elif others.exists():
        found["code"] = [_("The code %(code)s is taken by another input.") % {"code": code}]
    if not data.name_kk.strip():
        found["name_kk"] = [_("Type the input's name in Kazakh.")]
    if data.unit not in INPUT_UNITS:
        found["unit"] = [_("An input counts persons, things or money.")]
    elif item is not None and item.unit != data.unit and item.contributions.exists():
        found["unit"] = [
            _(
                "Units have already reported this input in %(unit)s: its unit of measure "
                "cannot change."
            )
            % {"unit": item.get_unit_display()}
        ]
    return found


@transaction.atomic
def save_input(*, actor, program: Program, data: InputData, item: Input | None = None) -> Input:
    """Create or change an input: its code, names, unit and the units that report it."""
    _require_planner(actor)
    if item is not None:
        item = Input.objects.select_for_update().get(pk=item.pk)
    errors = input_problems(program, data, item)
    if errors:
        raise ValidationError(errors)
    item = item or Input(program=program)
    item.code = data.code.strip()
    for language in LANGUAGES:
        setattr(item, f"name_{language}", getattr(data, f"name_{language}").strip())
    item.unit = data.unit
    item._history_user = actor
    item._change_reason = recorded(Reason.DEFINITION_EDITED)
    item.full_clean(exclude=["program"])
    item.save()
    item.reporters.set(data.reporters)
    return item


@transaction.atomic
def save_calculation(
    *, actor, kpi: Kpi, numerator: list[Input], denominator: list[Input]
) -> Calculation:
    """Make `kpi` calculated from these inputs, or change its formula."""
    _require_planner(actor)
    problems = formula_problems(kpi, numerator, denominator)
    if problems:
        raise ValidationError(problems)
    calculation, created = Calculation.objects.select_for_update().get_or_create(kpi=kpi)
    calculation.numerator.set(numerator)
    calculation.denominator.set(denominator)
    _log(actor, calculation, ADDITION if created else CHANGE)
    return calculation


@transaction.atomic
def confirm(*, actor, obj: Input | Calculation) -> None:
    """The planning office takes a proposed input or calculation as its own."""
    _require_planner(actor)
    obj = type(obj).objects.select_for_update().get(pk=obj.pk)
    if not obj.proposed:
        return
    obj.proposed = False
    if isinstance(obj, Input):
        obj._history_user = actor
        obj._change_reason = recorded(Reason.DEFINITION_CONFIRMED)
        obj.save()
    else:
        obj.save(update_fields=["proposed"])
        _log(actor, obj, CHANGE)


def discard_problems(obj: Input | Calculation) -> list[str]:
    if isinstance(obj, Calculation):
        return []  # the KPI is entered directly again; the inputs stay
    found = []
    n = obj.contributions.count()
    if n:
        found.append(
            _("Units have reported %(input)s %(n)s times: it cannot be discarded.")
            % {"input": obj, "n": n}
        )
    kpis = sorted(
        {c.kpi.code for c in obj.numerator_of.select_related("kpi")}
        | {c.kpi.code for c in obj.denominator_of.select_related("kpi")}
    )
    if kpis:
        found.append(
            _("%(input)s is used to calculate %(kpis)s: change or discard those first.")
            % {"input": obj, "kpis": ", ".join(kpis)}
        )
    return found


@transaction.atomic
def discard(*, actor, obj: Input | Calculation) -> None:
    """Remove an input nothing uses, or a calculation (its KPI is entered again)."""
    _require_planner(actor)
    obj = type(obj).objects.select_for_update().get(pk=obj.pk)
    problems = discard_problems(obj)
    if problems:
        raise ValidationError(problems)
    if isinstance(obj, Input):
        obj._history_user = actor
        obj._change_reason = recorded(Reason.DEFINITIONS_DISCARDED)
    else:
        _log(actor, obj, DELETION)
    obj.delete()


def _require_planner(user) -> None:
    if not roles.is_planner(user):
        raise PermissionDenied(_("Only the planning office may do this."))


def _log(actor, calculation: Calculation, flag: int) -> None:
    message = [{"added": {}}] if flag == ADDITION else [{"changed": {"fields": ["formula"]}}]
    if flag == DELETION:
        message = [{"deleted": {}}]
    LogEntry.objects.log_actions(actor.pk, [calculation], flag, message, single_object=True)
