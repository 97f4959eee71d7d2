from django import template

from kpis.status import STATUS_SYMBOLS
from kpis.values import display_value

register = template.Library()


@register.simple_tag
def kpi_value(kpi, row) -> str:
    """A Target or Actual of `kpi` as its readers write it, or a dash."""
    if row is None:
        return "—"
    return display_value(kpi.unit, row.value, row.value2)


@register.filter
def status_symbol(status: str) -> str:
    return STATUS_SYMBOLS.get(status, "")
