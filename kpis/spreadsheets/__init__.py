"""A unit's data-entry workbook: built for download (`template`), read back safely on
upload (`upload`). Reading never trusts the file: size, type, macros, zip bombs and XML
bombs are refused before openpyxl parses anything (kpis/files.py, shared with evidence);
what the rows would do is the workflow service run as a dry run (services.check_entries),
so the upload obeys exactly the rules the entry form obeys."""

from kpis.spreadsheets.layout import (
    CODE,
    COMMENT,
    EXPLANATION,
    MAX_UPLOAD,
    NAME,
    PREVIOUS,
    TARGET,
    UNIT,
    VALUE,
    SpreadsheetError,
    headers,
)
from kpis.spreadsheets.template import build_template
from kpis.spreadsheets.upload import Preview, PreviewRow, check_file, read_upload

__all__ = [
    "CODE",
    "COMMENT",
    "EXPLANATION",
    "MAX_UPLOAD",
    "NAME",
    "PREVIOUS",
    "TARGET",
    "UNIT",
    "VALUE",
    "Preview",
    "PreviewRow",
    "SpreadsheetError",
    "build_template",
    "check_file",
    "headers",
    "read_upload",
]
