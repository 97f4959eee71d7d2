"""Clients for a while against the running server, mixing reads with the whole workflow,
then a count of lost writes.

Pairs of department heads enter the same KPI's value, so saves collide: the workflow
must refuse the second of two concurrent saves, never lose one. They save drafts and
submit; planning-office clients meanwhile approve, return and reopen what is submitted
and approved, so a value can stop being editable between the page a head opened and the
save they send. Afterwards every save a page answered as accepted (a success message and
no error message) must be in the value's history with the value sent, at the version the
page showed plus one; every refused save must show an error message and be stored
nowhere; every planning-office action answered as done must be in the history too.

Prints a readable summary, then the numbers as one line of JSON (read by run.py)."""

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
from dataclasses import dataclass, field
from decimal import Decimal
from http.cookiejar import CookieJar
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "metu_strategy.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import Group, User  # noqa: E402

from directions.models import Program  # noqa: E402
from kpis import roles  # noqa: E402
from kpis.models import Actual, Kpi, OrgUnit, ReportingYear  # noqa: E402

YEAR = 2026
READS = ["/?year=2025", "/matrix/", "/kpi/1.1.1/", "/program/"]
PASSWORD = "load-test-password-1"
SUBMIT_SHARE = 0.3  # of the saves, the ones that also submit


def prepare(clients: int, planners: int) -> tuple[list[tuple[str, int, str]], list[str]]:
    """Bench heads in pairs, each pair heading a unit that owns one KPI with no value yet;
    and planning-office accounts."""
    program = Program.objects.order_by("-id").first()
    ReportingYear.objects.filter(program=program, year=YEAR).update(is_open=True)
    group = Group.objects.get(name=roles.DEPARTMENT_HEAD)
    kpis = list(
        Kpi.objects.filter(program=program).exclude(unit__in=["ratio", "rank"]).order_by("code")
    )[: clients // 2]
    Actual.objects.filter(kpi__in=kpis, year=YEAR).delete()
    heads = []
    for index, kpi in enumerate(kpis):
        unit, _ = OrgUnit.objects.update_or_create(
            code=f"bench-{index:02d}", defaults={"name": f"Bench unit {index:02d}"}
        )
        kpi.owner = unit
        kpi.save()
        for side in ("a", "b"):
            user = _account(f"bench{index:02d}{side}", group)
            unit.heads.add(user)
            heads.append((user.username, kpi.id, kpi.unit))
    office = Group.objects.get(name=roles.PLANNING_OFFICE)
    planners_ = [_account(f"benchplanner{n}", office).username for n in range(planners)]
    return heads, planners_


def _account(username: str, group: Group) -> User:
    user, _ = User.objects.get_or_create(username=username)
    user.set_password(PASSWORD)
    user.save()
    user.groups.set([group])
    return user


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


def answered(page: str) -> str:
    """accepted, refused (an error message) or silent (neither: a page that hides what
    happened)."""
    if 'class="message message-error"' in page:
        return "refused"
    if 'class="message message-success"' in page:
        return "accepted"
    return "silent"


@dataclass
class Ledger:
    """What every client was told, held against the database afterwards."""

    accepted: list[tuple[int, int, Decimal]] = field(default_factory=list)  # kpi, seen, value
    refused: list[tuple[int, Decimal]] = field(default_factory=list)  # kpi, value
    reviews: list[tuple[int, int, str]] = field(default_factory=list)  # actual, seen, state
    totals: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            [
                "reads",
                "saves",
                "submits",
                "conflicts",
                "locked",
                "silent",
                "errors",
                "approve",
                "return",
                "reopen",
                "planner_refused",
            ],
            0,
        )
    )
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, key: str) -> None:
        with self.lock:
            self.totals[key] += 1


def unique_value(unit: str, index: int, counter: int) -> Decimal:
    """A value valid for the KPI's unit and unique per client and save, so the history
    tells whose save it was (a share: client + counter / 10,000, within 0–100)."""
    if unit == "percent":
        return Decimal(index + 1) + Decimal(counter % 10000) / 10000
    return Decimal((index + 1) * 100000 + counter)


def save_once(client: Client, rng: random.Random, value: Decimal, ledger: Ledger, kpi_id: int):
    """Open the entry page, type a value, save it as a draft or submit it."""
    path = f"/entry/?year={YEAR}"
    page = client.get(path)
    seen = re.search(rf'<input type="hidden" name="k{kpi_id}-version" value="(\d+)"', page)
    if seen is None:  # submitted or approved: waiting for the planning office
        ledger.count("locked")
        return
    time.sleep(rng.uniform(0.1, 0.5))  # typing: the partner or the planner may act meanwhile
    prefix = f"k{kpi_id}"
    submit = rng.random() < SUBMIT_SHARE
    data = {
        "csrfmiddlewaretoken": token(page),
        f"{prefix}-version": seen.group(1),
        f"{prefix}-value": str(value),
        f"{prefix}-explanation": "load test",
        "action": "submit_all" if submit else "save",
    }
    outcome = answered(client.post(path, data))
    with ledger.lock:
        ledger.totals["saves"] += 1
        ledger.totals["submits"] += submit
        if outcome == "accepted":
            ledger.accepted.append((kpi_id, int(seen.group(1)), value))
        elif outcome == "refused":
            ledger.totals["conflicts"] += 1
            ledger.refused.append((kpi_id, value))
        else:
            ledger.totals["silent"] += 1


REVIEW_FORM = re.compile(
    r'action="/review/(\d+)/(approve|return|reopen)/".*?name="version" value="(\d+)"', re.S
)


def review_once(client: Client, rng: random.Random, ledger: Ledger, units: int) -> None:
    """Approve or return a submitted value, or reopen an approved one."""
    listing = f"/review/?state=submitted&year={YEAR}"
    state = "approved" if rng.random() < 0.25 else "submitted"
    if state == "approved":  # one bench unit's: the other KPIs' values are nobody's to redo
        listing = f"/review/?state=approved&year={YEAR}&unit=bench-{rng.randrange(units):02d}"
    page = client.get(listing)
    forms = REVIEW_FORM.findall(page)
    if not forms:
        time.sleep(0.05)
        return
    pk, _action, version = rng.choice(forms)
    if state == "approved":
        action, becomes = "reopen", "returned"
    else:
        action, becomes = rng.choice([("approve", "approved"), ("return", "returned")])
    data = {
        "csrfmiddlewaretoken": token(page),
        "version": version,
        "reason": "load test",
        "next": listing,
    }
    outcome = answered(client.post(f"/review/{pk}/{action}/", data))
    with ledger.lock:
        if outcome == "accepted":
            ledger.totals[action] += 1
            ledger.reviews.append((int(pk), int(version), becomes))
        elif outcome == "refused":
            ledger.totals["planner_refused"] += 1
        else:
            ledger.totals["silent"] += 1


def run(base: str, heads, planners, seconds: int) -> Ledger:
    stop = time.monotonic() + seconds
    ledger = Ledger()

    def head(index: int, username: str, kpi_id: int, unit: str) -> None:
        rng = random.Random(index)
        try:
            client = Client(base, username)
        except (OSError, AttributeError):
            ledger.count("errors")
            return
        counter = 0
        while time.monotonic() < stop:
            try:
                if rng.random() < 0.75:
                    client.get(rng.choice(READS))
                    ledger.count("reads")
                    continue
                counter += 1
                save_once(client, rng, unique_value(unit, index, counter), ledger, kpi_id)
            except (OSError, AttributeError, urllib.error.HTTPError):
                ledger.count("errors")

    def planner(index: int, username: str) -> None:
        rng = random.Random(1000 + index)
        try:
            client = Client(base, username)
        except (OSError, AttributeError):
            ledger.count("errors")
            return
        while time.monotonic() < stop:
            try:
                review_once(client, rng, ledger, len(heads) // 2)
            except (OSError, AttributeError, urllib.error.HTTPError):
                ledger.count("errors")

    threads = [threading.Thread(target=head, args=(i, *account)) for i, account in enumerate(heads)]
    threads += [
        threading.Thread(target=planner, args=(i, username)) for i, username in enumerate(planners)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return ledger


def audit(ledger: Ledger) -> dict[str, int]:
    """Saves answered as accepted that the history does not hold with the value sent
    (lost), refused saves it holds anyway (phantom), planning-office actions missing."""
    # The values as they are now: prepare() deleted earlier ones, whose history remains.
    current = dict(Actual.objects.filter(year=YEAR).values_list("kpi_id", "id"))
    rows = Actual.history.model.objects.filter(id__in=current.values()).values(
        "id", "kpi_id", "version", "value", "state"
    )
    by_version = {(row["id"], row["version"]): row for row in rows}
    records = {(row["kpi_id"], row["version"]): row for row in by_version.values()}
    stored = {(row["kpi_id"], row["value"]) for row in by_version.values()}
    lost = [
        f"KPI {kpi_id}: {value} over version {seen}, version {seen + 1} holds "
        + (f"{record['value']} ({record['state']})" if record else "nothing")
        for kpi_id, seen, value in ledger.accepted
        if (record := records.get((kpi_id, seen + 1))) is None or record["value"] != value
    ]
    for line in lost[:10]:
        print("LOST", line)
    phantom = sum(1 for kpi_id, value in ledger.refused if (kpi_id, value) in stored)
    reviews_lost = sum(
        1
        for pk, seen, state in ledger.reviews
        if by_version.get((pk, seen + 1), {}).get("state") != state
    )
    return {"lost_writes": len(lost), "refused_but_stored": phantom, "reviews_lost": reviews_lost}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--clients", type=int, default=50, help="department heads, in pairs")
    parser.add_argument("--planners", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=60)
    args = parser.parse_args()
    heads, planners = prepare(args.clients, args.planners)
    ledger = run(args.base, heads, planners, args.seconds)
    t = ledger.totals
    result = {
        "clients": len(heads),
        "planners": len(planners),
        "seconds": args.seconds,
        **t,
        "successful_saves": len(ledger.accepted),
        **audit(ledger),
    }
    print(
        f"{len(heads)} heads and {len(planners)} planners for {args.seconds} s: "
        f"{t['reads']} reads, {t['saves']} saves ({t['submits']} submitting): "
        f"{len(ledger.accepted)} accepted, {t['conflicts']} refused with a message "
        "(a conflict, or locked meanwhile); "
        f"{t['locked']} times the value was locked for review\n"
        f"planning office: {t['approve']} approved, {t['return']} returned, "
        f"{t['reopen']} reopened, {t['planner_refused']} refused with a message\n"
        f"errors {t['errors']}, answered without a message {t['silent']}, "
        f"LOST {result['lost_writes']}, refused but stored {result['refused_but_stored']}, "
        f"planning-office actions not stored {result['reviews_lost']}"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
