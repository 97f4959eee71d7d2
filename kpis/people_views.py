"""The People pages of the planning office, and every user's own password change."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.models import User
from django.contrib.messages.views import SuccessMessageMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from kpis import people, roles, units
from kpis.models import OrgUnit
from kpis.people_forms import (
    NewPersonForm,
    PasswordForm,
    PeopleFilter,
    PersonForm,
    UnitForm,
    UnitHeadsForm,
)


def _require_planner(request: HttpRequest) -> None:
    if not roles.is_planner(request.user):
        raise PermissionDenied


def _show(form: Form, exc: ValidationError) -> None:
    """A refusal of the service, shown on the fields it names."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for name, errors in exc.error_dict.items():
        form.add_error(name if name in form.fields else None, errors)


def people_list(request: HttpRequest) -> HttpResponse:
    _require_planner(request)
    everyone = people.people(actor=request.user)
    choice = PeopleFilter(request.GET)
    units = people.units_with_heads(actor=request.user)
    ctx = {
        "rows": people.filter_people(everyone, **choice.filters()),
        "filter": choice,
        "total": len(everyone),
        "heads_without_unit": [row for row in everyone if row.heads_no_unit],
        "units": units,
        "units_without_head": [row for row in units if row.has_no_head],
    }
    return render(request, "kpis/people/list.html", ctx)


def person_new(request: HttpRequest) -> HttpResponse:
    _require_planner(request)
    form = NewPersonForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            person = people.create_person(
                actor=request.user,
                username=form.cleaned_data["username"],
                data=form.person_data(),
                password=form.cleaned_data["password"],
            )
        except ValidationError as exc:
            _show(form, exc)
        else:
            messages.success(
                request,
                _(
                    "%(name)s can now sign in as %(username)s with the password you typed. "
                    "Ask them to change it at once with “Change password” at the top of "
                    "any page."
                )
                % {"name": people.full_name(person), "username": person.username},
            )
            return redirect("person", pk=person.pk)
    return render(request, "kpis/people/new.html", {"form": form})


def person_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_planner(request)
    person = get_object_or_404(people.with_roles(User.objects.all()), pk=pk)
    form = _person_form(request, person, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            saved = people.update_person(actor=request.user, person=person, data=form.person_data())
        except ValidationError as exc:
            _show(form, exc)
        else:
            _say_saved(request, saved)
            return redirect("person", pk=person.pk)
    return _person_page(request, person, form, PasswordForm())


def _person_form(request: HttpRequest, person: User, data=None) -> PersonForm:
    initial = {
        "first_name": person.first_name,
        "last_name": person.last_name,
        "email": person.email,
        "role": people.role_of(person),
        "units": [unit.pk for unit in person.headed_units.all()],
    }
    return PersonForm(data, actor=request.user, person=person, initial=initial)


def _say_saved(request: HttpRequest, saved: people.Saved) -> None:
    name = people.full_name(saved.person)
    if not saved.changed:
        messages.info(request, _("Nothing to save: nothing was changed."))
        return
    messages.success(request, _("%(name)s: saved.") % {"name": name})
    if saved.units_removed and "role" in saved.changed:
        messages.warning(
            request,
            _("%(name)s is no longer a department head, so they no longer head: %(units)s.")
            % {"name": name, "units": ", ".join(str(u) for u in saved.units_removed)},
        )


def _person_page(
    request: HttpRequest, person: User, form: Form, password_form: Form
) -> HttpResponse:
    ctx = {
        "person": person,
        "person_role": people.role_label(people.role_of(person)),
        "units": people.sorted_units(person.headed_units.all()),
        "is_self": person.pk == request.user.pk,
        "form": form,
        "password_form": password_form,
        "changes": people.recent_changes(actor=request.user, person=person),
    }
    return render(request, "kpis/people/person.html", ctx)


@require_POST
def person_active(request: HttpRequest, pk: int) -> HttpResponse:
    _require_planner(request)
    person = get_object_or_404(User, pk=pk)
    active = request.POST.get("active") == "1"
    try:
        ended = people.set_active(actor=request.user, person=person, active=active)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        name = people.full_name(person)
        if active:
            messages.success(request, _("%(name)s can sign in again.") % {"name": name})
        else:
            messages.success(
                request,
                ngettext(
                    "%(name)s is deactivated and can no longer sign in; "
                    "%(count)d open session was ended.",
                    "%(name)s is deactivated and can no longer sign in; "
                    "%(count)d open sessions were ended.",
                    ended,
                )
                % {"name": name, "count": ended},
            )
    return redirect("person", pk=person.pk)


@require_POST
def person_password(request: HttpRequest, pk: int) -> HttpResponse:
    _require_planner(request)
    person = get_object_or_404(people.with_roles(User.objects.all()), pk=pk)
    password_form = PasswordForm(request.POST)
    if password_form.is_valid():
        try:
            people.set_password(
                actor=request.user, person=person, password=password_form.cleaned_data["password"]
            )
        except ValidationError as exc:
            _show(password_form, exc)
        else:
            messages.success(
                request,
                _("%(name)s's password is set. Hand it over and ask them to change it.")
                % {"name": people.full_name(person)},
            )
            return redirect("person", pk=person.pk)
    return _person_page(request, person, _person_form(request, person), password_form)


def unit_heads(request: HttpRequest, pk: int) -> HttpResponse:
    _require_planner(request)
    unit = get_object_or_404(OrgUnit, pk=pk)
    current = list(unit.heads.all())
    candidates = people.department_heads(actor=request.user, include=current)
    form = UnitHeadsForm(
        request.POST or None, candidates=candidates, initial={"heads": [u.pk for u in current]}
    )
    if request.method == "POST" and form.is_valid():
        try:
            added, removed = people.set_unit_heads(
                actor=request.user, unit=unit, heads=list(form.cleaned_data["heads"])
            )
        except ValidationError as exc:
            _show(form, exc)
        else:
            if added or removed:
                messages.success(request, _("%(unit)s: heads saved.") % {"unit": unit})
            else:
                messages.info(request, _("Nothing to save: nothing was changed."))
            return redirect(f"{reverse('people')}#units")
    ctx = {"unit": people.unit_heads(actor=request.user, unit=unit), "form": form}
    return render(request, "kpis/people/unit.html", ctx)


def unit_new(request: HttpRequest) -> HttpResponse:
    _require_planner(request)
    return _unit_form_page(request, None)


def unit_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_planner(request)
    return _unit_form_page(request, get_object_or_404(OrgUnit, pk=pk))


def _unit_form_page(request: HttpRequest, unit: OrgUnit | None) -> HttpResponse:
    initial = {}
    if unit is not None:
        initial = {name: getattr(unit, name) for name in units.EDITABLE}
        initial["parent"] = unit.parent_id
    form = UnitForm(request.POST or None, unit=unit, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = units.save_unit(actor=request.user, data=form.unit_data(), unit=unit)
        except ValidationError as exc:
            _show(form, exc)
        else:
            messages.success(request, _("%(unit)s: saved.") % {"unit": saved})
            return redirect(f"{reverse('people')}#unit-{saved.code}")
    ctx = {
        "form": form,
        "unit": unit,
        "delete_problems": units.delete_problems(unit) if unit is not None else [],
    }
    return render(request, "kpis/people/unit_form.html", ctx)


@require_POST
def unit_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _require_planner(request)
    unit = get_object_or_404(OrgUnit, pk=pk)
    name = str(unit)
    try:
        units.delete_unit(actor=request.user, unit=unit)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("unit_edit", pk=unit.pk)
    messages.success(request, _("%(unit)s is deleted.") % {"unit": name})
    return redirect(f"{reverse('people')}#units")


class PasswordChangeView(SuccessMessageMixin, auth_views.PasswordChangeView):
    """Django's own password change, for everyone signed in, in the site's pages."""

    template_name = "registration/change_password.html"
    success_url = reverse_lazy("home")
    success_message = gettext_lazy("Your password is changed.")

    def form_valid(self, form) -> HttpResponse:
        with transaction.atomic():
            response = super().form_valid(form)
            people.record_own_password_change(person=form.user)
        return response
