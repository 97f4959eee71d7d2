"""The data the pages hand to Chart.js (through json_script), with translated labels."""

from __future__ import annotations

from django.utils.translation import gettext as _

from kpis.projection import Projection
from kpis.values import to_json_number
from reports.dashboards import GroupSummary, KpiRow

STATUS_COLOURS = {
    "achieved": "#1e7b34",
    "close": "#d39e00",
    "behind": "#b3261e",
    "no_data": "#9aa5b1",
    "not_due": "#dfe4ea",
}


def kpi_chart(row: KpiRow, projection: Projection | None) -> dict:
    """Targets, counted values and the trend by year, and the baseline before them; the
    postgraduate share of a ratio; a rank drawn with its axis reversed (first place on
    top)."""
    kpi = row.kpi
    measure = kpi.measure

    def measured(obj):
        return None if obj is None else measure.chart_value(obj.value, obj.value2)

    years = [cell.year for cell in row.cells]
    baseline = kpi.baseline
    return {
        "kind": "kpi",
        "years": years,
        # The value before the program, drawn as a point before its first year.
        "baseline": None
        if baseline is None
        else {
            "year": baseline.year,
            "value": measure.chart_value(baseline.value, baseline.value2),
            "label": _("Baseline %(year)s") % {"year": baseline.year},
        },
        "targets": [measured(cell.target) for cell in row.cells],
        "actuals": [measured(cell.actual) for cell in row.cells],
        "trend": [
            to_json_number(projection.line[y]) if projection and y in projection.line else None
            for y in years
        ],
        "reverse": measure.reverse_axis,
        "labels": {
            "target": _("Target"),
            "actual": _("Value"),
            "trend": _("Trend to %(year)s") % {"year": years[-1]},
            "baseline": _("Baseline"),
            "axis": measure.axis_label(kpi.get_unit_display()),
        },
    }


def direction_chart(yearly: dict[int, GroupSummary]) -> dict:
    """How many of the direction's KPIs were achieved, close, behind or without data."""
    labels = {
        "achieved": _("achieved"),
        "close": _("close to target"),
        "behind": _("behind target"),
        "no_data": _("no data"),
        "not_due": _("not yet due"),
    }
    return {
        "kind": "direction",
        "years": list(yearly),
        "series": [
            {
                "key": status,
                "label": label,
                "colour": STATUS_COLOURS[status],
                "values": [summary.counts[status] for summary in yearly.values()],
            }
            for status, label in labels.items()
        ],
        "labels": {"axis": _("KPIs")},
    }
