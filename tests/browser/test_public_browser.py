"""The public results page in a real browser, without signing in."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import User

from kpis import services
from kpis.models import Kpi
from reports.yearly import set_public_results

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_anonymous_opens_the_public_page_and_follows_it_to_a_kpi(
    program, live_server, browser, screenshots
):
    planner = User.objects.get(username="planner")
    kpi = Kpi.objects.prefetch_related("targets").get(program=program, code="1.1.3")
    (actual,) = services.save_entries(
        user=planner,
        program=program,
        year=2025,
        entries=[
            services.Entry(kpi=kpi, value=Decimal("61.5"), submit=True, explanation="Кешікті.")
        ],
    )
    services.approve(user=planner, actual=actual)
    set_public_results(user=planner, program=program, enabled=True, years=[2025])

    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    response = page.goto(live_server.url + "/public/")
    assert response.status == 200
    assert page.url == live_server.url + "/public/"  # not sent to sign in
    assert page.locator("#public-directions tbody tr").count() == 5
    assert context.cookies() == []  # no session, no CSRF cookie: nothing per visitor
    page.screenshot(path=str(screenshots / "public-overview.png"), full_page=True)

    page.click("nav.langswitch a[lang=en]")
    page.wait_for_url("**/public/?lang=en")
    assert page.locator("html").get_attribute("lang") == "en"
    page.click("nav.mainnav >> text=Matrix")
    page.click("#public-matrix a:has-text('1.1.3')")
    page.locator("#public-kpi").wait_for()
    row = page.locator("#public-kpi tbody tr").first.inner_text()
    assert "2025" in row and "61.5" in row
    page.screenshot(path=str(screenshots / "public-kpi.png"), full_page=True)

    page.goto(live_server.url + "/matrix/")
    assert "/accounts/login/" in page.url  # the signed-in matrix stays closed
    assert errors == []
