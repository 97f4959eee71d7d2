"""The yearly implementation report's pages: produce and download it, freeze it,
download frozen copies, write the narrative sections, publish results."""

from __future__ import annotations

import io
import logging

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from directions.models import Direction
from directions.selectors import current_program
from kpis import kept_input, roles
from kpis.services import WorkflowError, latest_open_year
from metu_strategy.params import int_param, year_param
from reports import document
from reports.freezing import read_freeze_request
from reports.models import FrozenDocument, Narrative, NarrativeState, PublicResults
from reports.selectors import freeze_summary
from reports.yearly import (
    LANGUAGES,
    NARRATIVE_MAX,
    document_digest,
    freeze_document,
    narrative_errors,
    save_narrative,
    set_public_results,
)

security_log = logging.getLogger("metu.security")
KEPT_FREEZE = "freeze-document"
NOTE_MAX = FrozenDocument._meta.get_field("note").max_length
TYPES = {"docx": document.DOCX_TYPE, "pdf": document.PDF_TYPE}


def _program():
    program = current_program()
    if program is None:
        raise Http404(_("No program is loaded."))
    return program


def _planner(request: HttpRequest) -> None:
    if not roles.is_planner(request.user):
        raise PermissionDenied


def _language(text: object, default: str) -> str:
    return text if text in LANGUAGES else default


def yearly_report(request: HttpRequest) -> HttpResponse:
    """The report page: produce the report (planning office), its frozen copies (all)."""
    program = _program()
    kept = kept_input.take(request, KEPT_FREEZE)
    year = year_param(kept.get("year"), program, latest_open_year(program) or program.start_year)
    ctx = {
        "program": program,
        "frozen": FrozenDocument.objects.filter(program=program).select_related("created_by"),
        "can_produce": roles.is_planner(request.user),
        "year": year,
        "language": _language(kept.get("language"), request.LANGUAGE_CODE),
        "include": kept.get("include") == "submitted",
        "note": kept.get("note", ""),
        "note_max": NOTE_MAX,
        "languages": settings.LANGUAGES,
    }
    return render(request, "reports/yearly_report.html", ctx)


def yearly_download(request: HttpRequest) -> HttpResponse:
    """The report as it stands now, as DOCX or PDF (planning office)."""
    _planner(request)
    program = _program()
    year = year_param(request.GET.get("year"), program)
    kind = request.GET.get("format", "docx")
    language = request.GET.get("language", "")
    if year is None or kind not in TYPES or language not in LANGUAGES:
        messages.error(request, _("Choose a year of the program, a language and a format."))
        return redirect("yearly_report")
    try:
        if kind == "pdf":
            document.check_converter()
        content = document.build_content(
            program,
            year,
            language=language,
            include_submitted=request.GET.get("include") == "submitted",
        )
        data = document.write_docx(content)
        if kind == "pdf":
            data = document.convert_to_pdf(data)
    except document.DocumentError as exc:
        messages.error(request, str(exc))
        return redirect("yearly_report")
    return FileResponse(
        io.BytesIO(data),
        as_attachment=True,
        filename=document.report_filename(program, year, language, kind),
        content_type=TYPES[kind],
    )


@require_POST
def yearly_freeze(request: HttpRequest) -> HttpResponse:
    """Freeze the report (DOCX and PDF) once the planning office has seen what it would
    lack: a POST without `confirm` shows that; `action=back` returns to the form."""
    _planner(request)
    program = _program()
    language = request.POST.get("language", "")
    asked = read_freeze_request(request.POST, program, note_max=NOTE_MAX)
    year, include_submitted, note = asked.year, asked.include_submitted, asked.note
    if language not in LANGUAGES:
        asked.problems.append(_("Nothing was frozen: choose a language."))
    if asked.problems or request.POST.get("action") == "back":
        for problem in asked.problems:
            messages.error(request, problem)
        return _back(request)
    summary = freeze_summary(program, year, include_submitted=include_submitted)
    if request.POST.get("confirm") != "yes":
        ctx = {
            "program": program,
            "summary": summary,
            "note": note,
            "include": "submitted" if include_submitted else "",
            "language": language,
            "language_name": dict(settings.LANGUAGES)[language],
        }
        return render(request, "reports/yearly_freeze_confirm.html", ctx)
    try:
        frozen = freeze_document(
            user=request.user,
            program=program,
            year=year,
            language=language,
            include_submitted=include_submitted,
            note=note,
        )
    except WorkflowError as exc:
        messages.error(request, str(exc))
        return _back(request)
    messages.success(
        request,
        _(
            "The %(year)s implementation report is frozen as Word and PDF files: %(with)s of "
            "%(targets)s KPIs with a target have a value in it. These files will download "
            "unchanged from now on."
        )
        % {"year": frozen.year, "with": summary.with_value, "targets": summary.with_target},
    )
    return redirect("yearly_report")


def _back(request: HttpRequest) -> HttpResponse:
    kept_input.keep(request, KEPT_FREEZE, ("year", "language", "include", "note"))
    return redirect(reverse("yearly_report") + "#freeze")


def frozen_file(frozen: FrozenDocument, kind: str) -> bytes | None:
    """The frozen file's bytes, or None when missing or no longer its SHA-256."""
    field, expected = (
        (frozen.docx, frozen.docx_sha256) if kind == "docx" else (frozen.pdf, frozen.pdf_sha256)
    )
    try:
        with field.open("rb") as handle:
            content = handle.read()
    except (FileNotFoundError, ValueError):
        security_log.warning("Frozen document %s: its %s file is missing", frozen.pk, kind)
        return None
    if document_digest(content) != expected:
        security_log.warning(
            "Frozen document %s: its %s file no longer matches its SHA-256", frozen.pk, kind
        )
        return None
    return content


def yearly_frozen_download(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """A frozen report's DOCX or PDF, byte for byte, or none at all."""
    if kind not in TYPES:
        raise Http404
    frozen = get_object_or_404(FrozenDocument.objects.select_related("program"), pk=pk)
    content = frozen_file(frozen, kind)
    if content is None:
        messages.error(
            request,
            _(
                "This frozen file is missing or no longer matches the checksum recorded when "
                "it was frozen, so it is not served. Ask the administrator to restore it from "
                "a backup."
            ),
        )
        return redirect("yearly_report")
    return FileResponse(
        io.BytesIO(content),
        as_attachment=True,
        filename=frozen.filename(kind),
        content_type=TYPES[kind],
    )


# ---------------------------------------------------------------------------- narratives


def narratives(request: HttpRequest) -> HttpResponse:
    """Each direction's narrative for a year and language, with its state."""
    _planner(request)
    program = _program()
    year = year_param(request.GET.get("year"), program, latest_open_year(program))
    year = year or program.start_year
    language = _language(request.GET.get("language"), request.LANGUAGE_CODE)
    written = {
        n.direction_id: n
        for n in Narrative.objects.filter(
            direction__program=program, year=year, language=language
        ).select_related("updated_by")
    }
    rows = [
        {"direction": d, "narrative": written.get(d.id)}
        for d in Direction.objects.filter(program=program).order_by("number")
    ]
    ctx = {
        "program": program,
        "year": year,
        "language": language,
        "languages": settings.LANGUAGES,
        "rows": rows,
    }
    return render(request, "reports/narratives.html", ctx)


def narrative_edit(request: HttpRequest, number: int, year: int, language: str) -> HttpResponse:
    """Write a direction's narrative: plain paragraphs and "- " lists; draft or final."""
    _planner(request)
    program = _program()
    direction = get_object_or_404(Direction, program=program, number=number)
    if not program.covers(year) or language not in LANGUAGES:
        raise Http404
    narrative = Narrative.objects.filter(direction=direction, year=year, language=language).first()
    errors: dict[str, list[str]] = {}
    text = narrative.text if narrative else ""
    state = narrative.state if narrative else NarrativeState.DRAFT
    version = narrative.version if narrative else 0
    if request.method == "POST":
        text = request.POST.get("text", "")
        state = request.POST.get("state", "")
        version = int_param(request.POST.get("version"), minimum=0, default=-1)
        errors = narrative_errors(text.strip(), state)
        if not errors:
            try:
                save_narrative(
                    user=request.user,
                    direction=direction,
                    year=year,
                    language=language,
                    text=text,
                    state=state,
                    version=version or None,
                )
            except WorkflowError as exc:
                errors = {"__all__": [str(exc)]}
            else:
                if state == NarrativeState.FINAL:
                    saved = _("The narrative is saved as final: the report includes it.")
                else:
                    saved = _("The narrative is saved as a draft: the report leaves it out.")
                messages.success(request, saved)
                return redirect(reverse("narratives") + f"?year={year}&language={language}")
    history = (
        narrative.history.select_related("history_user").order_by("-history_date")[:20]
        if narrative
        else []
    )
    ctx = {
        "program": program,
        "direction": direction,
        "year": year,
        "language": language,
        "language_name": dict(settings.LANGUAGES)[language],
        "text": text,
        "state": state,
        "version": version,
        "errors": errors,
        "states": NarrativeState.choices,
        "max": NARRATIVE_MAX,
        "history": history,
        "preview": Narrative(text=text).blocks if text else [],
    }
    return render(request, "reports/narrative_edit.html", ctx, status=400 if errors else 200)


# ---------------------------------------------------------------------------- publishing


def public_settings(request: HttpRequest) -> HttpResponse:
    """Open or close the public results page and pick the years it shows."""
    _planner(request)
    program = _program()
    setting = PublicResults.current()
    if request.method == "POST":
        raw_years = request.POST.getlist("years")
        years = [year_param(y, program) for y in raw_years]
        if any(y is None for y in years):
            messages.error(request, _("Nothing was saved: choose years of the program."))
        else:
            try:
                setting = set_public_results(
                    user=request.user,
                    program=program,
                    enabled=request.POST.get("enabled") == "on",
                    years=years,
                )
            except WorkflowError as exc:
                messages.error(request, str(exc))
            else:
                if setting.enabled:
                    messages.success(
                        request,
                        _("The public results page is open with the years %(years)s.")
                        % {"years": ", ".join(map(str, setting.published_years)) or "—"},
                    )
                else:
                    messages.success(request, _("The public results page is closed."))
                return redirect("public_settings")
    ctx = {"program": program, "setting": setting, "published": setting.published_years}
    return render(request, "reports/public_settings.html", ctx)
