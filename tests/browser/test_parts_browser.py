"""The planning office, in Kazakh, in a real browser: the demo's tree of units, the
proposed definitions, and a unit marked "not applicable" from the parts of 2025."""

import pytest

from kpis.demo import setup_demo_parts
from kpis.models import Exemption, Kpi
from kpis.selectors import read_rollup

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_planner_sees_the_tree_and_exempts_a_department(
    program, live_server, browser, screenshots
):
    setup_demo_parts(program)
    context = browser.new_context(viewport={"width": 1500, "height": 900})
    context.add_cookies([{"name": "django_language", "value": "kk", "url": live_server.url}])
    page = context.new_page()
    page.goto(live_server.url + "/people/")
    page.fill("#id_username", "planner")
    page.fill("#id_password", "planner-demo")
    page.click("button[type=submit]")
    page.wait_for_selector("#unit-dep-power")
    assert page.locator("html").get_attribute("lang") == "kk"
    # Indented under its faculty, which is under the university.
    depth = {
        code: page.get_attribute(f"#unit-{code} th", "data-depth")
        for code in ("metu", "fac-energy", "dep-power", "finance")
    }
    assert depth == {"metu": "0", "fac-energy": "1", "dep-power": "2", "finance": "1"}
    assert "Электр энергетикасы кафедрасы" in page.inner_text("#unit-dep-power")
    page.locator("#units").screenshot(path=str(screenshots / "units-tree-kk.png"))
    page.screenshot(path=str(screenshots / "people-tree-kk.png"), full_page=True)

    page.goto(live_server.url + "/definitions/")
    assert "Ағылшын тілінде дәріс беретін" in page.inner_text("#kpi-1\\.2\\.1")
    page.screenshot(path=str(screenshots / "definitions-kk.png"), full_page=True)

    page.goto(live_server.url + "/definitions/parts/?year=2025")
    cell = "#part-postgraduates-dep-mechanical"
    assert page.locator(f"{cell}.part-missing").count() == 1
    page.click(f"{cell} a")
    page.click("#save-exemption")  # no reason: refused, nothing stored
    page.wait_for_selector("#form-errors")
    assert not Exemption.objects.exists()
    page.fill("#id_reason", "Кафедрада 2025 жылы магистранттар мен докторанттар жоқ")
    page.click("#save-exemption")
    page.wait_for_selector(f"{cell}.part-exempt")
    page.screenshot(path=str(screenshots / "parts-2025-kk.png"), full_page=True)
    exemption = Exemption.objects.get()
    assert (exemption.unit.code, exemption.input.code, exemption.year) == (
        "dep-mechanical",
        "postgraduates",
        2025,
    )
    kpi = Kpi.objects.get(program=program, code="4.2.2")
    assert read_rollup(program, include_submitted=True).computed(kpi.id, 2025).expected == 11
    context.close()
