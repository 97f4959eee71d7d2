"""Settings a production server must not start without."""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent


def start_wsgi(**env: str) -> subprocess.CompletedProcess:
    """Import the WSGI application the way gunicorn does, with only `env` set."""
    keep = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "DATABASE_URL"}}
    return subprocess.run(
        [sys.executable, "-c", "import metu_strategy.wsgi"],
        cwd=ROOT,
        env={**keep, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_production_server_refuses_the_development_key():
    result = start_wsgi()
    assert result.returncode != 0
    assert "SECRET_KEY must be set in production" in result.stderr


def test_the_production_server_starts_with_a_secret_key():
    assert start_wsgi(SECRET_KEY="a-long-random-production-key-" + "x" * 30).returncode == 0


def test_the_development_server_may_use_the_development_key():
    assert start_wsgi(DEBUG="1").returncode == 0


def test_the_language_cookie_is_not_readable_by_scripts_and_stays_on_site(rector):
    response = rector.post("/i18n/setlang/", {"language": "ru", "next": "/"})
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"


def test_the_language_cookie_is_secure_under_https():
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; from django.conf import settings; django.setup(); "
            "print(settings.LANGUAGE_COOKIE_SECURE)",
        ],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "metu_strategy.settings",
            "HTTPS": "1",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout.strip() == "True", result.stderr
