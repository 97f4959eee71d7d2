"""Cached dashboards: served from the cache, and never older than the last change."""

from decimal import Decimal as D

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client

from kpis import services
from kpis.models import Actual, ActualState, Kpi, Target
from reports.cache import data_version


@pytest.fixture
def cached(settings):
    settings.DASHBOARD_CACHE_SECONDS = 300
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def rector_client(program):
    client = Client()
    client.force_login(User.objects.get(username="rector"))
    return client


def test_a_cached_dashboard_runs_fewer_queries(
    cached, rector_client, program, django_assert_max_num_queries
):
    rector_client.get("/matrix/?year=2024")
    with django_assert_max_num_queries(2):  # the signed-in user and the data version
        response = rector_client.get("/matrix/?year=2024")
    assert response.status_code == 200
    assert response.content.count(b'class="cell cell-') == 80 * 7


def test_every_write_invalidates_the_cached_dashboards(
    cached, rector_client, program, django_capture_on_commit_callbacks
):
    kpi = Kpi.objects.get(program=program, code="1.1.3")
    before = rector_client.get("/matrix/?year=2024").content
    assert b"62,5" not in before
    version = data_version()

    with django_capture_on_commit_callbacks(execute=True):
        Actual.objects.create(kpi=kpi, year=2024, value=D("62.5"), state=ActualState.APPROVED)
    assert data_version() > version
    assert b"62,5" in rector_client.get("/matrix/?year=2024").content

    with django_capture_on_commit_callbacks(execute=True):
        target = Target.objects.get(kpi=kpi, year=2024)
        planner = User.objects.get(username="planner")
        services.change_target(user=planner, target=target, value=D(61), value2=None, reason="r")
    assert b"61" in rector_client.get("/matrix/?year=2024&direction=1").content


def test_bulk_imports_invalidate_too(cached, program, django_capture_on_commit_callbacks):
    planner = User.objects.get(username="planner")
    kpi = Kpi.objects.prefetch_related("targets").get(program=program, code="1.1.3")
    version = data_version()
    with django_capture_on_commit_callbacks(execute=True):
        services.save_entries(
            user=planner,
            program=program,
            year=2025,
            entries=[services.Entry(kpi=kpi, value=D(70), seen_version=0)],
        )
    assert data_version() == version + 1  # once per transaction, not per row


def test_a_rolled_back_write_does_not_bump(cached, program, django_capture_on_commit_callbacks):
    from django.db import transaction

    kpi = Kpi.objects.get(program=program, code="1.1.3")
    version = data_version()
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                Actual.objects.create(kpi=kpi, year=2024, value=D(1))
                raise RuntimeError("abort")
        except RuntimeError:
            pass
    assert data_version() == version


def test_a_page_is_kept_per_session_and_never_shared(
    cached, program, django_assert_max_num_queries
):
    rector, planner = Client(), Client()
    rector.force_login(User.objects.get(username="rector"))
    planner.force_login(User.objects.get(username="planner"))
    first = rector.get("/?year=2024")
    with django_assert_max_num_queries(2):
        again = rector.get("/?year=2024")
    assert again.content == first.content
    other = planner.get("/?year=2024").content.decode()
    assert "/review/" in other  # the planner's own navigation, not the rector's page
    assert "/review/" not in first.content.decode()
