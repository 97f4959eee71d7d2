from decimal import Decimal

from django import template
from django.utils.text import capfirst

from kpis.models import Target
from kpis.status import STATUS_SYMBOLS

register = template.Library()


@register.simple_tag
def kpi_value(kpi, row) -> str:
    """A Target or Actual of `kpi` as its readers write it (a target of a ranking as
    "top-N", a value as its place), or a dash."""
    if row is None:
        return "—"
    if isinstance(row, Target):
        return kpi.measure.display_target(row.value, row.value2)
    return kpi.measure.display(row.value, row.value2)


@register.simple_tag
def judged_number(kpi, number, target: bool = False) -> str:
    """A number the status rules judge (a trend's end, a target's judged part) as the
    KPI's measure shows it: whole persons never with decimals, a ranking's target top-N."""
    if not isinstance(number, Decimal):  # nothing to show (no trend, no target)
        return "—"
    return kpi.measure.display_judged(number, target=target)


@register.filter
def status_symbol(status: str) -> str:
    return STATUS_SYMBOLS.get(status, "")


@register.filter
def field_label(obj, name: str) -> str:
    """A model field's name as a heading: "Means of verification"."""
    return capfirst(obj._meta.get_field(name).verbose_name)
