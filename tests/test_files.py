"""Evidence and the Excel template refuse the same unsafe Office files (kpis/files.py)."""

import pytest
from django.core.exceptions import ValidationError

from kpis.evidence import check_evidence
from kpis.spreadsheets import SpreadsheetError, check_file
from tests.files import office_bytes, upload


def _evidence_refuses(content: bytes) -> bool:
    try:
        check_evidence(upload("file.xlsx", content))
    except ValidationError:
        return True
    return False


def _template_refuses(content: bytes) -> bool:
    try:
        check_file(content)
    except SpreadsheetError:
        return True
    return False


UNSAFE = {
    "macros": office_bytes("xlsx", macro=True),
    "macros, upper case": office_bytes("xlsx", macro=True, macro_part="xl/VBAPROJECT.BIN"),
    "macros, another folder": office_bytes("xlsx", macro=True, macro_part="x/vbaproject.bin"),
    "unpacks to 60 MB": office_bytes("xlsx", bomb=60 * 1024 * 1024),
    "damaged": office_bytes("xlsx")[:-30],
}


@pytest.mark.parametrize("case", UNSAFE, ids=list(UNSAFE))
def test_both_paths_refuse_the_same_unsafe_office_files(case):
    assert _evidence_refuses(UNSAFE[case])
    assert _template_refuses(UNSAFE[case])


def test_a_plain_workbook_passes_both():
    content = office_bytes("xlsx")
    assert not _evidence_refuses(content)
    assert not _template_refuses(content)
