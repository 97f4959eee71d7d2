"""Shared fixtures. The real program is loaded once per test database; each test
then runs inside a transaction that is rolled back."""

from __future__ import annotations

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.models import Group, User
from django.core.cache import cache
from django.test import Client, override_settings

from directions.models import Program
from kpis import roles
from kpis.demo import setup_demo
from kpis.loading import load_program, read_fixture, read_translations
from kpis.models import ReportingYear

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _ensure_program() -> Program:
    if not Group.objects.filter(name=roles.PLANNING_OFFICE).exists():
        # A transactional test (live server, two connections) emptied every table.
        roles.sync_role_groups(django_apps)
    program = Program.objects.filter(code="METU-2023-2029").first()
    if program is None:
        with override_settings(PASSWORD_HASHERS=FAST_HASHERS):
            load_program(read_fixture(), translations=read_translations())
            program = Program.objects.get(code="METU-2023-2029")
            # Which years the loader opens depends on today's date; the tests enter
            # values for 2023–2025 whatever year they run in.
            ReportingYear.objects.filter(program=program, year__lte=2025).update(is_open=True)
            setup_demo(program)
    return program


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        _ensure_program()


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = FAST_HASHERS
    # Serve static files from the source folders: tests do not run collectstatic.
    settings.STORAGES = settings.STORAGES | {
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    }
    settings.WHITENOISE_AUTOREFRESH = True
    settings.WHITENOISE_USE_FINDERS = True
    # The test client's login() bypasses the request axes needs; tests/test_security.py
    # switches axes on to test login throttling through the real login page.
    settings.AXES_ENABLED = False
    # Pages are tested uncached; tests/test_cache.py tests the cache and its invalidation.
    settings.DASHBOARD_CACHE_SECONDS = 0
    cache.clear()  # roles and pages cached by an earlier test must not leak into this one


@pytest.fixture
def program(db) -> Program:
    # Transactional tests empty the tables when they finish; load again if needed.
    return _ensure_program()


def login(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


@pytest.fixture
def planner(program) -> Client:
    return login("planner")


@pytest.fixture
def head(program) -> Client:
    return login("head")


@pytest.fixture
def head2(program) -> Client:
    return login("head2")


@pytest.fixture
def rector(program) -> Client:
    return login("rector")
