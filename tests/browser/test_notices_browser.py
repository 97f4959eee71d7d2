"""Deadlines and notices in a real browser: the planning office sets a year's calendar,
sees the late units first on Progress, previews and sends a reminder; the head sees it
under the bell and opens it."""

from datetime import timedelta

import pytest
from django.utils import timezone

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(browser, live_server, username: str):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="en-GB")
    context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", f"{username}-demo")
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + "/")
    return context, page, errors


def test_a_late_unit_is_reminded_from_progress_and_the_head_reads_it(
    program, live_server, browser, screenshots
):
    from notices.models import Notification

    Notification.objects.all().delete()  # the demo's approvals notified the heads
    context, page, errors = _sign_in(browser, live_server, "planner")
    page.goto(live_server.url + "/progress/?year=2025")
    page.locator(".year-switch", has_text="2025").locator("a", has_text="Calendar").click()
    page.wait_for_selector("#calendar-form")
    today = timezone.localdate()
    page.fill("#id_opens", (today - timedelta(days=60)).isoformat())
    page.fill("#id_due", (today - timedelta(days=3)).isoformat())
    page.fill("#id_closes", (today + timedelta(days=30)).isoformat())
    page.click("#save-calendar")
    page.wait_for_selector(".message-success")
    assert "Overdue by 3 days" in page.locator(".deadline").inner_text()
    page.screenshot(path=str(screenshots / "year-calendar.png"), full_page=True)

    page.goto(live_server.url + "/progress/?year=2025")
    assert page.locator("tr[data-overdue]").count() >= 1
    first = page.locator("tbody tr").first
    assert first.get_attribute("data-overdue") is not None  # late units first
    page.screenshot(path=str(screenshots / "progress-overdue.png"), full_page=True)
    academic = page.locator("tbody tr", has_text="Academic Affairs")
    academic.locator("a[title='Send a reminder now']").click()
    page.wait_for_selector("#send-reminder")
    # The reminder is written in the head's own language (Kazakh, the default).
    assert "мерзімі 3 күнге өтті" in page.locator(".reminder-preview").inner_text()
    page.screenshot(path=str(screenshots / "reminder-preview.png"), full_page=True)
    page.click("#send-reminder button")
    page.wait_for_selector(".message-success")
    assert errors == []
    context.close()

    context, page, errors = _sign_in(browser, live_server, "head")
    assert page.locator("#bell .badge").inner_text() == "1"
    page.screenshot(path=str(screenshots / "bell.png"))
    page.click("#bell")
    page.wait_for_selector("#notices")
    notice = page.locator(".notice.unread")
    # Written in the head's language, Kazakh until they choose another.
    assert "Академиялық мәселелер департаменті" in notice.inner_text()
    page.screenshot(path=str(screenshots / "notifications.png"), full_page=True)
    notice.locator("button", has_text="Open").click()
    page.wait_for_url("**/entry/**")
    assert "Overdue by 3 days" in page.locator(".deadline").inner_text()
    assert page.locator("#bell .badge").count() == 0
    assert errors == []
    context.close()
