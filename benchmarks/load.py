"""50 clients for 60 seconds mixing reads and saves against the running server, then a
count of lost writes.

Pairs of clients enter the same KPI's value, so saves collide: the workflow must refuse
the second of two concurrent saves, never lose one. Afterwards, every save a client was
told had succeeded must be in the value's history, and every history entry must be a
save some client was told had succeeded."""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "metu_strategy.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import Group, User  # noqa: E402

from directions.models import Program  # noqa: E402
from kpis.models import Actual, Kpi, OrgUnit, ReportingYear  # noqa: E402

YEAR = 2026
READS = ["/?year=2025", "/matrix/", "/kpi/1.1.1/", "/program/"]
PASSWORD = "load-test-password-1"


def prepare(clients: int) -> list[tuple[str, str]]:
    """Bench users in pairs, each pair heading a unit that owns one KPI with no value yet."""
    program = Program.objects.order_by("-id").first()
    ReportingYear.objects.filter(program=program, year=YEAR).update(is_open=True)
    group = Group.objects.get(name="department_head")
    kpis = list(
        Kpi.objects.filter(program=program).exclude(unit__in=["ratio", "rank"]).order_by("code")
    )[: clients // 2]
    Actual.objects.filter(kpi__in=kpis, year=YEAR).delete()
    accounts = []
    for index, kpi in enumerate(kpis):
        unit, _ = OrgUnit.objects.update_or_create(
            code=f"bench-{index:02d}", defaults={"name": f"Bench unit {index:02d}"}
        )
        kpi.owner = unit
        kpi.save()
        for side in ("a", "b"):
            user, _ = User.objects.get_or_create(username=f"bench{index:02d}{side}")
            user.set_password(PASSWORD)
            user.save()
            user.groups.set([group])
            unit.heads.add(user)
            accounts.append((user.username, kpi.code))
    return accounts


class Client:
    def __init__(self, base: str, username: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        page = self.get("/accounts/login/")
        self.post(
            "/accounts/login/",
            {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token(page)},
        )

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=60) as response:
            return response.read().decode("utf-8", "replace")

    def post(self, path: str, data: dict) -> str:
        body = urllib.parse.urlencode(data).encode()
        request = urllib.request.Request(
            self.base + path, data=body, headers={"Referer": self.base + path}
        )
        with self.opener.open(request, timeout=60) as response:
            return response.read().decode("utf-8", "replace")


def token(page: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def save_once(client: Client, value: int) -> bool:
    """Open the entry page, type a value, save it as a draft. True when it was saved."""
    path = f"/entry/?year={YEAR}"
    page = client.get(path)
    fields = dict(re.findall(r'<input type="hidden" name="(k\d+-version)" value="(\d+)"', page))
    if not fields:
        raise RuntimeError("no editable row on the entry page")
    (version_name,) = fields
    prefix = version_name.split("-")[0]
    data = {
        "csrfmiddlewaretoken": token(page),
        version_name: fields[version_name],
        f"{prefix}-value": str(value),
        "action": "save",
    }
    result = client.post(path, data)
    return "message-success" in result


def run(base: str, accounts: list[tuple[str, str]], seconds: int) -> dict:
    stop = time.monotonic() + seconds
    lock = threading.Lock()
    totals = {"reads": 0, "saves": 0, "conflicts": 0, "errors": 0}
    saved: dict[str, list[int]] = {}

    def worker(index: int, username: str, code: str) -> None:
        rng = random.Random(index)
        try:
            client = Client(base, username)
        except (OSError, AttributeError):
            with lock:
                totals["errors"] += 1
            return
        counter = 0
        while time.monotonic() < stop:
            try:
                if rng.random() < 0.75:
                    client.get(rng.choice(READS))
                    with lock:
                        totals["reads"] += 1
                    continue
                counter += 1
                value = index * 100000 + counter  # unique per client and save
                ok = save_once(client, value)
                with lock:
                    totals["saves"] += 1
                    if ok:
                        saved.setdefault(code, []).append(value)
                    else:
                        totals["conflicts"] += 1
            except (OSError, RuntimeError, AttributeError, urllib.error.HTTPError):
                with lock:
                    totals["errors"] += 1

    threads = [
        threading.Thread(target=worker, args=(i, username, code))
        for i, (username, code) in enumerate(accounts)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {**totals, "saved": saved}


def lost_writes(saved: dict[str, list[int]]) -> int:
    """Saves a client was told succeeded that the history does not have, plus history
    entries no client was told about."""
    lost = 0
    for code, values in saved.items():
        actual = Actual.objects.filter(kpi__code=code, year=YEAR).order_by("-id").first()
        recorded = set()
        if actual is not None:
            recorded = {int(h.value) for h in actual.history.all() if h.value is not None}
        lost += len(set(values) ^ recorded)
    return lost


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    args = parser.parse_args()
    accounts = prepare(args.clients)
    result = run(args.base, accounts, args.seconds)
    saved = result.pop("saved")
    result.update(
        clients=len(accounts),
        seconds=args.seconds,
        successful_saves=sum(len(v) for v in saved.values()),
        lost_writes=lost_writes(saved),
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
