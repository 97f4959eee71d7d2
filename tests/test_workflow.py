"""The workflow services: drafts, submission, review, locking, conflicts, targets."""

from decimal import Decimal as D

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.utils import timezone, translation

from kpis import services
from kpis.models import Actual, ActualState, Kpi, ReportingYear, Target
from kpis.reasons import describe
from kpis.services import Entry, EntryErrors, WorkflowError


@pytest.fixture(autouse=True)
def _english():
    # Messages are asserted in English here; tests/test_i18n.py checks the translations.
    with translation.override("en"):
        yield


@pytest.fixture
def users(program):
    return {
        name: User.objects.get(username=name) for name in ["planner", "head", "head2", "rector"]
    }


def kpi(program, code: str) -> Kpi:
    return Kpi.objects.prefetch_related("targets").get(program=program, code=code)


def save(user, program, year=2025, **entries):
    """save(user, program, k_1_1_3=Entry(...)) — one Entry per KPI."""
    return services.save_entries(
        user=user, program=program, year=year, entries=list(entries.values())
    )


def test_head_saves_a_draft_with_history(program, users):
    entry = Entry(kpi=kpi(program, "1.1.3"), value=D("71.5"), comment="ok", seen_version=0)
    (actual,) = save(users["head"], program, e=entry)
    assert (actual.state, actual.value, actual.version) == (ActualState.DRAFT, D("71.5"), 1)
    record = actual.history.first()
    assert record.history_user == users["head"]
    assert record.history_change_reason == "saved_draft"
    assert describe(record.history_change_reason) == "Saved as draft"


def test_untouched_empty_rows_create_nothing(program, users):
    before = Actual.objects.count()
    assert save(users["head"], program, e=Entry(kpi=kpi(program, "1.1.3"), seen_version=0)) == []
    assert Actual.objects.count() == before


def test_submitting_a_missed_target_needs_an_explanation(program, users):
    target_70 = kpi(program, "1.1.3")  # 2025 target: 70 %
    with pytest.raises(EntryErrors) as caught:
        save(users["head"], program, e=Entry(kpi=target_70, value=D(60), submit=True))
    assert "explain why" in caught.value.errors[f"k{target_70.id}"][0]
    assert not Actual.objects.filter(kpi=target_70, year=2025).exists()

    (actual,) = save(
        users["head"], program, e=Entry(kpi=target_70, value=D(60), submit=True, explanation="x")
    )
    assert actual.state == ActualState.SUBMITTED
    assert actual.submitted_by == users["head"]


def test_submitting_a_met_target_needs_no_explanation(program, users):
    (actual,) = save(
        users["head"], program, e=Entry(kpi=kpi(program, "1.1.3"), value=D(75), submit=True)
    )
    assert actual.state == ActualState.SUBMITTED


@pytest.mark.parametrize(
    "code, value, value2, message",
    [
        ("1.1.1", D(-5), None, "cannot be negative"),  # persons
        ("1.1.1", D("10.5"), None, "whole number"),
        ("2.1.1", D(-1), None, "cannot be negative"),  # count
        ("1.1.3", D("100.5"), None, "between 0 and 100"),  # share
        ("1.1.3", D(-1), None, "between 0 and 100"),
        ("1.1.2", D(97), D(2), "add up to 100"),  # ratio
        ("1.1.2", D(97), None, "postgraduate share"),
        ("3.1.4", D(0), None, "1 or more"),  # rank
        ("3.1.4", D("650.5"), None, "1 or more"),
    ],
)
def test_bad_values_are_refused_and_nothing_is_saved(program, users, code, value, value2, message):
    good = Entry(kpi=kpi(program, "1.1.4"), value=D(5))
    bad = Entry(kpi=kpi(program, code), value=value, value2=value2)
    before = (Actual.objects.count(), Actual.history.count())
    with pytest.raises(EntryErrors) as caught:
        save(users["planner"], program, a=good, b=bad)
    assert message in " ".join(caught.value.errors[f"k{bad.kpi.id}"])
    assert (Actual.objects.count(), Actual.history.count()) == before  # the good row too


def test_a_head_cannot_write_another_units_kpi(program, users):
    science = kpi(program, "2.1.1")
    with pytest.raises(PermissionDenied):
        save(users["head"], program, e=Entry(kpi=science, value=D(3)))
    with pytest.raises(PermissionDenied):
        save(users["rector"], program, e=Entry(kpi=science, value=D(3)))
    assert not Actual.objects.filter(kpi=science, year=2025).exists()


def test_second_save_over_a_newer_version_is_refused(program, users):
    employment = kpi(program, "1.1.3")
    (first,) = save(users["head"], program, e=Entry(kpi=employment, value=D(70), seen_version=0))
    # Two people opened the page at version 1; the planner saves first.
    save(users["planner"], program, e=Entry(kpi=employment, value=D(71), seen_version=1))
    with pytest.raises(EntryErrors) as caught:
        save(users["head"], program, e=Entry(kpi=employment, value=D(72), seen_version=1))
    assert "Someone else" in caught.value.errors[f"k{employment.id}"][0]
    first.refresh_from_db()
    assert first.value == D(71)


def test_two_people_creating_the_same_value_second_is_refused(program, users):
    employment = kpi(program, "1.1.3")
    save(users["planner"], program, e=Entry(kpi=employment, value=D(70), seen_version=0))
    with pytest.raises(EntryErrors):
        save(users["head"], program, e=Entry(kpi=employment, value=D(72), seen_version=0))


def test_closed_year_refuses_heads_but_not_the_planning_office(program, users):
    services.set_year_open(user=users["planner"], program=program, year=2025, is_open=False)
    with pytest.raises(WorkflowError):
        save(users["head"], program, e=Entry(kpi=kpi(program, "1.1.3"), value=D(70)))
    (actual,) = save(users["planner"], program, e=Entry(kpi=kpi(program, "1.1.3"), value=D(70)))
    assert actual.value == D(70)
    services.set_year_open(user=users["planner"], program=program, year=2025, is_open=True)
    assert ReportingYear.objects.get(program=program, year=2025).history.count() >= 2


def test_review_cycle_locks_and_records_every_step(program, users):
    employment = kpi(program, "1.1.3")
    (actual,) = save(users["head"], program, e=Entry(kpi=employment, value=D(75), submit=True))

    with pytest.raises(WorkflowError):
        services.return_for_revision(user=users["planner"], actual=actual, reason="  ")
    services.return_for_revision(user=users["planner"], actual=actual, reason="Attach the order")
    actual.refresh_from_db()
    assert (actual.state, actual.return_reason) == (ActualState.RETURNED, "Attach the order")

    (actual,) = save(
        users["head"],
        program,
        e=Entry(kpi=employment, value=D(76), submit=True, seen_version=actual.version),
    )
    services.approve(user=users["planner"], actual=actual)
    actual.refresh_from_db()
    assert actual.is_locked and actual.approved_by == users["planner"]

    with pytest.raises(EntryErrors):  # approved values are locked
        save(users["head"], program, e=Entry(kpi=employment, value=D(80)))
    with pytest.raises(PermissionDenied):
        services.approve(user=users["head"], actual=actual)

    services.reopen(user=users["planner"], actual=actual, reason="Ministry asked to recount")
    actual.refresh_from_db()
    assert actual.state == ActualState.RETURNED

    reasons = [describe(r.history_change_reason) for r in actual.history.order_by("history_date")]
    assert reasons == [
        "Submitted",
        "Returned: Attach the order",
        "Submitted",
        "Approved",
        "Reopened: Ministry asked to recount",
    ]


def test_stale_approve_is_refused(program, users):
    (actual,) = save(
        users["head"], program, e=Entry(kpi=kpi(program, "1.1.3"), value=D(75), submit=True)
    )
    with pytest.raises(WorkflowError):
        services.approve(user=users["planner"], actual=actual, seen_version=actual.version - 1)
    actual.refresh_from_db()
    assert actual.state == ActualState.SUBMITTED


def test_target_change_needs_a_reason_and_can_be_reverted(program, users):
    target = Target.objects.get(kpi__program=program, kpi__code="1.1.1", year=2029)
    with pytest.raises(WorkflowError):
        services.change_target(
            user=users["planner"], target=target, value=D(4800), value2=None, reason=""
        )
    with pytest.raises(PermissionDenied):
        services.change_target(
            user=users["head"], target=target, value=D(4800), value2=None, reason="x"
        )

    services.change_target(
        user=users["planner"],
        target=target,
        value=D(4800),
        value2=None,
        reason="New admission plan",
    )
    change = target.history.first()
    assert change.value == D(4800)
    assert describe(change.history_change_reason) == "Target changed: New admission plan"

    with pytest.raises(WorkflowError):
        services.revert_target_change(user=users["planner"], record=change, reason=" ")
    services.revert_target_change(user=users["planner"], record=change, reason="Old plan stands")
    target.refresh_from_db()
    assert (target.value, target.raw_text) == (D(4500), "4500")
    revert = target.history.first()
    undone = timezone.localtime(change.history_date).strftime("%Y-%m-%d %H:%M")
    assert describe(revert.history_change_reason) == (
        f"Change reverted: {undone} — Old plan stands"
    )
    assert revert.history_user == users["planner"]


@pytest.mark.parametrize(
    "language, expected",
    [
        ("en", "Returned: Attach the order"),
        ("ru", "Возвращено: Attach the order"),
        ("kk", "Қайтарылды: Attach the order"),
    ],
)
def test_history_reasons_read_in_the_readers_language(program, users, language, expected):
    (actual,) = save(
        users["head"], program, e=Entry(kpi=kpi(program, "1.1.3"), value=D(75), submit=True)
    )
    services.return_for_revision(user=users["planner"], actual=actual, reason="Attach the order")
    stored = actual.history.first().history_change_reason
    with translation.override(language):
        assert describe(stored) == expected


def test_reasons_written_before_codes_are_shown_as_written():
    assert describe("Жіберілді") == "Жіберілді"
    assert describe("") == ""
