"""The proposed definitions: inputs and calculations for the shares whose names state
their numerator and denominator, loaded apart from the program and kept by the
planning office."""

import json
import re
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.utils import translation

from kpis import definitions
from kpis.definitions import DEFINITIONS_FIXTURE, read_definitions
from kpis.models import Calculation, Contribution, Input, Kpi, OrgUnit

TEACHING_STAFF = ["1.2.1", "1.2.2", "1.2.3", "1.2.4", "1.2.5", "2.4.1", "2.4.2", "3.2.5", "3.2.7"]
STUDENTS = ["1.3.5", "3.2.3", "3.2.4", "3.2.6", "4.2.2"]
INCOME = ["5.1.2", "5.1.4", "5.2.1", "5.3.1", "5.3.2"]


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def load(*args) -> str:
    out = StringIO()
    call_command("load_definitions", *args, stdout=out)
    return out.getvalue()


def formula(kpi_code: str) -> tuple[list[str], list[str]]:
    calculation = Calculation.objects.get(kpi__code=kpi_code)
    return (
        sorted(i.code for i in calculation.numerator.all()),
        sorted(i.code for i in calculation.denominator.all()),
    )


def test_the_file_proposes_only_shares_whose_names_state_their_total(program):
    data = read_definitions()
    kpis = {k.code: k for k in Kpi.objects.filter(program=program)}
    proposed = {row["kpi"]: row for row in data["calculations"]}
    assert sorted(proposed) == sorted(TEACHING_STAFF + STUDENTS + INCOME)
    totals = {
        "teaching-staff": ("ПОҚ", "профессор"),
        "students": ("студенттер",),
        "income-total": ("табыс", "бюджет"),
    }
    inputs = {row["code"]: row for row in data["inputs"]}
    for code, row in proposed.items():
        kpi = kpis[code]
        assert kpi.unit == "percent", code  # shares only; 1.1.2's ratio stays entered
        name = kpi.name_kk.casefold()
        for total in row["denominator"]:
            if total in totals and not any(w.casefold() in name for w in totals[total]):
                # The name does not say it (1.2.2 «Ғылыми дәрежелілік деңгейі», 1.2.3
                # «Штаттық құрам үлесі»; 4.2.2 says «білім алушылар»): the calculation
                # says why it is the total.
                assert code in ("1.2.2", "1.2.3", "4.2.2") and row["note"], (code, total)
        (numerator,) = row["numerator"]
        # The numerator input is named from the KPI's own wording: its Kazakh name's
        # words (their stems) are the KPI's, bar "профессор-оқытушылар құрамы" for
        # the teaching staff that 1.2.2 and 1.2.3 leave unsaid.
        words = re.findall(r"\w{5,}", inputs[numerator]["name"]["kk"].casefold())
        missing = [w for w in words if w[:5] not in name]
        assert set(missing) <= {"профессор", "оқытушылар", "құрамы", "ғылыми"}, (code, missing)
        assert all(inputs[numerator]["name"][lang] for lang in ("kk", "ru", "en"))
    # 4.2.2 counts all learners: the students and the master's and doctoral students.
    assert proposed["4.2.2"]["denominator"] == ["students", "postgraduates"]
    assert "1.1.2" not in proposed


def test_loading_marks_everything_proposed_and_a_second_run_changes_nothing(program):
    first = load()
    assert "created 23 inputs and 19 calculations (marked proposed)" in first
    assert Input.objects.filter(program=program, proposed=False).count() == 0
    assert Calculation.objects.filter(proposed=False).count() == 0
    assert formula("1.2.1") == (["staff-teaching-in-english"], ["teaching-staff"])
    assert formula("4.2.2") == (["learners-prize-winners"], ["postgraduates", "students"])
    staff = Input.objects.get(code="teaching-staff")
    assert (staff.name_kk, staff.name_ru, staff.name_en) == (
        "Профессор-оқытушылар құрамының (ПОҚ) жалпы саны",
        "Общая численность профессорско-преподавательского состава (ППС)",
        "Teaching staff, total",
    )
    assert Input.objects.get(code="income-total").unit == "money"
    assert "nothing changed" in load()
    assert Input.objects.filter(program=program).count() == 23


def test_what_the_planning_office_edited_is_kept_and_the_difference_reported(program):
    load()
    planner = User.objects.get(username="planner")
    staff = Input.objects.get(code="teaching-staff")
    data = definitions.InputData(
        "teaching-staff", "ПОҚ саны (штаттық және қоса атқарушы)", "", "", "persons", []
    )
    definitions.save_input(actor=planner, program=program, data=data, item=staff)
    degree = Input.objects.get(code="staff-with-degree")
    definitions.save_calculation(
        actor=planner,
        kpi=Kpi.objects.get(program=program, code="1.2.2"),
        numerator=[degree],
        denominator=[staff, Input.objects.get(code="staff-full-time")],
    )
    out = load()
    assert "input teaching-staff: name (kk) is 'ПОҚ саны (штаттық және қоса атқарушы)'" in out
    assert "calculation 1.2.2: denominator is staff-full-time, teaching-staff" in out
    staff.refresh_from_db()
    assert staff.name_kk == "ПОҚ саны (штаттық және қоса атқарушы)"
    assert formula("1.2.2")[1] == ["staff-full-time", "teaching-staff"]


def test_discard_removes_proposed_definitions_nobody_reported(program):
    load()
    planner = User.objects.get(username="planner")
    definitions.confirm(actor=planner, obj=Calculation.objects.get(kpi__code="3.2.7"))
    unit = OrgUnit.objects.get(code="international")
    outgoing = Input.objects.get(code="students-outgoing-mobility")
    Contribution.objects.create(input=outgoing, unit=unit, year=2024, value=12)
    out = load("--discard")
    assert "kept calculation 3.2.3: its inputs have contributions" in out
    assert set(Calculation.objects.values_list("kpi__code", flat=True)) == {"3.2.3", "3.2.7"}
    # The inputs the two remaining calculations use stay; the others are gone.
    assert set(Input.objects.values_list("code", flat=True)) == {
        "students-outgoing-mobility",
        "students",
        "staff-foreign",
        "teaching-staff",
    }


def test_load_program_never_reads_the_definitions(program, tmp_path):
    moved = tmp_path / "elsewhere.json"
    moved.write_text(DEFINITIONS_FIXTURE.read_text(encoding="utf-8"), encoding="utf-8")
    source = (DEFINITIONS_FIXTURE.parent.parent / "kpis" / "loading.py").read_text()
    assert "definitions" not in source
    call_command("load_program", stdout=StringIO())
    assert not Calculation.objects.exists()
    assert json.loads(moved.read_text(encoding="utf-8"))["program"] == program.code


def test_a_formula_must_fit_its_kpi(program):
    load()
    get = Input.objects.get
    kpi = Kpi.objects.get(program=program, code="1.1.2")  # the higher/postgraduate ratio
    problems = definitions.formula_problems(kpi, [get(code="students")], [])
    assert "calculate it as a share" in problems[0]
    share = Kpi.objects.get(program=program, code="1.2.1")
    problems = definitions.formula_problems(
        share, [get(code="teaching-staff")], [get(code="teaching-staff"), get(code="income-total")]
    )
    assert len(problems) == 2  # both sides, and persons over money
    assert definitions.formula_problems(share, [], [get(code="teaching-staff")]) == [
        "Choose at least one input for the numerator."
    ]
