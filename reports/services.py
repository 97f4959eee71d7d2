"""Freezing the report sent to the Ministry."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from directions.models import Program
from kpis import roles
from kpis.services import WorkflowError
from reports.excel import build_ministry_report, workbook_bytes
from reports.exports import program_document
from reports.models import FrozenReport


@transaction.atomic
def freeze_report(
    *, user, program: Program, year: int, include_submitted: bool = False, note: str = ""
) -> FrozenReport:
    """Build the year's report now and keep the file and the values it came from."""
    if not roles.is_planner(user):
        raise PermissionDenied(_("Only the planning office may freeze a report."))
    if not program.covers(year):
        raise WorkflowError(_("%(year)s is not a year of the program.") % {"year": year})
    note = note.strip()
    limit = FrozenReport._meta.get_field("note").max_length
    if len(note) > limit:
        # Never cut: the note is what identifies the letter the report went with.
        raise WorkflowError(
            _("Nothing was frozen: the note may be at most %(max)s characters; it has %(n)s.")
            % {"max": limit, "n": len(note)}
        )
    language = translation.get_language()
    content = workbook_bytes(
        build_ministry_report(
            program, year=year, include_submitted=include_submitted, user=user, language=language
        )
    )
    report = FrozenReport(
        program=program,
        year=year,
        include_submitted=include_submitted,
        language=language,
        sha256=FrozenReport.digest(content),
        snapshot=program_document(program, include_submitted=include_submitted),
        note=note,
        created_by=user,
    )
    report.file.save("report.xlsx", ContentFile(content), save=False)
    report.save()
    return report
