"""Forms of the People pages. They read what the planning office typed and ask
kpis.people for every rule that needs the database, so each round shows every problem."""

from __future__ import annotations

from django import forms
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import (
    password_validators_help_text_html,
    validate_password,
)
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.utils.translation import gettext_lazy as _

from kpis import people, roles, units
from kpis.models import OrgUnit, OrgUnitKind


def _role_choices() -> list[tuple[str, str]]:
    return [(role, roles.ROLE_LABELS[role]) for role in people.ROLES]


def _role_or_none() -> list[tuple[str, str]]:
    # Nothing is chosen for the planner: a forgotten choice must not make a planner.
    return [("", _("Choose a role")), *_role_choices()]


class PersonForm(forms.Form):
    """A person's names, e-mail, role and units (editing an existing person)."""

    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    email = forms.EmailField(label=_("E-mail"), max_length=254)
    role = forms.ChoiceField(label=_("Role"), choices=_role_or_none)
    units = forms.ModelMultipleChoiceField(
        queryset=OrgUnit.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Units they head"),
        help_text=_("Only for department heads. A person may head several units."),
    )

    def __init__(self, *args, actor: User, person: User | None = None, **kwargs):
        self.actor = actor
        self.person = person
        super().__init__(*args, **kwargs)
        # By name in the reader's language, sorted by it.
        units = people.sorted_units(OrgUnit.objects.all())
        self.fields["units"].choices = [(unit.pk, str(unit)) for unit in units]
        if person is not None and person.is_superuser:
            self.fields["role"].disabled = True
            self.fields["role"].help_text = _("A superuser's role cannot be changed here.")

    def person_data(self) -> people.PersonData:
        data = self.cleaned_data
        return people.PersonData(
            first_name=data.get("first_name", ""),
            last_name=data.get("last_name", ""),
            email=data.get("email", ""),
            role=data.get("role", ""),
            units=list(data.get("units") or []),
        )

    def clean(self):
        cleaned = super().clean()
        found = people.problems(
            actor=self.actor, data=self.person_data(), person=self.person, **self._new()
        )
        for name, messages in found.items():
            # A field that failed its own checks already says so.
            if name in self.fields and name not in self.errors:
                self.add_error(name, messages)
        return cleaned

    def _new(self) -> dict:
        return {}


class NewPersonForm(PersonForm):
    """A new person: also their username and first password."""

    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        validators=[UnicodeUsernameValidator()],
        help_text=_("What they type to sign in: letters, digits and @ . + - _ only."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none"}),
    )
    # The first password is typed by the planner and handed over, and the person
    # changes it; it is kept in the form when another field is wrong so the planner
    # need not type it again.
    password = forms.CharField(
        label=_("First password"),
        strip=False,
        widget=forms.PasswordInput(render_value=True, attrs={"autocomplete": "new-password"}),
    )
    password_again = forms.CharField(
        label=_("The same password again"),
        strip=False,
        widget=forms.PasswordInput(render_value=True, attrs={"autocomplete": "new-password"}),
    )

    field_order = [
        "first_name",
        "last_name",
        "username",
        "email",
        "role",
        "units",
        "password",
        "password_again",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password"].help_text = password_validators_help_text_html()

    def _new(self) -> dict:
        return {"username": self.cleaned_data.get("username", "")}

    def clean(self):
        cleaned = super().clean()
        password, again = cleaned.get("password"), cleaned.get("password_again")
        if password and again and password != again:
            self.add_error("password_again", _("The two passwords differ."))
        if password and "password" not in self.errors:
            candidate = User(
                username=cleaned.get("username", ""),
                first_name=cleaned.get("first_name", ""),
                last_name=cleaned.get("last_name", ""),
                email=cleaned.get("email", ""),
            )
            try:
                validate_password(password, candidate)
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return cleaned


class PasswordForm(forms.Form):
    """A new password set by the planning office for a person who forgot theirs."""

    password = forms.CharField(
        label=_("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password"].help_text = password_validators_help_text_html()


class PeopleFilter(forms.Form):
    """The People page's filters (GET)."""

    role = forms.ChoiceField(
        label=_("Role"),
        required=False,
        choices=lambda: [("", _("All roles")), *_role_choices(), (people.NO_ROLE, _("No role"))],
    )
    active = forms.ChoiceField(
        label=_("Account"),
        required=False,
        choices=[("", _("Active and deactivated")), ("yes", _("Active")), ("no", _("Deactivated"))],
    )
    q = forms.CharField(label=_("Name"), required=False, max_length=100)

    def filters(self) -> dict:
        data = self.cleaned_data if self.is_valid() else {}
        active = {"yes": True, "no": False}.get(data.get("active", ""))
        return {"role": data.get("role", ""), "active": active, "search": data.get("q", "")}


class HeadsField(forms.ModelMultipleChoiceField):
    """People by full name."""

    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj: User) -> str:
        return people.full_name(obj)


class UnitHeadsForm(forms.Form):
    heads = HeadsField(
        label=_("Heads"),
        queryset=User.objects.all(),
        required=False,
        help_text=_("Department heads only. One person may head several units."),
    )

    def __init__(self, *args, candidates: list[User], **kwargs):
        super().__init__(*args, **kwargs)
        # The list shown; a posted id outside it (not a head) is refused by the service
        # with the person's name, not dropped.
        self.fields["heads"].choices = [(u.pk, people.full_name(u)) for u in candidates]


class UnitForm(forms.Form):
    """A unit's code, names and place in the tree. The rules are kpis.units'."""

    name_kk = forms.CharField(label=_("Name in Kazakh"), max_length=300)
    name_ru = forms.CharField(label=_("Name in Russian"), max_length=300, required=False)
    name_en = forms.CharField(label=_("Name in English"), max_length=300, required=False)
    code = forms.SlugField(
        label=_("Code"),
        max_length=40,
        help_text=_("Latin letters, digits and hyphens, e.g. fac-energy. Unique."),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=OrgUnitKind.choices)
    parent = forms.ModelChoiceField(
        label=_("Part of"),
        queryset=OrgUnit.objects.all(),
        required=False,
        empty_label=_("— nothing (the university itself) —"),
        help_text=_(
            "A faculty or institute is part of the university; a department or office is "
            "part of a faculty or of the university."
        ),
    )

    def __init__(self, *args, unit: OrgUnit | None = None, **kwargs):
        self.unit = unit
        super().__init__(*args, **kwargs)
        # The list shows where the unit may go; any other unit posted is refused by
        # kpis.units with a reason, not dropped.
        self.fields["parent"].choices = [
            ("", self.fields["parent"].empty_label),
            *units.parent_choices(unit),
        ]

    def unit_data(self) -> units.UnitData:
        data = self.cleaned_data
        return units.UnitData(
            code=data.get("code", "") or self.data.get("code", ""),
            name_kk=data.get("name_kk", ""),
            name_ru=data.get("name_ru", ""),
            name_en=data.get("name_en", ""),
            kind=data.get("kind", ""),
            parent=data.get("parent"),
        )

    def clean(self):
        cleaned = super().clean()
        for name, messages in units.unit_problems(self.unit_data(), self.unit).items():
            if name in self.fields and name not in self.errors:
                self.add_error(name, messages)
        return cleaned
