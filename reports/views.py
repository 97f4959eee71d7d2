"""Dashboards and the pages that read the program's results."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from directions.selectors import current_program
from kpis import roles
from kpis.forms import TargetChangeForm
from kpis.models import Kpi
from reports import selectors


def kpi_detail(request: HttpRequest, code: str) -> HttpResponse:
    """One KPI's whole story: targets and values by year, history, comments, evidence."""
    program = current_program()
    if program is None:
        raise Http404
    kpi = get_object_or_404(
        Kpi.objects.select_related("task__goal__direction", "owner").prefetch_related("targets"),
        program=program,
        code=code,
    )
    ctx = {
        "program": program,
        "kpi": kpi,
        "history": selectors.kpi_history(kpi, request.user),
        "can_edit_targets": roles.is_planner(request.user),
        "target_form": TargetChangeForm(),
        **selectors.kpi_page(kpi, request.user, program),
    }
    return render(request, "reports/kpi_detail.html", ctx)
