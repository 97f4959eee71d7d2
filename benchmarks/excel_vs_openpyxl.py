"""The Ministry report (every year: reading the database, three styled sheets with
merges and print set-up) next to bare openpyxl writing the same cells with the same
values. Prints one JSON line with the medians of 5 runs."""

from __future__ import annotations

import io
import json
import os
import re
import statistics
import sys
import time
import zipfile
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


def written_cells(report: bytes) -> list[list[tuple[int, int, object]]]:
    """Per sheet, every cell the report writes: (row, column, value). openpyxl writes a
    cell that has a value or a style, so the styled empty ones (borders of merged and
    blank cells) count too."""
    return [
        [
            (cell.row, cell.column, cell.value)
            for row in sheet.iter_rows()
            for cell in row
            if cell.value is not None or cell.has_style
        ]
        for sheet in load_workbook(io.BytesIO(report)).worksheets
    ]


def cells_in_file(workbook: bytes) -> int:
    """How many cells the file holds, counted in its sheets' XML."""
    with zipfile.ZipFile(io.BytesIO(workbook)) as archive:
        return sum(
            len(re.findall(rb"<c[ >]", archive.read(name)))
            for name in archive.namelist()
            if name.startswith("xl/worksheets/")
        )


def main() -> None:
    program = Program.objects.order_by("-id").first()
    report = workbook_bytes(build_ministry_report(program, year=None, language="kk"))
    sheets = written_cells(report)

    def bare() -> bytes:
        # The same cells with the same values, in the mode the report needs (write-only
        # mode cannot merge cells), without styles, merges, print set-up or the database
        # reads. An unstyled empty cell is not written at all, so the report's styled
        # blanks are written as empty text: the same number of cells in the file.
        book = Workbook()
        book.remove(book.active)
        for written in sheets:
            sheet = book.create_sheet()
            for row, column, value in written:
                sheet.cell(row, column, "" if value is None else value)
        buffer = io.BytesIO()
        book.save(buffer)
        return buffer.getvalue()

    cells = cells_in_file(report)
    if cells_in_file(bare()) != cells:
        raise SystemExit("the baseline does not write the same cells as the report")
    report_s = timed(
        lambda: workbook_bytes(build_ministry_report(program, year=None, language="kk"))
    )
    bare_s = timed(bare)
    print(json.dumps({"cells": cells, "report_s": report_s, "bare_s": bare_s}))


if __name__ == "__main__":
    main()
