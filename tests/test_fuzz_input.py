"""Arbitrary text in every parameter of every page and in every field of every form, as
every role: never a 500, and input that is refused changes nothing in the database.

Hypothesis draws the text: Unicode digits ("²", "٣"), NUL, numbers too large for any
column, "1E309", negative and empty ones, very long ones, and anything else. Locally
each run draws anew; with CI set the draws are the same on every run (the profiles
below).
"""

from __future__ import annotations

import io
import os
from urllib.parse import quote, urlencode, urlsplit

import pytest
from django.contrib.auth.models import User
from django.contrib.messages import constants
from django.contrib.messages.storage.fallback import FallbackStorage
from django.db import transaction
from django.test import Client, RequestFactory
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from kpis.models import Kpi
from kpis.spreadsheets import VALUE
from tests.files import upload
from tests.hostile import database, make_values
from tests.html import form_fields
from tests.test_permissions import GET_PAGES

# No example database on disk. The examples of a test share its function-scoped
# fixtures (the values below are made once per test, each example rolls back what it
# changed), and a page takes longer than Hypothesis's default deadline.
settings.register_profile(
    "local",
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.register_profile("ci", settings.get_profile("local"), derandomize=True)
settings.load_profile("ci" if os.environ.get("CI") else "local")

ROLES = ["anonymous", "head", "head2", "planner", "rector"]

TRICKY = [
    "²",
    "٣",
    "１２",
    "1_000",
    "\x00",
    "a\x00b",
    "",
    " ",
    "0",
    "-1",
    "1",
    "2023",
    "2025",
    "2029",
    "99999999999999999999",
    "9223372036854775808",
    "1E309",
    "-1E309",
    "1E+20",
    "NaN",
    "inf",
    "10000000000",
    "9999999999,99995",
    "1.1.1",
    "1.1.1%00",
    "submitted",
    "draft",
    "approved",
    "all",
    "open",
    "close",
    "https://evil.example/",
    "//evil.example",
    "/review/",
    "<script>x</script>",
    "' OR 1=1 --",
    "0x10",
]
hostile_text = st.one_of(
    st.sampled_from(TRICKY),
    st.text(max_size=40),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.text(st.characters(categories=["Nd", "No"]), min_size=1, max_size=25),
    st.integers(min_value=20, max_value=3000).map(lambda n: "9" * n),
    st.text(min_size=500, max_size=2500),
)

PARAMETERS = [
    "year",
    "direction",
    "unit",
    "status",
    "state",
    "include",
    "program",
    "version",
    "selected",
    "next",
    "view",
    "confirm",
    "reason",
    "seen",
    "q",
    "o",
    "p",
    "e",
]

PATHS = [
    "/kpi/{}/",
    "/direction/{}/",
    "/evidence/{}/",
    "/evidence/{}/delete/",
    "/reports/frozen/{}/",
    "/entry/upload/{}/",
    "/review/{}/approve/",
    "/review/1/{}/",
    "/years/{}/close/",
    "/years/2025/{}/",
    "/targets/{}/change/",
    "/targets/history/{}/revert/",
]


def client_for(role: str) -> Client:
    client = Client()
    if role != "anonymous":
        client.force_login(User.objects.get(username=role))
    return client


def fresh(client: Client) -> Client:
    # Messages left in a cookie by an earlier draw belong to no page of this one.
    client.cookies.pop("messages", None)
    return client


@pytest.fixture
def values(program) -> dict:
    return make_values(program)


def rolled_back(check):
    """Each draw starts from the same database: its changes are rolled back after it."""

    def run(*args, **kwargs):
        with transaction.atomic():
            check(*args, **kwargs)
            transaction.set_rollback(True)

    return run


@pytest.mark.parametrize("role", ROLES)
@settings(max_examples=30)
@given(
    page=st.sampled_from([url for url, _allowed in GET_PAGES]),
    params=st.dictionaries(st.sampled_from(PARAMETERS), hostile_text, min_size=1, max_size=3),
)
def test_any_parameter_of_any_page(role, page, params, values):
    @rolled_back
    def check():
        client = fresh(client_for(role))
        parts = urlsplit(page)
        before = database()
        response = client.get(f"{parts.path}?{parts.query}&{urlencode(params)}")
        assert response.status_code != 500
        assert database() == before  # reading a page changes nothing

    check()


@pytest.mark.parametrize("role", ["planner", "head", "anonymous"])
@settings(max_examples=25)
@given(template=st.sampled_from(PATHS), text=hostile_text, method=st.sampled_from(["get", "post"]))
def test_any_text_in_a_page_address(role, template, text, method, values):
    @rolled_back
    def check():
        client = fresh(client_for(role))
        before = database()
        response = getattr(client, method)(template.format(quote(text, safe="")))
        assert response.status_code != 500
        if response.status_code >= 400 or role == "anonymous":
            assert database() == before

    check()


def _refused(client: Client, response) -> bool:
    """Refused: an error page, the form shown again instead of a redirect, or a message
    of warning or error level for the page it redirects to (read where that page would
    read it, without rendering it)."""
    if response.status_code != 302:
        return True
    request = RequestFactory().get("/")
    request.COOKIES = {name: morsel.value for name, morsel in response.cookies.items()}
    request.session = client.session
    return any(message.level >= constants.WARNING for message in FallbackStorage(request))


def _forms(values: dict, entry_fields: dict[str, str]) -> dict[str, tuple[str, dict]]:
    """Every form of the application as its page posts it, valid as sent."""
    submitted, approved = values["submitted"], values["approved"]
    return {
        "approve": (
            f"/review/{submitted.pk}/approve/",
            {"version": str(submitted.version), "next": "/review/"},
        ),
        "return": (
            f"/review/{submitted.pk}/return/",
            {"version": str(submitted.version), "reason": "Add the survey", "next": "/review/"},
        ),
        "reopen": (
            f"/review/{approved.pk}/reopen/",
            {"version": str(approved.version), "reason": "A typo", "next": "/review/"},
        ),
        "approve_selected": (
            "/review/approve-selected/",
            {
                "selected": str(submitted.pk),
                f"version-{submitted.pk}": str(submitted.version),
                "next": "/review/",
            },
        ),
        "target_change": (
            f"/targets/{values['target'].pk}/change/",
            {"value": "4700", "value2": "", "reason": "A new plan"},
        ),
        "target_revert": (
            f"/targets/history/{values['target_change']}/revert/",
            {"reason": "A mistake", "seen": str(values["target_change"])},
        ),
        "close_year": ("/years/2025/close/", {"confirm": "yes"}),
        "freeze": (
            "/reports/frozen/freeze/",
            {"year": "2025", "include": "", "note": "sent", "confirm": "yes"},
        ),
        "evidence_delete": (f"/evidence/{values['evidence'].pk}/delete/", {"next": "/entry/"}),
        "upload": ("/entry/upload/", {"next": "/entry/"}),
        "entry": ("/entry/?year=2025", entry_fields),
        "language": ("/i18n/setlang/", {"language": "en", "next": "/"}),
    }


MAY_WRITE = {
    "planner": {
        "approve",
        "return",
        "reopen",
        "approve_selected",
        "target_change",
        "target_revert",
        "close_year",
        "freeze",
        "entry",
        "evidence_delete",
    },
    "head": {"entry", "evidence_delete"},
}


@pytest.fixture
def entry_fields(values) -> dict[str, str]:
    return form_fields(client_for("head").get("/entry/?year=2025").content.decode(), "entry-form")


@pytest.mark.parametrize("role", ROLES)
@settings(max_examples=60)
@given(data=st.data())
def test_any_text_in_any_field_of_any_form(role, data, values, entry_fields):
    forms = _forms(values, entry_fields)
    name = data.draw(st.sampled_from(sorted(forms)), label="form")
    url, valid = forms[name]
    fields = dict(valid)
    changed = data.draw(
        st.lists(st.sampled_from(sorted(fields) or ["next"]), min_size=1, max_size=4, unique=True),
        label="fields",
    )
    for field in changed:
        fields[field] = data.draw(hostile_text, label=field)
    if data.draw(st.booleans(), label="extra field"):
        fields[data.draw(st.sampled_from(PARAMETERS), label="extra")] = data.draw(hostile_text)

    @rolled_back
    def check():
        client = fresh(client_for(role))
        before = database()
        response = client.post(
            url, urlencode(fields), content_type="application/x-www-form-urlencoded"
        )
        assert response.status_code != 500
        if name not in MAY_WRITE.get(role, ()) or _refused(client, response):
            assert database() == before

    check()


@pytest.fixture
def template_bytes(program) -> bytes:
    return client_for("head").get("/entry/template.xlsx?unit=academic&year=2025").content


@settings(max_examples=10)
@given(cells=st.lists(st.one_of(hostile_text, st.floats(), st.integers()), min_size=1, max_size=4))
def test_any_value_in_the_uploaded_template(cells, template_bytes, program):
    """The cells of the unit's template are fields of a form too."""
    book = load_workbook(io.BytesIO(template_bytes))
    sheet = book.worksheets[0]
    for row, cell in enumerate(cells, start=2):
        if isinstance(cell, str):
            cell = ILLEGAL_CHARACTERS_RE.sub("", cell)  # what no xlsx file can hold
        sheet.cell(row, VALUE).value = cell
    buffer = io.BytesIO()
    book.save(buffer)

    @rolled_back
    def check():
        client = fresh(client_for("head"))
        before = database()
        response = client.post(
            "/entry/upload/", {"file": upload("t.xlsx", buffer.getvalue())}, follow=True
        )
        assert response.status_code != 500
        preview = response.redirect_chain[-1][0]
        if preview.startswith("/entry/upload/"):
            refused = "import-error" in response.content.decode()
            confirmed = client.post(preview, {"action": "confirm"}, follow=True)
            assert confirmed.status_code != 500
            if refused:
                assert database() == before

    check()


def test_the_kpi_codes_in_the_fuzzed_forms_are_real(program):
    """The entry form posted above holds the head's real rows (not an empty form)."""
    page = client_for("head").get("/entry/?year=2025").content.decode()
    fields = form_fields(page, "entry-form")
    kpi = Kpi.objects.get(program=program, code="1.1.1")
    assert f"k{kpi.id}-value" in fields and f"k{kpi.id}-version" in fields
