"""The planning office's Inputs and calculations pages: the inputs units report, the
KPIs calculated from them, and the parts of a year (who has reported what, and who has
nothing to report). Thin: reads come from kpis.selectors, writes go through
kpis.definitions and kpis.services."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from directions.models import Program
from directions.selectors import current_program
from kpis import definitions, roles, selectors, services
from kpis.definition_forms import CalculationForm, ExemptionForm, InputForm
from kpis.models import Calculation, Exemption, Input, Kpi, OrgUnit
from kpis.reasons import describe
from metu_strategy.params import id_param, year_param


def _planner_program(request: HttpRequest) -> Program:
    if not roles.is_planner(request.user):
        raise PermissionDenied
    program = current_program()
    if program is None:
        raise Http404(_("No program is loaded."))
    return program


def _show(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def definitions_list(request: HttpRequest) -> HttpResponse:
    program = _planner_program(request)
    calculations, inputs = selectors.definition_rows(program)
    ctx = {
        "calculations": calculations,
        "inputs": inputs,
        "proposed": sum(r.calculation.proposed for r in calculations)
        + sum(u.input.proposed for u in inputs),
    }
    return render(request, "kpis/definitions/list.html", ctx)


def input_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    program = _planner_program(request)
    item = get_object_or_404(Input, pk=pk, program=program) if pk else None
    initial = {}
    if item is not None:
        initial = {
            "code": item.code,
            "name_kk": item.name_kk,
            "name_ru": item.name_ru,
            "name_en": item.name_en,
            "unit": item.unit,
            "reporters": [u.pk for u in item.reporters.all()],
        }
    form = InputForm(request.POST or None, program=program, item=item, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = definitions.save_input(
                actor=request.user, program=program, data=form.input_data(), item=item
            )
        except ValidationError as exc:
            _show(form, exc)
        else:
            messages.success(request, _("%(input)s: saved.") % {"input": saved})
            return redirect(f"{reverse('definitions')}#input-{saved.code}")
    history = []
    if item is not None:
        records = item.history.select_related("history_user").order_by("-history_id")[:20]
        history = [(record, describe(record.history_change_reason)) for record in records]
    ctx = {"form": form, "item": item, "history": history}
    return render(request, "kpis/definitions/input_form.html", ctx)


def calculation_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    program = _planner_program(request)
    calculation = (
        get_object_or_404(Calculation, pk=pk, kpi__program=program) if pk is not None else None
    )
    kpi = calculation.kpi if calculation else None
    initial = {}
    if calculation is not None:
        initial = {
            "numerator": [i.pk for i in calculation.numerator.all()],
            "denominator": [i.pk for i in calculation.denominator.all()],
        }
    elif request.GET.get("kpi"):
        initial["kpi"] = Kpi.objects.filter(program=program, code=request.GET["kpi"]).first()
    form = CalculationForm(request.POST or None, program=program, kpi=kpi, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = definitions.save_calculation(
                actor=request.user,
                kpi=kpi or data["kpi"],
                numerator=list(data["numerator"]),
                denominator=list(data["denominator"]),
            )
        except ValidationError as exc:
            _show(form, exc)
        else:
            messages.success(
                request, _("%(code)s is calculated from its inputs.") % {"code": saved.kpi.code}
            )
            return redirect(f"{reverse('definitions')}#kpi-{saved.kpi.code}")
    ctx = {"form": form, "calculation": calculation, "kpi": kpi}
    return render(request, "kpis/definitions/calculation_form.html", ctx)


def _definition(program: Program, kind: str, pk: int) -> Input | Calculation:
    if kind == "input":
        return get_object_or_404(Input, pk=pk, program=program)
    if kind == "calculation":
        return get_object_or_404(Calculation, pk=pk, kpi__program=program)
    raise Http404


@require_POST
def definition_confirm(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    program = _planner_program(request)
    obj = _definition(program, kind, pk)
    definitions.confirm(actor=request.user, obj=obj)
    messages.success(request, _("%(what)s is confirmed.") % {"what": _label(obj)})
    return redirect("definitions")


@require_http_methods(["GET", "POST"])
def definition_discard(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """Discarding is confirmed on a page that says what it does (and what stops it);
    only its confirmed POST discards."""
    program = _planner_program(request)
    obj = _definition(program, kind, pk)
    label = _label(obj)
    if request.method != "POST" or request.POST.get("confirm") != "yes":
        ctx = {
            "obj": obj,
            "kind": kind,
            "label": label,
            "problems": definitions.discard_problems(obj),
        }
        return render(request, "kpis/definitions/discard_confirm.html", ctx)
    try:
        definitions.discard(actor=request.user, obj=obj)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        if kind == "calculation":
            messages.success(
                request,
                _("%(what)s: discarded; its value is entered directly again.") % {"what": label},
            )
        else:
            messages.success(request, _("%(what)s: discarded.") % {"what": label})
    return redirect("definitions")


def _label(obj: Input | Calculation) -> str:
    return obj.kpi.code if isinstance(obj, Calculation) else str(obj)


def parts(request: HttpRequest) -> HttpResponse:
    """The missing parts of a year: every input × every unit that reports it."""
    program = _planner_program(request)
    year = year_param(request.GET.get("year"), program, default=_default_year(program))
    columns, rows, counts = selectors.parts_grid(program, year)
    ctx = {
        "year": year,
        "years": range(program.start_year, program.end_year + 1),
        "columns": columns,
        "rows": rows,
        "counts": counts,
        "history": [
            (record, describe(record.history_change_reason))
            for record in selectors.exemption_history(program, year)
        ],
    }
    return render(request, "kpis/definitions/parts.html", ctx)


def _default_year(program: Program) -> int:
    year = services.latest_open_year(program)
    return year if year is not None and program.covers(year) else program.start_year


def exemption(request: HttpRequest) -> HttpResponse:
    """Mark a unit "not applicable" for an input and year, with a reason."""
    program = _planner_program(request)
    params = request.POST if request.method == "POST" else request.GET
    item = get_object_or_404(Input, pk=id_param(params.get("input")) or 0, program=program)
    unit = get_object_or_404(OrgUnit, pk=id_param(params.get("unit")) or 0)
    year = year_param(params.get("year"), program, default=_default_year(program))
    form = ExemptionForm(request.POST or None)
    back = f"{reverse('parts')}?{urlencode({'year': year})}"
    if request.method == "POST" and form.is_valid():
        try:
            services.exempt(
                user=request.user,
                input=item,
                unit=unit,
                year=year,
                reason=form.cleaned_data["reason"],
            )
        except services.WorkflowError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("%(unit)s has nothing to report of %(input)s in %(year)s.")
                % {"unit": unit, "input": item, "year": year},
            )
            return redirect(back)
    ctx = {"form": form, "item": item, "unit": unit, "year": year, "back": back}
    return render(request, "kpis/definitions/exemption.html", ctx)


@require_POST
def exemption_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    program = _planner_program(request)
    found = Exemption.objects.filter(pk=pk, input__program=program).select_related("input", "unit")
    row = found.first()
    year = row.year if row else _default_year(program)
    if row is not None:
        services.withdraw_exemption(user=request.user, exemption=row)
        messages.success(
            request,
            _("%(unit)s is again expected to report %(input)s for %(year)s.")
            % {"unit": row.unit, "input": row.input, "year": row.year},
        )
    return redirect(f"{reverse('parts')}?{urlencode({'year': year})}")
