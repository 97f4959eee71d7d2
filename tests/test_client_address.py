"""Login throttling behind the proxy sees each client's own address: five wrong
passwords from one machine must not lock a user out from every other one, and a
forged X-Forwarded-For must not let anyone pick the address that is counted."""

import importlib.util
import os
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

PROXY = "127.0.0.1"  # nginx on the same machine: every request's REMOTE_ADDR
SETTINGS_FILE = Path(__file__).resolve().parent.parent / "metu_strategy" / "settings.py"


def production_settings(**env: str):
    """The settings module as a server started with `env` reads it."""
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        spec = importlib.util.spec_from_file_location("settings_under_test", SETTINGS_FILE)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return module


@pytest.fixture
def behind_proxy(settings, program):
    proxied = production_settings(BEHIND_PROXY="1")
    for name in dir(proxied):
        if name.startswith(("AXES_IPWARE_", "IPWARE_")):
            setattr(settings, name, getattr(proxied, name))
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 5
    from axes.models import AccessAttempt

    AccessAttempt.objects.all().delete()


def login(username: str, password: str, forwarded_for: str):
    return Client().post(
        reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )


def test_wrong_passwords_from_one_machine_lock_only_that_machine(behind_proxy):
    for _attempt in range(5):
        login("planner", "wrong", "203.0.113.5")
    assert login("planner", "planner-demo", "203.0.113.5").status_code == 429
    assert login("planner", "planner-demo", "198.51.100.7").status_code == 302


def test_a_forged_header_counts_as_the_address_the_proxy_saw(behind_proxy):
    # The attacker writes the planner's address first; nginx appends the real one.
    for _attempt in range(5):
        login("planner", "wrong", "198.51.100.7, 203.0.113.5")
    assert login("planner", "planner-demo", "198.51.100.7").status_code == 302
    assert login("planner", "planner-demo", "203.0.113.5").status_code == 429


def test_without_a_proxy_the_header_is_ignored(settings, program):
    direct = production_settings(BEHIND_PROXY="")
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = direct.AXES_IPWARE_META_PRECEDENCE_ORDER
    settings.AXES_ENABLED, settings.AXES_FAILURE_LIMIT = True, 5
    for _attempt in range(5):
        Client().post(
            reverse("login"),
            {"username": "planner", "password": "wrong"},
            REMOTE_ADDR="203.0.113.5",
            HTTP_X_FORWARDED_FOR="198.51.100.7",
        )
    honest = Client().post(
        reverse("login"),
        {"username": "planner", "password": "planner-demo"},
        REMOTE_ADDR="198.51.100.7",
    )
    assert honest.status_code == 302


def test_the_security_log_names_the_clients_own_address(behind_proxy, caplog):
    from django.contrib.auth.models import User

    client = Client()
    client.force_login(User.objects.get(username="rector"))
    with caplog.at_level("WARNING", logger="metu.security"):
        client.post(
            "/review/approve-selected/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.9"
        )
    assert "from 203.0.113.9" in caplog.text
