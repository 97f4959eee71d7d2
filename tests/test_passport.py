"""The KPI passport and baseline: written by the planning office (the service, the
passport page), recorded in the KPI's history, shown on the KPI page in every language."""

from __future__ import annotations

import io
import json
import re
from decimal import Decimal as D
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from kpis import passport
from kpis.loading import load_program, read_fixture, read_translations
from kpis.models import Kpi
from tests.conftest import login
from tests.html import form_fields

TEXTS = {
    "definition_kk": "Оқу жылының 1 қазанындағы білім алушылар саны",
    "definition_ru": "Число обучающихся на 1 октября учебного года",
    "definition_en": "Students enrolled on 1 October of the academic year",
    "data_source_kk": "ЕСУВО",
    "data_source_ru": "ЕСУВО (НОБД)",
    "data_source_en": "ESUVO, the national education database",
}


def kpi(program, code: str) -> Kpi:
    return Kpi.objects.get(program=program, code=code)


def planner_user() -> User:
    return User.objects.get(username="planner")


def passport_of(program, code: str) -> tuple:
    """What the passport of a KPI holds now, read from the database."""
    return tuple(
        Kpi.objects.filter(program=program, code=code).values_list(*passport.PASSPORT_FIELDS).get()
    )


def page_for(client, code: str, language: str) -> str:
    client.cookies["django_language"] = language
    return client.get(reverse("kpi_detail", args=[code])).content.decode()


def passport_section(page: str) -> str:
    return page[page.index('id="passport"') : page.index('id="by-year"')]


# --- The service ---------------------------------------------------------------------


def test_the_passport_is_written_in_three_languages_and_recorded_with_its_reason(program):
    students = kpi(program, "1.1.1")
    before = students.history.count()
    changed = passport.update_passport(
        user=planner_user(),
        kpi=students,
        changes={**TEXTS, "frequency": "yearly", "baseline_year": 2022, "baseline_value": D(3160)},
        reason="Паспорт бекітілді",
    )
    assert set(changed) == {*TEXTS, "frequency", "baseline_year", "baseline_value"}
    students.refresh_from_db()
    assert (students.definition_ru, students.data_source_en) == (
        TEXTS["definition_ru"],
        TEXTS["data_source_en"],
    )
    assert students.baseline == (2022, D(3160), None, "", "")
    assert students.history.count() == before + 1
    record = students.history.first()
    assert record.history_change_reason == "passport: Паспорт бекітілді"
    assert record.history_user == planner_user()
    # The history keeps every language, not only the one active when it was saved.
    assert (record.definition_kk, record.definition_ru, record.definition_en) == (
        TEXTS["definition_kk"],
        TEXTS["definition_ru"],
        TEXTS["definition_en"],
    )
    assert record.baseline_value == 3160


@pytest.mark.parametrize("username", ["head", "head2", "rector"])
def test_only_the_planning_office_writes_a_passport(program, username):
    before = passport_of(program, "1.1.1")
    with pytest.raises(PermissionDenied):
        passport.update_passport(
            user=User.objects.get(username=username),
            kpi=kpi(program, "1.1.1"),
            changes={"definition_kk": "x"},
            reason="r",
        )
    assert passport_of(program, "1.1.1") == before


def test_every_problem_is_refused_at_once_and_nothing_is_saved(program):
    share = kpi(program, "1.1.3")
    before, records = passport_of(program, "1.1.3"), share.history.count()
    with pytest.raises(ValidationError) as refused, translation.override("en"):
        passport.update_passport(
            user=planner_user(),
            kpi=share,
            changes={"baseline_year": 2023, "baseline_value": D(120), "ranking_name": "QS"},
            reason=" ",
        )
    errors = refused.value.message_dict
    assert set(errors) == {"baseline_year", "baseline_value", "ranking_name", "reason"}
    assert "between 0 and 100" in " ".join(errors["baseline_value"])
    assert "before 2023" in " ".join(errors["baseline_year"])
    assert passport_of(program, "1.1.3") == before and share.history.count() == records


def test_a_save_over_a_newer_change_is_refused(program):
    students = kpi(program, "1.1.1")
    seen = passport.latest_change(students)
    user = planner_user()
    passport.update_passport(user=user, kpi=students, changes={"formula_kk": "A"}, reason="a")
    with pytest.raises(ValidationError, match="Someone else"), translation.override("en"):
        passport.update_passport(
            user=user, kpi=students, changes={"formula_kk": "B"}, reason="b", seen_history=seen
        )
    students.refresh_from_db()
    assert students.formula_kk == "A"


def test_nothing_changed_saves_nothing(program):
    students = kpi(program, "1.1.1")
    records = students.history.count()
    assert (
        passport.update_passport(
            user=planner_user(), kpi=students, changes={"definition_ru": ""}, reason=""
        )
        == []
    )
    assert students.history.count() == records


def test_a_baseline_without_its_year_or_a_year_without_a_value_is_refused(program):
    students = kpi(program, "1.1.1")
    for changes, field in (
        ({"baseline_value": D(3160)}, "baseline_year"),
        ({"baseline_year": 2022}, "baseline_value"),
    ):
        with pytest.raises(ValidationError) as refused:
            passport.update_passport(user=planner_user(), kpi=students, changes=changes, reason="r")
        assert set(refused.value.message_dict) == {field}


# --- The passport page -----------------------------------------------------------------


def edit_url(code: str) -> str:
    return reverse("kpi_passport", args=[code])


def posted(client, code: str, language: str, **typed) -> tuple:
    """The passport page as the browser posts it, with `typed` in its fields."""
    client.cookies["django_language"] = language
    fields = form_fields(client.get(edit_url(code)).content.decode(), "passport-form")
    fields.update(typed)
    return fields, client.post(edit_url(code), fields)


def test_a_count_typed_as_kazakh_writes_it_is_saved(planner, program):
    _fields, response = posted(
        planner, "1.1.1", "kk", baseline_year="2022", value="3 160", reason="Бағдарлама, 6-бөлім"
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("kpi_detail", args=["1.1.1"]) + "#passport"
    assert kpi(program, "1.1.1").baseline[:3] == (2022, D(3160), None)
    assert "<strong>3\xa0160</strong> (2022)" in page_for(planner, "1.1.1", "kk")


def test_a_count_typed_as_english_writes_it_is_saved(planner, program):
    _fields, response = posted(
        planner, "1.1.1", "en", baseline_year="2022", value="3,160", reason="Section 6"
    )
    assert response.status_code == 302
    assert kpi(program, "1.1.1").baseline_value == 3160
    assert "<strong>3,160</strong> (2022)" in page_for(planner, "1.1.1", "en")


def test_a_ranking_baseline_takes_a_band_and_names_its_ranking(planner, program):
    _fields, response = posted(
        planner,
        "3.1.4",
        "en",
        baseline_year="2022",
        value="751-800",
        ranking_name="QS World University Rankings",
        ranking_edition="2023",
        reason="QS 2023",
    )
    assert response.status_code == 302
    qs = kpi(program, "3.1.4")
    assert (qs.baseline_value, qs.baseline_value2, qs.ranking_name) == (
        751,
        800,
        "QS World University Rankings",
    )
    section = passport_section(page_for(planner, "3.1.4", "en"))
    assert "<strong>751–800</strong> (2022)" in section
    assert "QS World University Rankings · 2023" in section


def test_a_kpi_that_is_not_a_ranking_has_no_ranking_fields(planner):
    planner.cookies["django_language"] = "en"
    page = planner.get(edit_url("1.1.1")).content.decode()
    assert 'name="ranking_name"' not in page
    assert 'name="ranking_name"' in planner.get(edit_url("3.1.4")).content.decode()


def test_a_split_ratio_baseline_is_typed_in_its_two_parts(planner, program):
    _fields, response = posted(
        planner, "1.1.2", "ru", baseline_year="2022", value="99,6", value2="0,4", reason="r"
    )
    assert response.status_code == 302
    ratio = kpi(program, "1.1.2")
    assert (ratio.baseline_value, ratio.baseline_value2) == (D("99.6"), D("0.4"))


def test_a_bad_form_shows_every_problem_and_keeps_what_was_typed(planner, program):
    before = passport_of(program, "1.1.3")
    _fields, response = posted(
        planner,
        "1.1.3",
        "en",
        baseline_year="2024",
        value="120",
        definition_ru="Доля выпускников, трудоустроенных в первый год",
        reason="",
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert passport_of(program, "1.1.3") == before
    assert 'id="form-errors"' in page
    errors = re.findall(r'id="id_(\w+)_errors"><li>([^<]+)', page)
    assert dict(errors) == {
        "value": "A share in per cent lies between 0 and 100.",
        "baseline_year": "The baseline is the value before the program: a year before 2023.",
        "reason": "Give a reason: the KPI&#x27;s history will show it.",
    }
    assert 'value="120"' in page and 'value="2024"' in page
    assert "Доля выпускников, трудоустроенных в первый год</textarea>" in page


def test_an_unreadable_number_is_named_beside_the_other_problems(planner, program):
    _fields, response = posted(planner, "1.1.1", "en", baseline_year="2022", value="3,16O")
    page = response.content.decode()
    assert "is not a number" in page and "Give a reason" in page
    assert kpi(program, "1.1.1").baseline is None


def test_a_page_opened_before_another_change_does_not_overwrite_it(planner, program):
    planner.cookies["django_language"] = "en"
    fields = form_fields(planner.get(edit_url("1.1.1")).content.decode(), "passport-form")
    passport.update_passport(
        user=planner_user(), kpi=kpi(program, "1.1.1"), changes={"formula_en": "N"}, reason="a"
    )
    fields.update(formula_en="Mine", reason="b")
    page = planner.post(edit_url("1.1.1"), fields).content.decode()
    assert "Someone else changed this KPI" in page and "Mine</textarea>" in page
    assert kpi(program, "1.1.1").formula_en == "N"


def test_the_page_lists_the_passports_changes(planner, program):
    posted(planner, "1.1.1", "en", definition_en="Students", reason="First version")
    page = planner.get(edit_url("1.1.1")).content.decode()
    changes = page[page.index('id="passport-changes"') :]
    assert "Passport changed: First version" in changes and "definition (en)" in changes


# --- Who may use it ---------------------------------------------------------------------

ROLES = ["anonymous", "head", "head2", "rector", "planner"]


def client_for(role: str):
    from django.test import Client

    return Client() if role == "anonymous" else login(role)


@pytest.mark.parametrize("role", ROLES)
def test_only_the_planning_office_opens_and_posts_the_passport_page(role, program):
    client = client_for(role)
    get = client.get(edit_url("1.1.1"))
    before = passport_of(program, "1.1.1")
    post = client.post(
        edit_url("1.1.1"), {"definition_kk": "x", "reason": "r", "baseline_year": ""}
    )
    if role == "planner":
        assert get.status_code == 200 and post.status_code == 302
        assert kpi(program, "1.1.1").definition_kk == "x"
        return
    for response in (get, post):
        assert response.status_code in (302, 403)
        if response.status_code == 302:
            assert response["Location"].startswith(reverse("login"))
    assert passport_of(program, "1.1.1") == before


def test_an_unknown_kpi_has_no_passport_page(planner):
    assert planner.get(edit_url("9.9.9")).status_code == 404


@pytest.mark.parametrize("role", ["head", "rector", "planner"])
def test_the_edit_link_is_the_planning_offices(role, program):
    page = page_for(client_for(role), "1.1.1", "en")
    assert ('id="edit-passport"' in page) is (role == "planner")


# --- Shown on the KPI page ----------------------------------------------------------------


@pytest.mark.parametrize(
    "language, definition, source",
    [
        ("kk", TEXTS["definition_kk"], TEXTS["data_source_kk"]),
        ("ru", TEXTS["definition_ru"], TEXTS["data_source_ru"]),
        ("en", TEXTS["definition_en"], TEXTS["data_source_en"]),
    ],
)
def test_the_kpi_page_shows_the_passport_in_the_readers_language(
    rector, program, language, definition, source
):
    passport.update_passport(
        user=planner_user(),
        kpi=kpi(program, "1.1.1"),
        changes={
            **TEXTS,
            "baseline_year": 2022,
            "baseline_value": D(3160),
            "baseline_comment_kk": "2022–2023 оқу жылы",
            "baseline_comment_ru": "2022–2023 учебный год",
            "baseline_comment_en": "the 2022–2023 academic year",
        },
        reason="r",
    )
    section = passport_section(page_for(rector, "1.1.1", language))
    assert definition in section and source in section
    comment = {"kk": "2022–2023 оқу жылы", "ru": "2022–2023 учебный год"}
    assert comment.get(language, "the 2022–2023 academic year") in section
    assert "(2022)" in section


def test_an_untranslated_text_is_shown_in_kazakh(rector, program):
    passport.update_passport(
        user=planner_user(), kpi=kpi(program, "1.1.3"), changes={"formula_kk": "A ÷ B"}, reason="r"
    )
    assert "A ÷ B" in passport_section(page_for(rector, "1.1.3", "en"))


def test_a_kpi_without_a_baseline_shows_none_never_a_zero(rector, program):
    section = passport_section(page_for(rector, "1.1.3", "en"))
    assert '<dd id="baseline">—</dd>' in section
    assert not re.search(r">\s*0\s*<", section)


# --- In the administration ------------------------------------------------------------------


def admin_post(client, program, code: str, **typed):
    """The KPI's change form in the administration, posted as shown with `typed`."""
    client.cookies["django_language"] = "en"
    record = kpi(program, code)
    url = reverse("admin:kpis_kpi_change", args=[record.pk])
    form = client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data |= {"targets-TOTAL_FORMS": "0", "targets-INITIAL_FORMS": "0"}
    return client.post(url, data | typed)


def test_the_administration_writes_the_passport_through_the_service(planner, program):
    response = admin_post(
        planner,
        program,
        "1.1.1",
        definition_ru="Контингент",
        baseline_year="2022",
        baseline_value="3,160",
        passport_reason="Program, section 6",
    )
    assert response.status_code == 302
    students = kpi(program, "1.1.1")
    assert (students.definition_ru, students.baseline_value) == ("Контингент", 3160)
    record = students.history.first()
    assert record.history_change_reason == "passport: Program, section 6"
    assert (record.definition_ru, record.history_user.username) == ("Контингент", "planner")


def test_the_administration_reads_a_band_for_a_ranking(planner, program):
    response = admin_post(
        planner,
        program,
        "3.1.4",
        baseline_year="2022",
        baseline_value="751-800",
        passport_reason="QS 2023",
    )
    assert response.status_code == 302
    qs = kpi(program, "3.1.4")
    assert (qs.baseline_value, qs.baseline_value2) == (751, 800)
    # The form shows it again as it was typed, and saving it unchanged changes nothing.
    records = qs.history.count()
    assert admin_post(planner, program, "3.1.4").status_code == 302
    assert qs.history.count() == records


@pytest.mark.parametrize(
    "typed, message",
    [
        ({"baseline_year": "2022", "baseline_value": "3160"}, "Give a reason"),
        (
            {"baseline_year": "2022", "baseline_value": "120", "passport_reason": "r"},
            "between 0 and 100",
        ),
        ({"baseline_value": "60", "passport_reason": "r"}, "Give the year the baseline"),
        ({"definition_en": "Graduates in work", "passport_reason": ""}, "Give a reason"),
    ],
)
def test_the_administration_refuses_what_the_passport_page_refuses(
    planner, program, typed, message
):
    before = passport_of(program, "1.1.3")
    response = admin_post(planner, program, "1.1.3", **typed)
    assert response.status_code == 200 and message in response.content.decode()
    assert passport_of(program, "1.1.3") == before


def test_a_change_outside_the_passport_needs_no_reason(planner, program):
    response = admin_post(planner, program, "1.1.3", notes_en="Checked by the registrar")
    assert response.status_code == 302
    assert kpi(program, "1.1.3").notes_en == "Checked by the registrar"


# --- The chart --------------------------------------------------------------------------------


def set_baseline(program, code: str, value, value2=None, year: int = 2022) -> None:
    passport.update_passport(
        user=planner_user(),
        kpi=kpi(program, code),
        changes={"baseline_year": year, "baseline_value": D(value), "baseline_value2": value2},
        reason="r",
    )


def chart_of(client, code: str) -> dict:
    client.cookies["django_language"] = "en"
    return client.get(reverse("kpi_detail", args=[code])).context["chart"]


def test_the_chart_draws_the_baseline_before_the_first_year(rector, program):
    set_baseline(program, "1.1.1", 3160)
    chart = chart_of(rector, "1.1.1")
    assert chart["baseline"] == {"year": 2022, "value": 3160, "label": "Baseline 2022"}
    assert chart["years"] == list(range(2023, 2030))  # the years stay the program's
    assert len(chart["targets"]) == 7
    page = rector.get(reverse("kpi_detail", args=["1.1.1"])).content.decode()
    row = re.search(r'<tr class="baseline-row">(.*?)</tr>', page).group(1)
    assert "Baseline 2022" in row and "3,160" in row


def test_the_chart_draws_what_the_measure_judges(rector, program):
    set_baseline(program, "3.1.4", 751, D(800))
    set_baseline(program, "1.1.2", "99.6", D("0.4"))
    assert chart_of(rector, "3.1.4")["baseline"]["value"] == 751  # the band's best place
    assert chart_of(rector, "1.1.2")["baseline"]["value"] == 0.4  # the postgraduate share


def test_a_kpi_without_a_baseline_has_no_baseline_point(rector, program):
    assert chart_of(rector, "1.1.3")["baseline"] is None
    assert (
        'class="baseline-row"'
        not in rector.get(reverse("kpi_detail", args=["1.1.3"])).content.decode()
    )


# --- JSON and CSV -----------------------------------------------------------------------------


def filled_passports(program) -> None:
    """1.1.1 with a passport in three languages and a baseline; 3.1.4 a band in QS."""
    user = planner_user()
    passport.update_passport(
        user=user,
        kpi=kpi(program, "1.1.1"),
        changes={
            **TEXTS,
            "frequency": "yearly",
            "baseline_year": 2022,
            "baseline_value": D(3160),
            "baseline_comment_kk": "2022–2023 оқу жылы",
            "baseline_comment_en": "the 2022–2023 academic year",
            "baseline_source_kk": "Бағдарлама, 6-бөлім",
        },
        reason="r",
    )
    passport.update_passport(
        user=user,
        kpi=kpi(program, "3.1.4"),
        changes={
            "ranking_name": "QS World University Rankings",
            "ranking_edition": "2023",
            "baseline_year": 2022,
            "baseline_value": D(751),
            "baseline_value2": D(800),
        },
        reason="r",
    )
    set_baseline(program, "1.1.2", "99.6", D("0.4"))


def exported_kpis(client, language: str) -> dict[str, dict]:
    client.cookies["django_language"] = language
    document = client.get(reverse("program_json")).json()
    return {
        k["code"]: k
        for direction in document["directions"]
        for goal in direction["goals"]
        for task in goal["tasks"]
        for k in task["kpis"]
    }


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_the_json_carries_the_passport_and_the_baseline_in_the_readers_language(
    rector, program, language
):
    filled_passports(program)
    kpis = exported_kpis(rector, language)
    students = kpis["1.1.1"]
    assert students["passport"] == {
        "definition": TEXTS[f"definition_{language}"],
        "formula": None,
        "data_source": TEXTS[f"data_source_{language}"],
        "verification": None,
        "collection_method": None,
        "frequency": "yearly",
        "ranking": None,
    }
    comment = {"kk": "2022–2023 оқу жылы", "ru": "2022–2023 оқу жылы"}  # ru falls back
    assert students["baseline"] == {
        "year": 2022,
        "value": 3160,
        "comment": comment.get(language, "the 2022–2023 academic year"),
        "source": "Бағдарлама, 6-бөлім",
    }
    qs = kpis["3.1.4"]
    assert qs["baseline"]["value"] == [751, 800]
    assert qs["passport"]["ranking"] == {
        "name": "QS World University Rankings",
        "edition": "2023",
        "category": None,
    }
    assert kpis["1.1.2"]["baseline"]["value"] == [99.6, 0.4]
    assert kpis["1.1.3"]["baseline"] is None  # none given: never a zero
    assert kpis["1.1.3"]["passport"]["definition"] is None


def test_the_english_csv_keeps_its_columns_and_adds_the_baseline_at_the_end(rector, program):
    import csv
    import io

    from reports.exports import CSV_COLUMNS

    filled_passports(program)
    rector.cookies["django_language"] = "en"
    text = rector.get(reverse("program_csv")).content.decode("utf-8")[1:]
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:17] == [
        "program", "direction", "goal", "task", "code", "name", "unit", "sense", "owner",
        "year", "target", "target_postgraduate", "target_as_written", "actual",
        "actual_postgraduate", "status", "achievement_pct",
    ]  # fmt: skip
    assert (
        rows[0][17:20]
        == ["baseline_year", "baseline", "baseline_postgraduate"]
        == CSV_COLUMNS[17:20]
    )
    by_code = {}
    for row in rows[1:]:
        by_code.setdefault(row[4], []).append(row[17:20])
    assert by_code["1.1.1"] == [["2022", "3160", ""]] * 7  # on each year's row
    assert by_code["3.1.4"][0] == ["2022", "751-800", ""]
    assert by_code["1.1.2"][0] == ["2022", "99.6", "0.4"]
    assert by_code["1.1.3"][0] == ["", "", ""]


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_the_kazakh_and_russian_csv_add_the_baseline_at_the_end(rector, program, language):
    import csv
    import io

    filled_passports(program)
    rector.cookies["django_language"] = language
    text = rector.get(reverse("program_csv")).content.decode("utf-8")[1:]
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    from reports.exports import CSV_COLUMNS

    assert len(rows[0]) == len(CSV_COLUMNS)  # the parts' columns follow the baseline's
    ratio = next(row for row in rows if row[4] == "1.1.2")
    assert ratio[17:20] == ["2022", "99,6", "0,4"]  # decimal commas, as Excel reads them
    assert next(row for row in rows if row[4] == "1.1.1")[17:20] == ["2022", "3160", ""]


# --- The Ministry workbook ----------------------------------------------------------------------


def workbook(program, language: str = "en"):
    import io

    from openpyxl import load_workbook

    from reports.excel import build_ministry_report, workbook_bytes

    content = workbook_bytes(build_ministry_report(program, year=2024, language=language))
    return load_workbook(io.BytesIO(content))


def rows_by_code(sheet, column: int, first: int) -> dict[str, int]:
    return {
        sheet.cell(r, column).value: r
        for r in range(first, sheet.max_row + 1)
        if isinstance(sheet.cell(r, column).value, str)
        and re.fullmatch(r"\d+\.\d+\.\d+", sheet.cell(r, column).value)
    }


BASELINE = 7  # column G, before the targets


def test_the_workbook_has_a_baseline_column_before_the_targets(program):
    filled_passports(program)
    sheet = workbook(program)["Program"]
    rows = rows_by_code(sheet, 3, 4)
    headers = [sheet.cell(3, c).value for c in range(6, 10)]
    assert headers == ["Sense", "Baseline 2022", "Target 2023", "Target 2024"]
    students = sheet.cell(rows["1.1.1"], BASELINE)
    assert (students.value, students.number_format) == (3160, "#,##0")
    assert sheet.cell(rows["3.1.4"], BASELINE).value == "751–800"
    assert sheet.cell(rows["1.1.2"], BASELINE).value == "99.6/0.4"
    assert sheet.cell(rows["1.1.3"], BASELINE).value is None  # none given: no zero
    assert sheet.cell(rows["1.1.1"], BASELINE + 1).value == 3160  # the 2023 target


def test_baselines_of_different_years_carry_their_year(program):
    filled_passports(program)
    set_baseline(program, "1.1.3", "58.5", year=2021)
    passport.update_passport(
        user=planner_user(), kpi=kpi(program, "1.1.1"), changes={"baseline_year": 2020}, reason="r"
    )
    sheet = workbook(program)["Program"]
    rows = rows_by_code(sheet, 3, 4)
    assert sheet.cell(3, BASELINE).value == "Baseline"
    assert sheet.cell(rows["1.1.1"], BASELINE).value == "3,160 (2020)"
    assert sheet.cell(rows["1.1.3"], BASELINE).value == "58.5 (2021)"
    assert sheet.cell(rows["3.1.4"], BASELINE).value == "751–800 (2022)"


@pytest.mark.parametrize("language", ["ru", "en"])
def test_the_workbook_lists_the_passports_on_a_sheet_of_their_own(program, language):
    filled_passports(program)
    book = workbook(program, language)
    assert len(book.sheetnames) == 4
    sheet = book.worksheets[2]
    rows = rows_by_code(sheet, 1, 2)
    assert sorted(rows) == ["1.1.1", "1.1.2", "3.1.4"]
    students = [sheet.cell(rows["1.1.1"], c).value for c in range(1, 13)]
    assert students[2] == TEXTS[f"definition_{language}"]
    assert students[4] == TEXTS[f"data_source_{language}"]
    thousands = {"ru": "3\xa0160", "en": "3,160"}[language]
    assert students[10] == f"{thousands} (2022)"
    assert students[11].startswith({"ru": "2022–2023 оқу жылы", "en": "the 2022–2023"}[language])
    assert "Бағдарлама, 6-бөлім" in students[11]
    ranking = sheet.cell(rows["3.1.4"], 10).value
    assert ranking == "QS World University Rankings · 2023"
    assert sheet.print_title_rows == "$1:$1" and sheet.page_setup.paperSize == 8  # A3


def test_without_passports_the_sheet_says_so(program):
    sheet = workbook(program).worksheets[2]
    assert sheet.cell(2, 1).value == "No KPI has a passport or a baseline yet."


# --- Baselines the program states (section 6), and the loader -----------------------------------

SEED = Path(__file__).resolve().parents[2] / "shared" / "seed" / "000_4196d273abe6573d.txt"


def section6() -> str:
    """Section 6 of the seed as one line of words: the PDF's line breaks joined, and a
    break after a dash (2022–\\n2023) closed up."""
    text = SEED.read_text(encoding="utf-8")
    start = text.index("6-БӨЛІМ. РЕСУРСТАР")
    text = text[start : text.index("7-БӨЛІМ", start)]
    return " ".join(re.sub(r"–\s*\n\s*", "–", text).split())


def test_each_baseline_of_section_6_quotes_the_program_and_states_its_value():
    if not SEED.exists():
        pytest.skip(f"the seed document is not at {SEED}")
    data = json.loads(passport.BASELINES_FILE.read_text(encoding="utf-8"))
    assert list(data["kpis"]) == ["1.1.1"]  # the only figure that is a KPI's own quantity
    for code, item in data["kpis"].items():
        assert item["quote"] in section6(), code
        assert item["value"] in item["quote"] and f"{item['year']}–" in item["quote"]
        for language in ("kk", "ru", "en"):
            assert item["quote"] in item["source"][language], (code, language)


def test_the_demo_loads_section_6_baselines_once_and_keeps_the_planning_offices(program):
    out = io.StringIO()
    call_command("setup_demo", stdout=out)
    assert "Baselines from section 6 of the program: 1.1.1." in out.getvalue()
    students = kpi(program, "1.1.1")
    assert students.baseline[:3] == (2022, 3160, None)
    assert "3160 адамды құрады" in students.baseline_source_kk
    assert students.baseline_comment_en == "the 2022–2023 academic year"
    record = students.history.first()
    assert record.history_change_reason == "passport: Program, section 6"
    records = students.history.count()
    call_command("setup_demo", stdout=io.StringIO())
    assert students.history.count() == records
    passport.update_passport(
        user=planner_user(), kpi=students, changes={"baseline_value": D(3150)}, reason="audit"
    )
    loaded = passport.load_baselines(user=planner_user(), program=program)
    assert (loaded.set, loaded.kept) == ([], ["1.1.1"])
    assert kpi(program, "1.1.1").baseline_value == 3150


def test_the_loader_never_sets_or_clears_a_passport(program):
    assert not Kpi.objects.filter(program=program, baseline_value__isnull=False).exists()
    filled_passports(program)
    before = {code: passport_of(program, code) for code in ("1.1.1", "1.1.2", "3.1.4")}
    load_program(read_fixture(), overwrite=True, translations=read_translations())
    assert {code: passport_of(program, code) for code in before} == before
    assert (
        not Kpi.objects.filter(program=program, baseline_value__isnull=False)
        .exclude(code__in=before)
        .exists()
    )


def test_the_kpi_page_with_a_passport_runs_the_same_queries(
    rector, program, django_assert_num_queries
):
    from tests.test_dashboards import EXPECTED_QUERIES, _fill

    _fill(program)  # approved values, as the dashboards' query test has them
    filled_passports(program)
    url = reverse("kpi_detail", args=["1.1.1"])
    rector.get(url)  # warm the session like a real visit
    with django_assert_num_queries(EXPECTED_QUERIES["/kpi/1.1.1/"]):
        page = rector.get(url).content.decode()
    assert TEXTS["definition_kk"] in page and 'class="baseline-row"' in page


# --- Any input ------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["1.1.1", "1.1.2", "3.1.4"])
def test_any_text_in_any_field_of_the_passport_page(planner, program, code):
    """Hypothesis throws arbitrary text at the passport page's fields (see
    tests/test_fuzz_input.py): never a 500, and a refused form changes nothing."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from tests.test_fuzz_input import fresh, hostile_text, rolled_back

    planner.cookies["django_language"] = "en"
    url = edit_url(code)
    valid = form_fields(planner.get(url).content.decode(), "passport-form")
    valid |= {"reason": "checked", "baseline_year": "2022", "value": "5"}
    names = sorted(name for name in valid if name != "csrfmiddlewaretoken")

    @settings(max_examples=25)
    @given(data=st.data())
    def draw(data):
        fields = dict(valid)
        for name in data.draw(st.lists(st.sampled_from(names), min_size=1, max_size=4)):
            fields[name] = data.draw(hostile_text, label=name)

        @rolled_back
        def check():
            before = passport_of(program, code)
            response = fresh(planner).post(url, fields)
            assert response.status_code in (200, 302, 400)  # 400: a NUL, refused at once
            if response.status_code != 302:  # the form shown again, or an error: refused
                assert passport_of(program, code) == before
                assert "Traceback" not in response.content.decode()

        check()

    draw()
