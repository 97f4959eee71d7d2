"""Dashboards and the pages that read the program's results. Views stay thin: the
querysets are in reports.selectors, the arithmetic in reports.dashboards."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from directions.models import Direction, Program
from directions.selectors import current_program
from kpis import kept_input, roles
from kpis.measures import Values
from kpis.models import ActualState
from kpis.status import Status, assess_kpi, is_due
from metu_strategy.params import id_param, int_param, year_param
from reports import charts, dashboards, parts, selectors
from reports.cache import cached_body, cached_page
from reports.matrix import matrix_body

MAX_DIRECTION = 32767  # Direction.number is a small integer


def _program(request: HttpRequest) -> Program:
    program = current_program()
    if program is None:
        raise Http404(_("No program is loaded."))
    return program


def _options(request: HttpRequest, program: Program, *, need_year: bool = True) -> dict:
    """The year and the approved-only switch every dashboard reads from the URL."""
    include_submitted = request.GET.get("include") == "submitted"
    year = year_param(request.GET.get("year"), program)
    if year is None and need_year:
        year = selectors.latest_year_with_values(program, include_submitted=include_submitted)
    return {"year": year, "include_submitted": include_submitted, "years": program.years}


@cached_page
def overview(request: HttpRequest) -> HttpResponse:
    """The home page: how every direction stands in a year, and what is behind."""
    program = _program(request)
    options = _options(request, program)
    body = cached_body(
        request,
        "overview",
        (program.pk, options["year"], options["include_submitted"]),
        "reports/overview_body.html",
        lambda: _overview_context(program, options),
    )
    return render(request, "reports/overview.html", {"body": body, **options})


def _overview_context(program: Program, options: dict) -> dict:
    year = options["year"]
    kpis = selectors.kpis_with_values(program, include_submitted=options["include_submitted"])
    rows = dashboards.kpi_rows(kpis, program.years)
    overall, by_direction = dashboards.summarise(rows, year)
    kpi_counts: dict[int, int] = {}
    for row in rows:
        number = row.kpi.task.goal.direction.number
        kpi_counts[number] = kpi_counts.get(number, 0) + 1
    progress = dashboards.entry_progress(selectors.entry_states(program, year), kpi_counts)
    directions = {row.kpi.task.goal.direction.number: row.kpi.task.goal.direction for row in rows}
    return {
        "program": program,
        **options,
        "overall": overall,
        "directions": [
            {"direction": directions[n], "summary": by_direction[n], "progress": progress[n]}
            for n in sorted(directions)
        ],
        "progress_total": {
            key: sum(p[key] for p in progress.values())
            for key in (*dashboards.ENTRY_STATES, "missing")
        },
        "behind": dashboards.behind(rows, year),
        "statuses": Status,
    }


def program_page(request: HttpRequest) -> HttpResponse:
    """The plan: directions, goals, tasks, alignment with state documents, KPIs, targets."""
    program = current_program()
    ctx = {
        "program": program,
        "directions": selectors.program_tree(program) if program else [],
        "years": program.years if program else [],
    }
    return render(request, "reports/program.html", ctx)


@cached_page
def matrix(request: HttpRequest) -> HttpResponse:
    """All KPIs × all years, filtered by direction, unit and status in a year."""
    program = _program(request)
    options = _options(request, program)
    direction = int_param(request.GET.get("direction"), maximum=MAX_DIRECTION)
    status = request.GET.get("status", "")
    # Filters as the page offers them; anything else is no filter (and one cache key).
    filters = {
        "direction": "" if direction is None else str(direction),
        "unit": request.GET.get("unit", ""),
        "status": status if status in Status.values else "",
    }
    body = cached_body(
        request,
        "matrix",
        (program.pk, options["year"], options["include_submitted"], *filters.values()),
        "reports/matrix_body.html",
        lambda: _matrix_context(program, options, **filters),
    )
    return render(request, "reports/matrix.html", {"body": body, **options})


def _matrix_context(
    program: Program, options: dict, *, direction: str, unit: str, status: str
) -> dict:
    values = selectors.program_values(
        program,
        include_submitted=options["include_submitted"],
        direction=int_param(direction, maximum=MAX_DIRECTION),
        unit=unit,
    )
    rows = dashboards.kpi_rows(values.kpis, program.years)
    if status in Status.values:
        rows = [r for r in rows if r.cell(options["year"]).assessment.status == status]
    return {
        "program": program,
        **options,
        "rows": rows,
        "body_rows": matrix_body(rows, program.years),
        "direction": direction,
        "unit": unit,
        "status": status,
        "directions": values.directions,
        "units": values.units,
        "statuses": Status,
    }


@cached_page
def direction_page(request: HttpRequest, number: int) -> HttpResponse:
    """One direction: its goal and tasks, its KPIs by year, and a chart of their status."""
    program = _program(request)
    options = _options(request, program)
    direction = get_object_or_404(Direction, program=program, number=number)
    body = cached_body(
        request,
        "direction",
        (program.pk, number, options["year"], options["include_submitted"]),
        "reports/direction_body.html",
        lambda: _direction_context(program, direction, options),
    )
    return render(
        request, "reports/direction.html", {"body": body, "direction": direction, **options}
    )


def _direction_context(program: Program, direction: Direction, options: dict) -> dict:
    kpis = selectors.kpis_with_values(
        program, include_submitted=options["include_submitted"], direction=direction.number
    )
    rows = dashboards.kpi_rows(kpis, program.years)
    yearly = dashboards.yearly_summaries(rows, program.years)
    return {
        "program": program,
        **options,
        "direction": direction,
        "rows": rows,
        "body_rows": matrix_body(rows, program.years, with_directions=False, with_parts=True),
        "yearly": [(year, yearly[year]) for year in program.years],
        "chart": charts.direction_chart(yearly),
        "statuses": Status,
    }


@cached_page
def kpi_detail(request: HttpRequest, code: str) -> HttpResponse:
    """One KPI's whole story: targets and values by year, trend, history, evidence.

    The counted values, chart and trend are the same for every reader and cached like
    the dashboards' bodies. The values by year (drafts belong to their unit) and the
    change controls (the planning office's) depend on the reader, so they are rendered
    for each reader, never cached outside the reader's own session."""
    program = _program(request)
    options = _options(request, program, need_year=False)
    kpi = selectors.kpi_for_page(program, code)
    if kpi is None:
        raise Http404(_("No such KPI."))
    body = cached_body(
        request,
        "kpi",
        (program.pk, kpi.pk, options["include_submitted"]),
        "reports/kpi_detail_body.html",
        lambda: _kpi_context(program, kpi, options),
    )
    ctx = {
        "body": body,
        "kpi": kpi,
        "history": selectors.kpi_history(kpi, request.user),
        "can_edit_targets": roles.is_planner(request.user),
        **selectors.kpi_page(kpi, request.user, program),
    }
    if hasattr(kpi, "calculation"):  # read with the KPI: no query for one entered directly
        ctx.update(_kpi_parts(request, program, kpi, ctx["year_rows"], options))
    for row in ctx["year_rows"]:
        # A target change that was refused comes back with what was typed in it.
        target = row["target"]
        row["kept"] = kept_input.take(request, f"target-{target.pk}") if target else {}
    return render(request, "reports/kpi_detail.html", ctx)


def _kpi_context(program: Program, kpi, options: dict) -> dict:
    kpi = selectors.with_counted_values(kpi, include_submitted=options["include_submitted"])
    (row,) = dashboards.kpi_rows([kpi], program.years)
    projection = dashboards.projection_for(row, program.end_year)
    return {
        "program": program,
        **options,
        "kpi": kpi,
        "row": row,
        "projection": projection,
        "chart": charts.kpi_chart(row, projection),
    }


def _kpi_parts(request: HttpRequest, program: Program, kpi, year_rows, options: dict) -> dict:
    """A calculated KPI's formula, its value from the parts year by year (with the value
    the planning office entered instead, and why), and the units' contributions in a
    year as a tree, drilled down to `?unit=`; the units' own entries as the reader may
    see them. A fixed number of queries."""
    found = parts.read_parts(program, include_submitted=options["include_submitted"], kpis=[kpi.id])
    if found.formula(kpi.id) is None:
        return {}
    year = year_param(request.GET.get("year"), program)
    if year is None:
        year = parts.latest_year_with_parts(found, kpi.id, program.years)
    root = id_param(request.GET.get("unit"))
    if root not in found.units:
        root = None
    nodes = found.tree(kpi.id, year, root=root)
    parts.with_entries(found, nodes, kpi.id, year, request.user)
    by_year = []
    for row in year_rows:
        computed = found.rollup.computed(kpi.id, row["year"])
        done, expected = parts.unit_progress(found.rollup, kpi.id, row["year"])
        entered = row["actual"] if row["actual"] and row["actual"].value is not None else None
        if computed.value is not None and not (entered and entered.state == ActualState.APPROVED):
            # The year's status is that of the value counted: the one from the parts.
            counted = Values(computed.value)
            row["assessment"] = assess_kpi(kpi, row["target"], counted, due=is_due(row["year"]))
        by_year.append(
            {
                "year": row["year"],
                "computed": computed,
                "done": done,
                "expected": expected,
                "entered": entered,
            }
        )
    return {
        "parts": {
            "formula": found.formula(kpi.id),
            "formula_text": found.formula_text(kpi.id),
            "by_year": by_year,
            "year": year,
            "years": program.years,
            "root": found.units.get(root) if root else None,
            "ancestors": found.ancestors(root) if root else [],
            "nodes": nodes,
            "include_submitted": options["include_submitted"],
        }
    }
