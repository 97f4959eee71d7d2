"""Reading and writing KPI values as people write them: "4,5", "99,5/0,5", "топ-20"."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

EMPTY_MARKS = {"", "-", "–", "—"}
RANK_RE = re.compile(r"^(?:топ|top)[\s-]*(\d+)$", re.IGNORECASE)


class ValueFormatError(ValueError):
    """The text is not a number of the KPI's kind."""


def parse_number(text: str) -> Decimal:
    """A decimal written with a comma or a point, spaces between thousands allowed.

    The seed has "0, 2" for 0,2: a space after the decimal comma is dropped too."""
    cleaned = re.sub(r"[\s\u00a0\u202f]", "", text.strip()).replace(",", ".")
    if not re.fullmatch(r"-?\d+(\.\d+)?|-?\.\d+", cleaned):
        raise ValueFormatError(text)
    try:
        return Decimal(cleaned)
    except InvalidOperation as exc:  # pragma: no cover - the regex admits only numbers
        raise ValueFormatError(text) from exc


def parse_target_text(raw: str, unit: str) -> tuple[Decimal | None, Decimal | None]:
    """(value, value2) for a cell of table 4.2; (None, None) for an empty year."""
    text = raw.strip()
    if text in EMPTY_MARKS:
        return None, None
    if unit == "ratio":
        higher, sep, postgraduate = text.partition("/")
        if not sep:
            raise ValueFormatError(raw)
        return parse_number(higher), parse_number(postgraduate)
    if unit == "rank":
        match = RANK_RE.match(text)
        if not match:
            raise ValueFormatError(raw)
        return Decimal(match.group(1)), None
    return parse_number(text), None


def plain(value: Decimal | None) -> str:
    """A decimal without trailing zeros: 4.5000 → "4.5", 3160.0000 → "3160"."""
    if value is None:
        return ""
    text = format(value.normalize(), "f")
    return text


def to_json_number(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    normalized = value.normalize()
    if normalized == normalized.to_integral_value():
        return int(normalized)
    return float(normalized)


def json_value(unit: str, value: Decimal | None, value2: Decimal | None) -> object:
    """A value in the JSON document: a number, [higher, postgraduate], or a rank's N."""
    if value is None:
        return None
    if unit == "ratio":
        return [to_json_number(value), to_json_number(value2)]
    return to_json_number(value)


def display_number(value: Decimal) -> str:
    """A number in the reader's language: 3 160 and 4,5 in Kazakh and Russian."""
    from django.utils import formats

    return formats.number_format(value.normalize(), use_l10n=True, force_grouping=True)


def display_value(unit: str, value: Decimal | None, value2: Decimal | None = None) -> str:
    """A target or actual value as a person reads it: 4,5 · 97/3 · top-700."""
    from django.utils.translation import gettext

    if value is None:
        return "—"
    if unit == "ratio":
        second = display_number(value2) if value2 is not None else "?"
        return f"{display_number(value)}/{second}"
    if unit == "rank":
        return gettext("top-%(n)s") % {"n": display_number(value)}
    return display_number(value)
