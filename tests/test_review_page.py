"""The planning office's review page: counts on its tabs, the year being reported by
default, cards or a compact table, who submitted, returned and approved each value, and a
fixed number of queries whatever the length of the queue."""

from __future__ import annotations

import re
from decimal import Decimal as D

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from kpis import services
from kpis.models import Actual, ActualState, Kpi

RETURN_REASON = "Attach the faculty order"


def put(program, code: str, year: int, state: str, *, by: str = "planner", **kw) -> Actual:
    """KPI `code`'s value for `year`, brought to `state` through the workflow: saved or
    submitted by `by`, then approved, returned or reopened by the planning office."""
    kpi = Kpi.objects.prefetch_related("targets").get(program=program, code=code)
    value, value2 = (D(99), D(1)) if kpi.measure.input_labels else (D(kw.get("value", 1)), None)
    entry = services.Entry(
        kpi=kpi, value=value, value2=value2, explanation="x", submit=state != ActualState.DRAFT
    )
    user = User.objects.get(username=by)
    (actual,) = services.save_entries(user=user, program=program, year=year, entries=[entry])
    planner = User.objects.get(username="planner")
    if state == ActualState.APPROVED or kw.get("reopened"):
        actual = services.approve(user=planner, actual=actual)
    if kw.get("reopened"):
        actual = services.reopen(user=planner, actual=actual, reason=kw.get("reason", "A typo"))
    elif state == ActualState.RETURNED:
        reason = kw.get("reason", RETURN_REASON)
        actual = services.return_for_revision(user=planner, actual=actual, reason=reason)
    assert actual.state == state
    return actual


def codes(program, count: int) -> list[str]:
    return list(
        Kpi.objects.filter(program=program)
        .order_by("task__goal__direction__number", "task__position", "position")
        .values_list("code", flat=True)[:count]
    )


def tab_counts(page: str) -> dict[str, int]:
    return {s: int(n) for s, n in re.findall(r'data-count="(\w+)">(\d+)<', page)}


def card_ids(page: str) -> set[int]:
    return {int(pk) for pk in re.findall(r'id="actual-(\d+)"', page)}


def english(client):
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def queue(program):
    """2025 (the year being reported): 3 submitted, 2 returned, 1 approved, 1 draft;
    2024: 1 submitted and 1 returned; the science department's: 1 submitted in 2025."""
    made = {}
    for code, state in [
        ("1.1.1", "submitted"),
        ("1.1.2", "submitted"),
        ("1.1.3", "returned"),
        ("1.1.4", "returned"),
        ("1.2.1", "approved"),
        ("1.2.2", "draft"),
    ]:
        made[code] = put(program, code, 2025, state, by="head")
    made["2.1.1"] = put(program, "2.1.1", 2025, "submitted", by="head2")
    made["1.1.1/2024"] = put(program, "1.1.1", 2024, "submitted", by="head")
    made["1.1.2/2024"] = put(program, "1.1.2", 2024, "returned", by="head")
    return made


def test_the_year_being_reported_is_the_default_and_every_tab_is_counted(planner, queue):
    assert services.latest_open_year(queue["1.1.1"].kpi.program) == 2025
    response = planner.get(reverse("review"))
    page = response.content.decode()
    assert response.context["year"] == 2025
    assert '<option value="2025" selected>' in page
    assert tab_counts(page) == {"submitted": 3, "returned": 2, "approved": 1}
    assert card_ids(page) == {queue[c].pk for c in ("1.1.1", "1.1.2", "2.1.1")}
    # Every year on request, and the counts follow.
    page = planner.get(reverse("review") + "?year=all").content.decode()
    assert '<option value="all" selected>' in page
    assert tab_counts(page) == {"submitted": 4, "returned": 3, "approved": 1}
    assert queue["1.1.1/2024"].pk in card_ids(page)
    # The unit filter counts too, on every tab.
    page = planner.get(reverse("review") + "?state=returned&unit=academic").content.decode()
    assert tab_counts(page) == {"submitted": 2, "returned": 2, "approved": 1}
    assert card_ids(page) == {queue["1.1.3"].pk, queue["1.1.4"].pk}


def test_a_garbled_year_falls_back_to_the_year_being_reported(planner, queue):
    for year in ["1999", "²⁰²⁵", "", "every"]:
        response = planner.get(reverse("review") + f"?year={year}")
        assert response.context["year"] == 2025, year


def test_with_no_year_open_the_review_shows_every_year(planner, queue):
    from kpis.models import ReportingYear

    ReportingYear.objects.update(is_open=False)
    page = planner.get(reverse("review")).content.decode()
    assert tab_counts(page)["submitted"] == 4


def test_tabs_and_filters_keep_each_other_and_the_layout(planner, queue):
    page = planner.get(reverse("review") + "?year=2024&unit=academic&view=table").content.decode()
    tabs = page.split('class="tabs"')[1].split("</nav>")[0]
    for state in ("submitted", "returned", "approved"):
        assert f"?state={state}&amp;year=2024&amp;unit=academic&amp;view=table" in tabs
    assert '<input type="hidden" name="view" value="table">' in page
    # The switch keeps the filters and the tab.
    assert "?state=submitted&amp;year=2024&amp;unit=academic&amp;view=cards" in page
    # Approving or returning comes back to the same page: the same layout.
    assert 'name="next" value="/review/?year=2024&amp;unit=academic&amp;view=table"' in page


def test_the_compact_table_has_one_line_per_value(planner, queue):
    page = english(planner).get(reverse("review") + "?view=table").content.decode()
    table = page.split('class="grid review-table"')[1].split("</table>")[0]
    rows = re.findall(r'<tr id="actual-(\d+)">(.*?)</tr>', table, re.S)
    assert {int(pk) for pk, _row in rows} == {queue[c].pk for c in ("1.1.1", "1.1.2", "2.1.1")}
    assert "review-item" not in page  # no cards
    row = dict(rows)[str(queue["2.1.1"].pk)]
    kpi = queue["2.1.1"].kpi
    for shown in [kpi.code, kpi.owner.name, "2025", "Approve", "Return", 'name="selected"']:
        assert shown in row, shown
    head2 = User.objects.get(username="head2")
    assert (head2.get_full_name() or head2.username) in row
    # The cards are the default.
    assert "review-item" in planner.get(reverse("review")).content.decode()


def test_each_value_says_who_submitted_returned_and_approved_it(planner, program, queue):
    reopened = put(program, "1.3.1", 2025, "returned", by="head", reopened=True, reason="Typo")
    head = User.objects.get(username="head")
    planner_user = User.objects.get(username="planner")
    planner_name = planner_user.get_full_name() or planner_user.username
    head_name = head.get_full_name() or head.username
    for view in ("cards", "table"):
        url = reverse("review") + f"?state=returned&view={view}"
        page = english(planner).get(url).content.decode()
        returned = _item(page, queue["1.1.3"].pk)
        assert RETURN_REASON in returned and planner_name in returned and head_name in returned
        again = _item(page, reopened.pk)
        assert "Typo" in again and planner_name in again
        if view == "cards":
            assert "Reopened" in again and "Reason for reopening" in again
            assert "Returned" in returned and "Reason for return" in returned
        url = reverse("review") + f"?state=approved&view={view}"
        approved = _item(english(planner).get(url).content.decode(), queue["1.2.1"].pk)
        assert planner_name in approved and head_name in approved
        if view == "cards":
            assert "Approved" in approved


def test_who_returned_comes_from_the_values_history(planner, program, queue):
    """The latest return wins: returned, corrected, submitted and returned again."""
    head = User.objects.get(username="head")
    actual = queue["1.1.3"]
    kpi = Kpi.objects.prefetch_related("targets").get(pk=actual.kpi_id)
    services.save_entries(
        user=head,
        program=program,
        year=2025,
        entries=[services.Entry(kpi=kpi, value=D(80), submit=True, seen_version=actual.version)],
    )
    other = User.objects.create_user("second_planner", first_name="Aigerim", last_name="Sadykova")
    other.groups.add(*User.objects.get(username="planner").groups.all())
    actual.refresh_from_db()
    services.return_for_revision(user=other, actual=actual, reason="Now the signature")
    page = english(planner).get(reverse("review") + "?state=returned").content.decode()
    item = _item(page, actual.pk)
    assert "Aigerim Sadykova" in item and "Now the signature" in item
    assert RETURN_REASON not in item


def _item(page: str, pk: int) -> str:
    return page.split(f'id="actual-{pk}"')[1].split("</article>")[0].split("</tr>")[0]


# The session, the user and their permissions (2), the program, the open year, the units,
# the queue, its evidence, targets and values of every year, the returns in its history,
# the tab counts: the same for 5 values as for 50.
# 13 for the values, 1 for the header's unread notifications (the bell) and 2 for the
# tab of units' inputs: their count and whether any exist.
REVIEW_QUERIES = 16


@pytest.mark.parametrize("state", ["submitted", "returned", "approved"])
@pytest.mark.parametrize("view", ["cards", "table"])
@pytest.mark.parametrize("size", [5, 50])
def test_the_review_runs_a_fixed_number_of_queries(
    size, view, state, planner, program, django_assert_num_queries
):
    for code in codes(program, size):
        put(program, code, 2025, state)
    url = reverse("review") + f"?state={state}&view={view}"
    planner.get(url)  # the navigation's role is read once a minute
    with django_assert_num_queries(REVIEW_QUERIES):
        page = planner.get(url).content.decode()
    assert len(card_ids(page)) == size
    assert tab_counts(page)[state] == size


def test_a_refused_bulk_approval_keeps_the_ticks(planner, queue):
    first, second = queue["1.1.1"], queue["1.1.2"]
    stale = second.version - 1
    response = english(planner).post(
        reverse("approve_selected"),
        {
            "selected": [first.pk, second.pk],
            f"version-{first.pk}": first.version,
            f"version-{second.pk}": stale,
            "next": "/review/?view=table",
        },
        follow=True,
    )
    page = response.content.decode()
    assert "Nothing was approved: 1.1.2 2025:" in page
    for actual in (first, second):
        actual.refresh_from_db()
        assert actual.state == ActualState.SUBMITTED
        assert f'name="selected" value="{actual.pk}" form="bulk" checked' in page
    assert f'value="{queue["2.1.1"].pk}" form="bulk">' in page  # not ticked before, not now
    # Shown once: the next visit starts clean.
    assert "checked" not in planner.get("/review/?view=table").content.decode().split("<main")[1]


def test_a_bulk_approval_names_what_it_approved(planner, queue):
    first, second = queue["1.1.1"], queue["2.1.1"]
    response = english(planner).post(
        reverse("approve_selected"),
        {
            "selected": [first.pk, second.pk],
            f"version-{first.pk}": first.version,
            f"version-{second.pk}": second.version,
        },
        follow=True,
    )
    assert "2 values approved and locked: 1.1.1 2025, 2.1.1 2025." in response.content.decode()


def test_a_refused_return_keeps_the_reason_in_the_compact_table(planner, queue):
    actual = queue["1.1.1"]
    planner.post(
        reverse("review_action", args=[actual.pk, "return"]),
        {"reason": "Add the order", "version": actual.version - 1, "next": "/review/?view=table"},
    )
    page = planner.get("/review/?view=table").content.decode()
    row = _item(page, actual.pk)
    assert 'value="Add the order"' in row
    assert '<details class="row-reason" open>' in row


# --- Every page counts the same ------------------------------------------------------

# 2025: KPI → state, through the workflow (a reopened value is a returned one).
MIX = {
    "1.1.1": "submitted",
    "1.1.2": "draft",
    "1.1.3": "returned",
    "1.1.4": "reopened",
    "1.2.1": "approved",
    "1.2.2": "approved",
    "1.3.1": "submitted",
    "1.4.1": "returned",
    "1.4.2": "draft",
    "2.1.1": "approved",
    "2.1.2": "submitted",
    "2.1.3": "returned",
    "2.1.4": "draft",
    "3.1.1": "returned",
    "5.1.1": "submitted",
}
EXPECTED = {"approved": 3, "submitted": 4, "returned": 5, "draft": 3, "missing": 65}


@pytest.fixture
def mix(program):
    heads = {"1": "head", "2": "head2"}
    for code, state in MIX.items():
        by = "head" if code.startswith("1.") else heads.get(code[0], "planner")
        if state == "reopened":
            put(program, code, 2025, "returned", by=by, reopened=True)
        else:
            put(program, code, 2025, state, by=by)
    # Values that must not be counted for 2025: another year, another program.
    put(program, "1.1.1", 2024, "returned", by="head")
    put(program, "2.1.1", 2024, "submitted", by="head2")
    _old_program_value()
    return program


def _old_program_value() -> None:
    """A returned 2025 value of an older program's KPI that the academic department owns
    too (several programs can live side by side)."""
    from directions.models import Direction, Goal, Program, Task
    from kpis.models import OrgUnit
    from tests.stamps import stamps

    old = Program.objects.create(code="old-plan", title="Old plan", start_year=2016, end_year=2025)
    direction = Direction.objects.create(program=old, number=1, name="Old direction")
    goal = Goal.objects.create(direction=direction, number=1, name="Old goal")
    task = Task.objects.create(goal=goal, number="1.1", position=1, name="Old task")
    kpi = Kpi.objects.create(
        task=task,
        position=1,
        code="1.1.1",
        name="Old KPI",
        unit="count",
        sense="at_least",
        owner=OrgUnit.objects.get(code="academic"),
    )
    Actual.objects.create(kpi=kpi, year=2025, value=1, state="returned", **stamps("returned"))


def _numbers(html: str, attribute: str) -> dict[str, int]:
    # The number follows the attribute's tag, after the state's symbol where there is one.
    pattern = rf'{attribute}="(\w+)"[^>]*>(?:<[^>]+>[^<]*</[^>]+>)?\s*(\d+)'
    return {state: int(n) for state, n in re.findall(pattern, html)}


def _pills(html: str) -> dict[str, int]:
    pills = html.split('class="progress-pills"')[1].split("</div>")[0]
    found = dict(re.findall(r'state-(\w+)">\S+ (\d+)', pills))
    return {state: int(n) for state, n in found.items()}


def test_every_page_counts_each_state_the_same(mix, planner, rector, head, head2):
    # Overview, for the planning office and for the rector's office.
    for client in (planner, rector):
        page = client.get(reverse("home") + "?year=2025").content.decode()
        assert _numbers(page, "data-entry") == EXPECTED
        direction_1 = re.search(r'entry-progress">([^<]+)<', page.split("<tbody>")[1]).group(1)
        assert direction_1.split() == ["2", "/", "2", "/", "3", "/", "2", "/", "10"]
    # Progress, every unit together.
    page = planner.get(reverse("progress") + "?year=2025").content.decode()
    assert _numbers(page, "data-total") == {**EXPECTED, "total": 80}
    # Review: each tab, for the year being reported.
    page = planner.get(reverse("review")).content.decode()
    review = {s: EXPECTED[s] for s in ("submitted", "returned", "approved")}
    assert tab_counts(page) == review
    # My KPIs of the planning office: every unit.
    assert _pills(planner.get(reverse("entry") + "?year=2025").content.decode()) == EXPECTED
    # And unit by unit: My KPIs of each head, Progress's row and Review's tabs agree.
    rows = {
        row.unit.code: row
        for row in planner.get(reverse("progress") + "?year=2025").context["rows"]
        if row.unit
    }
    for client, units in ((head, ["academic", "digital"]), (head2, ["science"])):
        for unit in units:
            pills = _pills(client.get(f"/entry/?year=2025&unit={unit}").content.decode())
            row = rows[unit]
            assert pills == {s: getattr(row, s) for s in EXPECTED}, unit
            tabs = tab_counts(planner.get(f"/review/?unit={unit}").content.decode())
            assert tabs == {s: getattr(row, s) for s in review}, unit
    assert (rows["academic"].returned, rows["academic"].missing) == (2, 15 - 7)


@pytest.mark.parametrize(
    "action, reason, message",
    [
        ("return", "  ", "1.1.1 2025 was not returned: give a reason; the department and"),
        ("return", "x" * 2001, "1.1.1 2025 was not returned: Ensure this value has at most 2000"),
        ("reopen", "", "1.2.1 2025 was not reopened: give a reason; the department and"),
    ],
)
def test_a_refused_review_action_says_which_value_and_why(planner, queue, action, reason, message):
    actual = queue["1.1.1" if action == "return" else "1.2.1"]
    response = english(planner).post(
        reverse("review_action", args=[actual.pk, action]),
        {"reason": reason, "version": actual.version, "next": "/review/?state=" + actual.state},
        follow=True,
    )
    (shown,) = [str(m) for m in response.context["messages"]]
    assert shown.startswith(message)
    assert Actual.objects.get(pk=actual.pk).state == actual.state
    assert f'value="{reason[:2000]}" maxlength="2000"' in _item(
        response.content.decode(), actual.pk
    )


def test_a_review_action_on_a_value_changed_meanwhile_names_it(planner, queue):
    actual = queue["1.1.1"]
    response = english(planner).post(
        reverse("review_action", args=[actual.pk, "approve"]),
        {"version": actual.version + 1},
        follow=True,
    )
    (shown,) = [str(m) for m in response.context["messages"]]
    assert shown.startswith("1.1.1 2025: Someone else")
