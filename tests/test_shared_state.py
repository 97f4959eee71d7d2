"""What several workers and servers share must live where all of them read it: the
database (or a shared cache), never one process's memory."""

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session

from metu_strategy.settings import cache_from_url


def test_a_session_ended_elsewhere_is_ended_here(head):
    """Another worker signing the user out deletes the session row; this worker must
    not go on serving the session from its own memory."""
    assert head.get("/entry/?year=2025").status_code == 200
    Session.objects.all().delete()  # what a sign-out on another worker does
    response = head.get("/entry/?year=2025")
    assert response.status_code == 302
    assert (
        response["Location"].startswith(settings.LOGIN_URL)
        or "/accounts/login/" in (response["Location"])
    )


def test_sessions_live_in_the_database_whatever_the_cache():
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"


@pytest.mark.parametrize(
    "url, backend",
    [
        ("", "django.core.cache.backends.locmem.LocMemCache"),
        ("locmem://", "django.core.cache.backends.locmem.LocMemCache"),
        ("redis://127.0.0.1:6379/3", "django.core.cache.backends.redis.RedisCache"),
        ("db://metu_cache", "django.core.cache.backends.db.DatabaseCache"),
    ],
)
def test_cache_url_names_the_cache(url, backend):
    assert cache_from_url(url)["BACKEND"] == backend


def test_an_unknown_cache_url_is_refused():
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        cache_from_url("memcached://127.0.0.1")
