"""A unit's own view of the parts: the inputs it and the units under it report, and its
share of each calculated KPI (kpis.rollup.Rollup.computed(..., within=unit))."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from directions.selectors import current_program
from kpis.models import OrgUnit
from reports import parts
from reports.cache import cached_page


@cached_page
def units_list(request: HttpRequest) -> HttpResponse:
    """Every unit as a tree, each linked to its page."""
    units = list(OrgUnit.objects.order_by("name"))
    return render(request, "reports/units.html", {"units": parts.unit_tree(units)})


@cached_page
def unit_page(request: HttpRequest, pk: int) -> HttpResponse:
    """A faculty's or department's inputs by year and its share of each calculated KPI,
    as far as the reader may see them (drafts only to the unit and the planning office)."""
    program = current_program()
    if program is None:
        raise Http404(_("No program is loaded."))
    include_submitted = request.GET.get("include") == "submitted"
    found = parts.read_parts(program, include_submitted=include_submitted)
    unit = found.units.get(pk)
    if unit is None:
        raise Http404(_("No such unit."))
    ctx = parts.unit_view(found, unit, program, request.user)
    ctx.update({"unit": unit, "include_submitted": include_submitted, "years": program.years})
    return render(request, "reports/unit.html", ctx)
