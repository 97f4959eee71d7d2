"""The program document (JSON) and the one-row-per-KPI-and-year CSV."""

import csv
import io
import json

from django.core.management import call_command

from kpis.models import Actual, ActualState, Kpi
from kpis.workbooks import escape_formula
from reports.exports import CSV_COLUMNS
from tests.stamps import stamps

YEARS = [str(y) for y in range(2023, 2030)]


def export(*args) -> str:
    out = io.StringIO()
    call_command("export_program", *args, stdout=out)
    return out.getvalue()


def all_kpis(document):
    for direction in document["directions"]:
        for goal in direction["goals"]:
            for task in goal["tasks"]:
                yield from task["kpis"]


def test_json_document_shape(program):
    document = json.loads(export("--format", "json"))
    assert document["code"] == "METU-2023-2029"
    assert [len(list(_kpis_of(d))) for d in document["directions"]] == [19, 24, 17, 10, 10]
    kpis = {k["code"]: k for k in all_kpis(document)}
    assert len(kpis) == 80
    for kpi in kpis.values():
        assert set(kpi) >= {"code", "name", "unit", "sense", "targets", "actuals"}
        assert list(kpi["targets"]) == YEARS
        assert list(kpi["actuals"]) == YEARS


def _kpis_of(direction):
    for goal in direction["goals"]:
        for task in goal["tasks"]:
            yield from task["kpis"]


def test_json_types_ratio_rank_and_empty_years(program):
    kpis = {k["code"]: k for k in all_kpis(json.loads(export()))}
    assert kpis["1.1.2"]["targets"]["2023"] == [99.5, 0.5]
    assert kpis["1.1.2"]["targets"]["2029"] == [96.5, 3.5]
    assert kpis["3.1.4"]["targets"]["2026"] == 700
    assert kpis["3.1.3"]["targets"]["2023"] is None
    assert kpis["3.1.5"]["targets"] == dict.fromkeys(YEARS[:-1]) | {"2029": 1}
    assert kpis["1.1.1"]["targets"]["2029"] == 4500
    assert kpis["5.1.5"]["targets"]["2024"] == 0.2
    assert all(v is None for v in kpis["1.1.1"]["actuals"].values())


def test_json_counts_only_approved_actuals_unless_asked(program):
    kpi = Kpi.objects.get(program=program, code="1.1.3")
    Actual.objects.create(
        kpi=kpi, year=2023, value=61, state=ActualState.APPROVED, **stamps("approved")
    )
    Actual.objects.create(
        kpi=kpi, year=2024, value=66, state=ActualState.SUBMITTED, **stamps("submitted")
    )
    Actual.objects.create(kpi=kpi, year=2025, value=70, state=ActualState.DRAFT)

    approved = {k["code"]: k for k in all_kpis(json.loads(export()))}["1.1.3"]["actuals"]
    assert (approved["2023"], approved["2024"], approved["2025"]) == (61, None, None)

    document = json.loads(export("--include-submitted"))
    with_submitted = {k["code"]: k for k in all_kpis(document)}["1.1.3"]["actuals"]
    assert (with_submitted["2023"], with_submitted["2024"], with_submitted["2025"]) == (
        61,
        66,
        None,
    )


def test_csv_one_row_per_kpi_and_year(program):
    kpi = Kpi.objects.get(program=program, code="5.1.3")  # at most
    Actual.objects.create(
        kpi=kpi, year=2023, value=7, state=ActualState.APPROVED, **stamps("approved")
    )
    rows = list(csv.DictReader(io.StringIO(export("--format", "csv"))))
    assert len(rows) == 80 * 7
    assert list(rows[0]) == CSV_COLUMNS
    row = next(r for r in rows if r["code"] == "5.1.3" and r["year"] == "2023")
    assert (row["target"], row["actual"], row["status"], row["achievement_pct"]) == (
        "6",
        "7",
        "behind",
        "85.7",
    )
    ratio = next(r for r in rows if r["code"] == "1.1.2" and r["year"] == "2025")
    assert (ratio["target"], ratio["target_postgraduate"], ratio["target_as_written"]) == (
        "98.5",
        "1.5",
        "98,5/1,5",
    )
    empty = next(r for r in rows if r["code"] == "2.1.3" and r["year"] == "2023")
    assert (empty["target"], empty["target_as_written"], empty["status"]) == ("", "-", "no_target")


def test_formula_text_is_escaped():
    assert escape_formula("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert escape_formula("@SUM(A1)") == "'@SUM(A1)"
    assert escape_formula("+1+2") == "'+1+2"
    assert escape_formula("\tx") == "'\tx"
    assert escape_formula("-5") == "-5"  # a number stays a number
    assert escape_formula("-") == "-"  # an empty year as the seed writes it
    assert escape_formula("Мақсат") == "Мақсат"


def test_json_endpoint_gives_the_commands_document_in_the_readers_language(rector):
    kpi = Kpi.objects.get(code="1.1.3")
    Actual.objects.create(
        kpi=kpi, year=2023, value=61, state=ActualState.APPROVED, **stamps("approved")
    )
    Actual.objects.create(
        kpi=kpi, year=2024, value=66, state=ActualState.SUBMITTED, **stamps("submitted")
    )

    rector.cookies["django_language"] = "en"
    response = rector.get("/reports/program.json")

    assert response["Content-Type"] == "application/json"
    assert response.json() == json.loads(export("--lang", "en"))
    assert response.json()["directions"][0]["name"] != json.loads(export())["directions"][0]["name"]
    submitted = rector.get("/reports/program.json?include=submitted").json()
    assert submitted == json.loads(export("--include-submitted", "--lang", "en"))


def test_csv_endpoint_opens_in_excel_with_the_same_rows(rector):
    response = rector.get("/reports/program.csv")  # in Kazakh, the default

    assert response["Content-Disposition"] == 'attachment; filename="METU-2023-2029.csv"'
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    assert text == export("--format", "csv", "--lang", "kk")
    assert len(next(csv.reader(io.StringIO(text[1:]), delimiter=";"))) == len(CSV_COLUMNS)

    rector.cookies["django_language"] = "en"
    english = rector.get("/reports/program.csv").content.decode("utf-8")
    assert english == "\ufeff" + export("--format", "csv", "--lang", "en")
    assert next(csv.reader(io.StringIO(english[1:]))) == CSV_COLUMNS


def excel_rows(text: str) -> list[dict[str, str]]:
    """The Kazakh or Russian CSV as Excel in that language reads it: UTF-8 after the
    byte-order mark, columns split at semicolons."""
    assert text.startswith("\ufeff"), "no byte-order mark: Excel would not read UTF-8"
    return list(csv.DictReader(io.StringIO(text[1:]), delimiter=";"))


def test_csv_in_russian_is_for_russian_excel(program):
    kpi = Kpi.objects.get(program=program, code="5.1.3")  # at most, per cent
    Actual.objects.create(
        kpi=kpi, year=2023, value=7, state=ActualState.APPROVED, **stamps("approved")
    )
    rows = excel_rows(export("--format", "csv", "--lang", "ru"))

    assert len(rows) == 80 * 7
    header = list(rows[0])
    assert len(header) == len(CSV_COLUMNS)
    assert header[:2] == ["Программа", "Направление"] and header[4] == "Код"
    assert header[9:11] == ["Год", "Целевое значение"] and header[15:17] == [
        "Статус",
        "Выполнение, %",
    ]
    row = next(r for r in rows if r["Код"] == "5.1.3" and r["Год"] == "2023")
    assert row["Ед. изм."] == "процент (%)" and row["Направленность"] == "не более"
    assert (row["Целевое значение"], row["Фактическое значение"]) == ("6", "7")
    assert (row["Статус"], row["Выполнение, %"]) == ("отстает от цели", "85,7")
    assert row["KPI"] == kpi.name_ru
    ratio = next(r for r in rows if r["Код"] == "1.1.2" and r["Год"] == "2025")
    assert ratio["Целевое значение"] == "98,5"  # a decimal comma
    assert list(ratio.values())[11:13] == ["1,5", "98,5/1,5"]
    empty = next(r for r in rows if r["Код"] == "2.1.3" and r["Год"] == "2023")
    assert empty["Статус"] == "нет цели"


def test_csv_in_kazakh_is_for_kazakh_excel(program):
    rows = excel_rows(export("--format", "csv", "--lang", "kk"))
    assert len(rows) == 80 * 7
    codes = set(CSV_COLUMNS) | {"achieved", "close", "behind", "no_target", "no_data"}
    codes |= {"percent", "persons", "count", "ratio", "rank", "at_least", "at_most"}
    assert not codes & set(rows[0]), "English codes in the Kazakh header"
    ratio = next(r for r in rows if r["Код"] == "1.1.2" and r["Жыл"] == "2025")
    assert list(ratio.values())[10:13] == ["98,5", "1,5", "98,5/1,5"]
    for row in rows:
        assert not codes & set(row.values()), row
        assert all("." not in value for value in list(row.values())[10:12] if value)


def test_csv_without_a_language_or_in_english_stays_machine_readable(program):
    default = export("--format", "csv")
    english = export("--format", "csv", "--lang", "en")
    for text in (default, english):
        assert not text.startswith("\ufeff")
        rows = list(csv.DictReader(io.StringIO(text)))
        assert list(rows[0]) == CSV_COLUMNS
        ratio = next(r for r in rows if r["code"] == "1.1.2" and r["year"] == "2025")
        assert (ratio["unit"], ratio["sense"], ratio["target"]) == ("ratio", "at_least", "98.5")
        assert {r["status"] for r in rows} <= {
            "achieved",
            "close",
            "behind",
            "no_target",
            "no_data",
            "not_due",
        }
    # Without --lang the names stay in Kazakh, as before.
    first = next(csv.DictReader(io.StringIO(default)))
    assert first["name"] == Kpi.objects.get(code=first["code"]).name_kk


def test_localized_csv_never_holds_a_formula(program):
    kpi = Kpi.objects.get(program=program, code="1.1.3")
    kpi.name_ru = '=HYPERLINK("http://x")'
    kpi.save()
    rows = excel_rows(export("--format", "csv", "--lang", "ru"))
    row = next(r for r in rows if r["Код"] == "1.1.3")
    assert row["KPI"] == '\'=HYPERLINK("http://x")'


def test_unknown_program_is_not_found(rector):
    assert rector.get("/reports/program.json?program=NOPE").status_code == 404
