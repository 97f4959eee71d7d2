"""Loading the program: counts, idempotency, that actual values are never touched, the
history it keeps and the number of queries it runs."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.utils import translation

from benchmarks.setup_data import scaled_fixture
from directions.models import Alignment, Direction, Program, StateDocument, TargetIndicator, Task
from kpis import services
from kpis.loading import load_program, opens_for_entry_on_load, read_fixture, read_translations
from kpis.models import Actual, ActualState, Kpi, ReportingYear, Target
from reports.cache import data_version
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


# --- Queries: the loader reads each model once and writes in bulk -----------------------


def test_a_second_load_of_the_real_program_runs_a_dozen_queries(
    program, django_assert_max_num_queries
):
    with django_assert_max_num_queries(15):
        report = load_program(read_fixture(), translations=read_translations())
    assert not report.changed_anything and report.differing == []


def test_a_program_of_80_kpis_loads_afresh_in_a_few_dozen_queries(
    program, django_assert_max_num_queries
):
    data = read_fixture()
    data["program"]["code"] = "METU-NEXT"
    with django_assert_max_num_queries(40):
        load_program(data, translations=read_translations())
    assert Target.objects.filter(kpi__program__code="METU-NEXT").count() == 560


def test_a_program_of_800_kpis_loads_in_a_bounded_number_of_queries(
    program, django_assert_max_num_queries
):
    with django_assert_max_num_queries(200):  # one query a row would be over 13,000
        load_program(scaled_fixture(10))
    assert Kpi.objects.filter(program__code="METU-X10").count() == 800
    assert Target.objects.filter(kpi__program__code="METU-X10").count() == 5600
    with django_assert_max_num_queries(15):
        report = load_program(scaled_fixture(10))
    assert not report.changed_anything


# --- History: what the bulk writes record -------------------------------------------------


def _target_row(target) -> tuple:
    return (target.id, target.kpi_id, target.year, target.value, target.value2, target.raw_text)


def test_a_new_program_records_each_kpi_target_and_year_once_as_it_was_created(program):
    data = read_fixture()
    data["program"]["code"] = "METU-NEXT"
    load_program(data, translations=read_translations())
    targets = list(Target.objects.filter(kpi__program__code="METU-NEXT"))
    history = list(Target.history.filter(id__in=[t.id for t in targets]))
    assert sorted(_target_row(h) for h in history) == sorted(_target_row(t) for t in targets)
    assert {(h.history_type, h.history_change_reason) for h in history} == {("+", None)}

    kpis = {k.id: k for k in Kpi.objects.filter(program__code="METU-NEXT")}
    kpi_history = list(Kpi.history.filter(id__in=kpis))
    assert sorted(h.id for h in kpi_history) == sorted(kpis)  # one row each
    for row in kpi_history:
        kpi = kpis[row.id]
        assert (row.code, row.task_id, row.program_id, row.unit, row.sense) == (
            kpi.code,
            kpi.task_id,
            kpi.program_id,
            kpi.unit,
            kpi.sense,
        )
        assert (row.name, row.notes) == (kpi.name_kk, kpi.notes_kk)
    years = ReportingYear.objects.filter(program__code="METU-NEXT")
    assert ReportingYear.history.filter(id__in=years).count() == 7


def test_a_reset_records_exactly_what_each_reset_row_then_holds(program):
    planner = User.objects.get(username="planner")
    edited = Target.objects.get(kpi__program=program, kpi__code="1.1.1", year=2029)
    ratio = Target.objects.get(kpi__program=program, kpi__code="1.1.2", year=2025)
    services.change_target(user=planner, target=edited, value=D(4600), value2=None, reason="x")
    services.change_target(user=planner, target=ratio, value=D(95), value2=D(5), reason="y")
    kpi = Kpi.objects.get(program=program, code="1.2.1")
    fixture_name = kpi.name_kk
    kpi.name_kk, kpi.notes_kk = "Өзгертілген атауы", "ескертпе"
    kpi.save()
    last_target_record = Target.history.latest("history_id").history_id
    last_kpi_record = Kpi.history.latest("history_id").history_id

    report = load_program(read_fixture(), overwrite=True)

    assert report.updated == {"target": 2, "kpi": 1}
    records = list(Target.history.filter(history_id__gt=last_target_record))
    assert sorted(r.id for r in records) == sorted([edited.id, ratio.id])  # no other row
    for record in records:
        target = Target.objects.get(pk=record.id)
        assert _target_row(record) == _target_row(target)
        assert (record.history_type, record.history_change_reason) == ("~", "reloaded")
    edited.refresh_from_db()
    ratio.refresh_from_db()
    assert (edited.value, edited.raw_text) == (4500, "4500")
    assert (ratio.value, ratio.value2, ratio.raw_text) == (D("98.5"), D("1.5"), "98,5/1,5")

    (kpi_record,) = Kpi.history.filter(history_id__gt=last_kpi_record)
    kpi.refresh_from_db()
    assert kpi.name_kk == fixture_name and kpi.notes_kk == ""
    assert (kpi_record.name, kpi_record.notes, kpi_record.history_change_reason) == (
        fixture_name,
        "",
        "reloaded",
    )


def test_the_planning_office_sees_a_reset_on_the_kpi_page_and_can_revert_it(program, planner):
    user = User.objects.get(username="planner")
    target = Target.objects.get(kpi__program=program, kpi__code="1.1.1", year=2029)
    services.change_target(user=user, target=target, value=D(4600), value2=None, reason="x")
    load_program(read_fixture(), overwrite=True)

    planner.cookies["django_language"] = "en"
    with translation.override("kk"):  # the request's English must not outlive it
        page = planner.get("/kpi/1.1.1/").content.decode()
    assert "Reloaded from the program fixture" in page
    record = target.history.latest("history_id")
    services.revert_target_change(user=user, record=record, reason="The reset was a mistake")
    target.refresh_from_db()
    assert target.value == 4600  # back to the planning office's value


def test_a_reset_moves_the_dashboards_data_version_and_a_load_that_changes_nothing_does_not(
    program, django_capture_on_commit_callbacks
):
    Target.objects.filter(kpi__program=program, kpi__code="1.1.1", year=2029).update(value=4600)
    version = data_version()
    with django_capture_on_commit_callbacks(execute=True):
        load_program(read_fixture())  # keeps the edit: writes nothing
    assert data_version() == version
    with django_capture_on_commit_callbacks(execute=True):
        load_program(read_fixture(), overwrite=True)
    assert data_version() == version + 1


# --- Translations and links kept by the planning office -----------------------------------


def test_reload_fills_a_missing_translation_and_keeps_an_edited_one_unless_overwriting(program):
    texts = read_translations()["kpis"]["1.3.1"]["name"]
    Kpi.objects.filter(program=program, code="1.3.1").update(name_ru="", name_en="Edited")
    kpi_records = Kpi.history.count()

    report = load_program(read_fixture(), translations=read_translations())
    assert report.differing == ["KPI 1.3.1: name_en"]
    assert report.created == {"kpi translation": 1}
    kpi = Kpi.objects.get(program=program, code="1.3.1")
    assert (kpi.name_ru, kpi.name_en) == (texts["ru"], "Edited")

    report = load_program(read_fixture(), translations=read_translations(), overwrite=True)
    assert report.updated == {"kpi translation": 1}
    kpi.refresh_from_db()
    assert kpi.name_en == texts["en"]
    assert Kpi.history.count() == kpi_records  # the history keeps the Kazakh texts only


def test_reload_restores_an_indicators_missing_directions_and_keeps_changed_ones(program):
    indicators = TargetIndicator.objects.filter(document__program=program)
    one, thirteen = indicators.get(number=1), indicators.get(number=13)
    one.directions.clear()
    thirteen.directions.set([Direction.objects.get(program=program, number=5)])
    load_program(read_fixture())
    assert [d.number for d in one.directions.all()] == [1]
    assert [d.number for d in thirteen.directions.all()] == [5]


def test_reload_recreates_a_deleted_kpi_with_its_targets(program):
    Kpi.objects.filter(program=program, code="5.1.1").delete()
    report = load_program(read_fixture())
    assert (report.created["kpi"], report.created["target"]) == (1, 7)
    kpi = Kpi.objects.get(program=program, code="5.1.1")
    assert kpi.targets.count() == 7 and kpi.program_id == program.id
