"""People: accounts, their roles and the units they head, kept by the planning office.

Every function checks that the acting user is the planning office; every write runs in
one transaction, full_clean()s what it saves and records what it changed in Django's
admin log (LogEntry), so the admin's history of a user tells the same story as the
person's page. Roles are the three groups of kpis/roles.py: a person's role is read
from the permissions they hold, and given by membership of the role's group.

Nobody is ever deleted: values, reviews and history point at people. A person who
leaves is deactivated, which ends their open sessions at once."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from importlib import import_module

from django.conf import settings
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import Group, Permission, User
from django.contrib.auth.password_validation import validate_password
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Prefetch, QuerySet
from django.utils import timezone
from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kpis import roles
from kpis.context_processors import forget_role
from kpis.models import OrgUnit

ROLES = (roles.PLANNING_OFFICE, roles.DEPARTMENT_HEAD, roles.RECTORS_OFFICE)
NO_ROLE = "none"

# The permission that tells each role apart, strongest first (see kpis/roles.py).
_ROLE_BY_PERMISSION = (
    ("approve_actual", roles.PLANNING_OFFICE),
    ("enter_actual", roles.DEPARTMENT_HEAD),
    ("view_kpi", roles.RECTORS_OFFICE),
)

# What the admin's history shows for each changed field. Its messages are stored
# untranslated and translated when read: Django's catalog has its own field names,
# ours has the rest.
_FIELD_NAMES = {
    "first_name": "first name",
    "last_name": "last name",
    "email": "email address",
    "is_active": "active",
    "password": "password",
    "role": gettext_noop("role"),
    "units": gettext_noop("units headed"),
    "heads": gettext_noop("heads"),
}
_UNIT_NAME = gettext_noop("headed unit")
_HEAD_NAME = gettext_noop("head")


# --- Reading -----------------------------------------------------------------------


def role_of(user: User) -> str | None:
    """The person's role, from the permissions their groups and they themselves hold.

    Unlike roles.is_planner() it ignores whether the account is active, so a
    deactivated person is listed with the role they had. Reads what
    `with_roles()` prefetched."""
    if user.is_superuser:
        return roles.PLANNING_OFFICE
    held = {p.codename for group in user.groups.all() for p in group.permissions.all()}
    held |= {p.codename for p in user.user_permissions.all()}
    return next((role for perm, role in _ROLE_BY_PERMISSION if perm in held), None)


def role_label(role: str | None) -> str:
    if role is None or role == NO_ROLE:
        return _("No role")
    return str(roles.ROLE_LABELS[role])


def with_roles(users: QuerySet[User]) -> QuerySet[User]:
    """`users` with what role_of() and the units they head need, in four more queries."""
    role_permissions = Permission.objects.filter(
        content_type__app_label="kpis", codename__in=[p for p, _role in _ROLE_BY_PERMISSION]
    )
    return users.prefetch_related(
        Prefetch(
            "groups",
            queryset=Group.objects.prefetch_related(
                Prefetch("permissions", queryset=role_permissions)
            ),
        ),
        Prefetch("user_permissions", queryset=role_permissions),
        Prefetch("headed_units", queryset=OrgUnit.objects.all()),
    )


@dataclass
class Person:
    """One account as the People page shows it."""

    user: User
    role: str | None
    units: list[OrgUnit]

    @property
    def role_label(self) -> str:
        return role_label(self.role)

    @property
    def heads_no_unit(self) -> bool:
        """A department head with no unit can enter nothing."""
        return self.user.is_active and self.role == roles.DEPARTMENT_HEAD and not self.units

    def matches(self, words: list[str]) -> bool:
        user = self.user
        text = " ".join([user.first_name, user.last_name, user.username, user.email]).casefold()
        return all(word in text for word in words)


def people(*, actor: User) -> list[Person]:
    """Every account with its role and units, sorted by name. A fixed number of
    queries whatever the number of people."""
    _require_planner(actor)
    rows = [
        Person(user, role_of(user), sorted_units(user.headed_units.all()))
        for user in with_roles(User.objects.all())
    ]
    return sorted(rows, key=lambda p: _name_key(p.user))


def filter_people(
    rows: list[Person], *, role: str = "", active: bool | None = None, search: str = ""
) -> list[Person]:
    """The rows a filter keeps. Compared in Python, not SQL: SQLite folds the case of
    Latin letters only, and names here are Kazakh and Russian."""
    words = search.casefold().split()
    return [
        row
        for row in rows
        if (not role or (row.role or NO_ROLE) == role)
        and (active is None or row.user.is_active == active)
        and row.matches(words)
    ]


@dataclass
class UnitHeads:
    """A unit with its heads, as the People page and the unit's page show it."""

    unit: OrgUnit
    heads: list[User]
    kpi_count: int = 0
    depth: int = 0  # how far down the tree of units: 0 for the university
    input_count: int = 0  # inputs it reports

    @property
    def active_heads(self) -> list[User]:
        return [head for head in self.heads if head.is_active]

    @property
    def has_no_head(self) -> bool:
        """Nobody can enter this unit's values (its heads, if any, are deactivated).
        A unit with no KPI and no input to report (the university, a faculty whose
        departments report) has nothing to enter."""
        return not self.active_heads and bool(self.kpi_count or self.input_count)


def units_with_heads(*, actor: User) -> list[UnitHeads]:
    _require_planner(actor)
    from kpis.units import unit_tree

    units = OrgUnit.objects.annotate(
        kpi_count=Count("kpis", distinct=True),
        input_count=Count("reported_inputs", distinct=True),
    ).prefetch_related(Prefetch("heads", queryset=User.objects.all()))
    # Each unit under the unit it is part of, siblings by name.
    return [
        UnitHeads(
            row.unit,
            sorted(row.unit.heads.all(), key=_name_key),
            row.kpi_count,
            row.depth,
            row.unit.input_count,
        )
        for row in unit_tree(units)
    ]


def unit_heads(*, actor: User, unit: OrgUnit) -> UnitHeads:
    _require_planner(actor)
    heads = sorted(unit.heads.all(), key=_name_key)
    return UnitHeads(unit, heads, unit.kpis.count(), input_count=unit.reported_inputs.count())


def department_heads(*, actor: User, include: list[User] = ()) -> list[User]:
    """Active department heads (and `include`, whoever they are), by name: who may head a unit."""
    _require_planner(actor)
    chosen = {user.pk for user in include}
    users = with_roles(User.objects.filter(is_active=True) | User.objects.filter(pk__in=chosen))
    return sorted(
        (u for u in users if role_of(u) == roles.DEPARTMENT_HEAD or u.pk in chosen),
        key=_name_key,
    )


@dataclass
class Change:
    """One recorded change of a person, told in the reader's language."""

    when: datetime
    who: User
    lines: list[str]


def recent_changes(*, actor: User, person: User, limit: int = 10) -> list[Change]:
    """The last changes recorded for `person`, here or in the admin."""
    _require_planner(actor)
    entries = list(
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(User), object_id=str(person.pk)
        )
        .select_related("user")
        .order_by("-action_time", "-id")[:limit]
    )
    details = [_detail(entry) for entry in entries]
    unit_ids = {
        pk for d in details for key in ("units_added", "units_removed") for pk, _ in d.get(key, [])
    }
    names = {unit.pk: str(unit) for unit in OrgUnit.objects.filter(pk__in=unit_ids)}
    return [
        Change(entry.action_time, entry.user, _describe(entry, detail, names))
        for entry, detail in zip(entries, details, strict=True)
    ]


# --- Checking ----------------------------------------------------------------------


@dataclass
class PersonData:
    """What the planning office typed about a person."""

    first_name: str
    last_name: str
    email: str
    role: str
    units: list[OrgUnit] = field(default_factory=list)


def problems(
    *, actor: User, data: PersonData, person: User | None = None, username: str | None = None
) -> dict[str, list[str]]:
    """Everything wrong with saving `data` (for a new person when `person` is None),
    by field, all at once. Empty when it may be saved."""
    _require_planner(actor)
    found: dict[str, list[str]] = {}

    def refuse(name: str, message: str) -> None:
        found.setdefault(name, []).append(message)

    others = User.objects.exclude(pk=person.pk) if person else User.objects.all()
    if person is None:
        wanted = (username or "").strip().casefold()
        if not wanted:
            refuse("username", _("Type a username."))
        elif any(name.casefold() == wanted for name in others.values_list("username", flat=True)):
            refuse(
                "username",
                _(
                    "The username %(username)s is taken (usernames are compared "
                    "ignoring capital letters). Choose another."
                )
                % {"username": username.strip()},
            )
    email = data.email.strip().casefold()
    if not email:
        refuse("email", _("Type an e-mail address."))
    else:
        holder = next(
            (
                u
                for u in others.only("username", "first_name", "last_name", "email")
                if u.email.strip().casefold() == email
            ),
            None,
        )
        if holder is not None:
            refuse(
                "email",
                _("%(email)s is already the e-mail of %(name)s.")
                % {"email": data.email.strip(), "name": full_name(holder)},
            )
    for name in ("first_name", "last_name"):
        if not getattr(data, name).strip():
            refuse(name, _("Type the name."))
    if data.role not in ROLES:
        refuse("role", _("Choose one of the three roles."))
    current_role = role_of(person) if person else None
    if person is not None and data.role != current_role:
        if person.is_superuser:
            refuse(
                "role",
                _("%(name)s is a superuser: their role cannot be changed here.")
                % {"name": full_name(person)},
            )
        elif person.pk == actor.pk:
            refuse(
                "role",
                _(
                    "You cannot take away your own planning-office role: the office could "
                    "lock itself out. Ask another planner to do it."
                ),
            )
    headed = set(person.headed_units.all()) if person else set()
    new_units = [unit for unit in data.units if unit not in headed]
    if data.role != roles.DEPARTMENT_HEAD and new_units:
        refuse(
            "units",
            _(
                "Only a department head can head a unit. Choose the role “Department "
                "head”, or clear the units: %(units)s."
            )
            % {"units": ", ".join(str(unit) for unit in new_units)},
        )
    return found


# --- Writing -----------------------------------------------------------------------


@transaction.atomic
def create_person(*, actor: User, username: str, data: PersonData, password: str) -> User:
    """A new account with its role and units; `password` is the first one, which the
    person then changes."""
    errors = problems(actor=actor, data=data, username=username)
    person = User(
        username=username.strip(),
        first_name=data.first_name.strip(),
        last_name=data.last_name.strip(),
        email=data.email.strip(),
        is_staff=data.role == roles.PLANNING_OFFICE,  # the planning office uses the admin
        is_active=True,
    )
    try:
        validate_password(password, person)
    except ValidationError as exc:
        errors.setdefault("password", []).extend(exc.messages)
    if errors:
        raise ValidationError(errors)
    person.set_password(password)
    person.full_clean()
    person.save()
    _give_role(person, data.role)
    units = sorted_units(data.units) if data.role == roles.DEPARTMENT_HEAD else []
    person.headed_units.set(units)
    _log(
        actor,
        person,
        ADDITION,
        [{"added": {}}, *_unit_messages(units, [])],
        {"created": data.role, "units_added": _unit_refs(units)},
    )
    return person


@dataclass
class Saved:
    """What update_person() changed."""

    person: User
    changed: list[str]  # field names
    units_added: list[OrgUnit]
    units_removed: list[OrgUnit]


@transaction.atomic
def update_person(*, actor: User, person: User, data: PersonData) -> Saved:
    """Change a person's names, e-mail, role and units. A person who stops being a
    department head stops heading their units."""
    _require_planner(actor)
    person = with_roles(User.objects.select_for_update().filter(pk=person.pk)).get()
    errors = problems(actor=actor, data=data, person=person)
    if errors:
        raise ValidationError(errors)
    old_role = role_of(person)
    changed = [
        name
        for name in ("first_name", "last_name", "email")
        if getattr(person, name) != getattr(data, name).strip()
    ]
    for name in changed:
        setattr(person, name, getattr(data, name).strip())
    if not person.is_superuser:
        person.is_staff = data.role == roles.PLANNING_OFFICE
    person.full_clean()
    person.save()
    if data.role != old_role:
        _give_role(person, data.role)
        changed.append("role")
    before = set(person.headed_units.all())
    after = set(data.units) if data.role == roles.DEPARTMENT_HEAD else set()
    added, removed = sorted_units(after - before), sorted_units(before - after)
    if added or removed:
        person.headed_units.set(after)
        changed.append("units")
    if changed:
        detail = {
            "fields": [name for name in changed if name not in ("role", "units")],
            "units_added": _unit_refs(added),
            "units_removed": _unit_refs(removed),
        }
        if "role" in changed:
            detail["role"] = [old_role, data.role]
        admin_message = [
            {"changed": {"fields": [_FIELD_NAMES[name] for name in changed]}},
            *_unit_messages(added, removed),
        ]
        _log(actor, person, CHANGE, admin_message, detail)
    return Saved(person, changed, added, removed)


@transaction.atomic
def set_active(*, actor: User, person: User, active: bool) -> int:
    """Deactivate (ending every open session of the person at once) or reactivate an
    account. Returns how many sessions were ended."""
    _require_planner(actor)
    person = User.objects.select_for_update().get(pk=person.pk)
    if not active and person.pk == actor.pk:
        raise ValidationError(
            _("You cannot deactivate yourself: the office could lock itself out.")
        )
    if not active and person.is_superuser:
        raise ValidationError(
            _("%(name)s is a superuser and cannot be deactivated here.")
            % {"name": full_name(person)}
        )
    if person.is_active == active:
        return 0
    person.is_active = active
    person.full_clean()
    person.save(update_fields=["is_active"])
    ended = 0 if active else end_sessions(person)
    _log(
        actor,
        person,
        CHANGE,
        [{"changed": {"fields": [_FIELD_NAMES["is_active"]]}}],
        {"active": active, "sessions_ended": ended},
    )
    return ended


@transaction.atomic
def set_password(*, actor: User, person: User, password: str) -> None:
    """A new password typed by the planning office, for a person who forgot theirs.
    Their open sessions end (Django checks the password with every request)."""
    _require_planner(actor)
    person = User.objects.select_for_update().get(pk=person.pk)
    if person.is_superuser:
        raise ValidationError(
            _("%(name)s is a superuser: their password cannot be set here.")
            % {"name": full_name(person)}
        )
    try:
        validate_password(password, person)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    person.set_password(password)
    person.full_clean()
    person.save()
    _log(
        actor,
        person,
        CHANGE,
        [{"changed": {"fields": [_FIELD_NAMES["password"]]}}],
        {"password": True},
    )


def record_own_password_change(*, person: User) -> None:
    """Record that a person changed their own password, so the planning office sees
    that a first password it handed over was replaced."""
    _log(
        person,
        person,
        CHANGE,
        [{"changed": {"fields": [_FIELD_NAMES["password"]]}}],
        {"password": "own"},
    )


@transaction.atomic
def set_unit_heads(*, actor: User, unit: OrgUnit, heads: list[User]) -> tuple[list, list]:
    """Choose who heads `unit`: department heads only, and only active ones newly.
    Returns the people added and removed."""
    _require_planner(actor)
    unit = OrgUnit.objects.select_for_update().get(pk=unit.pk)
    current = set(unit.heads.all())
    chosen = list(with_roles(User.objects.filter(pk__in=[head.pk for head in heads])))
    refused = [
        _("%(name)s is not a department head: give them that role on their page first.")
        % {"name": full_name(user)}
        for user in chosen
        if role_of(user) != roles.DEPARTMENT_HEAD
    ] + [
        _("%(name)s is deactivated and cannot head a unit.") % {"name": full_name(user)}
        for user in chosen
        if not user.is_active and user not in current
    ]
    if refused:
        raise ValidationError({"heads": refused})
    unit.full_clean()
    added = sorted(set(chosen) - current, key=_name_key)
    removed = sorted(current - set(chosen), key=_name_key)
    if not added and not removed:
        return [], []
    unit.heads.set(chosen)
    for user in added:
        _log(actor, user, CHANGE, _unit_messages([unit], []), {"units_added": _unit_refs([unit])})
    for user in removed:
        _log(actor, user, CHANGE, _unit_messages([], [unit]), {"units_removed": _unit_refs([unit])})
    _log(
        actor,
        unit,
        CHANGE,
        [{"changed": {"fields": [_FIELD_NAMES["heads"]]}}]
        + [{"added": {"name": _HEAD_NAME, "object": full_name(u)}} for u in added]
        + [{"deleted": {"name": _HEAD_NAME, "object": full_name(u)}} for u in removed],
        {},
    )
    return added, removed


def end_sessions(person: User) -> int:
    """End every open session of `person` now, on every worker. Sessions live in the
    database (with a shared cache in front of them when one is configured), so each is
    deleted through the session engine, which clears the cached copy too."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    keys = [
        session.session_key
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if session.get_decoded().get(SESSION_KEY) == str(person.pk)
    ]
    for key in keys:
        store(session_key=key).delete()
    return len(keys)


# --- Helpers -----------------------------------------------------------------------


def full_name(user: User) -> str:
    return user.get_full_name() or user.username


def _require_planner(user: User) -> None:
    if not roles.is_planner(user):
        raise PermissionDenied(_("Only the planning office may do this."))


# The Kazakh alphabet; without its own letters (ә ғ қ ң ө ұ ү һ і) it is the Russian one.
_ALPHABET = {letter: n for n, letter in enumerate("аәбвгғдеёжзийкқлмнңоөпрстуұүфхһцчшщъыіьэюя")}


def sort_key(text: str) -> tuple[int, ...]:
    """Text in dictionary order: Kazakh letters where the Kazakh alphabet puts them
    (Қ after К, not after Я as their code points would), Latin letters before Cyrillic."""
    return tuple(
        1000 + _ALPHABET[char] if char in _ALPHABET else ord(char) for char in text.casefold()
    )


def _name_key(user: User) -> tuple:
    return (sort_key(user.last_name), sort_key(user.first_name), sort_key(user.username))


def sorted_units(units) -> list[OrgUnit]:
    """Units by their name in the reader's language."""
    return sorted(units, key=lambda unit: sort_key(str(unit)))


def _give_role(person: User, role: str) -> None:
    """Membership of exactly one role group; other groups the person is in stay."""
    groups = {group.name: group for group in Group.objects.filter(name__in=ROLES)}
    person.groups.remove(*[group for name, group in groups.items() if name != role])
    person.groups.add(groups[role])
    # The navigation shows their new role's links at their next page, not a minute later.
    transaction.on_commit(lambda: forget_role(person))
    given = role_of(with_roles(User.objects.filter(pk=person.pk)).get())
    if given != role:
        # Another group or a permission of their own still makes them something else.
        raise ValidationError(
            {
                "role": _(
                    "Another group or a permission of their own still makes this person "
                    "“%(role)s”; change it in the Administration first."
                )
                % {"role": role_label(given)}
            }
        )


def _unit_refs(units) -> list[list]:
    # The unit's id (to show its name in the reader's language) and its name then.
    return [[unit.pk, unit.name_kk or unit.name] for unit in units]


def _unit_messages(added, removed) -> list[dict]:
    return [
        {"added": {"name": _UNIT_NAME, "object": unit.name_kk or unit.name}} for unit in added
    ] + [{"deleted": {"name": _UNIT_NAME, "object": unit.name_kk or unit.name}} for unit in removed]


def _log(actor: User, obj, flag: int, admin_message: list[dict], detail: dict) -> None:
    """Record a change in the admin's log. The admin reads the first part of the
    message (Django's own structure, translated when shown); the person's page reads
    `people`, with the values before and after."""
    message = [*admin_message, {"people": detail}]
    LogEntry.objects.log_actions(actor.pk, [obj], flag, message, single_object=True)


def _detail(entry: LogEntry) -> dict:
    try:
        parts = json.loads(entry.change_message or "[]")
    except ValueError:
        return {}
    if not isinstance(parts, list):
        return {}
    return next((p["people"] for p in parts if isinstance(p, dict) and "people" in p), {})


def _describe(entry: LogEntry, detail: dict, unit_names: dict[int, str]) -> list[str]:
    if not detail:
        # Changed in the admin: Django's own words.
        return [entry.get_change_message() or str(entry)]

    def units(key: str) -> str:
        return ", ".join(unit_names.get(pk, name) for pk, name in detail.get(key, []))

    lines = []
    if "created" in detail:
        lines.append(_("Account created: %(role)s") % {"role": role_label(detail["created"])})
    if detail.get("role"):
        old, new = detail["role"]
        lines.append(
            _("Role: %(old)s → %(new)s") % {"old": role_label(old), "new": role_label(new)}
        )
    if detail.get("fields"):
        names = [_(_FIELD_NAMES[name]) for name in detail["fields"] if name in _FIELD_NAMES]
        lines.append(_("Changed: %(fields)s") % {"fields": get_text_list(names, _("and"))})
    if detail.get("units_added"):
        lines.append(_("Now heads: %(units)s") % {"units": units("units_added")})
    if detail.get("units_removed"):
        lines.append(_("No longer heads: %(units)s") % {"units": units("units_removed")})
    if detail.get("active") is True:
        lines.append(_("Reactivated"))
    elif detail.get("active") is False:
        lines.append(_("Deactivated; their open sessions were ended"))
    if detail.get("password") == "own":
        lines.append(_("Password changed by the person"))
    elif detail.get("password"):
        lines.append(_("Password set by the planning office"))
    return lines
