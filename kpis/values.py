"""Numbers as the program document and people write them ("4,5", "3 160", "0, 2"), and
as pages, JSON and files show them; what they mean for each kind of KPI is in
kpis/measures.py."""

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


def display_number(value: Decimal, *, grouping: bool = True) -> str:
    """A number in the reader's language: 3 160 and 4,5 in Kazakh and Russian."""
    from django.utils import formats

    return formats.number_format(value.normalize(), use_l10n=True, force_grouping=grouping)
