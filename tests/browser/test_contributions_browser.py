"""In Kazakh, in a real browser: two department heads enter their departments' inputs,
the planning office approves them on the review page, and the university value of the
calculated KPI follows from the parts."""

import pytest
from django.contrib.auth.models import Group, User

from kpis import roles
from kpis.models import Calculation, Contribution, Input, Kpi, OrgUnit, OrgUnitKind

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def departments(program):
    faculty = OrgUnit.objects.create(
        code="b-fac", name="Энергетика факультеті", kind=OrgUnitKind.FACULTY
    )
    units = []
    for n, name in enumerate(["Жылу энергетикасы кафедрасы", "Электр энергетикасы кафедрасы"], 1):
        unit = OrgUnit.objects.create(
            code=f"b-dep{n}", name=name, kind=OrgUnitKind.DEPARTMENT, parent=faculty
        )
        user = User.objects.create_user(f"kafedra{n}", password=f"kafedra{n}-demo-pass")
        user.groups.add(Group.objects.get(name=roles.DEPARTMENT_HEAD))
        unit.heads.add(user)
        units.append(unit)
    staff = Input.objects.create(
        program=program, code="staff", name="Профессорлық-оқытушылар құрамы"
    )
    degree = Input.objects.create(
        program=program, code="staff-degree", name="Ғылыми дәрежесі барлар"
    )
    for item in (staff, degree):
        item.reporters.set(units)
    calculation = Calculation.objects.create(kpi=Kpi.objects.get(program=program, code="1.2.2"))
    calculation.numerator.set([degree])
    calculation.denominator.set([staff])
    return units


def _sign_in(browser, live_server, username, password):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="kk-KZ")
    context.add_cookies([{"name": "django_language", "value": "kk", "url": live_server.url}])
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + "/")
    return context, page, errors


def _enter(browser, live_server, n, staff, degree, screenshots=None):
    context, page, errors = _sign_in(browser, live_server, f"kafedra{n}", f"kafedra{n}-demo-pass")
    page.goto(live_server.url + "/entry/?year=2025")
    assert "Бөлімшелеріңіз ұсынатын бастапқы көрсеткіштер" in page.inner_text("main")
    rows = page.locator("table.inputs-table tbody tr[id^=input-]")
    assert rows.count() == 2
    rows.filter(has_text="Профессорлық-оқытушылар құрамы").locator("input[name$=-value]").fill(
        staff
    )
    rows.filter(has_text="Ғылыми дәрежесі барлар").locator("input[name$=-value]").fill(degree)
    if screenshots:
        page.screenshot(path=str(screenshots / "inputs-entry-kk.png"), full_page=True)
    page.click("button[name=action][value=submit_all]")
    page.wait_for_selector(".message-success")
    assert errors == []
    context.close()


def test_heads_enter_inputs_and_the_university_value_follows_in_kazakh(
    program, departments, live_server, browser, screenshots
):
    _enter(browser, live_server, 1, "40", "20", screenshots)
    _enter(browser, live_server, 2, "60", "30")
    assert Contribution.objects.filter(state="submitted").count() == 4

    context, page, errors = _sign_in(browser, live_server, "planner", "planner-demo")
    page.goto(live_server.url + "/entry/?year=2025&unit=academic")
    assert "толық емес" in page.locator("form.entry-form").inner_text()  # nothing approved yet

    page.goto(live_server.url + "/review/?kind=parts&year=2025")
    assert page.locator("table.review-parts tbody tr").count() == 4
    for box in page.locator("input[name=selected]").all():
        box.check()
    page.screenshot(path=str(screenshots / "review-inputs-kk.png"), full_page=True)
    page.click("button[form=bulk]")
    page.wait_for_selector(".message-success")
    assert Contribution.objects.filter(state="approved").count() == 4

    page.goto(live_server.url + "/entry/?year=2025&unit=academic")
    # (20 + 30) ÷ (40 + 60) × 100, each side summed over the departments before dividing.
    assert "(50/100)" in page.locator("form.entry-form").inner_text()
    assert errors == []
    context.close()
