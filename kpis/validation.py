"""What a valid actual value is, by the KPI's unit of measure.

Messages are translated and name the rule, so a department head knows what to fix."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from kpis.values import ValueFormatError, parse_number

HUNDRED = Decimal(100)
# Values and targets are stored as DecimalField(max_digits=14, decimal_places=4): at
# most ten digits before the decimal point, after rounding to four after it.
STORED_DIGITS, MAX_DECIMALS = 14, 4
LIMIT = Decimal(10) ** (STORED_DIGITS - MAX_DECIMALS) - Decimal("0.00005")


def read_number(text: str) -> Decimal | None:
    """A number typed with a decimal comma or point; None for an empty field."""
    if text is None or not str(text).strip():
        return None
    try:
        value = parse_number(str(text))
    except ValueFormatError:
        raise ValidationError(
            _("“%(text)s” is not a number. Type digits, with a comma or a point for decimals."),
            code="not_a_number",
            params={"text": text},
        ) from None
    check_storable(value)
    return value


def check_value(unit: str, value: Decimal | None, value2: Decimal | None = None) -> None:
    """Raise ValidationError when `value` (and `value2` for a ratio) is not valid for `unit`."""
    if value is None:
        if value2 is not None:
            raise ValidationError(_("Enter the higher-education share too."), code="ratio_half")
        return
    check_storable(value, value2)
    if unit == "percent":
        _share(value)
    elif unit in ("persons", "count"):
        if value < 0:
            raise ValidationError(_("A count cannot be negative."), code="negative")
        if value != value.to_integral_value():
            raise ValidationError(_("Enter a whole number."), code="not_whole")
    elif unit == "rank":
        if value != value.to_integral_value() or value < 1:
            raise ValidationError(
                _("A place in a ranking is a whole number of 1 or more."), code="bad_place"
            )
    elif unit == "ratio":
        if value2 is None:
            raise ValidationError(_("Enter the postgraduate share too."), code="ratio_half")
        _share(value)
        _share(value2)
        if value + value2 != HUNDRED:
            raise ValidationError(
                _("The two shares must add up to 100 (now %(sum)s).") % {"sum": value + value2},
                code="ratio_sum",
            )


def _share(value: Decimal) -> None:
    if value < 0 or value > HUNDRED:
        raise ValidationError(_("A share in per cent lies between 0 and 100."), code="share_range")


def check_storable(*numbers: Decimal | None) -> None:
    """Raise ValidationError for a number the database column cannot hold, so it is
    refused with a message rather than by the database: not finite (a spreadsheet cell
    may hold 1E309, which reads as infinity), too precise, or too large."""
    for number in numbers:
        if number is not None:
            _storable(number if isinstance(number, Decimal) else Decimal(str(number)))


def _storable(number: Decimal) -> None:
    if number.is_nan():
        raise ValidationError(
            _("“%(text)s” is not a number.") % {"text": number}, code="not_a_number"
        )
    if number.is_infinite() or abs(number) >= LIMIT:
        raise ValidationError(
            _("This number is too large: at most %(n)s digits before the decimal comma.")
            % {"n": STORED_DIGITS - MAX_DECIMALS},
            code="too_large",
        )
    if -number.as_tuple().exponent > MAX_DECIMALS:
        raise ValidationError(
            _("Use at most %(n)s digits after the decimal comma.") % {"n": MAX_DECIMALS},
            code="too_precise",
        )
