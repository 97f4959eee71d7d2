"""Every admin page opens for a superuser and for the planning office."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.urls import reverse

from kpis.models import Kpi

REGISTERED = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


@pytest.fixture
def superuser_client(program, client):
    user = User.objects.create_superuser("root", "root@example.org", "x")
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "model, model_admin", REGISTERED, ids=[m._meta.label for m, _ in REGISTERED]
)
def test_changelist_add_change_and_history_open(model, model_admin, superuser_client, rf):
    opts = model._meta
    base = f"admin:{opts.app_label}_{opts.model_name}"
    assert superuser_client.get(reverse(f"{base}_changelist")).status_code == 200
    request = rf.get("/")
    request.user = User.objects.get(username="root")
    if model_admin.has_add_permission(request):
        assert superuser_client.get(reverse(f"{base}_add")).status_code == 200
    obj = model._default_manager.first()
    if obj is not None:
        assert superuser_client.get(reverse(f"{base}_change", args=[obj.pk])).status_code == 200
        assert superuser_client.get(reverse(f"{base}_history", args=[obj.pk])).status_code == 200


def test_kpi_list_has_the_planning_columns_and_filters(superuser_client, program):
    direction = program.directions.get(number=2)
    url = reverse("admin:kpis_kpi_changelist")
    response = superuser_client.get(url, {"direction": direction.pk})
    page = response.content.decode()
    assert response.status_code == 200
    assert "24 " in page or ">24<" in page  # the 24 KPIs of direction 2
    for column in [
        "column-code",
        "column-short_name",
        "column-unit",
        "column-sense",
        "column-owner",
    ]:
        assert column in page
    response = superuser_client.get(url, {"q": "Хирш"})
    assert "2.4.2" in response.content.decode()


def test_kpi_page_shows_seven_targets_inline(superuser_client, program):
    kpi = Kpi.objects.get(program=program, code="1.1.2")
    response = superuser_client.get(reverse("admin:kpis_kpi_change", args=[kpi.pk]))
    page = response.content.decode()
    assert page.count('name="targets-') >= 7 * 4
    assert "99,5/0,5" in page


def test_planning_office_can_open_the_admin(planner):
    assert planner.get(reverse("admin:kpis_kpi_changelist")).status_code == 200


@pytest.mark.parametrize("who", ["head", "rector"])
def test_others_cannot_use_the_admin(who, request):
    client = request.getfixturevalue(who)
    response = client.get(reverse("admin:kpis_kpi_changelist"))
    assert response.status_code == 302
