"""The rector signs in with a real browser and reads the dashboards."""

import pytest

from kpis.demo import setup_demo_values

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"laptop": {"width": 1366, "height": 768}, "tablet": {"width": 820, "height": 1180}}


@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_rector_reads_overview_matrix_and_kpi_page(
    program, live_server, browser, screenshots, device
):
    setup_demo_values(program)
    context = browser.new_context(viewport=VIEWPORTS[device], locale="kk-KZ")
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    page.goto(live_server.url + "/")
    assert "/accounts/login/" in page.url
    page.fill("#id_username", "rector")
    page.fill("#id_password", "rector-demo")
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "kk"
    assert page.locator(".overview-table tbody tr").count() == 5
    page.screenshot(path=str(screenshots / f"overview-{device}.png"), full_page=True)

    page.click("nav.mainnav a[href='/matrix/']")
    page.wait_for_selector("table.matrix")
    assert page.locator("table.matrix td.cell").count() == 80 * 7
    assert page.locator("table.matrix td.cell-achieved").count() > 0
    page.screenshot(path=str(screenshots / f"matrix-{device}.png"))

    page.goto(live_server.url + "/kpi/1.1.3/")
    canvas = page.locator("canvas#kpi-chart[data-rendered='true']")
    canvas.wait_for(timeout=10000)
    painted = page.evaluate(
        """() => {
            const c = document.querySelector('#kpi-chart');
            const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let inked = 0;
            for (let i = 3; i < data.length; i += 4) { if (data[i] > 0) inked++; }
            return inked;
        }"""
    )
    assert painted > 1000  # the chart drew lines and points, not an empty canvas
    # The axis writes numbers as the Kazakh page does (3 160), not as the browser does.
    axis = page.evaluate("() => new Intl.NumberFormat(Chart.defaults.locale).format(3160.5)")
    assert axis == "3\u00a0160,5", axis
    page.screenshot(path=str(screenshots / f"kpi-{device}.png"), full_page=True)

    assert page.locator("a[href='/entry/']").count() == 0  # the rector enters nothing
    assert errors == []
    context.close()


def test_planner_pages_break_no_content_security_rule(program, live_server, browser):
    """Every page the planning office uses, the admin's included, runs without an inline
    script or style that the Content-Security-Policy would block."""
    page = browser.new_context(viewport=VIEWPORTS["laptop"]).new_page()
    errors = []
    page.on("console", lambda m: errors.append((page.url, m.text)) if m.type == "error" else None)
    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_username", "planner")
    page.fill("#id_password", "planner-demo")
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + "/")
    for path in [
        "/entry/?year=2025",
        "/review/",
        "/review/?view=table&year=all",
        "/progress/",
        "/years/2025/close/",
        "/reports/frozen/",
        "/admin/",
        "/admin/kpis/kpi/",
        "/admin/kpis/target/import/",
        "/admin/kpis/actual/export/",
        "/admin/kpis/orgunit/add/",
    ]:
        page.goto(live_server.url + path)
        assert page.locator("body").count() == 1
    assert errors == []
    page.context.close()
