"""Whether an uploaded office file (evidence, a filled template) is safe to keep or to
parse. One home for the rules, so evidence and spreadsheets refuse the same files:
Office documents are zip archives, and a zip can hide macros or unpack to gigabytes."""

from __future__ import annotations

import zipfile
from enum import Enum
from typing import IO

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .xls/.doc, or a password-protected file
MAX_UNPACKED = 50 * 1024 * 1024
MAX_RATIO = 200  # an honest Office file compresses far less than this
MAX_MEMBERS = 5000
MACRO_PART = "vbaproject.bin"


class Refusal(Enum):
    DAMAGED = "damaged"
    MACROS = "macros"
    BOMB = "bomb"


class UnsafeArchive(Exception):
    def __init__(self, refusal: Refusal):
        self.refusal = refusal
        super().__init__(refusal.value)


def office_parts(source: IO[bytes]) -> set[str]:
    """The part names of a safe Office archive; UnsafeArchive says why one is refused.

    Only the archive's directory is read, never its contents, so nothing is unpacked
    before the sizes are known."""
    try:
        with zipfile.ZipFile(source) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise UnsafeArchive(Refusal.DAMAGED) from None
    finally:
        source.seek(0)
    names = {info.filename for info in infos}
    if any(name.lower().endswith(MACRO_PART) for name in names):
        raise UnsafeArchive(Refusal.MACROS)
    unpacked = sum(info.file_size for info in infos)
    packed = sum(info.compress_size for info in infos) or 1
    too_dense = unpacked > 1024 * 1024 and unpacked / packed > MAX_RATIO
    if len(infos) > MAX_MEMBERS or unpacked > MAX_UNPACKED or too_dense:
        raise UnsafeArchive(Refusal.BOMB)
    return names
