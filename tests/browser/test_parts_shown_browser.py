"""A calculated KPI's parts in a real browser: the tree, a drill-down, a unit's page."""

import pytest

from benchmarks.parts_data import calculate_shares

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_reader_drills_down_the_units_of_a_calculated_kpi(
    program, live_server, browser, screenshots
):
    calculated = calculate_shares(program, units=6, sums=0)
    faculty = calculated.faculties[0]
    page = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_username", "rector")
    page.fill("#id_password", "rector-demo")
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + "/")

    page.goto(live_server.url + "/kpi/1.1.4/")
    tree = page.locator("table.parts-tree")
    assert tree.locator("tbody tr").count() == 1 + 3 + 6  # university, faculties, departments
    page.select_option("select[name=year]", "2024")
    page.click("form[action='#parts-units'] button")
    page.wait_for_url("**year=2024**")
    assert "2024" in page.locator("#parts-units").inner_text()
    page.screenshot(path=str(screenshots / "kpi-parts-tree.png"), full_page=True)

    page.click(f"table.parts-tree a:text-is('{faculty.name}')")
    page.wait_for_url(f"**unit={faculty.id}**")
    rows = tree.locator("tbody tr")
    assert rows.count() == 1 + 2  # the faculty and its two departments
    assert faculty.name in page.locator("nav.breadcrumbs").inner_text()

    rows.nth(1).locator("a", has_text="оның беті").click()  # «its page», in Kazakh
    page.wait_for_selector("table.unit-shares")
    assert page.locator("table.unit-shares tbody tr").count() == 44
    page.screenshot(path=str(screenshots / "unit-page.png"), full_page=True)
    assert errors == []
