"""The loaded program against an independent transcription of table 4.2 of the seed
(tests/seed_table_42.py was typed from the seed without looking at the fixture)."""

from collections import Counter

import pytest

from directions.models import Task
from kpis.measures import measure_for
from kpis.models import Kpi, Target
from tests.seed_table_42 import DIRECTION_COUNTS, EXPECTED_KPIS, TASK_COUNTS

YEARS = list(range(2023, 2030))
BY_CODE = {row[0]: row for row in EXPECTED_KPIS}


def test_counts_per_direction_and_task(program):
    kpis = Kpi.objects.filter(program=program).select_related("task__goal__direction")
    assert Counter(k.task.goal.direction.number for k in kpis) == DIRECTION_COUNTS
    assert Counter(k.task.number for k in kpis) == TASK_COUNTS
    assert Task.objects.filter(goal__direction__program=program).count() == 17
    assert sum(DIRECTION_COUNTS.values()) == 80


@pytest.mark.parametrize("code", list(BY_CODE))
def test_every_row_matches_the_seed(program, code):
    _code, unit, sense, raw_targets, name = BY_CODE[code]
    kpi = Kpi.objects.get(program=program, code=code)
    assert (kpi.name, kpi.unit, kpi.sense) == (name, unit, sense)
    targets = {t.year: t for t in Target.objects.filter(kpi=kpi)}
    assert sorted(targets) == YEARS
    for year, raw in zip(YEARS, raw_targets, strict=True):
        expected = measure_for(unit).parse_target(raw)
        assert (targets[year].value, targets[year].value2) == expected, (code, year)
        assert targets[year].raw_text == raw, (code, year)


def test_560_targets_of_which_the_empty_years_are_null(program):
    targets = Target.objects.filter(kpi__program=program)
    assert targets.count() == 560
    empty = sum(1 for row in EXPECTED_KPIS for raw in row[3] if raw.strip() in {"", "-"})
    assert targets.filter(value__isnull=True).count() == empty


def test_ratio_and_rank_rows_are_typed(program):
    ratio = Kpi.objects.get(program=program, code="1.1.2")
    assert ratio.unit == "ratio"
    assert ratio.targets.filter(value2__isnull=False).count() == 7
    assert set(Kpi.objects.filter(program=program, unit="rank").values_list("code", flat=True)) == {
        "3.1.3",
        "3.1.4",
    }


def test_section_5_differences_are_noted_and_table_4_2_wins(program):
    for code, year_2029 in [("2.1.5", 3), ("2.3.3", 6), ("4.3.2", 15), ("4.3.3", 2)]:
        kpi = Kpi.objects.get(program=program, code=code)
        assert kpi.targets.get(year=2029).value == year_2029
        assert "5-БӨЛІМ" in kpi.notes and "4.2-кесте қабылданды" in kpi.notes
    ratio = Kpi.objects.get(program=program, code="1.1.2")
    assert "93/3,5" in ratio.notes
    assert (ratio.targets.get(year=2029).value, ratio.targets.get(year=2029).value2) == (
        96.5,
        3.5,
    )


def test_task_names_in_the_table_keep_their_full_stops(program):
    # Table 4.2 ends these three task cells with a full stop; the passport does not.
    in_table = dict(
        Task.objects.filter(goal__direction__program=program).values_list("number", "name_in_table")
    )
    assert in_table["2.3"] == (
        "Стартаптар мен шағын инновациялық кәсіпорындарды қолдау экожүйесін құру."
    )
    assert in_table["2.4"].endswith("ғылыми-инновациялық әлеуетін арттыру.")
    assert in_table["4.3"].endswith("өзара іс-қимылды ұйымдастыру.")
    assert sum(name.endswith(".") for name in in_table.values()) == 3
