"""Writes of the yearly implementation report: narrative sections, frozen documents and
the public results setting. Planning office only; each in one transaction."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from directions.models import Direction, Program
from kpis import roles
from kpis.services import WorkflowError
from reports import document
from reports.cache import move_on_commit
from reports.exports import program_document
from reports.models import FrozenDocument, Narrative, NarrativeState, PublicResults

NARRATIVE_MAX = 20_000
LANGUAGES = [code for code, _name in settings.LANGUAGES]


def _planner_only(user) -> None:
    if not roles.is_planner(user):
        raise PermissionDenied(_("Only the planning office may do this."))


def narrative_errors(text: str, state: str) -> dict[str, list[str]]:
    """Every problem with what was typed, by field."""
    errors: dict[str, list[str]] = {}
    if len(text) > NARRATIVE_MAX:
        errors.setdefault("text", []).append(
            _("The text may be at most %(max)s characters; it has %(n)s.")
            % {"max": NARRATIVE_MAX, "n": len(text)}
        )
    if any(ord(ch) < 32 and ch not in "\n\r\t" for ch in text):
        errors.setdefault("text", []).append(_("The text holds control characters; type it again."))
    if state not in NarrativeState.values:
        errors.setdefault("state", []).append(_("Choose draft or final."))
    elif state == NarrativeState.FINAL and not text.strip():
        errors.setdefault("state", []).append(_("An empty text cannot be final."))
    return errors


@transaction.atomic
def save_narrative(
    *,
    user,
    direction: Direction,
    year: int,
    language: str,
    text: str,
    state: str,
    version: int | None,
) -> Narrative:
    """Create or change the narrative of a direction, year and language. `version` is the
    one the editor saw (None for a new text): a change saved since is not overwritten."""
    _planner_only(user)
    if not direction.program.covers(year) or language not in LANGUAGES:
        raise WorkflowError(_("Nothing was saved: no such year or language."))
    text = text.replace("\r\n", "\n").strip()
    errors = narrative_errors(text, state)
    if errors:
        raise WorkflowError(" ".join(m for messages in errors.values() for m in messages))
    narrative = (
        Narrative.objects.select_for_update()
        .filter(direction=direction, year=year, language=language)
        .first()
    )
    if narrative is None:
        if version not in (None, 0):
            raise WorkflowError(_("Nothing was saved: the text was deleted meanwhile."))
        narrative = Narrative(direction=direction, year=year, language=language)
    elif narrative.version != version:
        raise WorkflowError(
            _(
                "Nothing was saved: someone else changed this text after you opened it. "
                "Open it again to see their change."
            )
        )
    else:
        narrative.version += 1
    narrative.text = text
    narrative.state = state
    narrative.updated_by = user
    narrative._change_reason = f"narrative: {state}"
    narrative.save()
    return narrative


def freeze_document(
    *,
    user,
    program: Program,
    year: int,
    language: str,
    include_submitted: bool = False,
    note: str = "",
) -> FrozenDocument:
    """Build the report now, as DOCX and PDF, and keep both with the values they came
    from. Nothing is kept when the PDF cannot be made."""
    _planner_only(user)
    if not program.covers(year):
        raise WorkflowError(_("%(year)s is not a year of the program.") % {"year": year})
    if language not in LANGUAGES:
        raise WorkflowError(_("Nothing was frozen: no such language."))
    note = note.strip()
    limit = FrozenDocument._meta.get_field("note").max_length
    if len(note) > limit:
        raise WorkflowError(
            _("Nothing was frozen: the note may be at most %(max)s characters; it has %(n)s.")
            % {"max": limit, "n": len(note)}
        )
    try:
        document.check_converter()
        content = document.build_content(
            program, year, language=language, include_submitted=include_submitted
        )
        docx = document.write_docx(content)
        pdf = document.convert_to_pdf(docx)
    except document.DocumentError as exc:
        raise WorkflowError(_("Nothing was frozen: %(why)s") % {"why": exc}) from exc
    frozen = FrozenDocument(
        program=program,
        year=year,
        language=language,
        include_submitted=include_submitted,
        docx_sha256=document_digest(docx),
        pdf_sha256=document_digest(pdf),
        snapshot={
            "report": content.as_dict(),
            "program": program_document(program, include_submitted=include_submitted),
        },
        note=note,
        created_by=user,
    )
    # Built outside the transaction: LibreOffice takes seconds, the rows a moment.
    with transaction.atomic():
        frozen.docx.save("report.docx", ContentFile(docx), save=False)
        frozen.pdf.save("report.pdf", ContentFile(pdf), save=False)
        frozen.save()
        move_on_commit()  # the public page lists the published PDFs
    return frozen


def document_digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


@transaction.atomic
def set_public_results(*, user, program: Program, enabled: bool, years: list[int]) -> PublicResults:
    """Open or close the public results page and choose the years it shows."""
    _planner_only(user)
    wrong = [y for y in years if not program.covers(y)]
    if wrong:
        raise WorkflowError(_("Nothing was saved: choose years of the program."))
    setting = PublicResults.objects.select_for_update().filter(pk=1).first() or PublicResults(pk=1)
    setting.enabled = enabled
    setting.years = sorted(set(years))
    setting.updated_by = user
    setting.save()
    move_on_commit()  # cached public pages follow the data version
    return setting
