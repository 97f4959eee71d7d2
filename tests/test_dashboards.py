"""Overview, matrix, direction and KPI pages: what they show and how many queries they run."""

from decimal import Decimal as D

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from benchmarks.setup_data import scaled_fixture
from directions.models import Program
from kpis.loading import load_program
from kpis.models import Actual, ActualState, Kpi
from tests.stamps import stamps


def approve(program, code, year, value, value2=None, state=ActualState.APPROVED):
    kpi = Kpi.objects.get(program=program, code=code)
    return Actual.objects.create(
        kpi=kpi, year=year, value=D(value), value2=value2, state=state, **stamps(state)
    )


@pytest.fixture
def values(program):
    approve(program, "1.1.3", 2023, 60)  # achieved (target 60)
    approve(program, "1.1.3", 2024, 62)  # close (target 65: 95,4 %)
    approve(program, "1.2.1", 2024, 2)  # behind (target 5)
    approve(program, "5.1.3", 2024, 5)  # at most 6: achieved
    approve(program, "3.1.4", 2026, 650)  # rank within top-700: achieved
    approve(program, "1.1.2", 2024, D("98.8"), D("1.2"))  # ratio, postgraduate 1,2 ≥ 1
    approve(program, "2.1.1", 2024, 9, state=ActualState.SUBMITTED)  # not approved yet
    return program


def test_overview_counts_statuses_per_direction(rector, values):
    response = rector.get(reverse("home") + "?year=2024")
    assert response.status_code == 200
    overall = response.context["overall"]
    assert (overall.achieved, overall.close, overall.behind) == (2, 1, 1)
    direction_1 = response.context["directions"][0]["summary"]
    assert (direction_1.achieved, direction_1.close, direction_1.behind) == (1, 1, 1)
    behind = [row.kpi.code for row in response.context["behind"]]
    assert behind == ["1.2.1"]
    page = response.content.decode()
    assert "Академиялық мәселелер департаменті" in page  # the owner of what is behind


def test_submitted_values_count_only_when_asked(rector, values):
    approved_only = rector.get(reverse("home") + "?year=2024")
    assert approved_only.context["overall"].achieved == 2
    assert "not approved yet" not in approved_only.content.decode()
    with_submitted = rector.get(reverse("home") + "?year=2024&include=submitted")
    assert with_submitted.context["overall"].achieved == 3  # 2.1.1: 9 ≥ 2
    assert "banner-warning" in with_submitted.content.decode()


def test_overview_defaults_to_the_latest_year_with_values(rector, values):
    assert rector.get(reverse("home")).context["year"] == 2026


def test_entry_progress_on_the_overview(rector, values):
    progress = rector.get(reverse("home") + "?year=2024").context["progress_total"]
    assert progress == {"approved": 4, "submitted": 1, "returned": 0, "draft": 0, "missing": 75}


def test_matrix_shows_every_kpi_and_year_with_symbols(rector, values):
    response = rector.get(reverse("matrix") + "?year=2024")
    page = response.content.decode()
    assert len(response.context["rows"]) == 80
    assert page.count('class="cell cell-') == 80 * 7
    assert 'class="cell cell-behind"' in page and "✗" in page
    assert "96,5/3,5" in page  # the ratio target of 2029


@pytest.mark.parametrize(
    "query, codes",
    [
        ("direction=5", None),
        ("unit=science", None),
        ("status=behind&year=2024", {"1.2.1"}),
        ("status=achieved&year=2026", {"3.1.4"}),
    ],
)
def test_matrix_filters(rector, values, query, codes):
    rows = rector.get(reverse("matrix") + "?" + query).context["rows"]
    found = {row.kpi.code for row in rows}
    if "direction=5" in query:
        assert len(found) == 10 and all(c.startswith("5.") for c in found)
    elif "unit=science" in query:
        assert len(found) == 24 and all(c.startswith("2.") for c in found)
    else:
        assert found == codes


def test_direction_page_has_chart_data_and_table(rector, values):
    response = rector.get(reverse("direction", args=[1]) + "?year=2024")
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="direction-chart-data"' in page and "chart.umd.min.js" in page
    yearly = dict(response.context["yearly"])
    assert yearly[2024].behind == 1


def test_kpi_page_chart_and_projection(rector, program):
    approve(program, "1.1.3", 2023, 60)
    approve(program, "1.1.3", 2024, 66)
    response = rector.get(reverse("kpi_detail", args=["1.1.3"]))
    chart = response.context["chart"]
    assert chart["actuals"][:2] == [60, 66] and chart["targets"][-1] == 80
    assert chart["trend"][0] == 60 and chart["trend"][-1] == 96  # 6 a year from 60
    assert response.context["projection"].will_meet is True
    assert 'class="projection good"' in response.content.decode()


def _by_year(response) -> str:
    """The KPI page's table of values, comments and evidence."""
    page = response.content.decode()
    return page[page.index('id="by-year"') : page.index('id="history"')]


def test_kpi_page_lists_every_year_with_what_the_reader_may_see(
    program, rector, planner, head, head2
):
    kpi = Kpi.objects.get(program=program, code="1.1.4")  # the unit of "head"
    Actual.objects.create(
        kpi=kpi,
        year=2023,
        value=D(4),
        state=ActualState.APPROVED,
        **stamps(ActualState.APPROVED),
        comment="Counted by the registrar",
    )
    Actual.objects.create(
        kpi=kpi, year=2025, value=D("3.7"), state=ActualState.DRAFT, comment="Not checked yet"
    )
    url = reverse("kpi_detail", args=["1.1.4"])
    for reader in (rector, head2):
        table = _by_year(reader.get(url))
        assert table.count("<tr>") == 1 + 7  # the heading and each year
        assert "Counted by the registrar" in table and "state-approved" in table
        assert "Not checked yet" not in table and "state-draft" not in table
        assert "target-edit" not in table
    own = _by_year(head.get(url))
    assert "Not checked yet" in own and "state-draft" in own and "target-edit" not in own
    assert _by_year(planner.get(url)).count('class="target-edit') == 7


def test_rank_chart_is_reversed_and_ratio_draws_the_postgraduate_share(rector, values):
    rank = rector.get(reverse("kpi_detail", args=["3.1.4"])).context["chart"]
    assert rank["reverse"] is True and rank["actuals"][3] == 650
    ratio = rector.get(reverse("kpi_detail", args=["1.1.2"])).context["chart"]
    assert ratio["targets"][0] == 0.5 and ratio["actuals"][1] == 1.2


# Queries per page, whatever the number of KPIs: session, user, permissions, the
# header's unread notifications (the bell), the program, then the KPIs with their
# targets and counted values (and what each page adds).
EXPECTED_QUERIES = {
    "/?year=2024": 11,
    "/matrix/?year=2024": 10,
    "/direction/1/?year=2024": 12,
    "/kpi/1.1.1/": 14,
}


def _fill(program, years=(2023, 2024)):
    rows = [
        Actual(kpi=kpi, year=year, value=D(5), state=ActualState.APPROVED, **stamps("approved"))
        for kpi in Kpi.objects.filter(program=program).exclude(unit="ratio")
        for year in years
    ]
    Actual.objects.bulk_create(rows)


def _assert_queries(client: Client, django_assert_num_queries) -> None:
    for url, expected in EXPECTED_QUERIES.items():
        client.get(url)  # warm the session like a real visit
        with django_assert_num_queries(expected):
            assert client.get(url).status_code == 200


def test_dashboards_run_the_same_queries_for_80_and_800_kpis(program, django_assert_num_queries):
    client = Client()
    client.force_login(User.objects.get(username="rector"))
    _fill(program)
    _assert_queries(client, django_assert_num_queries)

    load_program(scaled_fixture(10))  # METU-X10 becomes the current program
    bigger = Program.objects.get(code="METU-X10")
    assert Kpi.objects.filter(program=bigger).count() == 800
    _fill(bigger)
    _assert_queries(client, django_assert_num_queries)


def test_direction_page_table_shows_each_year_and_each_kpi(rector, values):
    page = rector.get(reverse("direction", args=[1]) + "?year=2024").content.decode()
    for year in range(2023, 2030):
        assert f'<th scope="row">{year}</th>' in page  # the yearly status table
    assert page.count('class="cell cell-') == 19 * 7  # direction 1's KPIs by year
