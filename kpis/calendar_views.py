"""The planning office's reporting calendar: a year's window (opens, due, closes, kept
open) and the units allowed to enter after it closed."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from directions.selectors import current_program
from kpis import roles, services
from kpis.calendar_forms import CalendarForm, ExceptionForm
from kpis.models import EntryException, ReportingYear


def _planner_program(request: HttpRequest, year: int):
    if not roles.is_planner(request.user):
        raise PermissionDenied
    program = current_program()
    if program is None or not program.covers(year):
        raise Http404(_("No such year in the program."))
    return program


@require_http_methods(["GET", "POST"])
def year_calendar(request: HttpRequest, year: int) -> HttpResponse:
    program = _planner_program(request, year)
    row = ReportingYear.objects.filter(program=program, year=year).first()
    initial = {}
    if row is not None:
        initial = {"opens": row.opens, "due": row.due, "closes": row.closes}
        initial["keep_open"] = row.keep_open
    form = CalendarForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.set_calendar(
                user=request.user, program=program, year=year, **form.cleaned_data
            )
        except ValidationError as exc:
            for name, problems in exc.message_dict.items():
                for problem in problems:
                    form.add_error(name if name in form.fields else None, problem)
        except services.WorkflowError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, _("The reporting calendar of %(year)s is saved.") % {"year": year}
            )
            return redirect(reverse("year_calendar", args=[year]))
    return _render(request, program, year, row, form, ExceptionForm())


def _render(request, program, year, row, form, exception_form) -> HttpResponse:
    ctx = {
        "program": program,
        "year": year,
        "row": row,
        "form": form,
        "exception_form": exception_form,
        "open_now": services.year_is_open(program, year),
        "deadline": services.deadline(program, year),
        "exceptions": EntryException.objects.filter(reporting_year=row).select_related("unit")
        if row
        else [],
        "today": services.today_in_almaty(),
    }
    return render(request, "kpis/year_calendar.html", ctx)


@require_POST
def exception_add(request: HttpRequest, year: int) -> HttpResponse:
    program = _planner_program(request, year)
    row = ReportingYear.objects.filter(program=program, year=year).first()
    form = ExceptionForm(request.POST)
    if form.is_valid():
        try:
            exception = services.grant_exception(
                user=request.user, program=program, year=year, **form.cleaned_data
            )
        except services.WorkflowError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("%(unit)s may enter the values of %(year)s until %(until)s.")
                % {"unit": exception.unit.name, "year": year, "until": exception.until},
            )
            return redirect(reverse("year_calendar", args=[year]))
    initial = {}
    if row is not None:
        initial = {"opens": row.opens, "due": row.due, "closes": row.closes}
        initial["keep_open"] = row.keep_open
    return _render(request, program, year, row, CalendarForm(initial=initial), form)


@require_POST
def exception_remove(request: HttpRequest, year: int, pk: int) -> HttpResponse:
    program = _planner_program(request, year)
    exception = get_object_or_404(
        EntryException.objects.select_related("unit"),
        pk=pk,
        reporting_year__program=program,
        reporting_year__year=year,
    )
    services.revoke_exception(user=request.user, exception=exception)
    messages.success(
        request,
        _("The exception of %(unit)s for %(year)s is removed.")
        % {"unit": exception.unit.name, "year": year},
    )
    return redirect(reverse("year_calendar", args=[year]))
