"""A department head's year of entry in a real browser, in each language."""

import pytest
from django.contrib.sessions.models import Session

from kpis.models import Actual, Kpi

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = ["kk", "ru", "en"]


def signed_in(browser, live_server, language: str, username: str = "head"):
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page = context.new_page()
    page.goto(live_server.url + "/entry/?year=2025")
    sign_in(page, username)
    page.wait_for_selector("form.entry-form")
    return page


def sign_in(page, username: str) -> None:
    page.fill("#id_username", username)
    page.fill("#id_password", f"{username}-demo")
    page.click("button[type=submit]")


def field(page, program, code: str, name: str = "value"):
    kpi = Kpi.objects.get(program=program, code=code)
    return page.locator(f"[name='k{kpi.id}-{name}']")


@pytest.mark.parametrize("language", LANGUAGES)
def test_what_was_typed_survives_an_ended_session(
    program, live_server, browser, screenshots, language
):
    page = signed_in(browser, live_server, language)
    field(page, program, "1.1.4").fill("6")
    page.click("tr[id='kpi-1.1.3'] details summary")
    field(page, program, "1.1.3", "comment").fill("Graduate survey, March")
    Session.objects.all().delete()  # the session ends while the head types

    page.click("button[value=save]")
    page.wait_for_selector("#session-ended")
    page.screenshot(path=str(screenshots / f"session-ended-{language}.png"))
    sign_in(page, "head")
    page.wait_for_selector("#restore-typed:not([hidden])")
    assert not Actual.objects.filter(year=2025).exists()

    page.click("[data-restore]")
    assert field(page, program, "1.1.4").input_value() == "6"
    page.click("button[value=save]")
    page.wait_for_selector(".message-success")
    assert Actual.objects.get(kpi__code="1.1.4", year=2025).value == 6
    assert Actual.objects.get(kpi__code="1.1.3", year=2025).comment == "Graduate survey, March"
    # Once stored, nothing is offered back any more.
    page.goto(live_server.url + "/entry/?year=2025")
    assert page.locator("#restore-typed").is_hidden()


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_problem_is_shown_at_once_and_what_was_typed_stays(
    program, live_server, browser, screenshots, language
):
    page = signed_in(browser, live_server, language)
    typed = {"1.1.1": "abc", "1.1.3": "150", "1.3.6": "-5", "1.1.4": "0"}
    for code, text in typed.items():
        field(page, program, code).fill(text)
    page.click("button[value=submit_all]")
    page.wait_for_selector(".message-error")
    page.screenshot(path=str(screenshots / f"entry-errors-{language}.png"), full_page=True)
    for code in typed:
        assert page.locator(f"tr[id='kpi-{code}'].row-error").count() == 1, code
        assert field(page, program, code).input_value() == typed[code]
    assert not Actual.objects.filter(year=2025).exists()


@pytest.mark.parametrize("language", LANGUAGES)
def test_on_a_phone_the_action_bar_leaves_the_rows_visible_and_enter_moves_on(
    program, live_server, browser, screenshots, language
):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page = context.new_page()
    page.goto(live_server.url + "/entry/?year=2025")
    sign_in(page, "head")
    page.wait_for_selector("form.entry-form")
    bar = page.locator(".action-bar").bounding_box()
    assert bar["height"] <= 844 / 5, bar
    page.screenshot(path=str(screenshots / f"entry-phone-{language}.png"))

    first = field(page, program, "1.1.1")
    first.fill("3500")
    first.press("Enter")
    assert page.evaluate("document.activeElement.name") == field(
        page, program, "1.1.2"
    ).get_attribute("name")
    assert not Actual.objects.exists()  # Enter did not send the form


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_excel_template_names_the_rows_that_need_an_explanation(
    program, live_server, browser, screenshots, tmp_path, language
):
    """Point 4: the template carries the target and an explanation column; the preview
    shows target, achievement and what still needs an explanation."""
    from openpyxl import load_workbook

    from kpis.spreadsheets import EXPLANATION, VALUE

    page = signed_in(browser, live_server, language)
    page.click("details.excel-box summary")
    with page.expect_download() as download:
        page.click("a[href*='/entry/template.xlsx'][href*='unit=academic']")
    path = tmp_path / "template.xlsx"
    download.value.save_as(path)
    book = load_workbook(path)
    sheet = book.worksheets[0]
    rows = {sheet.cell(r, 1).value: r for r in range(2, sheet.max_row + 1)}
    sheet.cell(rows["1.1.3"], VALUE).value = 60  # the 70 % target missed
    sheet.cell(rows["1.1.4"], VALUE).value = 2  # missed too, but explained
    sheet.cell(rows["1.1.4"], EXPLANATION).value = "Two programmes moved to 2026"
    book.save(path)

    page.set_input_files("input[name=file]", str(path))
    page.click("form.inline-upload button")
    page.wait_for_selector("tr[id='import-row-1.1.3']")
    flagged = page.locator("tr.import-needs-explanation")
    assert flagged.count() == 1
    assert flagged.get_attribute("id") == "import-row-1.1.3"
    assert "85" in page.locator("tr[id='import-row-1.1.3']").inner_text()  # 60 of 70 %
    page.screenshot(path=str(screenshots / f"import-preview-{language}.png"), full_page=True)

    page.click("button[value=submit]")
    page.wait_for_selector(".message-error")
    assert "1.1.3" in page.locator(".message-error").inner_text()
    assert not Actual.objects.filter(year=2025).exists()
    page.click("button[value=confirm]")  # as drafts it may be saved
    page.wait_for_selector(".message-success")
    assert Actual.objects.filter(year=2025).count() == 2
