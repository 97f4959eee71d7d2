"""Every kind of KPI value, through the one place that knows what its numbers mean.

Each measure has a row in CASES; `test_every_measure_has_its_cases` fails until a new
measure gets one, and every test below then runs for it too."""

from dataclasses import dataclass, field
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from kpis.measures import MEASURES, measure_for, read_typed_number
from kpis.values import ValueFormatError, parse_number


@dataclass
class Case:
    typed: list  # (text, (value, value2)) read the same in every language
    refused: list  # (text, words of the message)
    judged: tuple  # ((value, value2), the number the rules judge)
    shown: dict  # language → ((value, value2), as a page writes it)
    json: list  # ((value, value2), JSON)
    cell: list  # ((value, value2), what a spreadsheet cell holds)
    target: list  # (table 4.2 cell, (value, value2))
    bad_target: list = field(default_factory=list)


CASES = {
    "percent": Case(
        typed=[("68,5", (D("68.5"), None)), ("68.5", (D("68.5"), None)), ("", (None, None))],
        refused=[
            ("120", "between 0 and 100"),
            ("-3", "between 0 and 100"),
            ("abc", "not a number"),
        ],
        judged=((D("4.5"), None), D("4.5")),
        shown={"kk": ((D("4.5"), None), "4,5"), "en": ((D("4.5"), None), "4.5")},
        json=[((D("4.5000"), None), 4.5), ((None, None), None)],
        cell=[((D("4.5"), None), 4.5), ((D(70), None), 70)],
        target=[("4,5", (D("4.5"), None)), ("0, 2", (D("0.2"), None)), ("-", (None, None))],
        bad_target=["abc", "1.2.3"],
    ),
    "persons": Case(
        typed=[("3 160", (D(3160), None)), ("3,480", (D(3480), None)), ("3.480", (D(3480), None))],
        refused=[("10,5", "whole number"), ("-5", "cannot be negative"), ("1E+20", "not a number")],
        judged=((D(3160), None), D(3160)),
        shown={"kk": ((D("3223.0000"), None), "3\u00a0223"), "en": ((D(3160), None), "3,160")},
        json=[((D("3160.0000"), None), 3160)],
        cell=[((D("3160.0000"), None), 3160)],
        target=[("3160", (D(3160), None)), ("", (None, None))],
        bad_target=["три"],
    ),
    "count": Case(
        typed=[("12", (D(12), None)), ("1,234,567", (D(1234567), None))],
        refused=[("2,5", "whole number"), ("12345678901", "too large")],
        judged=((D(7), None), D(7)),
        shown={"kk": ((D(12), None), "12"), "en": ((D(1500), None), "1,500")},
        json=[((D(7), None), 7)],
        cell=[((D(7), None), 7)],
        target=[("7", (D(7), None))],
    ),
    "rank": Case(
        typed=[
            ("15", (D(15), None)),
            ("751-800", (D(751), D(800))),
            ("751–800", (D(751), D(800))),
            ("top-20", (D(20), None)),
        ],
        refused=[("0", "1 or more"), ("800-751", "from the better place"), ("7,5", "1 or more")],
        judged=((D(751), D(800)), D(751)),
        shown={"kk": ((D(751), D(800)), "751–800"), "en": ((D(15), None), "15")},
        json=[((D(15), None), 15), ((D(751), D(800)), [751, 800])],
        cell=[((D(15), None), 15), ((D(751), D(800)), "751-800")],
        target=[("топ-20", (D(20), None)), ("Топ 700", (D(700), None))],
        bad_target=["20"],
    ),
    "ratio": Case(
        typed=[("97/3", (D(97), D(3))), ("99,5/0,5", (D("99.5"), D("0.5")))],
        refused=[("97/2,5", "add up to 100"), ("97", "two shares"), ("120/-20", "between 0 and")],
        judged=((D("96.5"), D("3.5")), D("3.5")),
        shown={"kk": ((D("96.5"), D("3.5")), "96,5/3,5"), "en": ((D(97), D(3)), "97/3")},
        json=[((D("99.5"), D("0.5")), [99.5, 0.5])],
        cell=[((D("99.5"), D("0.5")), "99.5/0.5")],
        target=[("99,5/0,5", (D("99.5"), D("0.5"))), ("97/3", (D(97), D(3)))],
        bad_target=["97"],
    ),
    "money": Case(
        typed=[("1 250,5", (D("1250.5"), None)), ("3 000", (D(3000), None))],
        refused=[("-1", "cannot be negative"), ("10.125", "two digits")],
        judged=((D("1250.5"), None), D("1250.5")),
        shown={"kk": ((D("1250.5"), None), "1\u00a0250,5"), "en": ((D(3000), None), "3,000")},
        json=[((D("1250.5000"), None), 1250.5)],
        cell=[((D("1250.5"), None), 1250.5)],
        target=[("1250,5", (D("1250.5"), None))],
    ),
}
UNITS = list(MEASURES)


def test_every_measure_has_its_cases():
    assert set(CASES) == set(MEASURES)


@pytest.mark.parametrize("unit", UNITS)
@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_typed_values_are_read_and_checked(unit, language):
    measure = measure_for(unit)
    with translation.override(language):
        for text, expected in CASES[unit].typed:
            assert measure.parse(text) == expected, text
            measure.check(*expected)


@pytest.mark.parametrize("unit", UNITS)
def test_bad_values_are_refused_with_the_rule(unit):
    measure = measure_for(unit)
    with translation.override("en"):
        for text, words in CASES[unit].refused:
            with pytest.raises(ValidationError) as caught:
                measure.check(*measure.parse(text))
            assert words in " ".join(caught.value.messages), text


@pytest.mark.parametrize("unit", UNITS)
def test_the_judged_number(unit):
    (value, value2), judged = CASES[unit].judged
    assert measure_for(unit).judged(value, value2) == judged


@pytest.mark.parametrize("unit", UNITS)
def test_shown_in_the_readers_language_and_read_back(unit):
    measure = measure_for(unit)
    for language, ((value, value2), text) in CASES[unit].shown.items():
        with translation.override(language):
            assert measure.display(value, value2) == text
            first, second = measure.inputs(value, value2)
            assert measure.parse_parts(first, second) == (value, value2)  # what inputs hold
    assert measure.display(None) == "—"


@pytest.mark.parametrize("unit", UNITS)
def test_json_and_cells(unit):
    measure = measure_for(unit)
    for (value, value2), expected in CASES[unit].json:
        assert measure.json(value, value2) == expected
    for (value, value2), expected in CASES[unit].cell:
        cell = measure.cell(value, value2)
        assert cell == expected and type(cell) is type(expected)
        assert measure.parse_cell(cell) == (value, value2)  # a cell the template holds


@pytest.mark.parametrize("unit", UNITS)
def test_targets_as_table_4_2_writes_them(unit):
    measure = measure_for(unit)
    for raw, expected in CASES[unit].target:
        assert measure.parse_target(raw) == expected, raw
    for raw in CASES[unit].bad_target:
        with pytest.raises(ValueFormatError):
            measure.parse_target(raw)


@pytest.mark.parametrize("unit", UNITS)
def test_a_trend_stays_inside_the_measure(unit):
    measure = measure_for(unit)
    low, high = measure.bounded(D(-50)), measure.bounded(D("1e6"))
    measure.check(*measure.from_judged(low))
    measure.check(*measure.from_judged(high))


def test_whole_numbers_never_show_decimals():
    persons = measure_for("persons")
    with translation.override("kk"):
        assert persons.display_judged(D("3708.8")) == "3\u00a0709"
        assert persons.bounded(D("3708.8")) == D(3709)


def test_a_ranking_target_reads_top_n():
    with translation.override("en"):
        assert measure_for("rank").display_target(D(700)) == "top-700"


# --- Numbers typed in each language -------------------------------------------------------


@pytest.mark.parametrize(
    "language, text, whole, expected",
    [
        ("kk", "3,5", False, D("3.5")),
        ("kk", "3.5", False, D("3.5")),
        ("kk", "3 480", True, D(3480)),
        ("kk", "12,345", False, D("12.345")),  # the decimal comma of Kazakh
        ("ru", "1\u00a0250,75", False, D("1250.75")),
        ("en", "3.5", False, D("3.5")),
        ("en", "3,5", False, D("3.5")),  # only one reading
        ("en", "1,000", True, D(1000)),  # a count: the comma groups thousands
        ("en", "1,234.5", False, D("1234.5")),
        ("kk", "1.234,5", False, D("1234.5")),
        ("en", "−4.5", False, D("-4.5")),
    ],
)
def test_numbers_are_read_as_the_readers_language_writes_them(language, text, whole, expected):
    with translation.override(language):
        assert read_typed_number(text, whole=whole) == expected


@pytest.mark.parametrize("text", ["1,000", "12,500"])
def test_an_english_comma_before_three_digits_of_a_share_is_refused_with_a_hint(text):
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        read_typed_number(text)
    message = " ".join(caught.value.messages)
    assert "can be read two ways" in message and text.replace(",", "") in message


@pytest.mark.parametrize("text", ["1,2,3", "1,23,456", "12,", "--5", "5-", "1e5", "½"])
def test_what_is_no_number_is_refused(text):
    with translation.override("en"), pytest.raises(ValidationError):
        read_typed_number(text, whole=True)


def test_the_program_documents_own_numbers():
    assert parse_number("3 160") == D(3160)
    assert parse_number("3\u00a0160,5") == D("3160.5")
