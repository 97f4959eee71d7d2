from decimal import Decimal as D

import pytest
from django.utils import translation

from kpis.values import (
    ValueFormatError,
    display_value,
    json_value,
    parse_number,
    parse_target_text,
)


@pytest.mark.parametrize(
    "raw, unit, expected",
    [
        ("3160", "persons", (D(3160), None)),
        ("4,5", "percent", (D("4.5"), None)),
        ("0.05", "percent", (D("0.05"), None)),
        ("0, 2", "percent", (D("0.2"), None)),  # the seed's typo for 0,2
        ("-", "count", (None, None)),
        ("", "count", (None, None)),
        ("99,5/0,5", "ratio", (D("99.5"), D("0.5"))),
        ("97/3", "ratio", (D(97), D(3))),
        ("топ-20", "rank", (D(20), None)),
        ("Топ 700", "rank", (D(700), None)),
    ],
)
def test_parse_target_text(raw, unit, expected):
    assert parse_target_text(raw, unit) == expected


@pytest.mark.parametrize(
    "raw, unit", [("abc", "count"), ("97", "ratio"), ("20", "rank"), ("1.2.3", "percent")]
)
def test_parse_target_text_refuses_what_it_cannot_read(raw, unit):
    with pytest.raises(ValueFormatError):
        parse_target_text(raw, unit)


def test_parse_number_accepts_spaces_between_thousands():
    assert parse_number("3 160") == D(3160)
    assert parse_number("3\u00a0160,5") == D("3160.5")


@pytest.mark.parametrize(
    "unit, value, value2, expected",
    [
        ("persons", D("3160.0000"), None, 3160),
        ("percent", D("4.5000"), None, 4.5),
        ("ratio", D("99.5"), D("0.5"), [99.5, 0.5]),
        ("rank", D(700), None, 700),
        ("count", None, None, None),
    ],
)
def test_json_value(unit, value, value2, expected):
    assert json_value(unit, value, value2) == expected


def test_display_value_follows_the_language():
    with translation.override("kk"):
        assert display_value("percent", D("4.5")) == "4,5"
        assert display_value("persons", D(3160)) == "3\u00a0160"
        assert display_value("ratio", D("96.5"), D("3.5")) == "96,5/3,5"
    with translation.override("en"):
        assert display_value("percent", D("4.5")) == "4.5"
        assert display_value("rank", D(700)) == "top-700"
    assert display_value("count", None) == "—"
