"""Where a KPI is heading: a straight-line trend through its approved values so far,
carried on to the last year of the program.

A least-squares line needs at least two years of values. It is a reading aid for the
rector's office, not a forecast model: the page says so next to it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from kpis.measures import Measure
from kpis.status import is_met


@dataclass(frozen=True)
class Projection:
    line: dict[int, Decimal]  # the trend, from the first year with a value to the end year
    end_year: int
    end_value: Decimal
    end_target: Decimal | None
    sense: str

    @property
    def will_meet(self) -> bool | None:
        """Whether the end-year target is met at this pace; None without a target."""
        if self.end_target is None:
            return None
        return is_met(self.sense, self.end_target, self.end_value)


def project(
    values: dict[int, Decimal],
    *,
    end_year: int,
    sense: str,
    end_target: Decimal | None,
    measure: Measure,
) -> Projection | None:
    """The trend of `values` (year → measured value) carried on to `end_year`."""
    points = sorted((year, value) for year, value in values.items() if value is not None)
    if len(points) < 2:
        return None
    slope, intercept = _least_squares(points)
    first_year = points[0][0]
    line = {
        year: measure.bounded(intercept + slope * year) for year in range(first_year, end_year + 1)
    }
    return Projection(
        line=line,
        end_year=end_year,
        end_value=line[end_year],
        end_target=end_target,
        sense=sense,
    )


def _least_squares(points: list[tuple[int, Decimal]]) -> tuple[Decimal, Decimal]:
    n = Decimal(len(points))
    xs = [Decimal(year) for year, _ in points]
    ys = [value for _, value in points]
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    spread = sum((x - mean_x) ** 2 for x in xs)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread
    return slope, mean_y - slope * mean_x
