"""Fill a benchmark database: the program (or a synthetic one N times larger), the demo
accounts, and an approved value for every KPI and year.

Run as: DATABASE_URL=... python benchmarks/setup_data.py --scale 10"""

from __future__ import annotations

import argparse
import copy
import os
import sys
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "metu_strategy.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from directions.models import Program  # noqa: E402
from kpis.demo import setup_demo  # noqa: E402
from kpis.loading import load_program, read_fixture  # noqa: E402
from kpis.models import Actual, ActualState, Kpi  # noqa: E402


def scaled_fixture(scale: int) -> dict:
    """The real program with every task's KPIs repeated `scale` times."""
    data = read_fixture()
    if scale == 1:
        return data
    data = copy.deepcopy(data)
    data["program"]["code"] = f"METU-X{scale}"
    for direction in data["directions"]:
        for task in direction["goal"]["tasks"]:
            task["kpis"] = [copy.deepcopy(k) for _ in range(scale) for k in task["kpis"]]
    return data


def plausible_value(kpi: Kpi, year: int) -> tuple[Decimal, Decimal | None]:
    target = next((t for t in kpi.targets.all() if t.year == year), None)
    base = target.value if target and target.value is not None else Decimal(10)
    factor = Decimal("0.9") + Decimal((kpi.id * 7 + year) % 25) / 100
    if kpi.unit == "ratio":
        post = min((target.value2 if target else Decimal(2)) * factor, Decimal(100)).quantize(
            Decimal("0.1")
        )
        return Decimal(100) - post, post
    value = base / factor if kpi.sense in ("at_most", "rank") else base * factor
    if kpi.unit in ("persons", "count", "rank"):
        return max(value.quantize(Decimal(1)), Decimal(1)), None
    return min(value, Decimal(100)).quantize(Decimal("0.01")), None


@transaction.atomic
def fill_values(program: Program) -> int:
    """Approved values for every KPI and year. A fixture for measuring pages, so it is
    written in bulk; imports are measured separately, through the real import path."""
    planner = User.objects.get(username="planner")
    now = timezone.now()
    rows = []
    for kpi in Kpi.objects.filter(program=program).prefetch_related("targets"):
        for year in program.years:
            value, value2 = plausible_value(kpi, year)
            rows.append(
                Actual(
                    kpi=kpi,
                    year=year,
                    value=value,
                    value2=value2,
                    state=ActualState.APPROVED,
                    entered_by=planner,
                    submitted_by=planner,
                    submitted_at=now,
                    approved_by=planner,
                    approved_at=now,
                )
            )
    Actual.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--no-values", action="store_true")
    parser.add_argument(
        "--calculated-units",
        type=int,
        default=0,
        help="calculate every share from the contributions of this many units",
    )
    args = parser.parse_args()
    load_program(scaled_fixture(args.scale))
    program = Program.objects.order_by("-id").first()
    setup_demo(program)
    count = 0 if args.no_values else fill_values(program)
    kpis = Kpi.objects.filter(program=program).count()
    print(f"program {program.code}: {kpis} KPIs, {count} approved values")
    if args.calculated_units:
        from benchmarks.parts_data import calculate_shares

        calculated = calculate_shares(program, units=args.calculated_units)
        # A calculated KPI's value comes from its parts: no value entered over it.
        Actual.objects.filter(kpi_id__in=calculated.formulas).delete()
        print(
            f"{len(calculated.formulas)} KPIs calculated over {args.calculated_units} units: "
            f"{len(calculated.rows)} approved contributions"
        )


if __name__ == "__main__":
    main()
