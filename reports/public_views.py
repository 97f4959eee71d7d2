"""The public results page: anonymous, cached, approved values of the published years
only. No names of people, no drafts, comments, explanations or evidence; nothing of
it opens while the planning office keeps it closed (a 404, as for a page that is not).

The pages never carry a session's data (no CSRF token, no user, no messages): they are
the same for everyone in a language, so they are cached whole, keyed by the data
version (moved on by every change of the data and of the publishing setting)."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from directions.selectors import current_program
from kpis.status import Status
from metu_strategy.params import year_param
from reports import dashboards, selectors
from reports.cache import data_version
from reports.models import FrozenDocument, PublicResults
from reports.yearly_views import frozen_file

LANGUAGES = [code for code, _name in settings.LANGUAGES]


def public_page(view: Callable) -> Callable:
    """Open to anyone, in the language asked for (?lang=), cached per data version."""

    @login_not_required
    @require_safe
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        language = request.GET.get("lang", "")
        if language in LANGUAGES:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        timeout = settings.DASHBOARD_CACHE_SECONDS
        if not timeout:
            return view(request, *args, **kwargs)
        parts = [str(data_version(request)), translation.get_language(), request.get_full_path()]
        key = "public:" + hashlib.sha256(":".join(parts).encode()).hexdigest()
        content = cache.get(key)
        if content is not None:
            return HttpResponse(content)
        response = view(request, *args, **kwargs)
        if response.status_code == 200 and not getattr(response, "streaming", False):
            cache.set(key, response.content, timeout)
        return response

    return wrapper


def _published():
    """The program and the published years; 404 while the page is closed."""
    setting = PublicResults.current()
    program = current_program()
    if not setting.enabled or program is None:
        raise Http404
    years = [y for y in setting.published_years if program.covers(y)]
    if not years:
        raise Http404
    return program, years


def _year(request: HttpRequest, program, years: list[int]) -> int:
    year = year_param(request.GET.get("year"), program)
    return year if year in years else years[-1]


def _published_reports(program, years: list[int]) -> list[FrozenDocument]:
    """The newest approved-only frozen report of each published year and language."""
    latest: dict[tuple[int, str], FrozenDocument] = {}
    for frozen in FrozenDocument.objects.filter(
        program=program, year__in=years, include_submitted=False
    ).order_by("-created_at", "-id"):
        latest.setdefault((frozen.year, frozen.language), frozen)
    return sorted(latest.values(), key=lambda f: (-f.year, LANGUAGES.index(f.language)))


def _cells(row: dashboards.KpiRow) -> list[dict]:
    """Each year's target, value and status as shown: approved values only."""
    measure = row.kpi.measure
    cells = []
    for cell in row.cells:
        target, actual, assessment = cell.target, cell.actual, cell.assessment
        cells.append(
            {
                "year": cell.year,
                "target": measure.display_target(target.value, target.value2) if target else "—",
                "actual": measure.display(actual.value, actual.value2) if actual else "—",
                "status": assessment.status,
                "label": Status(assessment.status).label,
                "symbol": assessment.symbol,
                "achievement": assessment.achievement,
            }
        )
    return cells


def _base_context(request: HttpRequest, program, years: list[int]) -> dict:
    return {
        "program": program,
        "years": years,
        "lang": translation.get_language(),
        "languages": settings.LANGUAGES,
        "statuses": Status,
    }


@public_page
def overview(request: HttpRequest) -> HttpResponse:
    program, years = _published()
    year = _year(request, program, years)
    kpis = selectors.kpis_with_values(program)  # approved values only
    rows = dashboards.kpi_rows(kpis, program.years)
    overall, by_direction = dashboards.summarise(rows, year)
    directions = {row.kpi.task.goal.direction.number: row.kpi.task.goal.direction for row in rows}
    ctx = {
        **_base_context(request, program, years),
        "year": year,
        "overall": overall,
        "directions": [
            {"direction": directions[n], "summary": by_direction[n]} for n in sorted(directions)
        ],
        "reports": _published_reports(program, years),
    }
    return render(request, "public/overview.html", ctx)


@public_page
def matrix(request: HttpRequest) -> HttpResponse:
    program, years = _published()
    kpis = selectors.kpis_with_values(program)
    rows = [{"kpi": row.kpi, "cells": _cells(row)} for row in dashboards.kpi_rows(kpis, years)]
    ctx = {**_base_context(request, program, years), "rows": rows}
    return render(request, "public/matrix.html", ctx)


@public_page
def kpi(request: HttpRequest, code: str) -> HttpResponse:
    program, years = _published()
    kpis = selectors.kpis_with_values(program, code=code)
    if not kpis:
        raise Http404(_("No such KPI."))
    (row,) = dashboards.kpi_rows(kpis, years)
    ctx = {**_base_context(request, program, years), "kpi": row.kpi, "cells": _cells(row)}
    return render(request, "public/kpi.html", ctx)


@login_not_required
@require_safe
def report_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """A published report's PDF: approved values only, of a published year."""
    program, years = _published()
    frozen = next((f for f in _published_reports(program, years) if f.pk == pk), None)
    if frozen is None:
        raise Http404
    content = frozen_file(frozen, "pdf")
    if content is None:
        raise Http404
    return FileResponse(
        io.BytesIO(content),
        as_attachment=False,
        filename=frozen.filename("pdf"),
        content_type="application/pdf",
    )
