"""A scratch PostgreSQL database prepared as production prepares one, and gunicorn
servers started on it the way `make serve` starts them."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable
PGDB = ROOT / ".ci" / "pgdb.py"


def database_url(name: str) -> str:
    return f"postgres://postgres@127.0.0.1:5432/{name}"


def free_port(first: int, last: int, taken: set[int]) -> int:
    """A TCP port in [first, last] nobody listens on."""
    for port in range(first, last + 1):
        if port in taken:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise RuntimeError(f"no free port between {first} and {last}")


def base_env(database: str, media_root: Path, static_root: Path) -> dict[str, str]:
    """Production settings: DEBUG off, a real secret key, one host, shared media."""
    inherited = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "CACHE_URL", "DJANGO_SETTINGS_MODULE", "DASHBOARD_CACHE_SECONDS"}
    }
    return {
        **inherited,
        "DJANGO_SETTINGS_MODULE": "metu_strategy.settings",
        "DATABASE_URL": database_url(database),
        "DEBUG": "0",
        "DJANGO_REQUIRE_SECRET_KEY": "1",
        "SECRET_KEY": "production-shape-" + "k" * 50,
        "ALLOWED_HOSTS": "127.0.0.1",
        "MEDIA_ROOT": str(media_root),
        "STATIC_ROOT": str(static_root),
        "LOG_LEVEL": "WARNING",
    }


def manage(env: dict[str, str], *args: str) -> None:
    result = subprocess.run(
        [PY, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if result.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}")


def create_database(name: str) -> None:
    subprocess.run([PY, str(PGDB), "create", name], check=True, stdout=subprocess.DEVNULL)


def drop_database(name: str) -> None:
    subprocess.run([PY, str(PGDB), "drop", name], check=False, stdout=subprocess.DEVNULL)


@dataclass
class Server:
    """One gunicorn server: `name` for the report, `base` for the clients."""

    name: str
    port: int
    env: dict[str, str]
    log: Path
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {
            **self.env,
            "BIND": f"127.0.0.1:{self.port}",
            "WEB_CONCURRENCY": "3",
            "ACCESS_LOG": str(self.log.with_suffix(".access")),
        }
        gunicorn = str(Path(PY).parent / "gunicorn")
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [gunicorn, "metu_strategy.wsgi", "-c", "metu_strategy/gunicorn.conf.py"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # stopped as a group, workers included
            )

    def wait_ready(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                break
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not start:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, 9)
            self.process.wait(5)

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def errors_logged(self) -> list[str]:
        """Tracebacks the server wrote: none may appear in a healthy run."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return [chunk[:400] for chunk in text.split("Traceback (most recent call last)")[1:]]
