#!/usr/bin/env python
"""The production shape, tested over real HTTP (`make test-production`, run by .ci/run).

A scratch PostgreSQL database is prepared as production prepares one (migrate,
load_program, setup_demo, collectstatic), and TWO gunicorn servers (3 workers each,
DEBUG off, a real SECRET_KEY) serve it with the same MEDIA_ROOT: one with the shared
Redis cache (CACHE_URL), one without, as a load balancer would put them side by side.
Real clients (requests, a cookie jar, CSRF from the pages) then spread their requests
over both servers:

  a. sign-out: head signs in through the login form, saves a draft, signs out; the old
     session cookie, replayed 40 times over both servers on new connections, is refused
     every time;
  b. the Excel import: template downloaded, filled with openpyxl, uploaded, previewed
     and confirmed 20 times, each step on the other server; every value is stored;
  c. colliding saves: two sessions of head save and submit the same KPIs while the
     planner approves, returns and reopens them. Every save a page answered as accepted
     must be in the history (kpis_historicalactual) with the value sent; every refusal
     must show an error message; a refused save must not be stored.

Prints a short summary and exits non-zero on any failure. The servers are stopped and
the database dropped whatever happens."""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import random
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.production.client import Browser, ServerError  # noqa: E402
from tests.production.servers import (  # noqa: E402
    Server,
    base_env,
    create_database,
    drop_database,
    free_port,
    manage,
)

YEAR = 2025
PASSWORDS = {"head": "head-demo", "planner": "planner-demo"}
REPLAYS = 40
IMPORTS = 20


def log(message: str) -> None:
    stamp = time.strftime("%H:%M:%S", time.gmtime())  # Django's setup changes TZ
    print(f"[production-shape {stamp} UTC] {message}", flush=True)


# --- Preparing the database and the servers ----------------------------------------------


def prepare(database: str, env: dict[str, str]) -> None:
    """As an administrator prepares production; then the years 2023–2025 opened for entry
    whatever today's date, the way tests/conftest.py opens them."""
    create_database(database)
    for command in (
        ["migrate", "--no-input", "-v", "0"],
        ["load_program"],
        ["setup_demo"],
        ["collectstatic", "--no-input", "-v", "0"],
    ):
        log("manage.py " + " ".join(command))
        manage(env, *command)
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "SECRET_KEY", "MEDIA_ROOT")})
    os.environ["DJANGO_SETTINGS_MODULE"] = "metu_strategy.settings"
    import django

    django.setup()
    from directions.selectors import current_program
    from kpis.models import ReportingYear

    ReportingYear.objects.filter(program=current_program(), year__lte=YEAR).update(is_open=True)


def flush_redis(url: str) -> None:
    """The cache holds pages keyed by data version: a previous run's would be wrong here."""
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).flushdb()
    except redis.RedisError as exc:
        raise RuntimeError(f"Redis does not answer at {url}: {exc}") from None


# --- What the scenarios read from the database --------------------------------------------


def kpis_of(unit_code: str) -> dict[int, tuple[str, str]]:
    """KPI id → (code, unit of measure) for the KPIs of a unit that take one number."""
    from kpis.models import Kpi

    rows = Kpi.objects.filter(owner__code=unit_code).exclude(unit="ratio")
    return {kpi.id: (kpi.code, kpi.unit) for kpi in rows}


def history(kpi_id: int):
    """The history of the KPI's value for the year as it is now (not of a deleted one)."""
    from kpis.models import Actual

    actual = Actual.objects.filter(kpi_id=kpi_id, year=YEAR).values_list("id", flat=True)
    return Actual.history.model.objects.filter(id__in=actual)


def stored_value(code: str) -> Decimal | None:
    from kpis.models import Actual

    actual = Actual.objects.filter(kpi__code=code, year=YEAR).first()
    return actual.value if actual else None


def value_text(unit: str, number: int) -> str:
    """A value valid for the unit and unique to `number` (a share keeps four decimals)."""
    if unit == "percent":
        return str(Decimal(number) / Decimal(10000))
    return str(number)


def same(sent: str, stored: Decimal | None) -> bool:
    return stored is not None and Decimal(sent) == stored


# --- a. Sign-out ends the session on every server -------------------------------------------


def scenario_sign_out(servers: list[Server]) -> dict:
    """Twice: signed out on each server in turn, the cookie replayed on both."""
    alive = []
    for round_, leaving in enumerate(servers):
        other = next(server for server in servers if server is not leaving)
        head = Browser("head")
        head.sign_in(other.base, "head", PASSWORDS["head"])
        page = head.get(leaving.base, f"/entry/?year={YEAR}")
        fields = page.form("entry-form")
        kpi_id = next(iter(kpis_of("academic")))
        fields[f"k{kpi_id}-value"] = str(
            7 + round_
        )  # a new value each round: an unchanged one saves nothing
        answer = head.post(other.base, f"/entry/?year={YEAR}", {**fields, "action": "save"})
        if not answer.successes or answer.errors:
            raise AssertionError(f"head's draft was not saved: {answer.errors}")
        cookie = head.session_cookie()
        # The session works on both servers before signing out, so the refusals below
        # mean something: a session unknown to a server would be refused there anyway.
        for server in servers:
            if _replay(server, cookie).status_code != 200:
                raise AssertionError(f"the live session was refused by {server.name}")
        head.sign_out(leaving.base)
        for attempt in range(REPLAYS):
            server = servers[attempt % 2]
            response = _replay(server, cookie)
            location = response.headers.get("Location", "")
            if not (response.status_code == 302 and location.startswith("/accounts/login/")):
                alive.append(
                    f"signed out on {leaving.name}, replayed on {server.name}: "
                    f"{response.status_code} {location}".rstrip()
                )
    return {"replays": REPLAYS * len(servers), "alive": alive}


def _replay(server: Server, cookie: str):
    """The old cookie alone, on a new connection: whichever worker accepts it answers."""
    import requests

    return requests.get(
        server.base + f"/entry/?year={YEAR}",
        cookies={"sessionid": cookie},
        headers={"Connection": "close"},
        allow_redirects=False,
        timeout=30,
    )


# --- b. The Excel template import, each step on the other server ------------------------------


def scenario_imports(servers: list[Server]) -> dict:
    from openpyxl import load_workbook

    from kpis.spreadsheets import VALUE

    unit = "academic"
    units = dict(kpis_of(unit).values())
    head = Browser("head")
    head.sign_in(servers[0].base, "head", PASSWORDS["head"])
    done, problems = 0, []
    for attempt in range(IMPORTS):
        first, second = servers[attempt % 2], servers[(attempt + 1) % 2]
        try:
            content = head.download(first.base, f"/entry/template.xlsx?unit={unit}&year={YEAR}")
            book = load_workbook(io.BytesIO(content))
            sheet = book.worksheets[0]
            row = next(
                r
                for r in range(2, sheet.max_row + 1)
                if units.get(str(sheet.cell(r, 1).value)) in ("count", "persons", "percent")
            )
            code = str(sheet.cell(row, 1).value)
            sent = value_text(units[code], 500 + attempt)
            sheet.cell(row, VALUE).value = float(sent) if "." in sent else int(sent)
            buffer = io.BytesIO()
            book.save(buffer)
            entry = head.get(second.base, f"/entry/?year={YEAR}&unit={unit}")
            upload = head.post_no_follow(
                second.base,
                "/entry/upload/",
                {"csrfmiddlewaretoken": entry.csrf(), "next": f"/entry/?year={YEAR}"},
                files={"file": ("template.xlsx", buffer.getvalue())},
            )
            preview_path = upload.headers.get("Location", "")
            if "/entry/upload/" not in preview_path:
                raise AssertionError(f"the upload was refused (to {preview_path})")
            preview = head.get(first.base, preview_path)
            if preview.status != 200 or 'value="confirm" class="btn" disabled' in preview.html:
                raise AssertionError(f"the preview did not open ({preview.status})")
            answer = head.post(
                second.base,
                preview_path,
                {"csrfmiddlewaretoken": preview.csrf(), "action": "confirm"},
            )
            if not answer.successes or answer.errors:
                raise AssertionError(f"the confirmation failed: {answer.errors}")
            if not same(sent, stored_value(code)):
                raise AssertionError(f"{code}: sent {sent}, stored {stored_value(code)}")
            done += 1
        except (AssertionError, ServerError, StopIteration) as exc:
            problems.append(f"import {attempt + 1}: {exc}")
    return {"done": done, "problems": problems}


# --- c. Colliding saves while the planning office reviews -------------------------------------


@dataclass
class Ledger:
    """What every client was told, to hold it against the database afterwards."""

    accepted: list[tuple[str, int, int, str]] = field(default_factory=list)  # who, kpi, seen, sent
    refused: list[tuple[str, int, str]] = field(default_factory=list)  # who, kpi, sent
    silent: list[str] = field(default_factory=list)  # pages with neither message
    reviews: list[tuple[int, int, str]] = field(default_factory=list)  # actual, seen, state
    reviews_refused: int = 0
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def scenario_collisions(servers: list[Server], seconds: float) -> dict:
    unit = "digital"
    kpis = kpis_of(unit)
    ledger = Ledger()
    stop = time.monotonic() + seconds
    clients = [
        threading.Thread(
            target=_head_loop, args=(n, servers, unit, kpis, ledger, stop), daemon=True
        )
        for n in (1, 2)
    ]
    clients.append(
        threading.Thread(target=_planner_loop, args=(servers, unit, ledger, stop), daemon=True)
    )
    for thread in clients:
        thread.start()
    for thread in clients:
        thread.join()
    return {"ledger": ledger, **_audit(ledger, kpis)}


def _head_loop(n: int, servers, unit: str, kpis, ledger: Ledger, stop: float) -> None:
    """One session of head: open the page on one server, change one or two rows, save a
    draft or submit them on the other server."""
    rng = random.Random(n)
    who = f"head#{n}"
    path = f"/entry/?year={YEAR}&unit={unit}"
    browser = Browser(who)
    counter = 0
    try:
        browser.sign_in(servers[0].base, "head", PASSWORDS["head"])
        while time.monotonic() < stop:
            first, second = rng.sample(servers, 2)
            page = browser.get(first.base, path)
            fields = page.form("entry-form")
            prefixes = [name[: -len("-version")] for name in fields if name.endswith("-version")]
            prefixes = [p for p in prefixes if int(p[1:]) in kpis]
            if not prefixes:
                time.sleep(0.1)  # everything is submitted or approved: the planner acts
                continue
            changed = {}
            submit = rng.random() < 0.35
            for prefix in rng.sample(prefixes, min(len(prefixes), rng.choice((1, 2)))):
                counter += 1
                kpi_id = int(prefix[1:])
                sent = value_text(kpis[kpi_id][1], n * 100000 + counter)
                fields[f"{prefix}-value"] = sent
                fields[f"{prefix}-explanation"] = f"{who} explains {counter}"
                if submit:
                    fields[f"{prefix}-submit"] = "on"
                changed[kpi_id] = (int(fields[f"{prefix}-version"]), sent)
            action = "submit_selected" if submit else "save"
            time.sleep(rng.uniform(0, 0.3))  # typing: the others may act meanwhile
            answer = browser.post(second.base, path, {**fields, "action": action})
            with ledger.lock:
                if answer.successes and not answer.errors:
                    ledger.accepted += [(who, k, seen, sent) for k, (seen, sent) in changed.items()]
                elif answer.errors:
                    ledger.refused += [(who, k, sent) for k, (_seen, sent) in changed.items()]
                else:
                    ledger.silent.append(f"{who}: {action} answered without a message")
    except (ServerError, OSError) as exc:
        with ledger.lock:
            ledger.errors.append(f"{who}: {exc}")


def _planner_loop(servers, unit: str, ledger: Ledger, stop: float) -> None:
    """The planning office approves or returns what is submitted, reopens what is approved."""
    import re

    rng = random.Random(0)
    browser = Browser("planner")
    try:
        browser.sign_in(servers[0].base, "planner", PASSWORDS["planner"])
        while time.monotonic() < stop:
            first, second = rng.sample(servers, 2)
            state = "approved" if rng.random() < 0.3 else "submitted"
            page = browser.get(first.base, f"/review/?state={state}&year={YEAR}&unit={unit}")
            forms = re.findall(
                r'action="/review/(\d+)/(approve|return|reopen)/".*?name="version" value="(\d+)"',
                page.html,
                re.S,
            )
            if not forms:
                time.sleep(0.2)
                continue
            pk, _action, version = rng.choice(forms)
            if state == "approved":
                action, expect = "reopen", "returned"
            else:
                action, expect = rng.choice([("approve", "approved"), ("return", "returned")])
            data = {"csrfmiddlewaretoken": page.csrf(), "version": version, "reason": "check it"}
            if action == "approve" and rng.random() < 0.5:  # the "Approve ticked" button
                target = "/review/approve-selected/"
                data = {
                    "csrfmiddlewaretoken": page.csrf(),
                    "selected": pk,
                    f"version-{pk}": version,
                }
            else:
                target = f"/review/{pk}/{action}/"
            data["next"] = f"/review/?state={state}&year={YEAR}&unit={unit}"
            answer = browser.post(second.base, target, data)
            with ledger.lock:
                if answer.successes and not answer.errors:
                    ledger.reviews.append((int(pk), int(version), expect))
                elif answer.errors:
                    ledger.reviews_refused += 1
                else:
                    ledger.silent.append(f"planner: {action} answered without a message")
            time.sleep(rng.uniform(0.1, 0.4))
    except (ServerError, OSError) as exc:
        with ledger.lock:
            ledger.errors.append(f"planner: {exc}")


def _audit(ledger: Ledger, kpis) -> dict:
    """Hold what the clients were told against the history of the values."""
    from kpis.models import Actual

    lost, refused_but_stored, reviews_lost = [], [], []
    for who, kpi_id, seen, sent in ledger.accepted:
        # Versions move by one under a row lock, so the save made over version `seen`
        # is the history record of version seen + 1.
        record = history(kpi_id).filter(version=seen + 1).first()
        author = record.history_user.username if record and record.history_user else None
        if record is None or not same(sent, record.value) or author != "head":
            found = "nothing" if record is None else f"{record.value} by {author}"
            lost.append(f"{who}: {kpis[kpi_id][0]} = {sent} over version {seen}; stored {found}")
    for who, kpi_id, sent in ledger.refused:
        if any(same(sent, value) for value in history(kpi_id).values_list("value", flat=True)):
            refused_but_stored.append(f"{who}: {kpis[kpi_id][0]} = {sent}")
    for pk, seen, state in ledger.reviews:
        record = Actual.history.model.objects.filter(id=pk, version=seen + 1).first()
        if record is None or record.state != state:
            reviews_lost.append(f"value {pk}: {state} over version {seen}")
    return {"lost": lost, "refused_but_stored": refused_but_stored, "reviews_lost": reviews_lost}


# --- Running it all -------------------------------------------------------------------------


def run(args) -> list[str]:
    """The failures, one line each; none when the production shape holds."""
    failures: list[str] = []
    scratch = Path(tempfile.mkdtemp(prefix="metu-production-shape-"))
    servers: list[Server] = []
    try:
        flush_redis(args.redis)
        env = base_env(args.database, scratch / "media", scratch / "static")
        log(f"preparing the database {args.database}")
        prepare(args.database, env)
        taken: set[int] = set()
        shapes = {
            "mixed": ({"CACHE_URL": args.redis}, {}),
            "shared": ({"CACHE_URL": args.redis}, {"CACHE_URL": args.redis}),
            "none": ({}, {}),
        }[args.cache]
        for name, extra in zip(("server A", "server B"), shapes, strict=True):
            name += " (Redis cache)" if extra else " (no shared cache)"
            port = free_port(args.first_port, args.last_port, taken)
            taken.add(port)
            server = Server(name, port, {**env, **extra}, scratch / f"gunicorn-{port}.log")
            servers.append(server)
            server.start()
        for server in servers:
            server.wait_ready()
            log(f"{server.name} answers at {server.base}")

        log("a. sign-out")
        result = scenario_sign_out(servers)
        print(
            f"sessions alive after sign-out: {len(result['alive'])}"
            f" ({result['replays']} replays; signed out once on each server)"
        )
        failures += [f"a. session alive after sign-out: {line}" for line in result["alive"]]

        log("b. Excel import")
        result = scenario_imports(servers)
        print(f"imports {result['done']}/{IMPORTS}")
        failures += [f"b. {line}" for line in result["problems"]]

        log(f"c. colliding saves for {args.seconds:.0f} s")
        result = scenario_collisions(servers, args.seconds)
        ledger = result["ledger"]
        print(
            f"lost saves: {len(result['lost'])} ({len(ledger.accepted)} accepted row saves, "
            f"{len(ledger.refused)} refused with a message; planner: {len(ledger.reviews)} "
            f"actions done, {ledger.reviews_refused} refused with a message)"
        )
        failures += [f"c. lost save: {line}" for line in result["lost"]]
        failures += [f"c. refused but stored: {line}" for line in result["refused_but_stored"]]
        failures += [f"c. planner action not stored: {line}" for line in result["reviews_lost"]]
        failures += [f"c. answered without a message: {line}" for line in ledger.silent]
        failures += [f"c. {line}" for line in ledger.errors]
        if len(ledger.accepted) < 5 or not ledger.reviews:
            failures.append("c. too little happened to judge: the servers are too slow?")
        for server in servers:
            failures += [f"{server.name} logged an error: {e}" for e in server.errors_logged()]
    except (ServerError, AssertionError, RuntimeError) as exc:
        failures.append(str(exc))
    finally:
        for server in servers:
            server.stop()
        from django.apps import apps

        if apps.ready:  # the scripts's own connection must not keep the database
            from django.db import connections

            connections.close_all()
        drop_database(args.database)
        with contextlib.suppress(Exception):  # Redis gone: nothing of ours is left in it
            flush_redis(args.redis)
        if failures and servers:
            for server in servers:
                print(f"--- the end of {server.name}'s log ---\n{server.log_tail(1500)}")
        shutil.rmtree(scratch, ignore_errors=True)
    return failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default=f"metu_production_shape_{os.getpid()}")
    parser.add_argument(
        "--redis", default=os.environ.get("SHAPE_REDIS", "redis://127.0.0.1:6379/14")
    )
    parser.add_argument(
        "--cache",
        choices=["mixed", "shared", "none"],
        default="mixed",
        help="which servers use the Redis cache: one of the two (default), both or neither",
    )
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--first-port", type=int, default=18100)
    parser.add_argument("--last-port", type=int, default=18199)
    args = parser.parse_args()
    # Stopped by CI or Ctrl+C: still stop the servers and drop the database (finally).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.monotonic()
    failures = run(args)
    took = time.monotonic() - started
    if failures:
        print(f"\nPRODUCTION SHAPE FAILED ({len(failures)} problems, {took:.0f} s):")
        grouped = Counter(failures)  # in the order first seen
        for line, times in list(grouped.items())[:60]:
            print("  - " + line + (f" (×{times})" if times > 1 else ""))
        if len(grouped) > 60:
            print(f"  … and {len(grouped) - 60} more")
        return 1
    print(f"\nproduction shape: OK ({took:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
