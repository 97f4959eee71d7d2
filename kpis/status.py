"""Status rules: how far a KPI's actual value is from its target in a year.

Pure functions of numbers, so every branch is table-tested without a database.

- at least (higher is better): achievement = actual / target;
- at most (lower is better):   achievement = target / actual;
- rank (place N or better):    achievement = N / place;
- ratio (higher / postgraduate shares): judged on the postgraduate share, at least.

A KPI is *achieved* when it meets its target, *close* when not achieved but its
achievement is at least the threshold (settings.KPI_CLOSE_THRESHOLD, 90% by
default), and *behind* otherwise. With no target it is *no target*; with no
counted actual value it is *no data*.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

HUNDRED = Decimal(100)
ONE_DECIMAL = Decimal("0.1")


class Status(models.TextChoices):
    ACHIEVED = "achieved", _("achieved")
    CLOSE = "close", _("close to target")
    BEHIND = "behind", _("behind target")
    NO_TARGET = "no_target", _("no target")
    NO_DATA = "no_data", _("no data")
    NOT_DUE = "not_due", _("not yet due")


# Shown beside the colour so that status never depends on colour alone.
STATUS_SYMBOLS = {
    Status.ACHIEVED: "✓",
    Status.CLOSE: "≈",
    Status.BEHIND: "✗",
    Status.NO_TARGET: "–",
    Status.NO_DATA: "?",
    Status.NOT_DUE: "…",
}


@dataclass(frozen=True)
class Assessment:
    status: Status
    achievement: Decimal | None = None  # per cent, one decimal; None when undefined

    @property
    def symbol(self) -> str:
        return STATUS_SYMBOLS[self.status]


def close_threshold() -> Decimal:
    return Decimal(settings.KPI_CLOSE_THRESHOLD)


def achievement_pct(sense: str, target: Decimal, actual: Decimal) -> Decimal:
    """Per cent of the target reached; 100 means exactly on target."""
    if sense == "at_least":
        if target == 0:
            return HUNDRED if actual >= 0 else Decimal(0)
        return _round(actual / target * HUNDRED)
    if sense == "at_most":
        if actual == 0:
            return HUNDRED  # nothing spent or granted can never exceed a ceiling
        return _round(target / actual * HUNDRED)
    if sense == "rank":
        if actual <= 0:
            raise ValueError("A place in a ranking is a positive number.")
        return _round(target / actual * HUNDRED)
    raise ValueError(f"Unknown sense: {sense!r}")


def is_met(sense: str, target: Decimal, actual: Decimal) -> bool:
    if sense == "at_most":
        return actual <= target
    if sense == "rank":
        return actual <= target
    return actual >= target


def assess(
    sense: str,
    target: Decimal | None,
    actual: Decimal | None,
    *,
    threshold: Decimal | None = None,
    due: bool = True,
) -> Assessment:
    """The status of one KPI in one year, from the numbers the rules judge. A year
    that has not ended (`due` False) is not yet due without a value, never "no data".

    For a KPI, `assess_kpi` passes the numbers its measure judges."""
    if target is None:
        return Assessment(Status.NO_TARGET)
    if actual is None:
        return Assessment(Status.NO_DATA if due else Status.NOT_DUE)
    pct = achievement_pct(sense, target, actual)
    if is_met(sense, target, actual):
        return Assessment(Status.ACHIEVED, pct)
    limit = close_threshold() if threshold is None else threshold
    return Assessment(Status.CLOSE if pct >= limit else Status.BEHIND, pct)


def assess_kpi(
    kpi, target, actual, *, threshold: Decimal | None = None, due: bool = True
) -> Assessment:
    """The status of `kpi` in a year. `target` and `actual` are a Target and an Actual
    (anything with `value` and `value2`, see kpis.measures.Values), or None; the KPI's
    measure says which number is judged (the postgraduate share of the ratio)."""
    judged = kpi.measure.judged
    t = judged(target.value, target.value2) if target is not None else None
    has_actual = actual is not None and actual.value is not None
    a = judged(actual.value, actual.value2) if has_actual else None
    return assess(kpi.sense, t, a, threshold=threshold, due=due)


def is_due(year: int, today: date | None = None) -> bool:
    """A year's values are reported once it has ended: in 2026, 2023–2025 are due."""
    return year < (today or timezone.localdate()).year


def status_for(kpi, year: int, *, include_submitted: bool = False) -> Assessment:
    """The status of `kpi` in `year`, reading its targets and actuals.

    Prefetch `targets` and `actuals` when calling it for many KPIs."""
    from kpis.models import ActualState

    states = {ActualState.APPROVED} | ({ActualState.SUBMITTED} if include_submitted else set())
    target = next((t for t in kpi.targets.all() if t.year == year), None)
    actual = next((a for a in kpi.actuals.all() if a.year == year and a.state in states), None)
    return assess_kpi(kpi, target, actual)


def _round(value: Decimal) -> Decimal:
    return value.quantize(ONE_DECIMAL)
