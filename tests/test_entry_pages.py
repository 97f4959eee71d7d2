"""Data entry through the real pages, from a department head's login to approval."""

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from kpis.models import Actual, ActualState, Evidence, Kpi
from tests.files import office_bytes, pdf_bytes, png_bytes, upload
from tests.html import form_fields


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def sign_in(username: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert client.login(username=username, password=f"{username}-demo")
    client.cookies["django_language"] = "en"
    return client


def entry_url(year: int = 2025) -> str:
    return f"{reverse('entry')}?year={year}"


def post_entry(client, fields: dict, action: str, year: int = 2025, files=None):
    data = {**fields, "action": action, **(files or {})}
    return client.post(entry_url(year), data, follow=True)


def test_rows_missing_from_the_post_are_left_alone(program):
    planner = sign_in("planner")
    fields = form_fields(planner.get(entry_url() + "&unit=academic").content.decode(), "entry-form")
    fields[f"{prefix(program, '1.1.3')}-value"] = "72"
    response = post_entry(planner, fields, "save")  # posted to the page of all 80 KPIs
    assert "1 value saved as draft" in response.content.decode()
    assert Actual.objects.filter(kpi__program=program, year=2025).count() == 1


def prefix(program, code: str) -> str:
    return f"k{Kpi.objects.get(program=program, code=code).id}"


def test_head_sees_only_own_units_kpis_with_targets(program):
    page = sign_in("head").get(entry_url()).content.decode()
    codes = set(re.findall(r'id="kpi-([\d.]+)"', page))
    assert len(codes) == 19  # direction 1: academic affairs and digitalisation
    assert all(code.startswith("1.") for code in codes)
    assert not any(code.startswith("2.") for code in codes)


def test_full_cycle_submit_return_resubmit_approve(program):
    head, planner = sign_in("head"), sign_in("planner")
    p = prefix(program, "1.1.3")  # 2025 target: 70 %

    fields = form_fields(head.get(entry_url()).content.decode(), "entry-form")
    fields[f"{p}-value"] = "68,5"  # decimal comma, misses the target
    response = post_entry(head, fields, "submit_all")
    assert "explain why" in response.content.decode()
    assert not Actual.objects.filter(kpi__code="1.1.3", year=2025).exists()

    fields[f"{p}-explanation"] = "Two faculties reported late"
    response = post_entry(head, fields, "submit_all")
    assert "submitted to the planning office" in response.content.decode()
    actual = Actual.objects.get(kpi__program=program, kpi__code="1.1.3", year=2025)
    assert (str(actual.value), actual.state) == ("68.5000", ActualState.SUBMITTED)

    queue = planner.get(reverse("review")).content.decode()
    assert "Two faculties reported late" in queue
    planner.post(
        reverse("review_action", args=[actual.pk, "return"]),
        {"reason": "Attach the employment report", "version": actual.version},
    )
    actual.refresh_from_db()
    assert actual.state == ActualState.RETURNED

    page = head.get(entry_url()).content.decode()
    assert "Attach the employment report" in page
    fields = form_fields(page, "entry-form")
    fields[f"{p}-value"] = "71"
    fields[f"{p}-submit"] = "on"
    response = head.post(
        entry_url(),
        {**fields, "action": "submit_selected", f"{p}-evidence": upload("report.pdf", pdf_bytes())},
        follow=True,
    )
    assert response.status_code == 200
    actual.refresh_from_db()
    assert (actual.value, actual.state) == (71, ActualState.SUBMITTED)
    assert actual.evidence.get().original_name == "report.pdf"

    planner.post(reverse("review_action", args=[actual.pk, "approve"]), {"version": actual.version})
    actual.refresh_from_db()
    assert actual.state == ActualState.APPROVED

    page = head.get(entry_url()).content.decode()
    assert f'name="{p}-value"' not in page  # locked: no input any more

    history = planner.get(reverse("kpi_detail", args=["1.1.3"])).content.decode()
    for step in ["Submitted", "Returned: Attach the employment report", "Approved"]:
        assert step in history
    assert "68,5" in history or "68.5" in history


def test_saving_a_draft_keeps_it_private(program):
    head = sign_in("head")
    p = prefix(program, "1.1.4")
    fields = form_fields(head.get(entry_url()).content.decode(), "entry-form")
    fields[f"{p}-value"] = "3,7"
    fields[f"{p}-submit"] = "on"  # ticked, but "Save draft" pressed: nothing is submitted
    response = post_entry(head, fields, "save")
    assert "1 value saved as draft" in response.content.decode()
    actual = Actual.objects.get(kpi__code="1.1.4", year=2025, kpi__program=program)
    assert actual.state == ActualState.DRAFT
    kpi_page = sign_in("head2").get(reverse("kpi_detail", args=["1.1.4"])).content.decode()
    assert "3,7" not in kpi_page and "3.7" not in kpi_page
    own_page = head.get(reverse("kpi_detail", args=["1.1.4"])).content.decode()
    assert "3.7" in own_page


@pytest.mark.parametrize(
    "code, typed, message",
    [
        ("1.1.1", "три тысячи", "is not a number"),
        ("1.1.1", "-5", "cannot be negative"),
        ("1.1.3", "120", "between 0 and 100"),
        ("1.3.6", "10,5", "whole number"),
    ],
)
def test_bad_input_shows_a_message_and_saves_nothing(program, code, typed, message):
    head = sign_in("head")
    p = prefix(program, code)
    other = prefix(program, "1.1.4")
    fields = form_fields(head.get(entry_url()).content.decode(), "entry-form")
    fields[f"{p}-value"] = typed
    fields[f"{other}-value"] = "5"  # a good row in the same form
    before = Actual.history.count()
    response = post_entry(head, fields, "save")
    page = response.content.decode()
    assert response.status_code == 200
    assert message in page
    assert "Nothing was saved" in page
    assert Actual.history.count() == before


def test_ratio_must_add_up_to_100(program):
    head = sign_in("head")
    p = prefix(program, "1.1.2")
    fields = form_fields(head.get(entry_url()).content.decode(), "entry-form")
    fields[f"{p}-value"], fields[f"{p}-value2"] = "97", "2,5"
    assert "add up to 100" in post_entry(head, fields, "save").content.decode()
    fields[f"{p}-value2"] = "3"
    post_entry(head, fields, "save")
    actual = Actual.objects.get(kpi__code="1.1.2", year=2025, kpi__program=program)
    assert (actual.value, actual.value2) == (97, 3)


def test_form_saved_over_a_newer_value_is_refused(program):
    head, planner = sign_in("head"), sign_in("planner")
    p = prefix(program, "1.1.3")
    stale = form_fields(head.get(entry_url()).content.decode(), "entry-form")
    fields = form_fields(planner.get(entry_url() + "&unit=academic").content.decode(), "entry-form")
    fields[f"{p}-value"] = "72"
    post_entry(planner, fields, "save")
    stale[f"{p}-value"] = "65"
    page = post_entry(head, stale, "save").content.decode()
    assert "Someone else" in page
    assert Actual.objects.get(kpi__code="1.1.3", year=2025, kpi__program=program).value == 72


@pytest.mark.parametrize(
    "name, content, accepted",
    [
        ("scan.pdf", pdf_bytes(), True),
        ("photo.png", png_bytes(), True),
        ("order.docx", office_bytes("docx"), True),
        ("table.xlsx", office_bytes("xlsx"), True),
        ("fake.pdf", b"MZ this is an executable, not a PDF" * 10, False),
        ("macro.xlsx", office_bytes("xlsx", macro=True), False),
        ("notes.txt", b"plain text", False),
    ],
)
def test_evidence_type_is_checked_by_content(program, name, content, accepted):
    head = sign_in("head")
    p = prefix(program, "1.2.1")
    fields = form_fields(head.get(entry_url()).content.decode(), "entry-form")
    fields[f"{p}-value"] = "12"
    response = head.post(
        entry_url(),
        {**fields, "action": "save", f"{p}-evidence": upload(name, content)},
        follow=True,
    )
    saved = Evidence.objects.filter(actual__kpi__code="1.2.1", actual__kpi__program=program)
    assert saved.exists() == accepted
    if not accepted:
        assert "is not a PDF, XLSX, DOCX, PNG or JPEG" in response.content.decode()
        assert not Actual.objects.filter(kpi__code="1.2.1", year=2025).exists()


def test_oversized_evidence_is_refused(program, settings):
    settings.EVIDENCE_MAX_BYTES = 1024
    head = sign_in("head")
    p = prefix(program, "1.2.1")
    fields = form_fields(head.get(entry_url()).content.decode(), "entry-form")
    fields[f"{p}-value"] = "12"
    big = upload("big.pdf", pdf_bytes() + b"0" * 2048)
    response = head.post(
        entry_url(), {**fields, "action": "save", f"{p}-evidence": big}, follow=True
    )
    assert "larger than" in response.content.decode()
    assert not Evidence.objects.exists()


def test_a_value_holds_a_limited_number_of_evidence_files(program, settings):
    settings.EVIDENCE_MAX_FILES = 2
    head = sign_in("head")
    p = prefix(program, "1.2.1")

    def attach(*names):
        fields = form_fields(head.get(entry_url()).content.decode(), "entry-form")
        fields[f"{p}-value"] = "12"
        files = {f"{p}-evidence": [upload(name, pdf_bytes()) for name in names]}
        return post_entry(head, fields, "save", files=files).content.decode()

    attach("one.pdf")
    page = attach("two.pdf", "three.pdf")
    assert "at most 2 evidence files; it has 1" in page
    assert Evidence.objects.filter(actual__kpi__code="1.2.1").count() == 1
    attach("two.pdf")
    assert Evidence.objects.filter(actual__kpi__code="1.2.1").count() == 2


def test_evidence_is_stored_under_a_random_name_and_guarded(program):
    head = sign_in("head")
    p = prefix(program, "1.2.1")
    fields = form_fields(head.get(entry_url()).content.decode(), "entry-form")
    fields[f"{p}-value"] = "12"
    head.post(
        entry_url(),
        {**fields, "action": "save", f"{p}-evidence": upload("my order.pdf", pdf_bytes())},
    )
    evidence = Evidence.objects.get(actual__kpi__code="1.2.1", actual__kpi__program=program)
    assert "my order" not in evidence.file.name and evidence.file.name.startswith("evidence/2025/")
    url = reverse("evidence", args=[evidence.pk])

    response = head.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert 'filename="my order.pdf"' in response["Content-Disposition"]
    assert sign_in("planner").get(url).status_code == 200
    assert sign_in("head2").get(url).status_code == 404  # another unit's draft
    assert sign_in("rector").get(url).status_code == 404
    assert Client().get(url).status_code == 302  # anonymous: to the login page

    evidence.actual.state = ActualState.SUBMITTED
    evidence.actual.submitted_at = timezone.now()
    evidence.actual.save()
    assert sign_in("rector").get(url).status_code == 200  # published with its value


# --- Nothing refused in silence --------------------------------------------------------


def test_a_row_submitted_meanwhile_is_refused_out_loud(program):
    """Page A shows an editable draft; page B submits it; A's save must not be answered
    'saved' while nothing is stored."""
    a, b = sign_in("head"), sign_in("head")
    p = prefix(program, "1.1.4")
    fields = form_fields(a.get(entry_url()).content.decode(), "entry-form")
    fields[f"{p}-value"] = "5"
    post_entry(a, fields, "save")
    page_a = form_fields(a.get(entry_url()).content.decode(), "entry-form")
    page_b = form_fields(b.get(entry_url()).content.decode(), "entry-form")
    post_entry(b, page_b, "submit_all")
    assert Actual.objects.get(kpi__code="1.1.4", year=2025).state == ActualState.SUBMITTED

    page_a[f"{p}-value"] = "6"
    page = post_entry(a, page_a, "save").content.decode()
    assert "saved as draft" not in page.lower()
    assert "Nothing was saved" in page and "1.1.4" in page
    assert "Not saved: you typed “6”" in page
    assert Actual.objects.get(kpi__code="1.1.4", year=2025).value == 5


def test_another_units_kpi_posted_is_refused_by_name(program):
    head = sign_in("head")
    fields = form_fields(head.get(entry_url()).content.decode(), "entry-form")
    fields[f"{prefix(program, '1.1.4')}-value"] = "5"
    foreign = prefix(program, "2.1.1")  # the science department's
    fields.update({f"{foreign}-version": "0", f"{foreign}-value": "7"})
    page = post_entry(head, fields, "save").content.decode()
    assert "you may not enter values for 2.1.1" in page
    assert not Actual.objects.filter(year=2025, kpi__code__in=["1.1.4", "2.1.1"]).exists()


def test_saving_nothing_new_says_so(program):
    head = sign_in("head")
    fields = form_fields(head.get(entry_url()).content.decode(), "entry-form")
    page = post_entry(head, fields, "save").content.decode()
    assert "Nothing to save" in page
    assert "saved as draft" not in page.lower()


def test_a_double_click_on_submit_all_submits_once_and_says_so(program):
    head = sign_in("head")
    fields = form_fields(head.get(entry_url()).content.decode(), "entry-form")
    fields[f"{prefix(program, '1.1.4')}-value"] = "5"
    first = post_entry(head, fields, "submit_all").content.decode()
    second = post_entry(head, fields, "submit_all").content.decode()
    assert "1 value submitted" in first
    assert "Nothing to save" in second and "Nothing was saved" not in second
    actual = Actual.objects.get(kpi__code="1.1.4", year=2025)
    assert (actual.state, actual.history.count()) == (ActualState.SUBMITTED, 1)


def test_every_problem_is_shown_in_one_round(program):
    head = sign_in("head")
    fields = form_fields(head.get(entry_url()).content.decode(), "entry-form")
    typed = {"1.1.1": "abc", "1.1.3": "150", "1.3.6": "-5", "1.1.4": "0"}  # 1.1.4 misses
    for code, text in typed.items():
        fields[f"{prefix(program, code)}-value"] = text
    page = post_entry(head, fields, "submit_all").content.decode()
    assert "is not a number" in page
    assert "between 0 and 100" in page
    assert "cannot be negative" in page
    assert "explain why" in page
    assert not Actual.objects.filter(year=2025, kpi__program=program).exists()


def test_no_action_bar_when_nothing_is_editable(program):
    from kpis.models import ReportingYear

    ReportingYear.objects.filter(program=program, year=2025).update(is_open=False)
    page = sign_in("head").get(entry_url()).content.decode()
    assert 'class="action-bar"' not in page
