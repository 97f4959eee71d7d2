"""Checks on uploaded evidence files: type by content (not by name) and size."""

from __future__ import annotations

from dataclasses import dataclass

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from kpis.files import UnsafeArchive, office_parts

ALLOWED = {
    "application/pdf": ".pdf",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
}
OFFICE_MARKERS = {
    ".docx": "word/document.xml",
    ".xlsx": "xl/workbook.xml",
}


@dataclass(frozen=True)
class CheckedFile:
    content_type: str
    extension: str


def max_evidence_size() -> int:
    return getattr(settings, "EVIDENCE_MAX_BYTES", 10 * 1024 * 1024)


def check_evidence(upload: UploadedFile) -> CheckedFile:
    """The file's real type, or ValidationError saying why it is refused."""
    limit = max_evidence_size()
    if upload.size > limit:
        raise ValidationError(
            _("“%(name)s” is larger than %(mb)s MB.")
            % {"name": upload.name, "mb": limit // (1024 * 1024)},
            code="too_big",
        )
    if upload.size == 0:
        raise ValidationError(_("“%(name)s” is empty.") % {"name": upload.name}, code="empty")
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    kind = filetype.guess(head)
    mime = kind.mime if kind else None
    if mime == "application/zip" or (mime and mime in ALLOWED and ALLOWED[mime] in OFFICE_MARKERS):
        mime = _office_type(upload)
    if mime not in ALLOWED:
        raise ValidationError(
            _("“%(name)s” is not a PDF, XLSX, DOCX, PNG or JPEG file.") % {"name": upload.name},
            code="bad_type",
        )
    return CheckedFile(mime, ALLOWED[mime])


def _office_type(upload: UploadedFile) -> str | None:
    """The office type of a zip, or None when it is not a plain, safe DOCX or XLSX."""
    try:
        names = office_parts(upload)
    except UnsafeArchive:
        return None
    for mime, extension in ALLOWED.items():
        if OFFICE_MARKERS.get(extension) in names:
            return mime
    return None
