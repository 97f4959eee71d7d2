"""Security settings a production server relies on."""

import logging
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation

from kpis.models import Actual, Evidence, Kpi
from tests.files import pdf_bytes, upload
from tests.html import form_fields

ROOT = Path(__file__).resolve().parent.parent


def manage_in_production(*args: str, **env: str) -> subprocess.CompletedProcess:
    """Run manage.py as production runs it: DEBUG off, a real secret key."""
    inherited = {
        k: v for k, v in os.environ.items() if k not in {"DJANGO_ALLOW_ASYNC_UNSAFE", "DEBUG"}
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**inherited, "SECRET_KEY": secrets.token_urlsafe(50), **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_check_deploy_is_clean_under_production_settings():
    result = manage_in_production(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        HTTPS="1",
        BEHIND_PROXY="1",
        ALLOWED_HOSTS="strategy.metu.edu.kz",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_pages_carry_a_strict_content_security_policy(rector):
    response = rector.get(reverse("program"))
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy
    assert "<script>" not in response.content.decode()  # no inline script


def test_sessions_expire(settings):
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    assert settings.SESSION_COOKIE_AGE <= 12 * 3600
    assert settings.CSRF_COOKIE_HTTPONLY


@pytest.mark.parametrize("password", ["12345678", "password", "head"])
def test_weak_passwords_are_refused(password):
    with pytest.raises(ValidationError):
        validate_password(password)


def _login(client: Client, username: str, password: str, ip: str):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


@pytest.fixture
def axes_on(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    from axes.models import AccessAttempt

    AccessAttempt.objects.all().delete()


def test_login_is_throttled_by_username_and_address(program, axes_on):
    client = Client()
    for _attempt in range(3):
        _login(client, "head", "wrong", "10.0.0.7")
    locked = _login(client, "head", "head-demo", "10.0.0.7")
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session

    # The same campus address is not locked for another person (NAT) …
    other = Client()
    assert _login(other, "head2", "head2-demo", "10.0.0.7").status_code == 302
    # … nor the same person from another address.
    elsewhere = Client()
    assert _login(elsewhere, "head", "head-demo", "10.0.0.8").status_code == 302


def test_refused_requests_are_logged(head, caplog):
    with caplog.at_level(logging.WARNING, logger="metu.security"):
        assert head.get(reverse("review")).status_code == 403
    assert any("Refused GET /review/ for user 'head'" in r.getMessage() for r in caplog.records)


def test_refusal_page_is_friendly(head):
    page = head.get(reverse("review")).content.decode()
    assert "Traceback" not in page and 'class="empty card"' in page


def test_a_request_over_the_upload_limit_saves_nothing(program, settings):
    settings.MAX_UPLOAD_BYTES = 4096
    client = Client()
    client.login(username="head", password="head-demo")
    url = reverse("entry") + "?year=2025"
    with translation.override("en"):
        fields = form_fields(client.get(url).content.decode(), "entry-form")
    prefix = f"k{Kpi.objects.get(program=program, code='1.2.1').id}"
    fields[f"{prefix}-value"] = "12"
    big = upload("big.pdf", pdf_bytes() + b"0" * 10000)
    response = client.post(url, {**fields, "action": "save", f"{prefix}-evidence": big})
    assert response.status_code == 413
    assert "Traceback" not in response.content.decode()
    assert not Evidence.objects.exists()
    assert not Actual.objects.filter(kpi__code="1.2.1", year=2025).exists()


def test_health_endpoint_needs_no_login(db):
    response = Client().get("/healthz")
    assert (response.status_code, response.content) == (200, b"ok")


def _debug_setting(**env: str) -> str:
    """settings.DEBUG as a fresh process reads it: the test runner itself turns DEBUG off
    in this one, whatever the settings say."""
    inherited = {k: v for k, v in os.environ.items() if k != "DEBUG"}
    result = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.DEBUG)"],
        cwd=ROOT,
        env={**inherited, "DJANGO_SETTINGS_MODULE": "metu_strategy.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.strip()


def test_debug_is_off_unless_asked():
    assert _debug_setting() == "False"  # DEBUG unset
    assert _debug_setting(DEBUG="") == "False"
    assert _debug_setting(DEBUG="0") == "False"
    assert _debug_setting(DEBUG="1") == "True"  # what `make run` sets


def test_collectstatic_works_for_production(tmp_path):
    """Production serves hashed, compressed static files; every file must post-process."""
    result = manage_in_production(
        "collectstatic", "--no-input", "-v", "0", STATIC_ROOT=str(tmp_path / "static")
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert list((tmp_path / "static" / "css").glob("app.*.css"))


def test_refused_evidence_downloads_are_logged(program, head2, caplog):
    from django.contrib.auth.models import User

    from kpis import services
    from kpis.models import Kpi
    from tests.files import pdf_bytes

    head = User.objects.get(username="head")
    kpi = Kpi.objects.prefetch_related("targets").get(program=program, code="1.1.3")
    (draft,) = services.save_entries(
        user=head, program=program, year=2025, entries=[services.Entry(kpi=kpi, value=70)]
    )
    evidence = services.attach_evidence(
        actual=draft, user=head, upload=upload("a.pdf", pdf_bytes())
    )
    with caplog.at_level(logging.WARNING, logger="metu.security"):
        assert head2.get(f"/evidence/{evidence.pk}/").status_code == 404
    assert any("Refused evidence" in r.getMessage() for r in caplog.records)
