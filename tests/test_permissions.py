"""Every URL and action, as anonymous, head, head2, planner and rector: allow or deny.

Denied means 403, 404 (for things a user must not even learn exist) or a redirect to a
login page — never a 500 and never a change in the database."""

import re
from datetime import date

import pytest
from django.contrib.auth.models import User
from django.test import Client

from kpis.models import (
    Actual,
    ActualState,
    EntryException,
    Evidence,
    OrgUnit,
    ReportingYear,
    Target,
)
from notices.models import Kind, Notification, ReminderSettings
from reports.models import FrozenReport
from tests.hostile import make_values

ROLES = ["anonymous", "head", "head2", "planner", "rector"]
OK, DENY = "ok", "deny"


@pytest.fixture
def world(program):
    """A draft of the head's unit with evidence, a submitted and an approved value."""
    return make_values(program)


def client_for(role: str) -> Client:
    client = Client()
    if role != "anonymous":
        client.force_login(User.objects.get(username=role))
    return client


def outcome(response) -> str:
    assert response.status_code != 500
    if response.status_code in (403, 404, 405):
        return DENY
    if response.status_code == 302 and "login" in response["Location"]:
        return DENY
    return OK


def expect(anonymous, head, head2, planner, rector) -> dict:
    return dict(zip(ROLES, [anonymous, head, head2, planner, rector], strict=True))


ALL_SIGNED_IN = expect(DENY, OK, OK, OK, OK)
ENTRY_ROLES = expect(DENY, OK, OK, OK, DENY)
PLANNER_ONLY = expect(DENY, DENY, DENY, OK, DENY)

GET_PAGES = [
    ("/", ALL_SIGNED_IN),
    ("/program/", ALL_SIGNED_IN),
    ("/matrix/?direction=1&status=behind", ALL_SIGNED_IN),
    ("/direction/2/", ALL_SIGNED_IN),
    ("/?include=submitted", ALL_SIGNED_IN),
    ("/kpi/1.1.3/", ALL_SIGNED_IN),
    ("/entry/", ENTRY_ROLES),
    ("/entry/?year=2025&unit=science", ENTRY_ROLES),
    ("/review/", PLANNER_ONLY),
    ("/review/?state=approved", PLANNER_ONLY),
    ("/progress/", PLANNER_ONLY),
    ("/years/2025/close/", PLANNER_ONLY),
    ("/admin/", PLANNER_ONLY),
    ("/admin/kpis/actual/", PLANNER_ONLY),
    ("/admin/kpis/target/import/", PLANNER_ONLY),
    ("/reports/ministry.xlsx?year=2025", ALL_SIGNED_IN),
    ("/reports/frozen/", ALL_SIGNED_IN),
    ("/reports/program.json", ALL_SIGNED_IN),
    ("/reports/program.csv?include=submitted", ALL_SIGNED_IN),
    ("/reports/yearly/", ALL_SIGNED_IN),
    ("/reports/yearly/download/?year=2025&language=kk&format=docx", PLANNER_ONLY),
    ("/reports/narratives/?year=2025&language=ru", PLANNER_ONLY),
    ("/reports/narratives/1/2025/kk/", PLANNER_ONLY),
    ("/reports/publishing/", PLANNER_ONLY),
    # The public results page is closed until the planning office opens it: for everyone.
    ("/public/", expect(DENY, DENY, DENY, DENY, DENY)),
    ("/public/kpi/1.1.3/", expect(DENY, DENY, DENY, DENY, DENY)),
    ("/entry/template.xlsx?unit=academic&year=2025", expect(DENY, OK, DENY, OK, DENY)),
    ("/entry/template.xlsx?unit=science&year=2025", expect(DENY, DENY, OK, OK, DENY)),
    ("/years/2025/calendar/", PLANNER_ONLY),
    ("/notifications/", ALL_SIGNED_IN),
    ("/notifications/settings/", ALL_SIGNED_IN),
    ("/notifications/reminders/", PLANNER_ONLY),
    ("/notifications/remind/?year=2025", PLANNER_ONLY),
    ("/notifications/remind/?year=2025&unit=academic", PLANNER_ONLY),
]


@pytest.mark.parametrize("url, allowed", GET_PAGES, ids=[u for u, _ in GET_PAGES])
@pytest.mark.parametrize("role", ROLES)
def test_pages(role, url, allowed, world):
    assert outcome(client_for(role).get(url)) == allowed[role]


@pytest.mark.parametrize("role", ROLES)
def test_evidence_of_a_draft(role, world):
    url = f"/evidence/{world['evidence'].pk}/"
    assert outcome(client_for(role).get(url)) == expect(DENY, OK, DENY, OK, DENY)[role]


def _actions(world):
    submitted, approved = world["submitted"], world["approved"]
    for actual in (submitted, approved):
        actual.refresh_from_db()  # the version the review page would show now
    return [
        (f"/review/{submitted.pk}/approve/", {"version": submitted.version}),
        (f"/review/{submitted.pk}/return/", {"reason": "no", "version": submitted.version}),
        (f"/review/{approved.pk}/reopen/", {"reason": "no", "version": approved.version}),
        (
            "/review/approve-selected/",
            {"selected": [submitted.pk], f"version-{submitted.pk}": submitted.version},
        ),
        ("/years/2025/close/", {"confirm": "yes"}),
        ("/reports/frozen/freeze/", {"year": "2025", "confirm": "yes"}),
        (f"/targets/{world['target'].pk}/change/", {"value": "1", "reason": "x"}),
        (
            f"/targets/history/{world['target_change']}/revert/",
            {"reason": "A mistake", "seen": world["target_change"]},
        ),
        ("/years/2025/calendar/", {"due": "2026-03-01"}),
        (
            "/years/2025/exceptions/",
            {"unit": OrgUnit.objects.get(code="academic").pk, "until": "2026-12-31"},
        ),
        ("/notifications/reminders/", {"days_before": "9", "days_after": "1"}),
        ("/notifications/remind/", {"token": "abc123", "year": "2025", "unit": "academic"}),
    ]


def _snapshot():
    return (
        sorted(Actual.objects.values_list("id", "state", "value", "version")),
        sorted(Target.objects.values_list("id", "value")),
        sorted(ReportingYear.objects.values_list("year", "is_open", "due")),
        Evidence.objects.count(),
        EntryException.objects.count(),
        ReminderSettings.objects.count(),
        Notification.objects.filter(kind=Kind.REMINDER_NOW).count(),
    )


@pytest.mark.parametrize("role", ["anonymous", "head", "head2", "rector"])
def test_planner_actions_are_refused_and_change_nothing(role, world):
    client = client_for(role)
    before = _snapshot()
    for url, data in _actions(world):
        assert outcome(client.post(url, data)) == DENY, url
    assert _snapshot() == before


def test_an_upload_of_another_units_template_changes_nothing(world):
    """head2 sends head's template filled in: every row is refused, nothing is saved."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from openpyxl import load_workbook

    content = client_for("head").get("/entry/template.xlsx?unit=academic&year=2025").content
    book = load_workbook(io.BytesIO(content))
    sheet = book.worksheets[0]
    sheet.cell(2, 5).value = 1
    buffer = io.BytesIO()
    book.save(buffer)
    before = _snapshot()
    head2 = client_for("head2")
    response = head2.post(
        "/entry/upload/", {"file": SimpleUploadedFile("t.xlsx", buffer.getvalue())}, follow=True
    )
    page = response.content.decode()
    assert response.status_code == 200 and "import-error" in page
    assert 'value="confirm" class="btn" disabled' in page
    preview = response.redirect_chain[-1][0]
    head2.post(preview, {"action": "confirm"})
    assert _snapshot() == before
    # The preview belongs to the session that uploaded it.
    assert client_for("head").get(preview).status_code == 404


def _state(actual) -> tuple[str, str]:
    actual = Actual.objects.get(pk=actual.pk)
    return actual.state, actual.return_reason


# What each planning-office action must have changed in the database (a redirect alone
# is also what a refused action answers, with an error message).
PLANNER_EFFECTS = {
    "approve": lambda w: _state(w["submitted"]) == (ActualState.APPROVED, ""),
    "return": lambda w: _state(w["submitted"]) == (ActualState.RETURNED, "no"),
    "reopen": lambda w: _state(w["approved"]) == (ActualState.RETURNED, "no"),
    "approve selected": lambda w: _state(w["submitted"]) == (ActualState.APPROVED, ""),
    "close the year": lambda w: not ReportingYear.objects.get(year=2025).is_open,
    "freeze": lambda w: FrozenReport.objects.filter(year=2025).exists(),
    "change a target": lambda w: Target.objects.get(pk=w["target"].pk).value == 1,
    "revert a target change": lambda w: (
        Target.objects.get(pk=w["target"].pk).value
        == Target.history.get(history_id=w["target_change"]).prev_record.value
    ),
    "set the calendar": lambda w: ReportingYear.objects.get(year=2025).due == date(2026, 3, 1),
    "grant an exception": lambda w: EntryException.objects.filter(unit__code="academic").exists(),
    "reminder settings": lambda w: ReminderSettings.current().days_before == 9,
    "send a reminder now": lambda w: Notification.objects.filter(
        kind=Kind.REMINDER_NOW, params__unit="academic"
    ).exists(),
}


@pytest.mark.parametrize(
    "index, action", list(enumerate(PLANNER_EFFECTS)), ids=list(PLANNER_EFFECTS)
)
def test_planner_actions_are_allowed(index, action, world):
    """Each action on a world of its own, so that no action finds the value another one
    already changed; the effect is read back from the database."""
    url, data = _actions(world)[index]
    assert not PLANNER_EFFECTS[action](world), "the effect is there before the action"
    response = client_for("planner").post(url, data, follow=True)
    assert response.status_code == 200, url
    assert PLANNER_EFFECTS[action](world), url
    assert 'class="message message-error"' not in response.content.decode(), url


@pytest.mark.parametrize("role", ["anonymous", "head2", "rector"])
def test_others_cannot_delete_evidence(role, world):
    url = f"/evidence/{world['evidence'].pk}/delete/"
    assert outcome(client_for(role).post(url)) == DENY
    assert Evidence.objects.filter(pk=world["evidence"].pk).exists()


def test_owner_can_delete_evidence_of_a_draft(world):
    client_for("head").post(f"/evidence/{world['evidence'].pk}/delete/")
    assert not Evidence.objects.filter(pk=world["evidence"].pk).exists()


def test_another_head_cannot_write_through_the_entry_form(world):
    draft = world["draft"]
    prefix = f"k{draft.kpi_id}"
    response = client_for("head2").post(
        "/entry/?year=2025",
        {f"{prefix}-value": "99", f"{prefix}-version": draft.version, "action": "submit_all"},
    )
    assert response.status_code in (200, 302)
    draft.refresh_from_db()
    assert (draft.value, draft.state) == (70, ActualState.DRAFT)


def test_rector_sees_no_edit_controls(world):
    client = client_for("rector")
    for url in ["/", "/program/", "/kpi/1.1.3/", "/kpi/1.2.1/"]:
        page = client.get(url, follow=True).content.decode()
        post_actions = re.findall(r'<form[^>]*method="post"[^>]*action="([^"]*)"', page)
        post_actions += re.findall(r'<form[^>]*action="([^"]*)"[^>]*method="post"', page)
        assert set(post_actions) <= {"/accounts/logout/", "/i18n/setlang/"}, (url, post_actions)
        for control in ["/entry/", "/review/", "/targets/", "Revert"]:
            assert control not in page, (url, control)
