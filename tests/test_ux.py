"""What the pages show people so that they need no manual: labels next to symbols,
links between the pages, the role in the reader's language."""

from django.urls import reverse


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
