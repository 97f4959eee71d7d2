"""Numbers of a calculated KPI's parts as pages show them."""

from decimal import Decimal

from django import template

from kpis.rollup import Computed
from kpis.values import display_number

register = template.Library()


@register.simple_tag
def kpi_number(number) -> str:
    """A count of a part (a numerator, a denominator, a unit's entry) in the reader's
    language, or a dash."""
    if not isinstance(number, Decimal | int):
        return "—"
    return display_number(Decimal(number))


@register.simple_tag
def kpi_value_of(kpi, number) -> str:
    """A value computed from parts as the KPI's measure shows a value ("15 %")."""
    return kpi.measure.display(number)


@register.simple_tag
def share_of(number) -> str:
    """A share computed from parts, with two decimals at most: "39,58 %"."""
    if not isinstance(number, Decimal):
        return "—"
    return f"{display_number(number.quantize(Decimal('0.01')))} %"


SHOWN = Decimal("0.01")


@register.simple_tag
def counted_value(kpi, actual) -> str:
    """A counted value as the KPI's measure shows it; one computed from parts (stored
    with four decimals) with two at most, as its parts show it."""
    if actual is None or actual.value is None:
        return "—"
    if isinstance(actual, Computed):
        return kpi.measure.display(actual.value.quantize(SHOWN))
    return kpi.measure.display(actual.value, actual.value2)
