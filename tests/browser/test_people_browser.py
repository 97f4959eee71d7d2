"""The planning office adds a department head in a real browser, in Kazakh, and the new
head signs in and finds their unit's KPIs."""

import re

import pytest
from django.contrib.auth.models import User

from kpis import people, roles
from kpis.models import Kpi, OrgUnit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Kök-tuyaq 2026 aspan"


def kazakh_page(browser, live_server):
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    context.add_cookies([{"name": "django_language", "value": "kk", "url": live_server.url}])
    return context.new_page()


def sign_in(page, username: str, password: str) -> None:
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")


def test_the_planner_creates_a_head_in_kazakh_and_the_head_signs_in(
    program, live_server, browser, screenshots
):
    finance = OrgUnit.objects.get(code="finance")
    page = kazakh_page(browser, live_server)
    page.goto(live_server.url + "/people/")
    sign_in(page, "planner", "planner-demo")
    page.wait_for_selector("table.people-table")
    assert page.locator("html").get_attribute("lang") == "kk"
    assert page.locator("#units-without-head").is_visible()  # the demo leaves units headless
    page.click("#add-person")

    page.fill("#id_first_name", "Асель")
    page.fill("#id_last_name", "Қасымова")
    page.fill("#id_username", "asel")
    page.fill("#id_email", "asel@metu.edu.kz")
    units = page.locator("[data-head-units]")
    page.select_option("#id_role", roles.RECTORS_OFFICE)
    assert units.is_hidden()  # units are for department heads only
    page.select_option("#id_role", roles.DEPARTMENT_HEAD)
    assert units.is_visible()
    # The units are listed by their Kazakh names.
    page.get_by_label("Қаржы-экономикалық департамент").check()
    page.fill("#id_password", PASSWORD)
    page.fill("#id_password_again", "not the same")
    page.click("#create-person")
    page.wait_for_selector("#form-errors")
    assert page.locator("#id_password_again_errors").is_visible()
    assert page.input_value("#id_first_name") == "Асель"  # what was typed stays
    assert page.get_by_label("Қаржы-экономикалық департамент").is_checked()
    assert not User.objects.filter(username="asel").exists()

    page.fill("#id_password_again", PASSWORD)
    page.click("#create-person")
    page.wait_for_selector(".message-success")
    page.screenshot(path=str(screenshots / "people-created-kk.png"), full_page=True)
    asel = User.objects.get(username="asel")
    assert people.role_of(asel) == roles.DEPARTMENT_HEAD
    assert list(asel.headed_units.all()) == [finance]
    page.goto(live_server.url + "/people/")
    page.screenshot(path=str(screenshots / "people-list-kk.png"), full_page=True)
    assert "Асель Қасымова" in page.inner_text(f"#person-{asel.pk}")
    assert "Қаржы-экономикалық департамент" in page.inner_text(f"#person-{asel.pk}")

    head = kazakh_page(browser, live_server)
    head.goto(live_server.url + "/entry/?year=2025")
    sign_in(head, "asel", PASSWORD)
    head.wait_for_selector("form.entry-form")
    head.screenshot(path=str(screenshots / "people-new-head-entry-kk.png"))
    codes = set(re.findall(r'id="kpi-([\d.]+)"', head.content()))
    expected = set(Kpi.objects.filter(owner=finance).values_list("code", flat=True))
    assert codes == expected and len(codes) == 10
    assert head.locator("#change-password").is_visible()
