"""The straight-line trend to 2029, table-driven."""

from decimal import Decimal as D

import pytest

from kpis.measures import measure_for
from kpis.projection import project


@pytest.mark.parametrize(
    "values, sense, unit, target, end_value, meets",
    [
        # steady growth of 10 a year reaches 100 in 2029
        ({2023: D(40), 2024: D(50), 2025: D(60)}, "at_least", "percent", D(100), D(100), True),
        ({2023: D(40), 2024: D(50), 2025: D(60)}, "at_least", "percent", None, D(100), None),
        # too slow for the target
        ({2023: D(3160), 2024: D(3200)}, "at_least", "persons", D(4500), D(3400), False),
        # at most: spending falls under the ceiling
        ({2023: D(8), 2024: D(7)}, "at_most", "percent", D(5), D(2), True),
        ({2023: D(4), 2024: D(6)}, "at_most", "percent", D(10), D(16), False),
        # rank: the place improves by 50 a year from 700
        ({2026: D(700), 2027: D(650)}, "rank", "rank", D(500), D(550), False),
        ({2026: D(700), 2027: D(600)}, "rank", "rank", D(500), D(400), True),
        # bounded: shares stop at 100, counts at 0, places at 1
        ({2023: D(90), 2024: D(99)}, "at_least", "percent", D(100), D(100), True),
        ({2023: D(10), 2024: D(2)}, "at_least", "count", D(5), D(0), False),
        ({2026: D(100), 2027: D(10)}, "rank", "rank", D(10), D(1), True),
        # noisy values: least squares, not the last two points
        ({2023: D(10), 2024: D(30), 2025: D(20)}, "at_least", "count", D(40), D(45), True),
    ],
)
def test_projection(values, sense, unit, target, end_value, meets):
    result = project(
        values, end_year=2029, sense=sense, end_target=target, measure=measure_for(unit)
    )
    assert result.end_value == end_value
    assert result.will_meet is meets
    assert min(result.line) == min(values)
    assert max(result.line) == 2029


@pytest.mark.parametrize("values", [{}, {2024: D(5)}, {2023: None, 2024: D(5)}])
def test_no_projection_from_fewer_than_two_values(values):
    count = measure_for("count")
    assert project(values, end_year=2029, sense="at_least", end_target=D(1), measure=count) is None
