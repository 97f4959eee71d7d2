from decimal import Decimal

from django import template
from django.utils.text import capfirst
from django.utils.translation import gettext

from kpis.models import Target
from kpis.status import STATUS_SYMBOLS
from kpis.values import display_number

register = template.Library()
SHOWN_SHARE = Decimal("0.01")


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


@register.simple_tag
def computed_value(kpi, computed) -> str:
    """A calculated KPI's value from its parts, as "15 % (15/100)", or how far its parts
    are: "partial: 5 of 7 parts" (never judged until complete)."""
    if computed is None:
        return "—"
    if computed.value is None:
        if computed.complete:  # every part is in, but the denominator is zero
            return gettext("not computable: the denominator is 0")
        return gettext("partial: %(n)s of %(m)s parts") % {
            "n": computed.reported,
            "m": computed.expected,
        }
    if computed.denominator is None:
        return kpi.measure.display(computed.value)
    # Stored with four decimals; read as a share with two at most: 39,58 % (488/1 233).
    shown = display_number(computed.value.quantize(SHOWN_SHARE))
    parts = f"{display_number(computed.numerator)}/{display_number(computed.denominator)}"
    return f"{shown} % ({parts})"


@register.filter
def status_symbol(status: str) -> str:
    return STATUS_SYMBOLS.get(status, "")


@register.filter
def field_label(obj, name: str) -> str:
    """A model field's name as a heading: "Means of verification"."""
    return capfirst(obj._meta.get_field(name).verbose_name)
