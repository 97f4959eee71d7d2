"""Loading the program: counts, idempotency, and that actual values are never touched."""

from datetime import date

import pytest
from django.core.management import call_command

from directions.models import Alignment, Direction, Program, StateDocument, TargetIndicator, Task
from kpis.loading import load_program, opens_for_entry_on_load, read_fixture
from kpis.models import Actual, ActualState, Kpi, Target
from tests.stamps import stamps


def test_counts(program):
    assert Direction.objects.filter(program=program).count() == 5
    assert Task.objects.filter(goal__direction__program=program).count() == 17
    assert Kpi.objects.filter(program=program).count() == 80
    assert Target.objects.filter(kpi__program=program).count() == 560
    assert StateDocument.objects.filter(program=program).count() == 5
    assert Alignment.objects.filter(direction__program=program).count() == 15
    assert TargetIndicator.objects.filter(document__program=program).count() == 15
    assert (program.start_year, program.end_year) == (2023, 2029)


def test_concept_indicators_are_linked_to_their_directions(program):
    linked = {
        i.number: sorted(d.number for d in i.directions.all())
        for i in TargetIndicator.objects.filter(document__program=program)
    }
    assert linked[1] == [1] and linked[13] == [2] and linked[6] == [3] and linked[8] == [4]


def test_second_load_changes_nothing(program):
    before = list(Target.objects.order_by("id").values_list("id", "value", "value2", "raw_text"))
    history_before = Target.history.count()
    report = load_program(read_fixture())
    assert not report.changed_anything
    assert report.differing == []
    assert (
        list(Target.objects.order_by("id").values_list("id", "value", "value2", "raw_text"))
        == before
    )
    assert Target.history.count() == history_before


def test_reload_never_touches_actual_values(program):
    kpi = Kpi.objects.get(program=program, code="1.1.1")
    Actual.objects.create(
        kpi=kpi, year=2023, value=3100, state=ActualState.APPROVED, **stamps("approved")
    )
    load_program(read_fixture(), overwrite=True)
    actual = Actual.objects.get(kpi=kpi, year=2023)
    assert actual.value == 3100 and actual.state == ActualState.APPROVED


def test_edited_target_is_kept_and_reported_unless_overwrite(program):
    target = Target.objects.get(kpi__program=program, kpi__code="1.1.1", year=2029)
    target.value = 4600
    target.save()

    report = load_program(read_fixture())
    assert report.differing == ["target 1.1.1 2029: value"]
    target.refresh_from_db()
    assert target.value == 4600

    report = load_program(read_fixture(), overwrite=True)
    assert report.updated["target"] == 1
    target.refresh_from_db()
    assert target.value == 4500
    assert target.history.first().history_change_reason == "reloaded"


def test_command_reports_up_to_date(program, capsys):
    call_command("load_program")
    assert "nothing changed" in capsys.readouterr().out


def test_broken_fixture_is_refused_whole(program, tmp_path):
    data = read_fixture()
    data["program"]["code"] = "OTHER"
    data["directions"][0]["goal"]["tasks"][0]["kpis"][0]["targets"]["2023"] = "лот"
    with pytest.raises(ValueError):
        load_program(data)
    assert not Program.objects.filter(code="OTHER").exists()  # nothing half-loaded


def test_a_second_program_can_live_beside_the_first(program):
    data = read_fixture()
    data["program"]["code"] = "METU-NEXT"
    load_program(data)
    assert Program.objects.count() == 2
    assert Kpi.objects.filter(program__code="METU-NEXT").count() == 80
    assert Kpi.objects.filter(program=program).count() == 80


@pytest.mark.parametrize(
    "today, open_years",
    [
        (date(2026, 11, 25), [2023, 2024, 2025]),
        (date(2024, 1, 10), [2023]),
        (date(2023, 6, 1), []),
        (date(2031, 1, 1), list(range(2023, 2030))),
    ],
)
def test_a_loaded_program_opens_the_years_that_have_ended(today, open_years):
    years = range(2023, 2030)
    assert [y for y in years if opens_for_entry_on_load(y, today)] == open_years
