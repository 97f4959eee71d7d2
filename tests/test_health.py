"""/healthz against a real gunicorn: it answers for the database, and a connection the
database dropped is replaced instead of failing the next request."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parent.parent
PG = os.environ.get("HEALTH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(database_url: str) -> Iterator[str]:
    """One gunicorn worker, production settings, on `database_url`; yields its address."""
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}},
        "DATABASE_URL": database_url,
        "DB_CONN_MAX_AGE": "600",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "STATIC_MANIFEST": "0",
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
    }
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "metu_strategy.wsgi",
            "-c",
            "metu_strategy/gunicorn.conf.py",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(server.stderr.read().decode()[-2000:]) from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)
        server.stderr.close()


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=20) as response:  # noqa: S310 - our server
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_healthz_asks_the_database(db, django_assert_num_queries):
    with django_assert_num_queries(1):
        response = Client().get("/healthz")
    assert (response.status_code, response.content) == (200, b"ok")


def test_healthz_answers_503_when_the_database_does_not_answer(tmp_path):
    with gunicorn(f"sqlite:///{tmp_path / 'db.sqlite3'}") as server:
        assert get(f"{server}/healthz") == (200, "ok")
    # Nothing listens on the port this address names.
    with gunicorn(f"postgres://postgres@127.0.0.1:{free_port()}/nothing") as server:
        assert get(f"{server}/healthz") == (503, "database unavailable")


def _postgres():
    psycopg2 = pytest.importorskip("psycopg2")
    try:
        return psycopg2.connect(PG.replace("postgres://", "postgresql://"), connect_timeout=3)
    except psycopg2.OperationalError:
        pytest.skip(f"No PostgreSQL at {PG} (HEALTH_PG_URL)")


def test_a_connection_the_database_dropped_is_replaced():
    """PostgreSQL restarted (or a failover, or an idle timeout): the worker's kept
    connection is dead. The next request must get a new one, not an error."""
    admin = _postgres()
    admin.autocommit = True
    name = f"metu-health-{secrets.token_hex(4)}"
    with gunicorn(f"{PG}?application_name={name}") as server:
        assert get(f"{server}/healthz") == (200, "ok")
        with admin.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE application_name = %s",
                [name],
            )
            assert cursor.fetchall() == [(True,)]  # the worker's connection, kept open
        assert get(f"{server}/healthz") == (200, "ok")
    admin.close()
