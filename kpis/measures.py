"""What the numbers of each kind of KPI mean: the one home of every rule that depends on
a KPI's unit of measure.

A KPI's `unit` names its measure (stored values are always `value` and `value2`):

- a **share** (per cent): one number from 0 to 100;
- a **whole number** (persons, a count of things): one whole number, 0 or more;
- a **place in a ranking**: a place (15) or a band as rankings publish them (751-800,
  `value` the best place and `value2` the worst), judged by its best place against the
  target "top N";
- a **split ratio** (higher / postgraduate students): two shares adding up to 100,
  judged on the second.

Reading what people type, checking it, the number the status rules judge, showing it in
the reader's language, JSON, Excel cells and their data validation, and what charts draw
are asked of the measure (`Kpi.measure`, or `measure_for(unit)`); nothing else in the
application branches on the unit. A new kind of KPI is one class here and its rows in
tests/test_measures.py."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import get_language, gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from kpis.values import (
    EMPTY_MARKS,
    RANK_RE,
    ValueFormatError,
    display_number,
    parse_number,
    plain,
    to_json_number,
)

HUNDRED = Decimal(100)
# Values and targets are stored as DecimalField(max_digits=14, decimal_places=4): at most
# ten digits before the decimal point, after rounding to four after it.
STORED_DIGITS, MAX_DECIMALS = 14, 4
LIMIT = Decimal(10) ** (STORED_DIGITS - MAX_DECIMALS) - Decimal("0.00005")
BAND_RE = re.compile(r"^\s*(\d[\d\s]*)\s*[-–—]\s*(\d[\d\s]*)\s*$")

Pair = tuple[Decimal | None, Decimal | None]


class Values(NamedTuple):
    """A value that is not (yet) a row: what a form or a file holds."""

    value: Decimal | None
    value2: Decimal | None = None


class Unit(models.TextChoices):
    PERCENT = "percent", _("per cent (%)")
    PERSONS = "persons", _("persons")
    COUNT = "count", _("units (count)")
    RATIO = "ratio", _("ratio, higher / postgraduate (%)")
    RANK = "rank", _("place in a ranking")
    MONEY = "money", _("thousand tenge")


# --- Numbers as people type them -------------------------------------------------------


def read_typed_number(text: str | None, *, whole: bool = False) -> Decimal | None:
    """A number typed in the reader's language; None for an empty field.

    Spaces group thousands in every language. Kazakh and Russian write a decimal comma,
    English a decimal point and a comma between thousands; people also type the other
    language's way. Whatever can be read only one way is read that way ("3,5" is 3.5,
    "1 250" and "1,234,567" are whole numbers). One separator followed by exactly three
    digits is read as thousands when the KPI counts whole things ("3,480 persons");
    for a share it is a decimal where the language writes decimals with that sign, and
    refused with a hint where it does not ("1,000" in English)."""
    if text is None or not str(text).strip():
        return None
    typed = str(text).strip()
    try:
        number = _read(typed, whole=whole, language=(get_language() or "kk")[:2])
    except ValueFormatError as exc:
        raise _number_error(typed, exc) from None
    check_storable(number)
    return number


def _read(text: str, *, whole: bool, language: str) -> Decimal:
    body = re.sub(r"[\s\u00a0\u202f]", "", text).replace("−", "-")
    sign, body = ("-", body[1:]) if body.startswith("-") else ("", body)
    if not re.fullmatch(r"[0-9][0-9.,]*|[.,][0-9]+", body) or body[-1] in ".,":
        raise ValueFormatError(text)
    separators = {c for c in body if c in ".,"}
    if not separators:
        return Decimal(sign + body)
    if len(separators) == 2:  # 1,234.5 or 1.234,5: the last one is the decimal
        decimal = max(separators, key=body.rindex)
        whole_part, fraction = body.rsplit(decimal, 1)
        return Decimal(sign + _grouped(whole_part, separators - {decimal}) + "." + fraction)
    (separator,) = separators
    if body.count(separator) > 1:
        return Decimal(sign + _grouped(body, separators))
    head, tail = body.split(separator)
    if len(tail) == 3 and 1 <= len(head) <= 3:
        if whole:
            return Decimal(sign + head + tail)
        decimal_sign = "." if language == "en" else ","
        if separator != decimal_sign and separator == ",":
            raise ValueFormatError(text, "ambiguous", head, tail)
    return Decimal(sign + (head or "0") + "." + tail)


def _grouped(text: str, separators: set[str]) -> str:
    """Digits written in groups of three: 1,234,567 → 1234567."""
    (separator,) = separators
    groups = text.split(separator)
    if not (1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])):
        raise ValueFormatError(text)
    return "".join(groups)


def _number_error(text: str, exc: ValueFormatError) -> ValidationError:
    if len(exc.args) == 4 and exc.args[1] == "ambiguous":
        _text, _kind, head, tail = exc.args
        return ValidationError(
            gettext(
                "“%(text)s” can be read two ways. Type %(thousands)s for the whole number, "
                "or %(decimal)s for the decimal."
            )
            % {"text": text, "thousands": head + tail, "decimal": f"{head}.{tail}"},
            code="ambiguous",
        )
    return ValidationError(
        gettext("“%(text)s” is not a number. Type digits, with a comma or a point for decimals.")
        % {"text": text},
        code="not_a_number",
    )


def check_storable(*numbers: Decimal | float | None) -> None:
    """Refuse, with a message, a number the database column cannot hold: not finite (a
    spreadsheet cell may hold 1E309, which reads as infinity), too precise or too large."""
    for number in numbers:
        if number is None:
            continue
        number = number if isinstance(number, Decimal) else Decimal(repr(number))
        if number.is_nan():
            raise ValidationError(
                gettext("“%(text)s” is not a number.") % {"text": number}, code="not_a_number"
            )
        if number.is_infinite() or abs(number) >= LIMIT:
            raise ValidationError(
                gettext("This number is too large: at most %(n)s digits before the decimal comma.")
                % {"n": STORED_DIGITS - MAX_DECIMALS},
                code="too_large",
            )
        if -number.as_tuple().exponent > MAX_DECIMALS:
            raise ValidationError(
                gettext("Use at most %(n)s digits after the decimal comma.") % {"n": MAX_DECIMALS},
                code="too_precise",
            )


def read_cell_number(raw: object, *, whole: bool = False) -> Decimal | None:
    """One number from a spreadsheet cell: a number cell as it is (the shortest decimal
    that reads back as it: 62.5, 1e+20), text as typed; None for an empty cell."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool):
        raise ValidationError(gettext("“%(text)s” is not a number.") % {"text": raw})
    if isinstance(raw, int | float):
        number = Decimal(repr(raw)) if isinstance(raw, float) else Decimal(raw)
        check_storable(number)
        return number
    return read_typed_number(str(raw), whole=whole)


# --- The measures --------------------------------------------------------------------------


@dataclass(frozen=True)
class Measure:
    """One kind of KPI value. Subclasses override what differs; the defaults describe one
    number with no second part."""

    unit: str
    whole: bool = False
    minimum: Decimal | None = Decimal(0)
    maximum: Decimal | None = None
    suffix: str = ""  # shown after an input: "%", "place"
    second_part: bool = False  # value2 may be stored
    reverse_axis: bool = False  # charts draw smaller numbers higher (first place on top)
    input_labels: tuple | None = None  # two inputs on a form, with these labels
    ranking: bool = False  # a place in a published ranking: the passport names the ranking

    # Reading

    def parse(self, text: str | None) -> Pair:
        """One text field (a form, a spreadsheet or import cell) → (value, value2)."""
        return read_typed_number(text, whole=self.whole), None

    def parse_parts(self, first: str | None, second: str | None) -> Pair:
        """A form's inputs (the second where `input_labels` names two); a ValidationError
        names the field it is about."""
        try:
            return self.parse(first)
        except ValidationError as exc:
            raise ValidationError({"value": exc.messages}) from None

    def parse_cell(self, raw: object) -> Pair:
        """A cell of a spreadsheet: a number cell as it is, text as typed."""
        if isinstance(raw, int | float) or raw is None:
            return read_cell_number(raw, whole=self.whole), None
        return self.parse(str(raw))

    def parse_columns(self, first: object, second: object) -> Pair:
        """A value written in two cells (the administration's import: value, value2); a
        ValidationError names the column it is about."""
        try:
            value, value2 = self._first_column(first)
        except ValidationError as exc:
            raise ValidationError({"value": exc.messages}) from None
        try:
            extra = read_cell_number(second, whole=self.whole)
        except ValidationError as exc:
            raise ValidationError({"value2": exc.messages}) from None
        if extra is not None and value2 is not None:
            raise ValidationError(
                {"value2": gettext("The value already has its second part; leave value2 empty.")}
            )
        return value, value2 if extra is None else extra

    def _first_column(self, raw: object) -> Pair:
        return self.parse_cell(raw)

    def parse_target(self, raw: str) -> Pair:
        """A cell of table 4.2 as the program writes it; (None, None) for an empty year."""
        text = raw.strip()
        if text in EMPTY_MARKS:
            return None, None
        return parse_number(text), None

    def check(self, value: Decimal | None, value2: Decimal | None = None) -> None:
        """ValidationError when (value, value2) is not a value of this measure."""
        if value is None:
            if value2 is not None:
                raise ValidationError(self.first_part_missing(), code="second_without_first")
            return
        check_storable(value, value2)
        if value2 is not None and not self.second_part:
            raise ValidationError(
                gettext("This KPI has no second part; leave it empty."), code="no_second_part"
            )
        self.check_number(value)

    def check_number(self, value: Decimal) -> None:
        if self.minimum is not None and value < self.minimum:
            raise ValidationError(self.below_minimum(), code="below_minimum")
        if self.maximum is not None and value > self.maximum:
            raise ValidationError(self.above_maximum(), code="above_maximum")
        if self.whole and value != value.to_integral_value():
            raise ValidationError(gettext("Enter a whole number."), code="not_whole")

    def below_minimum(self) -> str:
        return gettext("A count cannot be negative.")

    def above_maximum(self) -> str:
        return gettext("The number is too large.")

    def first_part_missing(self) -> str:
        return gettext("Enter the first part too.")

    # Judging

    def judged(self, value: Decimal | None, value2: Decimal | None) -> Decimal | None:
        """The number the status rules judge."""
        return value

    # Showing

    def display(self, value: Decimal | None, value2: Decimal | None = None) -> str:
        """An actual value as a person reads it, in the active language; a dash for none."""
        if value is None:
            return "—"
        return display_number(self._shown(value))

    def display_target(self, value: Decimal | None, value2: Decimal | None = None) -> str:
        return self.display(value, value2)

    def inputs(self, value: Decimal | None, value2: Decimal | None) -> tuple[str, str]:
        """What the entry form's inputs hold for a stored value, which `parse_parts` reads
        back the same: as `display` writes it, without grouping where "3,000" could be
        read as a decimal."""
        if value is None:
            return "", ""
        return display_number(self._shown(value), grouping=self.whole), ""

    def _shown(self, value: Decimal) -> Decimal:
        return value.quantize(Decimal(1)) if self.whole else value

    def display_judged(self, number: Decimal | None, *, target: bool = False) -> str:
        """A number the rules judge (a trend's end, the share judged), as it is shown."""
        return "—" if number is None else display_number(self._shown(number))

    chart_caption = _("Target, value and trend")

    def json(self, value: Decimal | None, value2: Decimal | None) -> object:
        """The JSON document's number: a number, or a pair where a value has two parts."""
        return to_json_number(value)

    def csv_parts(self, value: Decimal | None, value2: Decimal | None) -> tuple[str, str]:
        """The CSV's two columns of a value: the value as written, and the postgraduate
        share (only a split ratio has one), with decimal points."""
        return (plain(self._shown(value)) if value is not None else ""), ""

    def cell(self, value: Decimal | None, value2: Decimal | None) -> object:
        """What a spreadsheet cell holds for a value: a number, or text for a value that
        is not one number."""
        if value is None:
            return None
        normal = self._shown(value).normalize()
        return int(normal) if normal == normal.to_integral_value() else float(normal)

    def excel_text(self, value: Decimal, value2: Decimal | None, *, target: bool) -> str | None:
        """A workbook cell's text where the value is not written as one number (in the
        reader's language), else None."""
        return None

    def excel_format(self, value: Decimal) -> str:
        """The number format of a cell holding `value`."""
        return "#,##0"

    def validation_rule(self) -> dict:
        """Excel's data validation of a typed cell, as DataValidation's arguments."""
        if self.whole:
            return {"type": "whole", "operator": "greaterThanOrEqual", "formula1": "0"}
        return {"type": "decimal", "operator": "greaterThanOrEqual", "formula1": "0"}

    def validation_message(self) -> str:
        return gettext("Enter a whole number.") if self.whole else gettext("Enter a number.")

    def from_judged(self, number: Decimal) -> Pair:
        """A value whose judged number is `number`, kept inside the measure (demo data)."""
        return self.bounded(number), None

    def chart_value(self, value: Decimal | None, value2: Decimal | None) -> object:
        return to_json_number(self.judged(value, value2)) if value is not None else None

    def axis_label(self, unit_label: str) -> str:
        return unit_label

    def bounded(self, value: Decimal) -> Decimal:
        """A trend point kept inside what the measure allows, rounded as it is shown."""
        if self.minimum is not None:
            value = max(value, self.minimum)
        if self.maximum is not None:
            value = min(value, self.maximum)
        return value.quantize(Decimal(1) if self.whole else Decimal("0.1"))


@dataclass(frozen=True)
class Share(Measure):
    maximum: Decimal | None = HUNDRED
    suffix: str = "%"

    def below_minimum(self) -> str:
        return gettext("A share in per cent lies between 0 and 100.")

    above_maximum = below_minimum

    def excel_format(self, value: Decimal) -> str:
        return '0"%"' if value == value.to_integral_value() else '0.0#"%"'

    def validation_rule(self) -> dict:
        return {"type": "decimal", "operator": "between", "formula1": "0", "formula2": "100"}

    def validation_message(self) -> str:
        return gettext("A share in per cent lies between 0 and 100.")


@dataclass(frozen=True)
class WholeNumber(Measure):
    whole: bool = True


@dataclass(frozen=True)
class Place(Measure):
    """A place in a ranking, or a band of places (751-800), judged by its best place."""

    whole: bool = True
    minimum: Decimal | None = Decimal(1)
    suffix: str = pgettext_lazy("ranking", "place")
    second_part: bool = True
    reverse_axis: bool = True
    ranking: bool = True

    def parse(self, text: str | None) -> Pair:
        band = BAND_RE.match(text or "")
        if band:
            best, worst = (read_typed_number(part, whole=True) for part in band.groups())
            return best, worst
        top = RANK_RE.match((text or "").strip())
        if top:  # a target written as the program writes it: топ-20
            return Decimal(top.group(1)), None
        return super().parse(text)

    def parse_target(self, raw: str) -> Pair:
        text = raw.strip()
        if text in EMPTY_MARKS:
            return None, None
        match = RANK_RE.match(text)
        if not match:
            raise ValueFormatError(raw)
        return Decimal(match.group(1)), None

    def check_number(self, value: Decimal) -> None:
        if value != value.to_integral_value() or value < 1:
            raise ValidationError(
                gettext("A place in a ranking is a whole number of 1 or more."), code="bad_place"
            )

    def check(self, value: Decimal | None, value2: Decimal | None = None) -> None:
        super().check(value, value2)
        if value2 is not None:
            self.check_number(value2)
            if value2 < value:
                raise ValidationError(
                    gettext("A band of places goes from the better place to the worse: 751-800."),
                    code="band_order",
                )

    def first_part_missing(self) -> str:
        return gettext("Enter the best place of the band too.")

    def display(self, value: Decimal | None, value2: Decimal | None = None) -> str:
        if value is None:
            return "—"
        if value2 is not None and value2 != value:
            return f"{display_number(value)}–{display_number(value2)}"
        return display_number(value)

    def display_target(self, value: Decimal | None, value2: Decimal | None = None) -> str:
        if value is None:
            return "—"
        return gettext("top-%(n)s") % {"n": display_number(value)}

    def display_judged(self, number: Decimal | None, *, target: bool = False) -> str:
        return self.display_target(number) if target else super().display_judged(number)

    chart_caption = _("Place in the ranking (first place on top): target, value and trend")

    def inputs(self, value: Decimal | None, value2: Decimal | None) -> tuple[str, str]:
        if value is None:
            return "", ""
        if value2 is not None and value2 != value:
            return f"{plain(value)}-{plain(value2)}", ""
        return plain(value), ""

    def json(self, value: Decimal | None, value2: Decimal | None) -> object:
        if value is not None and value2 is not None and value2 != value:
            return [to_json_number(value), to_json_number(value2)]
        return to_json_number(value)

    def cell(self, value: Decimal | None, value2: Decimal | None) -> object:
        if value is not None and value2 is not None and value2 != value:
            return f"{plain(value)}-{plain(value2)}"
        return super().cell(value, None)

    def csv_parts(self, value: Decimal | None, value2: Decimal | None) -> tuple[str, str]:
        band = self.cell(value, value2)
        return ("" if band is None else str(band)), ""

    def excel_text(self, value: Decimal, value2: Decimal | None, *, target: bool) -> str | None:
        return self.display_target(value) if target else self.display(value, value2)

    def validation_rule(self) -> dict:
        # A place (15) or a band typed as text (751-800): Excel can only bound the length.
        return {"type": "textLength", "operator": "lessThanOrEqual", "formula1": "20"}

    def validation_message(self) -> str:
        return gettext("A place (e.g. 15) or a band of places (e.g. 751-800)")

    def axis_label(self, unit_label: str) -> str:
        return gettext("Place in the ranking")


@dataclass(frozen=True)
class SplitRatio(Measure):
    """Two shares that add up to 100: higher and postgraduate students (table 4.2 writes
    99,5/0,5). The postgraduate share is what is judged."""

    maximum: Decimal | None = HUNDRED
    suffix: str = "%"
    second_part: bool = True
    input_labels: tuple | None = (_("Higher education, %"), _("Postgraduate, %"))

    def parse(self, text: str | None) -> Pair:
        if text is None or not str(text).strip():
            return None, None
        higher, sep, postgraduate = str(text).partition("/")
        if not sep:
            raise ValidationError(gettext("Write the ratio as two shares, e.g. 97/3."))
        return read_typed_number(higher), read_typed_number(postgraduate)

    def parse_parts(self, first: str | None, second: str | None) -> Pair:
        parts, errors = [], {}
        for name, text in (("value", first), ("value2", second)):
            try:
                parts.append(read_typed_number(text))
            except ValidationError as exc:
                errors[name] = exc.messages
        if errors:
            raise ValidationError(errors)
        return parts[0], parts[1]

    def parse_cell(self, raw: object) -> Pair:
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            raise ValidationError(gettext("Write the ratio as two shares, e.g. 97/3."))
        return super().parse_cell(raw)

    def _first_column(self, raw: object) -> Pair:
        return read_cell_number(raw), None

    def parse_target(self, raw: str) -> Pair:
        text = raw.strip()
        if text in EMPTY_MARKS:
            return None, None
        higher, sep, postgraduate = text.partition("/")
        if not sep:
            raise ValueFormatError(raw)
        return parse_number(higher), parse_number(postgraduate)

    def check(self, value: Decimal | None, value2: Decimal | None = None) -> None:
        if value is not None and value2 is None:
            raise ValidationError(gettext("Enter the postgraduate share too."), code="ratio_half")
        super().check(value, value2)
        if value is None:
            return
        self.check_number(value2)
        if value + value2 != HUNDRED:
            raise ValidationError(
                gettext("The two shares must add up to 100 (now %(sum)s).")
                % {"sum": display_number(value + value2)},
                code="ratio_sum",
            )

    below_minimum = Share.below_minimum
    above_maximum = Share.below_minimum

    def first_part_missing(self) -> str:
        return gettext("Enter the higher-education share too.")

    chart_caption = _("Postgraduate share: target, value and trend")

    def judged(self, value: Decimal | None, value2: Decimal | None) -> Decimal | None:
        return value2

    def from_judged(self, number: Decimal) -> Pair:
        postgraduate = self.bounded(number)
        return HUNDRED - postgraduate, postgraduate

    def display(self, value: Decimal | None, value2: Decimal | None = None) -> str:
        if value is None:
            return "—"
        second = display_number(value2) if value2 is not None else "?"
        return f"{display_number(value)}/{second}"

    def inputs(self, value: Decimal | None, value2: Decimal | None) -> tuple[str, str]:
        if value is None:
            return "", ""
        return display_number(value), display_number(value2) if value2 is not None else ""

    def json(self, value: Decimal | None, value2: Decimal | None) -> object:
        if value is None:
            return None
        return [to_json_number(value), to_json_number(value2)]

    def cell(self, value: Decimal | None, value2: Decimal | None) -> object:
        if value is None:
            return None
        return f"{plain(value)}/{plain(value2)}"

    def csv_parts(self, value: Decimal | None, value2: Decimal | None) -> tuple[str, str]:
        return plain(value), plain(value2)

    def excel_text(self, value: Decimal, value2: Decimal | None, *, target: bool) -> str | None:
        return self.display(value, value2)

    def validation_rule(self) -> dict:
        return {"type": "textLength", "operator": "lessThanOrEqual", "formula1": "20"}

    def validation_message(self) -> str:
        return gettext("Two shares that add up to 100, e.g. 97/3")

    def axis_label(self, unit_label: str) -> str:
        return gettext("Postgraduate share, %")


@dataclass(frozen=True)
class Amount(Measure):
    """An amount of money (in thousand tenge): 0 or more, kopecks allowed."""

    def check_number(self, value: Decimal) -> None:
        super().check_number(value)
        if -value.as_tuple().exponent > 2:
            raise ValidationError(
                gettext("Use at most two digits after the decimal comma."), code="too_precise"
            )

    def below_minimum(self) -> str:
        return gettext("An amount cannot be negative.")


MEASURES: dict[str, Measure] = {
    Unit.PERCENT: Share(Unit.PERCENT),
    Unit.PERSONS: WholeNumber(Unit.PERSONS),
    Unit.COUNT: WholeNumber(Unit.COUNT),
    Unit.RANK: Place(Unit.RANK),
    Unit.RATIO: SplitRatio(Unit.RATIO),
    Unit.MONEY: Amount(Unit.MONEY),
}


def measure_for(unit: str) -> Measure:
    return MEASURES[unit]
