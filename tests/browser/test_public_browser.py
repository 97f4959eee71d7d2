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


def test_the_planning_office_writes_a_narrative_and_downloads_the_report(
    program, live_server, browser, screenshots, tmp_path
):
    from io import BytesIO

    from docx import Document

    page = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_username", "planner")
    page.fill("#id_password", "planner-demo")
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + "/")

    page.goto(live_server.url + "/reports/frozen/")
    page.click("#yearly-report-link a")
    page.locator("#produce").wait_for()
    page.screenshot(path=str(screenshots / "yearly-report.png"), full_page=True)
    page.select_option("#produce select[name=year]", "2025")
    page.select_option("#freeze select[name=year]", "2025")
    page.click("text=✎")
    page.locator("#narratives").wait_for()
    page.locator("#narratives a.btn").first.click()
    page.fill("#id_text", "Бірінші абзац.\n\n- Бірінші тармақ\n- Екінші тармақ")
    page.check("input[name=state][value=final]")
    page.click("#narrative-form button")
    page.locator("#narratives").wait_for()
    assert page.locator(".message-success").count() == 1
    page.screenshot(path=str(screenshots / "narratives.png"), full_page=True)

    page.goto(live_server.url + "/reports/yearly/")
    page.select_option("#produce select[name=year]", "2025")
    page.select_option("#produce select[name=language]", "kk")
    with page.expect_download() as download:
        page.click("#produce button[value=docx]")
    path = tmp_path / "report.docx"
    download.value.save_as(path)
    doc = Document(BytesIO(path.read_bytes()))
    texts = [(p.style.name, p.text) for p in doc.paragraphs]
    assert ("List Bullet", "Екінші тармақ") in texts
    assert errors == []
