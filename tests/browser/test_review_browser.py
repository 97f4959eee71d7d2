"""The planning office, in a real browser: the review's compact table, closing a year
and reverting a target change, each through its confirmation page."""

from decimal import Decimal as D

import pytest
from django.contrib.auth.models import User

from kpis import services
from kpis.models import ReportingYear, Target
from tests.test_review_page import put

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(browser, live_server):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="en-GB")
    context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_username", "planner")
    page.fill("#id_password", "planner-demo")
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + "/")
    return context, page, errors


def test_planner_reviews_in_the_compact_table_and_closes_the_year(
    program, live_server, browser, screenshots
):
    for code in ["1.1.1", "1.1.2", "1.1.3"]:
        put(program, code, 2025, "submitted", by="head")
    put(program, "1.1.4", 2025, "returned", by="head")
    context, page, errors = _sign_in(browser, live_server)

    page.goto(live_server.url + "/review/")
    assert page.locator("[data-count=submitted]").inner_text() == "3"
    assert page.locator("[data-count=returned]").inner_text() == "1"
    page.click("text=Compact table")
    page.wait_for_selector("table.review-table")
    assert page.locator("table.review-table tbody tr").count() == 3
    page.screenshot(path=str(screenshots / "review-table.png"), full_page=True)
    # Return one from its row; the page comes back in the same layout, with one fewer.
    row = page.locator("table.review-table tbody tr").first
    row.locator("summary", has_text="Return").click()
    row.locator("input[name=reason]").fill("Attach the order")
    row.locator("form.reason-form button").click()
    page.wait_for_selector(".message-success")
    assert "view=table" in page.url
    assert page.locator("table.review-table tbody tr").count() == 2
    assert page.locator("[data-count=returned]").inner_text() == "2"

    page.goto(live_server.url + "/progress/?year=2025")
    page.locator(".year-switch", has_text="2025").locator("a", has_text="Close").click()
    page.wait_for_selector("#close-confirm")
    assert "2 returned" in page.locator("[data-pending=returned]").inner_text()
    page.screenshot(path=str(screenshots / "close-year-confirm.png"), full_page=True)
    assert ReportingYear.objects.get(program=program, year=2025).is_open
    page.click("button:has-text('Close 2025 for entry')")
    page.wait_for_selector(".message-success")
    assert not ReportingYear.objects.get(program=program, year=2025).is_open
    assert errors == []
    context.close()


def test_planner_reverts_a_target_change_with_a_reason(program, live_server, browser, screenshots):
    target = Target.objects.get(kpi__program=program, kpi__code="1.1.1", year=2029)
    planner = User.objects.get(username="planner")
    services.change_target(user=planner, target=target, value=D(4800), value2=None, reason="r")
    context, page, errors = _sign_in(browser, live_server)
    page.goto(live_server.url + "/kpi/1.1.1/")
    page.click("a:has-text('Revert')")
    page.wait_for_selector("#revert-confirm")
    page.screenshot(path=str(screenshots / "revert-confirm.png"), full_page=True)
    # The browser itself asks for the reason first (the server refuses it too).
    page.click("button:has-text('Revert to')")
    assert page.locator("#revert-confirm").count() == 1
    target.refresh_from_db()
    assert target.value == 4800
    page.fill("input[name=reason]", "The Ministry kept the old plan")
    page.click("button:has-text('Revert to')")
    page.wait_for_selector(".message-success")
    target.refresh_from_db()
    assert target.value == 4500
    assert "The Ministry kept the old plan" in page.locator("#history + .table-scroll").inner_text()
    assert errors == []
    context.close()


def test_planner_freezes_the_report_after_seeing_what_it_lacks(
    program, live_server, browser, screenshots
):
    from reports.models import FrozenReport

    put(program, "1.1.3", 2025, "approved", by="head")
    put(program, "1.1.1", 2025, "submitted", by="head")
    context, page, errors = _sign_in(browser, live_server)
    page.goto(live_server.url + "/reports/frozen/")
    form = page.locator("form#freeze")
    form.locator("select[name=year]").select_option("2025")
    form.locator("input[name=note]").fill("No. 15-04/112")
    form.locator("button").click()
    page.wait_for_selector("#freeze-confirm")
    assert "1 value is submitted but not approved; it is left out." in page.inner_text("main")
    page.screenshot(path=str(screenshots / "freeze-confirm.png"), full_page=True)
    assert not FrozenReport.objects.exists()
    # Back to the form, as typed; tick the submitted values in and look again.
    page.click("button:has-text('Back')")
    page.wait_for_selector("form#freeze")
    assert page.locator("form#freeze input[name=note]").input_value() == "No. 15-04/112"
    page.locator("form#freeze input[name=include]").check()
    page.locator("form#freeze button").click()
    page.wait_for_selector("#freeze-confirm")
    page.click("button:has-text('Freeze the 2025 report')")
    page.wait_for_selector(".message-success")
    report = FrozenReport.objects.get()
    assert (report.year, report.include_submitted, report.note) == (2025, True, "No. 15-04/112")
    assert errors == []
    context.close()
