"""Status rules, table-driven: every branch for every sense and unit."""

from decimal import Decimal as D
from types import SimpleNamespace

import pytest

from kpis.measures import Values, measure_for
from kpis.status import Status, achievement_pct, assess, assess_kpi

A, C, B, NT, ND = (
    Status.ACHIEVED,
    Status.CLOSE,
    Status.BEHIND,
    Status.NO_TARGET,
    Status.NO_DATA,
)


@pytest.mark.parametrize(
    "sense, target, actual, status, pct",
    [
        # at least (higher is better)
        ("at_least", D(80), D(80), A, D("100.0")),
        ("at_least", D(80), D(96), A, D("120.0")),
        ("at_least", D(80), D(72), C, D("90.0")),  # exactly on the threshold: close
        ("at_least", D(80), D("71.9"), B, D("89.9")),
        ("at_least", D(3160), D(0), B, D("0.0")),
        ("at_least", D("4.5"), D("4.05"), C, D("90.0")),  # decimal target
        ("at_least", D("0.05"), D("0.04"), B, D("80.0")),
        ("at_least", D(0), D(0), A, D(100)),  # zero target met by zero
        ("at_least", D(0), D(12), A, D(100)),
        # at most (lower is better)
        ("at_most", D(10), D(10), A, D("100.0")),
        ("at_most", D(10), D(8), A, D("125.0")),
        ("at_most", D(10), D(11), C, D("90.9")),
        ("at_most", D(10), D(12), B, D("83.3")),
        ("at_most", D("0.04"), D(0), A, D(100)),  # nothing spent: below any ceiling
        ("at_most", D(0), D(0), A, D(100)),
        ("at_most", D(0), D(1), B, D("0.0")),
        # rank: a place, lower is better; the target is the band N
        ("rank", D(700), D(650), A, D("107.7")),
        ("rank", D(700), D(700), A, D("100.0")),
        ("rank", D(20), D(22), C, D("90.9")),
        ("rank", D(500), D(800), B, D("62.5")),
    ],
)
def test_assess_every_branch(sense, target, actual, status, pct):
    result = assess(sense, target, actual, threshold=D(90))
    assert result.status == status
    assert result.achievement == pct


@pytest.mark.parametrize("sense", ["at_least", "at_most", "rank"])
def test_no_target_wins_over_no_data(sense):
    assert assess(sense, None, None).status == NT
    assert assess(sense, None, D(5)).status == NT
    assert assess(sense, None, D(5)).achievement is None


@pytest.mark.parametrize("sense", ["at_least", "at_most", "rank"])
def test_no_data_when_target_but_no_actual(sense):
    result = assess(sense, D(5), None)
    assert result.status == ND
    assert result.achievement is None


@pytest.mark.parametrize(
    "target, actual, status",
    [
        ((D("97"), D("3")), (D("96.5"), D("3.5")), A),  # judged on the postgraduate share
        ((D("97"), D("3")), (D("97.3"), D("2.7")), C),
        ((D("97"), D("3")), (D("98"), D("2")), B),
        ((D("97"), D("3")), None, ND),
        (None, (D("97"), D("3")), NT),
    ],
)
def test_ratio_is_judged_on_postgraduate_share(target, actual, status):
    kpi = SimpleNamespace(measure=measure_for("ratio"), sense="at_least")
    target = Values(*target) if target else None
    actual = Values(*actual) if actual else None
    assert assess_kpi(kpi, target, actual, threshold=D(90)).status == status


def test_close_threshold_comes_from_settings(settings):
    settings.KPI_CLOSE_THRESHOLD = 95
    assert assess("at_least", D(100), D(92)).status == B
    settings.KPI_CLOSE_THRESHOLD = 90
    assert assess("at_least", D(100), D(92)).status == C


def test_a_place_must_be_positive():
    with pytest.raises(ValueError):
        achievement_pct("rank", D(10), D(0))


def test_unknown_sense_is_refused():
    with pytest.raises(ValueError):
        achievement_pct("sideways", D(1), D(1))
