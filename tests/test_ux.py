"""What the pages show people so that they need no manual: labels next to symbols,
links between the pages, the role in the reader's language."""

from decimal import Decimal as D

from django.contrib.auth.models import User
from django.urls import reverse

from kpis import services
from kpis.models import Actual, ActualState, Kpi
from kpis.status import assess_kpi


def _get(client, url, lang="kk"):
    client.cookies["django_language"] = lang
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_the_role_label_follows_a_language_switch(planner):
    assert "Стратегиялық жоспарлау бөлімі" in _get(planner, reverse("program"), "kk")
    # The navigation's role is cached a minute; the label must not stay in Kazakh.
    page = _get(planner, reverse("program"), "en")
    assert "Planning office" in page
    assert "Стратегиялық жоспарлау бөлімі" not in page


def test_my_kpis_counts_say_what_they_count(head):
    page = _get(head, reverse("entry"))
    counts = page.split('class="progress-pills"')[1].split("</div>")[0]
    for label in ["енгізілмеген", "жоба", "қайтарылды", "жіберілді", "бекітілді"]:
        assert label in counts
    # On a tablet each row is a card; its cells carry their column's name.
    assert 'data-label="Өткен жыл"' in page


def test_the_program_page_leads_to_every_direction_and_kpi_page(rector):
    page = _get(rector, reverse("program"))
    for number in range(1, 6):
        assert f'href="{reverse("direction", args=[number])}"' in page
    assert f'href="{reverse("kpi_detail", args=["1.1.1"])}"' in page
    assert page.count('href="/kpi/') == 80


def test_review_says_whether_each_value_meets_its_target(planner, program):
    # 1.1.3 meets its 2025 target of 70, 1.1.1 misses its 3 500.
    services.save_entries(
        user=User.objects.get(username="head"),
        program=program,
        year=2025,
        entries=[
            services.Entry(kpi=Kpi.objects.get(code="1.1.3"), value=D(71), submit=True),
            services.Entry(
                kpi=Kpi.objects.get(code="1.1.1"), value=D(3000), explanation="x", submit=True
            ),
        ],
    )
    page = _get(planner, reverse("review") + "?state=submitted")
    submitted = Actual.objects.filter(kpi__program=program, state=ActualState.SUBMITTED)
    assert {a.kpi.code for a in submitted} >= {"1.1.1", "1.1.3"}
    for actual in submitted:
        target = actual.kpi.targets.filter(year=actual.year).first()
        expected = assess_kpi(actual.kpi, target, actual)
        card = page.split(f'id="actual-{actual.pk}"')[1].split("</article>")[0]
        assert f"status status-{expected.status}" in card
    assert "Мақсатқа қатысты" in page
    assert "data-select-all" in page


def test_progress_shows_totals_and_units_without_a_head(planner):
    page = _get(planner, reverse("progress") + "?year=2026")
    totals = page.split('<tr class="totals">')[1].split("</tr>")[0]
    assert ">80<" in totals  # every KPI of the program is some unit's
    # Three demo units have no head: the planning office must see that nobody enters them.
    assert page.count("Басшысы жоқ") == 3
