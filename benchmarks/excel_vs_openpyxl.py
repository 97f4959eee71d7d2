"""The Ministry report (every year: reading the database, three styled sheets with
merges and print set-up) next to bare openpyxl writing the same cell values. Prints one
JSON line with the medians of 5 runs."""

from __future__ import annotations

import io
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "metu_strategy.settings")

import django  # noqa: E402

django.setup()

from openpyxl import Workbook, load_workbook  # noqa: E402

from directions.models import Program  # noqa: E402
from reports.excel import build_ministry_report, workbook_bytes  # noqa: E402


def timed(function, runs: int = 5) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def main() -> None:
    program = Program.objects.order_by("-id").first()
    report = workbook_bytes(build_ministry_report(program, year=None, language="kk"))
    sheets = [
        [list(row) for row in sheet.iter_rows(values_only=True)]
        for sheet in load_workbook(io.BytesIO(report)).worksheets
    ]
    cells = sum(1 for sheet in sheets for row in sheet for cell in row if cell is not None)

    def bare() -> bytes:
        # The same values in the same mode the report needs (write-only mode cannot
        # merge cells), without styles, merges, validation or the database reads.
        book = Workbook()
        book.remove(book.active)
        for rows in sheets:
            sheet = book.create_sheet()
            for row in rows:
                sheet.append(row)
        buffer = io.BytesIO()
        book.save(buffer)
        return buffer.getvalue()

    report_s = timed(
        lambda: workbook_bytes(build_ministry_report(program, year=None, language="kk"))
    )
    bare_s = timed(bare)
    print(json.dumps({"cells": cells, "report_s": report_s, "bare_s": bare_s}))


if __name__ == "__main__":
    main()
