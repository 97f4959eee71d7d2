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
            value2=99 if kpi.is_ratio else None,
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
