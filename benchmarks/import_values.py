"""Import N actual values through the real import path — `kpis.services.save_entries`,
the function the entry page and the Excel upload use: permission check, row locks,
validation by unit, history — and time it. Prints one JSON line."""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "metu_strategy.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import User  # noqa: E402

from benchmarks.setup_data import plausible_value, scaled_fixture  # noqa: E402
from directions.models import Program  # noqa: E402
from kpis import services  # noqa: E402
from kpis.demo import setup_demo  # noqa: E402
from kpis.loading import load_program  # noqa: E402
from kpis.models import Actual, Kpi, ReportingYear  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--values", type=int, default=10000)
    args = parser.parse_args()
    scale = math.ceil(args.values / (80 * 7))
    load_program(scaled_fixture(scale))
    program = Program.objects.order_by("-id").first()
    setup_demo(program)
    ReportingYear.objects.filter(program=program).update(is_open=True)
    planner = User.objects.get(username="planner")
    kpis = list(Kpi.objects.filter(program=program).prefetch_related("targets").order_by("id"))
    batches = {
        year: [
            services.Entry(kpi=k, value=v, value2=v2, seen_version=0, comment="import")
            for k in kpis
            for v, v2 in [plausible_value(k, year)]
        ]
        for year in program.years
    }
    total = sum(len(b) for b in batches.values())
    started = time.perf_counter()
    imported = 0
    for year, entries in batches.items():
        entries = entries[: max(0, args.values - imported)]
        if not entries:
            break
        services.save_entries(user=planner, program=program, year=year, entries=entries)
        imported += len(entries)
    seconds = time.perf_counter() - started
    history = Actual.history.filter(kpi__program=program).count()
    print(
        json.dumps(
            {"values": imported, "available": total, "seconds": seconds, "history_rows": history}
        )
    )


if __name__ == "__main__":
    main()
