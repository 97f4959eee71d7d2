"""The first pages: login, the program page, and that anonymous users see nothing else."""

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse


def test_anonymous_is_sent_to_login(program):
    for url in ["/", reverse("program"), reverse("matrix"), "/kpi/1.1.1/", "/admin/"]:
        response = Client().get(url)
        assert response.status_code == 302
        assert "/login/" in response["Location"]


def test_login_page_is_open_and_in_kazakh_by_default(program):
    response = Client().get(reverse("login"))
    assert response.status_code == 200
    assert response.headers["Content-Language"] == "kk"


def test_wrong_password_shows_a_message_not_an_error(program):
    response = Client().post(reverse("login"), {"username": "head", "password": "nope"})
    assert response.status_code == 200
    assert "form-error" in response.content.decode()


def test_login_leads_to_the_overview(program):
    client = Client()
    response = client.post(
        reverse("login"), {"username": "rector", "password": "rector-demo"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("home")
    assert response.status_code == 200
    assert "reports/overview.html" in [t.name for t in response.templates]


@pytest.mark.parametrize("who", ["planner", "head", "rector"])
def test_program_page_lists_every_kpi_with_targets(who, program, client):
    client.force_login(User.objects.get(username=who))
    response = client.get(reverse("program"))
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count('class="col-code"') == 80 + 5  # 80 rows, one header per direction table
    assert "Білім алушылар контингенті" in page
    assert "3\u00a0160" in page  # 2023 target of 1.1.1 in Kazakh number format
    assert "96,5/3,5" in page  # the ratio pair
    assert "топ-20" in page or "top-20" in page


def test_program_page_query_count_is_fixed(program, client, django_assert_max_num_queries):
    client.force_login(User.objects.get(username="rector"))
    with django_assert_max_num_queries(13):  # with the header's unread notifications
        client.get(reverse("program"))


def test_program_page_shows_the_alignment_with_state_documents(rector):
    page = rector.get(reverse("program")).content.decode()
    assert "Қазақстан Республикасының 2050 жылға дейінгі даму стратегиясы" in page
    assert "Халықтың жоғары біліммен қамтылу деңгейі" in page  # the Concept's indicator 1
    assert page.count('class="alignment"') == 5
