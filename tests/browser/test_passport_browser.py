"""The baseline in the KPI chart, and the passport page, in a real browser."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import User

from kpis import passport
from kpis.models import Kpi

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_chart_draws_the_baseline_and_the_passport_page_runs_clean(
    program, live_server, browser, screenshots
):
    planner = User.objects.get(username="planner")
    passport.update_passport(
        user=planner,
        kpi=Kpi.objects.get(program=program, code="1.1.1"),
        changes={"baseline_year": 2022, "baseline_value": Decimal(3160)},
        reason="Program, section 6",
    )
    page = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_username", "planner")
    page.fill("#id_password", "planner-demo")
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + "/")

    page.goto(live_server.url + "/kpi/1.1.1/")
    page.locator("canvas#kpi-chart[data-rendered='true']").wait_for(timeout=10000)
    drawn = page.evaluate(
        """() => {
            const chart = Chart.getChart(document.querySelector('#kpi-chart'));
            const sent = JSON.parse(document.getElementById('kpi-chart-data').textContent);
            const baseline = chart.data.datasets[chart.data.datasets.length - 1];
            return {first: chart.data.labels[0], label: sent.baseline.label,
                    labels: chart.data.labels.length, point: baseline.data[0],
                    targets: chart.data.datasets[0].data.slice(0, 2)};
        }"""
    )
    assert drawn["first"] == drawn["label"] and "2022" in drawn["label"]
    assert drawn["labels"] == 8 and drawn["point"] == 3160
    assert drawn["targets"] == [None, 3160]  # the 2023 target stays on 2023
    page.screenshot(path=str(screenshots / "kpi-baseline.png"), full_page=True)

    page.click("#edit-passport")
    page.wait_for_selector("#passport-form")
    page.screenshot(path=str(screenshots / "kpi-passport-edit.png"), full_page=True)
    page.fill("#id_definition_kk", "1 қазандағы білім алушылар саны")
    page.fill("#id_reason", "First definition")
    page.click("#save-passport")
    page.wait_for_url(live_server.url + "/kpi/1.1.1/#passport")
    assert page.locator("#passport").get_by_text("1 қазандағы білім алушылар саны").count() == 1
    assert errors == []
