"""The KPI × year table body, built in Python.

The matrix has a cell per KPI and year (560 for the program, 5,600 for one ten times
larger); rendering it with template tags took most of the page's time, so the rows are
written here, with every text escaped."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from html import escape
from typing import NamedTuple

from django.urls import reverse
from django.utils.formats import number_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext

from kpis.measures import measure_for
from kpis.rollup import Computed
from kpis.status import STATUS_SYMBOLS, Status
from kpis.templatetags.kpi_format import computed_value
from reports.dashboards import KpiRow

NAME_LENGTH = 90
SHOWN_COMPUTED = Decimal("0.01")


def matrix_body(
    rows: list[KpiRow], years: list[int], *, with_directions: bool = True, with_parts: bool = False
) -> SafeString:
    """<tr> rows: direction and task headings, then a row per KPI with its cells. A
    calculated KPI's cell names its parts in its tooltip ("39.58 % (488/1 233)",
    "partial: 5 of 7 parts"), and, `with_parts`, in the cell too."""
    columns = len(years) + 1
    text = _Texts()
    parts: list[str] = []
    direction_number = task_number = None
    for row in rows:
        task = row.kpi.task
        direction = task.goal.direction
        if with_directions and direction.number != direction_number:
            direction_number = direction.number
            url = reverse("direction", args=[direction.number])
            parts.append(
                f'<tr class="direction-row"><th colspan="{columns}" scope="rowgroup" '
                f'class="sticky-col"><a href="{url}">{direction.number}. '
                f"{escape(direction.name)}</a></th></tr>"
            )
        if task.number != task_number:
            task_number = task.number
            parts.append(
                f'<tr class="task-row"><th colspan="{columns}" scope="rowgroup" '
                f'class="sticky-col">{text.task} {escape(task.number)}. '
                f"{escape(task.name)}</th></tr>"
            )
        parts.append(_kpi_row(row, text, with_parts))
    return mark_safe("".join(parts))  # noqa: S308 - every piece above is escaped


# Formatted numbers, kept per language across requests: the same few hundred targets,
# values and percentages recur in every table, and formatting them was a third of the
# matrix's time.
@lru_cache(maxsize=16384)
def _formatted_value(language: str, unit: str, target: bool, value, value2) -> str:
    measure = measure_for(unit)
    shown = measure.display_target if target else measure.display
    return escape(shown(value, value2))


@lru_cache(maxsize=16384)
def _formatted_percent(language: str, text: str) -> str:
    # Keyed by the text: Decimal("100") == Decimal("100.0"), but they print differently.
    return number_format(Decimal(text), use_l10n=True)


class _Texts:
    """Translated words, worked out once per table: the same units and statuses recur
    in hundreds of cells."""

    def __init__(self) -> None:
        self.language = get_language()
        self.task = escape(gettext("Task"))
        self.labels = {status: escape(str(status.label)) for status in Status}
        # The KPI page's address around its code, reversed once for every row.
        self.kpi_url = reverse("kpi_detail", args=["0"]).rpartition("0")
        self.units: dict[str, str] = {}
        self.calculated = escape(gettext("calculated"))
        self.partial = escape(gettext("partial"))
        self.entered = escape(gettext("entered by the planning office; calculated"))

    def unit(self, kpi) -> str:
        if kpi.unit not in self.units:
            self.units[kpi.unit] = escape(str(kpi.get_unit_display()))
        return self.units[kpi.unit]

    def value(self, unit: str, obj, *, target: bool = False) -> str:
        if obj is None:
            return "—"
        return _formatted_value(self.language, unit, target, obj.value, obj.value2)

    def percent(self, value) -> str:
        return _formatted_percent(self.language, str(value))


def _shown(actual):
    """A value computed from parts (four decimals stored) with two at most, as its
    parts show it; any other value as it is."""
    if isinstance(actual, Computed) and actual.value is not None:
        return _Shown(actual.value.quantize(SHOWN_COMPUTED), None)
    return actual


class _Shown(NamedTuple):
    value: Decimal
    value2: None


def _parts(kpi, actual, text: _Texts) -> tuple[str, str]:
    """(for the tooltip, for the cell) of a calculated KPI's value, or ("", "")."""
    if isinstance(actual, Computed):
        computed, label = actual, text.calculated
    else:
        computed, label = getattr(actual, "computed", None), text.entered
    if computed is None:
        return "", ""
    shown = escape(computed_value(kpi, computed))
    if computed.value is None:
        short = f"{text.partial} {computed.reported}/{computed.expected}"
    elif computed.denominator is not None:
        short = escape(shown.partition("(")[2].rstrip(")"))
    else:
        short = ""
    return f" · {label}: {shown}", short


def _kpi_row(row: KpiRow, text: _Texts, with_parts: bool = False) -> str:
    kpi = row.kpi
    full_name = kpi.name
    name = full_name if len(full_name) <= NAME_LENGTH else full_name[: NAME_LENGTH - 1] + "…"
    details = text.unit(kpi)
    if kpi.owner is not None:
        details += " · " + escape(kpi.owner.name)
    cells = []
    for cell in row.cells:
        status = cell.assessment.status
        label = text.labels[status]
        title = label
        if cell.assessment.achievement is not None:
            title += f": {text.percent(cell.assessment.achievement)}%"
        actual = text.value(kpi.unit, _shown(cell.actual)) if cell.actual is not None else "·"
        parts_title, parts_short = _parts(kpi, cell.actual, text)
        title += parts_title
        if with_parts and parts_short:
            actual += f'<small class="p">{parts_short}</small>'
        cells.append(
            f'<td class="cell cell-{status}" title="{title}">'
            f'<span class="t">{text.value(kpi.unit, cell.target, target=True)}</span>'
            f'<span class="a">{actual}</span>'
            f'<span class="sym" aria-label="{label}">{STATUS_SYMBOLS[status]}</span></td>'
        )
    code = escape(kpi.code)
    before, _zero, after = text.kpi_url
    url = f"{before}{code}{after}"
    return (
        f'<tr><th scope="row" class="sticky-col kpi-cell"><span class="code">{code}</span> '
        f'<a href="{url}" title="{escape(full_name)}">{escape(name)}</a>'
        f'<small class="muted">{details}</small></th>{"".join(cells)}</tr>'
    )
