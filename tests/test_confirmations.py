"""What the planning office confirms before it happens: closing a year for entry,
freezing the report sent to the Ministry, reverting a target change. Each is shown on a
page the server renders, says what is at stake, and happens only on a confirmed POST."""

from __future__ import annotations

import re
from decimal import Decimal as D

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from kpis import services
from kpis.models import Actual, ActualState, Kpi, ReportingYear
from tests.stamps import stamps
from tests.test_review_page import put


def english(client):
    client.cookies["django_language"] = "en"
    return client


def numbers(html: str, attribute: str) -> dict[str, int]:
    pattern = rf'{attribute}="(\w+)"[^>]*>(?:<[^>]+>[^<]*</[^>]+>)?\s*(\d+)'
    return {name: int(n) for name, n in re.findall(pattern, html)}


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def is_open(year: int) -> bool:
    return ReportingYear.objects.get(year=year, program__code="METU-2023-2029").is_open


# --- Closing a year ------------------------------------------------------------------


@pytest.fixture
def pending(program):
    """2025: academic 1 submitted, 1 draft, 1 returned; science 1 approved, 1 returned."""
    put(program, "1.1.1", 2025, "submitted", by="head")
    put(program, "1.1.2", 2025, "draft", by="head")
    put(program, "1.1.3", 2025, "returned", by="head")
    put(program, "2.1.1", 2025, "approved", by="head2")
    put(program, "2.1.2", 2025, "returned", by="head2")
    return program


def test_closing_a_year_first_shows_what_is_pending(planner, pending):
    page = english(planner).get(reverse("set_year", args=[2025, "close"])).content.decode()
    assert is_open(2025)
    totals = numbers(page, "data-pending")
    assert totals == {"missing": 75, "draft": 1, "returned": 2, "submitted": 1, "approved": 1}
    table = page.split('id="pending-by-unit"')[1].split("</table>")[0]
    academic = table.split('data-unit="academic"')[1].split("</tr>")[0]
    assert re.findall(r'class="num">(\d+)<', academic) == ["12", "1", "1", "1"]
    science = table.split('data-unit="science"')[1].split("</tr>")[0]
    assert re.findall(r'class="num">(\d+)<', science)[2:] == ["1", "0"]  # returned, submitted
    assert "Department heads can no longer enter, change or submit values for 2025" in page
    assert 'name="confirm" value="yes"' in page


def test_only_a_confirmed_post_closes_the_year(planner, pending):
    url = reverse("set_year", args=[2025, "close"])
    response = english(planner).post(url)  # an old page's button, or a forged form
    assert response.status_code == 200 and 'id="close-confirm"' in response.content.decode()
    assert is_open(2025)
    response = english(planner).post(url, {"confirm": "no"})
    assert is_open(2025)
    response = english(planner).post(url, {"confirm": "yes"}, follow=True)
    assert not is_open(2025)
    assert messages_of(response) == [
        "2025 is closed for entry: department heads can no longer enter or change its values."
    ]
    record = ReportingYear.history.filter(year=2025).first()
    assert (record.history_change_reason, record.history_user.username) == (
        "year_closed",
        "planner",
    )
    # The department heads are refused from now on.
    head = User.objects.get(username="head")
    kpi = Kpi.objects.prefetch_related("targets").get(code="1.1.4")
    with pytest.raises(services.WorkflowError):
        services.save_entries(
            user=head, program=pending, year=2025, entries=[services.Entry(kpi=kpi, value=D(1))]
        )


def test_the_progress_page_leads_to_the_confirmation(planner, pending):
    page = planner.get(reverse("progress") + "?year=2025").content.decode()
    close = reverse("set_year", args=[2025, "close"])
    assert f'href="{close}"' in page
    assert f'action="{close}"' not in page  # no one-click close left


def test_opening_a_year_needs_no_confirmation(planner, pending):
    ReportingYear.objects.filter(year=2026).update(is_open=False)
    url = reverse("set_year", args=[2026, "open"])
    assert planner.get(url).status_code == 405
    response = english(planner).post(url, follow=True)
    assert is_open(2026)
    assert messages_of(response) == ["2026 is open for entry."]


def test_closing_a_closed_year_changes_nothing_and_says_so(planner, pending):
    url = reverse("set_year", args=[2025, "close"])
    planner.post(url, {"confirm": "yes"})
    records = ReportingYear.history.filter(year=2025).count()
    page = english(planner).get(url).content.decode()
    assert "2025 is already closed for entry." in page and 'name="confirm"' not in page
    response = english(planner).post(url, {"confirm": "yes"}, follow=True)
    assert messages_of(response) == ["2025 was already closed for entry; nothing changed."]
    assert ReportingYear.history.filter(year=2025).count() == records


def test_a_year_outside_the_program_is_not_found(planner, program):
    assert planner.get(reverse("set_year", args=[2031, "close"])).status_code == 404


def _all_values(program, year: int, state_of) -> None:
    for kpi in Kpi.objects.filter(program=program).select_related("owner"):
        state = state_of(kpi)
        Actual.objects.create(
            kpi=kpi,
            year=year,
            value=1,
            value2=99 if kpi.measure.input_labels else None,
            state=state,
            **stamps(state),
        )


def test_a_unit_whose_values_all_wait_for_review_is_pending(planner, program):
    def state_of(kpi):
        digital = kpi.owner and kpi.owner.code == "digital"
        return ActualState.SUBMITTED if digital else ActualState.APPROVED

    _all_values(program, 2023, state_of)
    page = english(planner).get(reverse("set_year", args=[2023, "close"])).content.decode()
    table = page.split('id="pending-by-unit"')[1].split("</table>")[0]
    digital = Kpi.objects.filter(program=program, owner__code="digital").count()
    assert re.findall(r'data-unit="(\w+)"', table) == ["digital"]
    assert re.findall(r'class="num">(\d+)<', table) == ["0", "0", "0", str(digital)]


def test_with_everything_approved_the_confirmation_says_nothing_is_pending(planner, program):
    _all_values(program, 2023, lambda kpi: ActualState.APPROVED)
    page = english(planner).get(reverse("set_year", args=[2023, "close"])).content.decode()
    assert "Nothing is pending: every KPI" in page
    assert 'id="pending-by-unit"' not in page


# --- Freezing the Ministry report ------------------------------------------------------

APPROVED, SUBMITTED = ["1.1.3", "1.2.1", "2.1.1"], ["1.1.4", "2.1.2"]


@pytest.fixture
def reported(program):
    for code in APPROVED:
        put(program, code, 2025, "approved", by="planner")
    for code in SUBMITTED:
        put(program, code, 2025, "submitted", by="planner")
    put(program, "1.1.1", 2025, "returned", by="planner")  # counted in neither case
    return program


def _targeted(program, codes=None) -> int:
    from kpis.models import Target

    targets = Target.objects.filter(kpi__program=program, year=2025, value__isnull=False)
    return targets.filter(kpi__code__in=codes).count() if codes is not None else targets.count()


def _freeze(client, **fields):
    return english(client).post(reverse("freeze_report"), {"year": "2025", **fields}, follow=True)


def test_freezing_first_shows_what_the_report_lacks(planner, reported):
    from reports.models import FrozenReport

    total = _targeted(reported)
    counted = _targeted(reported, APPROVED)
    assert total > 40 and counted == 3  # the program sets most 2025 targets
    page = _freeze(planner, note="No. 15-04/112").content.decode()
    assert not FrozenReport.objects.exists()
    lacks = page.split('data-summary="without-value"')[1].split("</li>")[0]
    assert f"{total - counted} of the {total} KPIs with a target for 2025 have no counted" in lacks
    submitted = page.split('data-summary="submitted"')[1].split("</li>")[0]
    assert "2 values are submitted but not approved; they are left out." in submitted
    assert "No. 15-04/112" in page.split('data-fact="note"')[1].split("</dd>")[0]
    assert "approved only" in page.split('data-fact="counted"')[1].split("</dd>")[0]
    assert '<span class="code">1.1.1</span>' in page  # returned: not in the report
    assert '<span class="code">1.1.3</span>' not in page
    # With submitted values counted, those with a target are no longer lacking.
    page = _freeze(planner, include="submitted").content.decode()
    with_submitted = _targeted(reported, APPROVED + SUBMITTED)
    assert f"{total - with_submitted} of the {total} KPIs" in page
    assert "they are in the report, as ticked." in page
    assert not FrozenReport.objects.exists()


def test_only_a_confirmed_post_freezes(planner, reported):
    from reports.models import FrozenReport

    response = _freeze(planner, include="submitted", note=" No. 7 ", confirm="yes")
    report = FrozenReport.objects.get()
    assert (report.year, report.include_submitted, report.note) == (2025, True, "No. 7")
    total = _targeted(reported)
    counted = _targeted(reported, APPROVED + SUBMITTED)
    assert messages_of(response) == [
        f"The 2025 report is frozen with approved and submitted values: {counted} of {total} "
        "KPIs with a target have a value in it. This file will download unchanged from now on."
    ]


def test_back_from_the_confirmation_keeps_what_was_typed(planner, reported):
    response = _freeze(planner, include="submitted", note="No. 15-04/112", action="back")
    form = response.content.decode().split('id="freeze"')[1].split("</form>")[0]
    assert '<option value="2025" selected>' in form
    assert 'value="submitted" checked' in form
    assert 'value="No. 15-04/112"' in form


def test_a_refused_freeze_keeps_what_was_typed_and_says_why(planner, reported):
    from reports.models import FrozenReport

    long_note = "Letter " + "x" * 300
    response = english(planner).post(
        reverse("freeze_report"),
        {"year": "1999", "include": "submitted", "note": long_note, "confirm": "yes"},
        follow=True,
    )
    assert not FrozenReport.objects.exists()
    assert messages_of(response) == [
        "Nothing was frozen: choose a year of the program.",
        "Nothing was frozen: the note may be at most 300 characters; it has 307.",
    ]
    form = response.content.decode().split('id="freeze"')[1].split("</form>")[0]
    assert f'value="{long_note}"' in form and 'value="submitted" checked' in form


def test_the_service_never_cuts_a_note(reported):
    from reports.models import FrozenReport
    from reports.services import freeze_report

    planner = User.objects.get(username="planner")
    with pytest.raises(services.WorkflowError):
        freeze_report(user=planner, program=reported, year=2025, note="x" * 301)
    assert not FrozenReport.objects.exists()


# --- Reverting a target change ---------------------------------------------------------


@pytest.fixture
def change(program):
    """1.1.1's 2029 target (4 500 persons) changed to 4 800 by the planning office."""
    from kpis.models import Target

    planner = User.objects.get(username="planner")
    target = Target.objects.get(kpi__program=program, kpi__code="1.1.1", year=2029)
    services.change_target(
        user=planner, target=target, value=D(4800), value2=None, reason="New admission plan"
    )
    return target.history.first()


def _target_value(record):
    from kpis.models import Target

    return Target.objects.get(pk=record.id).value


def test_reverting_first_shows_the_change_and_asks_why(planner, change):
    response = english(planner).get(reverse("target_revert", args=[change.history_id]))
    page = response.content.decode()
    assert _target_value(change) == 4800
    assert page.split('data-fact="year">')[1].startswith("2029<")
    assert re.sub(r"<[^>]+>", "", page.split('data-fact="change">')[1].split("</dd>")[0]) == (
        "4,500 → 4,800"
    )
    planner_user = User.objects.get(username="planner")
    assert (planner_user.get_full_name() or "planner") in page.split('data-fact="who">')[1]
    assert 'data-fact="when">' in page and "Target changed: New admission plan" in page
    assert re.search(r'<input type="text" name="reason" value="" maxlength="2000" required>', page)
    assert f'name="seen" value="{change.history_id}"' in page
    assert 'id="changed-since"' not in page


def test_a_revert_without_a_reason_is_refused(planner, change):
    url = reverse("target_revert", args=[change.history_id])
    for reason in ["", "   "]:
        response = english(planner).post(
            url, {"reason": reason, "seen": change.history_id}, follow=True
        )
        assert _target_value(change) == 4800
        assert messages_of(response) == [
            "Nothing was reverted: give a reason for reverting the change; the history keeps it."
        ]
        page = response.content.decode()
        assert 'id="revert-confirm"' in page
        assert (
            f'name="reason" value="{reason}" maxlength="2000" required aria-invalid="true"' in page
        )


def test_a_revert_records_the_undone_change_and_the_reason(planner, change):
    from django.utils import timezone

    url = reverse("target_revert", args=[change.history_id])
    response = english(planner).post(
        url, {"reason": "The ministry kept the old plan", "seen": change.history_id}, follow=True
    )
    assert _target_value(change) == 4500
    undone = timezone.localtime(change.history_date).strftime("%Y-%m-%d %H:%M")
    assert messages_of(response) == [
        f"Target 2029 of 1.1.1 restored to 4,500 (the change of {undone} undone)."
    ]
    from kpis.models import Target

    record = Target.history.filter(id=change.id).first()
    assert record.history_change_reason == f"reverted: {undone} — The ministry kept the old plan"
    assert record.history_user.username == "planner"
    assert f"Change reverted: {undone} — The ministry kept the old plan" in (
        response.content.decode()
    )  # the KPI page's history, which the revert leads back to


def test_a_change_made_after_the_page_was_opened_is_not_reverted_with_it(planner, change):
    from kpis.models import Target

    url = reverse("target_revert", args=[change.history_id])
    target = Target.objects.get(pk=change.id)
    services.change_target(
        user=User.objects.get(username="planner"),
        target=target,
        value=D(5000),
        value2=None,
        reason="Another plan",
    )
    response = english(planner).post(
        url, {"reason": "Back to the plan", "seen": change.history_id}, follow=True
    )
    assert _target_value(change) == 5000
    assert messages_of(response) == [
        "Nothing was reverted: the target was changed again after you opened this page. "
        "Look at its history again."
    ]
    page = response.content.decode()
    assert 'value="Back to the plan"' in page  # what was typed is kept
    assert "it is now 5,000" in page.split('id="changed-since"')[1]


def test_the_kpi_page_leads_to_the_confirmation(planner, change):
    page = planner.get(reverse("kpi_detail", args=["1.1.1"])).content.decode()
    url = reverse("target_revert", args=[change.history_id])
    assert f'href="{url}"' in page
    assert f'action="{url}"' not in page  # no one-click revert left


def test_a_first_version_cannot_be_reverted(planner, change):
    from kpis.models import Target

    first = Target.history.filter(id=change.id).order_by("history_date", "history_id").first()
    response = english(planner).get(reverse("target_revert", args=[first.history_id]), follow=True)
    assert messages_of(response) == ["This change cannot be reverted: there is nothing before it."]
    response = planner.post(
        reverse("target_revert", args=[first.history_id]),
        {"reason": "x", "seen": change.history_id},
    )
    assert _target_value(change) == 4800


def test_a_change_of_a_deleted_target_cannot_be_reverted(planner, change):
    from kpis.models import Target

    Target.objects.get(pk=change.id).delete()
    url = reverse("target_revert", args=[change.history_id])
    for response in (
        english(planner).get(url, follow=True),
        english(planner).post(url, {"reason": "x", "seen": change.history_id}, follow=True),
    ):
        assert response.redirect_chain[-1][0] == reverse("program")
        assert messages_of(response) == [
            "This target no longer exists; there is nothing to revert."
        ]
    assert not Target.objects.filter(pk=change.id).exists()
