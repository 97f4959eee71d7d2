"""What every workbook and CSV file the application writes shares: text that never
turns into a formula, and the bytes of a finished workbook.

A text cell starting with `=`, `+`, `-` or `@` would be run as a formula by Excel and
LibreOffice (CSV/XLSX injection). In an .xlsx the cell is typed as text and marked
with Excel's quote prefix, so the text reads back exactly as written and stays text
when someone edits it; a CSV cell has no type, so it gets a leading apostrophe."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.cell.cell import Cell

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def workbook_bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def looks_like_formula(value: str) -> bool:
    return value.startswith(FORMULA_PREFIXES) and value != "-" and not _is_number(value)


def set_text(cell: Cell, value: object) -> Cell:
    """Put `value` in `cell` as text, never as a formula."""
    text = "" if value is None else str(value)
    cell.value = text or None
    if text and looks_like_formula(text):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


def escape_formula(value: str) -> str:
    """A CSV cell that no spreadsheet runs as a formula; plain numbers such as "-5"
    stay numbers."""
    return "'" + value if looks_like_formula(value) else value


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True
