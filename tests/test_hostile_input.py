"""What a hostile tester sent, each of which once answered 500: every one is now refused
(or read as no choice) with a page or a message, and the database is left as it was."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal as D

import pytest
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import path, reverse
from django.utils import translation
from openpyxl import load_workbook

from kpis import services
from kpis.models import Actual, ActualState, Evidence, Kpi, ReportingYear
from kpis.spreadsheets import VALUE
from metu_strategy.params import id_list_param, int_param, year_param
from tests.files import upload
from tests.hostile import database, entry, make_values
from tests.html import form_fields

SUPERSCRIPT_TWO = "²"  # str.isdigit() is true, int() fails
EVIL = "https://evil.example/"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def sign_in(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def values(program) -> dict:
    return make_values(program)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- One parser for every number in a request --------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2025", 2025),
        ("0", 0),
        (SUPERSCRIPT_TWO, None),
        ("٣", None),  # int() reads an Arabic-Indic three
        ("1_000", None),  # and this
        (" 5", None),
        ("5\n", None),
        ("-5", None),
        ("+5", None),
        ("", None),
        (None, None),
        ("9" * 19, None),
        ("99999999999999999999", None),
    ],
)
def test_only_ascii_digits_are_read_as_a_number(text, expected):
    assert int_param(text) == expected


def test_a_number_out_of_range_gives_the_default():
    assert int_param("7", minimum=1, maximum=5, default=3) == 3
    assert int_param("5", minimum=1, maximum=5, default=3) == 5

    class Program:
        start_year, end_year = 2023, 2029

    assert year_param("2030", Program(), default=2025) == 2025
    assert year_param("2029", Program()) == 2029


def test_a_list_of_ids_with_one_garbled_is_refused_whole():
    assert id_list_param(["3", "4", "3"]) == [3, 4]
    assert id_list_param(["3", SUPERSCRIPT_TWO]) is None
    assert id_list_param(["0"]) is None


@pytest.mark.parametrize(
    "role, url, status",
    [
        ("rector", f"/?year={SUPERSCRIPT_TWO}", 200),
        ("rector", f"/matrix/?year={SUPERSCRIPT_TWO}&direction={SUPERSCRIPT_TWO}", 200),
        ("rector", "/matrix/?direction=99999999999999999999", 200),
        ("rector", f"/direction/1/?year={SUPERSCRIPT_TWO}", 200),
        ("rector", f"/kpi/1.1.1/?year={SUPERSCRIPT_TWO}", 200),
        ("planner", f"/review/?year={SUPERSCRIPT_TWO}", 200),
        ("planner", f"/progress/?year={SUPERSCRIPT_TWO}", 200),
        ("head", f"/entry/?year={SUPERSCRIPT_TWO}", 200),
        ("head", f"/entry/template.xlsx?unit=academic&year={SUPERSCRIPT_TWO}", 404),
        ("rector", f"/reports/ministry.xlsx?year={SUPERSCRIPT_TWO}", 404),
    ],
)
def test_a_garbled_number_in_a_page_address_is_no_choice(role, url, status, values):
    assert sign_in(role).get(url).status_code == status


def test_a_direction_beyond_any_integer_shows_every_direction(values):
    page = sign_in("rector").get("/matrix/?direction=99999999999999999999").content.decode()
    assert page.count('class="direction-row"') == 5


@pytest.mark.parametrize(
    "data",
    [
        {"version": SUPERSCRIPT_TWO},
        {"version": "99999999999999999999"},
        {"version": ""},
        {},
    ],
    ids=["unicode-digit", "huge", "empty", "missing"],
)
@pytest.mark.parametrize("action", ["approve", "return", "reopen"])
def test_a_review_action_without_a_valid_version_changes_nothing(action, data, values):
    actual = values["approved" if action == "reopen" else "submitted"]
    before = database()
    response = sign_in("planner").post(
        f"/review/{actual.pk}/{action}/", {**data, "reason": "why"}, follow=True
    )
    assert response.status_code == 200
    assert any("the form was incomplete" in m for m in messages_of(response))
    assert database() == before


@pytest.mark.parametrize(
    "data",
    [
        {"selected": [SUPERSCRIPT_TWO]},
        {"selected": ["99999999999999999999"]},
        {"selected": ["{submitted}"], "version-{submitted}": SUPERSCRIPT_TWO},
        {"selected": ["{submitted}"]},
        {"selected": ["{submitted}", SUPERSCRIPT_TWO], "version-{submitted}": "{version}"},
    ],
    ids=["unicode-id", "huge-id", "unicode-version", "no-version", "one-garbled-id"],
)
def test_approving_the_ticked_values_with_a_garbled_form_changes_nothing(data, values):
    submitted = values["submitted"]

    def fill(text: str) -> str:
        return text.format(submitted=submitted.pk, version=submitted.version)

    posted = {
        fill(key): [fill(v) for v in value] if isinstance(value, list) else fill(value)
        for key, value in data.items()
    }
    before = database()
    response = sign_in("planner").post("/review/approve-selected/", posted, follow=True)
    assert response.status_code == 200
    assert any("the form was incomplete" in m for m in messages_of(response))
    assert database() == before


def test_approving_the_ticked_values_still_works(values):
    submitted = values["submitted"]
    data = {"selected": [submitted.pk], f"version-{submitted.pk}": submitted.version}
    sign_in("planner").post("/review/approve-selected/", data)
    submitted.refresh_from_db()
    assert submitted.state == ActualState.APPROVED


def test_freezing_a_garbled_year_asks_for_a_year(values):
    response = sign_in("planner").post(
        "/reports/frozen/freeze/", {"year": SUPERSCRIPT_TWO}, follow=True
    )
    assert "Nothing was frozen: choose a year of the program." in messages_of(response)


# --- Addresses: converters admit only what a URL may hold --------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/kpi/1.1.1%00/",
        "/kpi/abc/",
        "/kpi/1.1.1x/",
        "/kpi/%C2%B2/",
        "/evidence/99999999999999999999999/",
        "/reports/frozen/99999999999999999999999/",
        "/direction/99999999999999999999/",
        "/entry/upload/%00/",
    ],
)
def test_junk_in_a_page_address_is_not_found(url, values):
    assert sign_in("planner").get(url).status_code == 404


@pytest.mark.parametrize("state", ["opened", "closed", "whatever", "OPEN"])
def test_only_open_and_close_change_a_year(state, values):
    response = sign_in("planner").post(f"/years/2025/{state}/")
    assert response.status_code == 404
    assert ReportingYear.objects.get(year=2025).is_open


def test_open_and_close_still_change_a_year(values):
    planner = sign_in("planner")
    planner.post("/years/2025/close/", {"confirm": "yes"})
    assert not ReportingYear.objects.get(year=2025).is_open
    planner.post("/years/2025/open/")
    assert ReportingYear.objects.get(year=2025).is_open


def test_a_kpi_code_is_numbers_and_dots(program):
    kpi = Kpi.objects.get(program=program, code="1.1.1")
    kpi.full_clean()  # the program's own codes pass
    for code in ("1.1.1<b>", "1.1.1/", "A.1"):
        kpi.code = code
        with pytest.raises(ValidationError) as refused:
            kpi.full_clean()
        assert "code" in refused.value.message_dict


def test_every_loaded_kpi_code_fits_the_page_address(program):
    for kpi in Kpi.objects.filter(program=program):
        assert reverse("kpi_detail", args=[kpi.code]) == f"/kpi/{kpi.code}/"


@pytest.mark.parametrize("url", ["/matrix/", "/direction/1/"])
def test_the_matrix_and_direction_pages_escape_the_kpi_code(url, program):
    # A code written past the model's checks (an old row, a direct database edit).
    Kpi.objects.filter(program=program, code="1.1.1").update(code='1.1"><i>x</i>')
    page = sign_in("rector").get(url).content.decode()
    assert "<i>x</i>" not in page
    assert "1.1&quot;&gt;&lt;i&gt;x&lt;/i&gt;" in page


# --- NUL characters ------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/matrix/?unit=%00", "/review/?unit=a%00b", "/reports/program.json?program=%00"]
)
def test_a_nul_in_a_parameter_is_not_accepted(url, values):
    response = sign_in("planner").get(url)
    assert response.status_code == 400
    assert "The request was not accepted" in response.content.decode()


def test_a_nul_in_a_posted_field_changes_nothing(values):
    before = database()
    response = sign_in("planner").post(
        "/reports/frozen/freeze/", {"year": "2025", "note": "a\x00b"}
    )
    assert response.status_code == 400
    assert database() == before


def test_a_session_cookie_with_a_nul_is_ignored(program):
    client = Client()
    # A quoted cookie may spell a NUL as \000; the session key is read in a query.
    response = client.get("/", HTTP_COOKIE='sessionid="abcdefgh\\000ij"')
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- Numbers the database cannot hold ------------------------------------------------


TOO_LARGE = ["10000000000", "9999999999,99995", "-10000000000", "1" * 40]


@pytest.mark.parametrize("typed", TOO_LARGE)
def test_a_value_too_large_for_the_database_is_refused_in_the_entry_form(typed, program):
    head = sign_in("head")
    url = "/entry/?year=2025"
    fields = form_fields(head.get(url).content.decode(), "entry-form")
    prefix = f"k{Kpi.objects.get(program=program, code='1.1.1').id}"
    fields[f"{prefix}-value"] = typed
    before = database()
    response = head.post(url, {**fields, "action": "save"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "This number is too large" in page
    assert f'value="{typed}"' in page  # what was typed is still there to correct
    assert database() == before


def test_the_largest_value_the_database_holds_is_saved(program):
    head = User.objects.get(username="head")
    (actual,) = services.save_entries(
        user=head, program=program, year=2025, entries=[entry(program, "1.1.1", "9999999999")]
    )
    actual.refresh_from_db()
    assert actual.value == D("9999999999")


@pytest.mark.parametrize("typed", ["10000000000", "1" * 40])
def test_a_target_too_large_is_refused_and_what_was_typed_is_kept(typed, values):
    planner = sign_in("planner")
    target = values["target"]
    before = database()
    response = planner.post(
        f"/targets/{target.pk}/change/", {"value": typed, "reason": "a new plan"}, follow=True
    )
    assert any("This number is too large" in m for m in messages_of(response))
    assert database() == before
    page = response.content.decode()
    assert f'name="value" value="{typed[:60]}"' in page
    assert 'name="reason" value="a new plan"' in page
    # Shown once: the next visit has an empty form again.
    assert 'value="a new plan"' not in planner.get("/kpi/1.1.1/").content.decode()


def test_a_refused_reason_is_kept_for_the_reviewer(values):
    submitted = values["submitted"]
    planner = sign_in("planner")
    response = planner.post(
        f"/review/{submitted.pk}/return/",
        {"reason": "Add the survey", "version": submitted.version + 1},
        follow=True,
    )
    assert any("after you opened the page" in m for m in messages_of(response))
    assert 'value="Add the survey"' in response.content.decode()
    submitted.refresh_from_db()
    assert submitted.state == ActualState.SUBMITTED


def _xlsx_with_cell(client: Client, code: str, raw_number: str) -> bytes:
    """The unit's template with the value cell of `code` holding `raw_number` as Excel
    writes a number (<v>1E309</v>): openpyxl cannot write infinity itself."""
    response = client.get("/entry/template.xlsx?unit=academic&year=2025")
    book = load_workbook(io.BytesIO(response.content))
    sheet = book.worksheets[0]
    row = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, 1).value == code)
    sheet.cell(row, VALUE).value = 987654321.25  # a marker, replaced in the XML below
    buffer = io.BytesIO()
    book.save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                assert b"<v>987654321.25</v>" in data
                data = data.replace(b"<v>987654321.25</v>", f"<v>{raw_number}</v>".encode())
            target.writestr(item, data)
    return out.getvalue()


@pytest.mark.parametrize(
    "raw, message",
    [
        ("1E+20", "This number is too large"),
        ("1E309", "This number is too large"),
        ("-1E309", "This number is too large"),
        ("10000000000", "This number is too large"),
    ],
)
def test_the_template_upload_refuses_numbers_too_large(raw, message, program):
    head = sign_in("head")
    content = _xlsx_with_cell(head, "1.1.1", raw)
    before = database()
    response = head.post("/entry/upload/", {"file": upload("t.xlsx", content)}, follow=True)
    page = response.content.decode()
    assert response.status_code == 200
    assert "import-error" in page and message in page
    head.post(response.redirect_chain[-1][0], {"action": "confirm"})
    assert database() == before


def test_the_template_upload_refuses_a_huge_number_written_as_text(program):
    head = sign_in("head")
    response = head.get("/entry/template.xlsx?unit=academic&year=2025")
    book = load_workbook(io.BytesIO(response.content))
    sheet = book.worksheets[0]
    row = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, 1).value == "1.1.1")
    sheet.cell(row, VALUE).value = "1" * 30
    buffer = io.BytesIO()
    book.save(buffer)
    response = head.post(
        "/entry/upload/", {"file": upload("t.xlsx", buffer.getvalue())}, follow=True
    )
    assert "This number is too large" in response.content.decode()


def test_the_workflow_refuses_a_number_too_large_whatever_sends_it(program):
    head = User.objects.get(username="head")
    kpi = Kpi.objects.prefetch_related("targets").get(program=program, code="1.1.1")
    for value in (D("1E+10"), D("Infinity"), D("-Infinity"), D("NaN"), float("inf"), 1e20):
        typed = services.Entry(kpi=kpi, value=value)
        with pytest.raises(services.EntryErrors):
            services.save_entries(user=head, program=program, year=2025, entries=[typed])
    assert not Actual.objects.exists()


# --- Review queue --------------------------------------------------------------------


def test_the_review_of_drafts_shows_the_submitted_values(values):
    response = sign_in("planner").get("/review/?state=draft")
    assert response.status_code == 200
    assert response.context["state"] == ActualState.SUBMITTED


def test_the_review_shows_a_value_whose_submitter_is_gone(values):
    submitted = values["submitted"]
    Actual.objects.filter(pk=submitted.pk).update(submitted_by=None)
    response = sign_in("planner").get("/review/")
    assert response.status_code == 200
    assert f'id="actual-{submitted.pk}"' in response.content.decode()


def test_frozen_reports_show_a_report_whose_author_is_gone(values):
    from reports.models import FrozenReport
    from reports.services import freeze_report

    planner = User.objects.get(username="planner")
    freeze_report(user=planner, program=values["draft"].kpi.program, year=2025)
    FrozenReport.objects.update(created_by=None)
    assert sign_in("rector").get("/reports/frozen/").status_code == 200


# --- Where a form sends the user back ------------------------------------------------


def test_review_goes_back_only_to_this_site(values):
    submitted = values["submitted"]
    response = sign_in("planner").post(
        f"/review/{submitted.pk}/approve/", {"version": submitted.version, "next": EVIL}
    )
    assert response["Location"] == reverse("review")
    submitted.refresh_from_db()
    assert submitted.state == ActualState.APPROVED


def test_review_goes_back_to_the_page_it_came_from(values):
    submitted = values["submitted"]
    response = sign_in("planner").post(
        f"/review/{submitted.pk}/approve/",
        {"version": submitted.version, "next": "/review/?year=2025"},
    )
    assert response["Location"] == "/review/?year=2025"


@pytest.mark.parametrize("evil", [EVIL, "//evil.example/", "http://evil.example/"])
def test_approve_selected_goes_back_only_to_this_site(evil, values):
    response = sign_in("planner").post("/review/approve-selected/", {"next": evil})
    assert response["Location"] == reverse("review")


@pytest.mark.parametrize("text", [SUPERSCRIPT_TWO, "review", "entry", "no-such-page"])
def test_a_next_that_is_not_a_path_goes_back_to_the_default(text, values):
    # redirect() would read a bare word as the name of a view.
    response = sign_in("planner").post("/review/approve-selected/", {"next": text})
    assert response["Location"] == reverse("review")


def test_upload_goes_back_only_to_this_site(program):
    response = sign_in("head").post("/entry/upload/", {"next": EVIL})
    assert response["Location"] == reverse("entry")


def test_evidence_delete_goes_back_only_to_this_site(values):
    response = sign_in("head").post(f"/evidence/{values['evidence'].pk}/delete/", {"next": EVIL})
    assert response["Location"] == reverse("entry")
    assert not Evidence.objects.exists()


def test_a_secure_request_goes_back_only_over_https(values, settings):
    settings.SECURE_SSL_REDIRECT = False
    response = sign_in("planner").post(
        "/review/approve-selected/", {"next": "http://testserver/review/"}, secure=True
    )
    assert response["Location"] == reverse("review")


# --- Error pages ---------------------------------------------------------------------


def test_a_bad_host_header_is_answered_400(program, settings):
    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    client.cookies["django_language"] = "en"
    response = client.get("/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert "The request was not accepted" in response.content.decode()


def test_a_missing_page_reads_neither_session_nor_user(head, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = head.get("/no-such-page/")
    assert response.status_code == 404
    assert 'class="empty card"' in response.content.decode()


@login_not_required
def boom(request):
    raise RuntimeError("a bug")


urlpatterns = [path("boom/", boom)]
handler500 = "metu_strategy.views.server_error"


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("method", ["get", "post"])
def test_the_error_page_does_not_claim_that_nothing_was_lost(method, program, settings):
    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    response = getattr(client, method)("/boom/")
    page = response.content.decode()
    assert response.status_code == 500
    assert "Nothing was lost" not in page and "Ничего не потеряно" not in page
    assert "may not have been completed" in page
    assert "Traceback" not in page and "a bug" not in page


# --- Long reasons --------------------------------------------------------------------


LONG_REASON = "The survey covers only two faculties; add the other three. " * 30


def test_a_long_return_reason_is_kept_whole(values):
    submitted = values["submitted"]
    sign_in("planner").post(
        f"/review/{submitted.pk}/return/",
        {"reason": LONG_REASON[:2000], "version": submitted.version},
    )
    submitted.refresh_from_db()
    assert submitted.state == ActualState.RETURNED
    assert submitted.return_reason == LONG_REASON[:2000].strip()
    assert LONG_REASON[:2000].strip() in submitted.history.first().history_change_reason


def test_a_long_target_change_reason_is_kept_whole(values):
    target = values["target"]
    sign_in("planner").post(
        f"/targets/{target.pk}/change/", {"value": "4700", "reason": LONG_REASON[:2000]}
    )
    target.refresh_from_db()
    assert target.value == 4700
    assert LONG_REASON[:2000].strip() in target.history.first().history_change_reason
