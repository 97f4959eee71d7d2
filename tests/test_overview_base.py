"""The overview says what its figures are based on, and a year that has not ended is
"not yet due", visibly not a missing value."""

from datetime import date
from decimal import Decimal as D

from django.urls import reverse
from django.utils import translation

from kpis import services
from kpis.models import Kpi
from kpis.status import Status, is_due


def _submit_and_approve(program, planner, code: str, year: int, value) -> None:
    kpi = Kpi.objects.prefetch_related("targets").get(program=program, code=code)
    (actual,) = services.save_entries(
        user=planner,
        program=program,
        year=year,
        entries=[services.Entry(kpi=kpi, value=D(value), submit=True, explanation="x")],
    )
    services.approve(user=planner, actual=actual)


def _page(client, url: str) -> str:
    client.cookies["django_language"] = "en"
    with translation.override("en"):
        return client.get(url).content.decode()


def test_the_overall_achievement_says_what_it_is_based_on(planner, program):
    from django.contrib.auth.models import User

    user = User.objects.get(username="planner")
    _submit_and_approve(program, user, "1.1.3", 2024, 70)  # target 65 %: achieved
    page = _page(planner, reverse("home") + "?year=2024")
    with_target = Kpi.objects.filter(
        program=program, targets__year=2024, targets__value__isnull=False
    ).count()
    assert f"Based on 1 of {with_target} KPIs with a target that have an approved value." in page
    # Nothing is behind, but most KPIs have no value: the page does not say "all is well".
    assert "No KPI is behind its target" not in page
    assert f"{with_target - 1} KPIs with a target have no value yet" in page


def test_a_year_that_has_not_ended_is_not_yet_due(rector, program):
    page = _page(rector, reverse("matrix") + "?year=2024")
    cells = page.split("<tbody>", 1)[1]
    # 2029 has not ended whatever year the tests run in; 2024 has, and has no values.
    assert "cell cell-not_due" in cells and "cell cell-no_data" in cells
    row = cells.split('class="code">1.1.3</span>', 1)[1].split("</tr>", 1)[0]
    statuses = [part.split('"', 1)[0] for part in row.split("cell cell-")[1:]]
    years = list(range(2023, 2030))
    for year, status in zip(years, statuses, strict=True):
        expected = Status.NO_DATA if is_due(year) else Status.NOT_DUE
        assert status == expected, (year, status)
    assert "not yet due" in page  # the legend


def test_a_year_is_due_once_it_has_ended():
    assert is_due(2025, today=date(2026, 1, 1))
    assert not is_due(2026, today=date(2026, 12, 31))
