"""The demo (make run): the university's tree, the proposed definitions reported by the
departments, and contributions that make a calculated KPI complete in 2023–2024 and
partial in 2025."""

import io
from decimal import Decimal

import pytest
from django.contrib.auth import authenticate
from django.utils import translation

from kpis.demo import DEMO_PART_ACCOUNTS, setup_demo_parts
from kpis.models import ActualState, Contribution, Kpi, OrgUnit, OrgUnitKind
from kpis.rollup import HUNDRED, STORED
from kpis.selectors import read_rollup


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def demo(program):
    return setup_demo_parts(program)


def test_the_demo_builds_the_tree_and_its_accounts(demo):
    root = OrgUnit.objects.get(code="metu")
    assert (root.kind, root.parent, root.is_demo) == (OrgUnitKind.UNIVERSITY, None, True)
    faculties = OrgUnit.objects.filter(parent=root, kind=OrgUnitKind.FACULTY)
    assert faculties.count() == 2
    for faculty in faculties:
        departments = faculty.children.all()
        assert [d.kind for d in departments] == ["department", "department"]
        assert all(d.is_demo and d.name_kk and d.name_ru and d.name_en for d in departments)
    offices = OrgUnit.objects.filter(parent=root, kind=OrgUnitKind.OFFICE)
    assert {"academic", "science", "finance"} <= set(offices.values_list("code", flat=True))
    for account in DEMO_PART_ACCOUNTS:
        assert authenticate(username=account.username, password=account.password)
    assert OrgUnit.objects.get(code="fac-energy").heads.get().username == "dean"
    assert OrgUnit.objects.get(code="dep-power").heads.get().username == "dephead"


def test_the_demo_values_roll_up_and_2025_is_partial(demo, program):
    assert demo["contributions"] > 150
    kpi = Kpi.objects.get(program=program, code="1.2.1")
    rollup = read_rollup(program)
    # 2024: every department's part approved; the value is the sums' quotient.
    rows = Contribution.objects.filter(year=2024, input__code__in=["staff-teaching-in-english"])
    staff = Contribution.objects.filter(year=2024, input__code="teaching-staff")
    assert {r.state for r in [*rows, *staff]} == {ActualState.APPROVED}
    expected = (sum(r.value for r in rows) / sum(r.value for r in staff) * HUNDRED).quantize(STORED)
    assert rollup.computed(kpi.id, 2024).value == expected
    # 2025: nothing approved; counting submitted parts, the IT faculty is complete and
    # the university is partial (the power department's draft, mechanical's nothing).
    assert rollup.computed(kpi.id, 2025).value is None
    counted = read_rollup(program, include_submitted=True)
    university = counted.computed(kpi.id, 2025)
    assert (university.value, university.reported, university.expected) == (None, 4, 8)
    it = counted.computed(kpi.id, 2025, within=OrgUnit.objects.get(code="fac-it").id)
    assert it.complete and it.value > 0
    assert Contribution.objects.filter(unit__code="dep-power", year=2025).first().state == "draft"
    assert not Contribution.objects.filter(unit__code="dep-mechanical", year=2025).exists()
    # Income is reported by the finance department.
    income = Contribution.objects.get(input__code="income-total", year=2023)
    assert (income.unit.code, income.value) == ("finance", Decimal(6_480_000))


def test_the_demo_never_overwrites_contributions(demo, program):
    again = setup_demo_parts(program)
    assert again == {"inputs": 0, "contributions": 0}


def test_the_demo_starts_with_quiet_bells_and_later_approvals_notify(program):
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.test import Client

    from kpis import services
    from notices.models import Notification

    call_command("setup_demo", stdout=io.StringIO())
    assert Contribution.objects.filter(state=ActualState.APPROVED).exists()
    assert not Notification.objects.exists()  # the demo's own approvals are not news
    head = Client()
    head.force_login(User.objects.get(username="head"))
    head.cookies["django_language"] = "en"
    assert "Due in 14 days" in head.get("/entry/").content.decode()  # the demo's calendar

    approved = Contribution.objects.filter(
        state=ActualState.APPROVED, unit__heads__isnull=False
    ).first()
    planner = User.objects.get(username="planner")
    services.reopen(user=planner, actual=approved, reason="Recount", seen_version=approved.version)
    heads = set(approved.unit.heads.values_list("id", flat=True))
    assert heads and set(Notification.objects.values_list("recipient", flat=True)) == heads
