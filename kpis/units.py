"""The tree of units (university → faculty or institute → department or office), kept
by the planning office on the People pages and in the administration.

Both go through here: `unit_problems` gives every rule a unit breaks, by field, all at
once (a form shows them beside its own), `save_unit` and `delete_unit` check them again
inside the transaction, with the rows locked, and record the change in Django's admin
log, as kpis/people.py does for people."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from kpis import roles
from kpis.models import OrgUnit, OrgUnitKind

# The kinds a unit of each kind may be part of; a university is part of nothing.
ALLOWED_PARENTS = {
    OrgUnitKind.UNIVERSITY: (),
    OrgUnitKind.FACULTY: (OrgUnitKind.UNIVERSITY,),
    OrgUnitKind.DEPARTMENT: (OrgUnitKind.UNIVERSITY, OrgUnitKind.FACULTY),
    OrgUnitKind.OFFICE: (OrgUnitKind.UNIVERSITY, OrgUnitKind.FACULTY),
}
# The kinds that hold other units.
HOLDERS = (OrgUnitKind.UNIVERSITY, OrgUnitKind.FACULTY)
EDITABLE = ("code", "name_kk", "name_ru", "name_en", "kind", "parent")


@dataclass
class UnitData:
    """What the planning office typed about a unit."""

    code: str
    name_kk: str
    name_ru: str
    name_en: str
    kind: str
    parent: OrgUnit | None


def unit_problems(data: UnitData, unit: OrgUnit | None = None) -> dict[str, list[str]]:
    """Every rule `data` breaks, by field; empty when it may be saved. `unit` is the
    unit being changed (None for a new one)."""
    found: dict[str, list[str]] = {}

    def refuse(name: str, message: str) -> None:
        found.setdefault(name, []).append(message)

    code = data.code.strip()
    if not code:
        refuse("code", _("Type a code: Latin letters, digits and hyphens, e.g. fac-energy."))
    else:
        others = OrgUnit.objects.filter(code=code)
        if unit is not None and unit.pk:
            others = others.exclude(pk=unit.pk)
        if others.exists():
            refuse("code", _("The code %(code)s is taken by another unit.") % {"code": code})
    if not data.name_kk.strip():
        refuse("name_kk", _("Type the unit's name in Kazakh."))
    if data.kind not in OrgUnitKind.values:
        refuse("kind", _("Choose what kind of unit it is."))
        return found
    allowed = ALLOWED_PARENTS[OrgUnitKind(data.kind)]
    parent = data.parent
    if parent is not None:
        if unit is not None and unit.pk and unit.pk in ancestors_of(parent):
            refuse(
                "parent",
                _("%(unit)s cannot be part of %(parent)s: %(parent)s is part of %(unit)s.")
                % {"unit": unit, "parent": parent},
            )
        elif not allowed:
            refuse("parent", _("A university is part of no other unit: leave this empty."))
        elif parent.kind not in allowed:
            refuse(
                "parent",
                _("A %(kind)s is part of a %(allowed)s, not of a %(parent_kind)s.")
                % {
                    "kind": OrgUnitKind(data.kind).label,
                    "allowed": _(" or a ").join(str(OrgUnitKind(k).label) for k in allowed),
                    "parent_kind": OrgUnitKind(parent.kind).label,
                },
            )
    if unit is not None and unit.pk:
        misplaced = [
            child
            for child in unit.children.all()
            if data.kind not in ALLOWED_PARENTS[OrgUnitKind(child.kind)]
        ]
        if misplaced:
            refuse(
                "kind",
                _("A %(kind)s cannot hold %(children)s: move them to another unit first.")
                % {
                    "kind": OrgUnitKind(data.kind).label,
                    "children": ", ".join(str(child) for child in misplaced),
                },
            )
    return found


def ancestors_of(unit: OrgUnit) -> list[int]:
    """`unit`'s id and the ids of every unit above it, nearest first. Stops at a loop
    (which the rules never let in) rather than running for ever."""
    parents = dict(OrgUnit.objects.values_list("id", "parent_id"))
    chain, current = [], unit.pk
    while current is not None and current not in chain:
        chain.append(current)
        current = parents.get(current)
    return chain


@transaction.atomic
def save_unit(*, actor, data: UnitData, unit: OrgUnit | None = None) -> OrgUnit:
    """Create a unit (`unit` None) or change one: its code, names, kind and place in
    the tree. Refused with every problem at once when a rule is broken."""
    _require_planner(actor)
    # Every unit locked: two planners moving units at once could otherwise build a loop.
    list(OrgUnit.objects.select_for_update().order_by("pk").values_list("pk"))
    if unit is not None:
        unit = OrgUnit.objects.get(pk=unit.pk)
    errors = unit_problems(data, unit)
    if errors:
        raise ValidationError(errors)
    new = unit is None
    unit = unit or OrgUnit()
    before = {name: getattr(unit, name) for name in EDITABLE}
    unit.code = data.code.strip()
    unit.name_kk = data.name_kk.strip()
    unit.name_ru = data.name_ru.strip()
    unit.name_en = data.name_en.strip()
    unit.kind = data.kind
    unit.parent = data.parent
    unit.full_clean(exclude=["heads"])
    changed = [name for name in EDITABLE if getattr(unit, name) != before[name]]
    if not new and not changed:
        return unit
    unit.save()
    message = [{"added": {}}] if new else [{"changed": {"fields": changed}}]
    _log(actor, unit, ADDITION if new else CHANGE, message)
    return unit


def delete_problems(unit: OrgUnit) -> list[str]:
    """Why `unit` cannot be deleted; empty when it can."""
    found = []
    contributions = unit.contributions.count()
    if contributions:
        found.append(
            _(
                "%(unit)s has %(n)s contributions to inputs: they and their history would "
                "be lost. It cannot be deleted."
            )
            % {"unit": unit, "n": contributions}
        )
    children = list(unit.children.all())
    if children:
        found.append(
            _("%(unit)s holds other units (%(children)s): move or delete them first.")
            % {"unit": unit, "children": ", ".join(str(child) for child in children)}
        )
    kpis = unit.kpis.count()
    if kpis:
        found.append(
            _("%(unit)s is responsible for %(n)s KPIs: give them to another unit first.")
            % {"unit": unit, "n": kpis}
        )
    return found


@transaction.atomic
def delete_unit(*, actor, unit: OrgUnit) -> None:
    """Delete a unit that nothing depends on; refused, saying why, otherwise."""
    _require_planner(actor)
    unit = OrgUnit.objects.select_for_update().get(pk=unit.pk)
    problems = delete_problems(unit)
    if problems:
        raise ValidationError(problems)
    _log(actor, unit, DELETION, [{"deleted": {}}])
    unit.delete()


@dataclass
class TreeRow:
    """A unit in the tree as a page lists it: under its parent, indented by depth."""

    unit: OrgUnit
    depth: int
    kpi_count: int = 0


def unit_tree(units=None) -> list[TreeRow]:
    """Every unit, each right under the unit it is part of, siblings by name in the
    reader's language. Two queries whatever the number of units."""
    from kpis.people import sort_key

    if units is None:
        units = OrgUnit.objects.annotate(kpi_count=Count("kpis"))
    units = list(units)
    ids = {unit.pk for unit in units}
    children: dict[int | None, list[OrgUnit]] = {}
    for unit in units:
        parent = unit.parent_id if unit.parent_id in ids else None
        children.setdefault(parent, []).append(unit)
    rows: list[TreeRow] = []
    seen: set[int] = set()

    def visit(parent: int | None, depth: int) -> None:
        for unit in sorted(children.get(parent, ()), key=lambda u: sort_key(str(u))):
            if unit.pk in seen:
                continue
            seen.add(unit.pk)
            rows.append(TreeRow(unit, depth, getattr(unit, "kpi_count", 0)))
            visit(unit.pk, depth + 1)

    visit(None, 0)
    return rows


def parent_choices(unit: OrgUnit | None = None) -> list[tuple[int, str]]:
    """The units a unit may be placed under, as an indented list; never itself or a
    unit below it."""
    below = set()
    rows = unit_tree(OrgUnit.objects.all())
    if unit is not None and unit.pk:
        inside = False
        depth = 0
        for row in rows:
            if row.unit.pk == unit.pk:
                inside, depth = True, row.depth
                below.add(row.unit.pk)
                continue
            if inside and row.depth > depth:
                below.add(row.unit.pk)
            else:
                inside = False
    current = unit.parent_id if unit is not None else None
    # Its present parent is always offered, so that saving another change never moves
    # the unit by itself (the rules then say if that parent no longer fits).
    return [
        (row.unit.pk, "\u2003" * row.depth + str(row.unit))
        for row in rows
        if row.unit.pk == current or (row.unit.pk not in below and row.unit.kind in HOLDERS)
    ]


def _require_planner(user) -> None:
    if not roles.is_planner(user):
        raise PermissionDenied(_("Only the planning office may do this."))


def _log(actor, unit: OrgUnit, flag: int, message: list[dict]) -> None:
    LogEntry.objects.log_actions(actor.pk, [unit], flag, message, single_object=True)
