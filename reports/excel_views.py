"""Downloading the Ministry report and keeping frozen copies of it."""

from __future__ import annotations

import io
import logging

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import get_language_info
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from directions.selectors import current_program
from kpis import kept_input, roles
from kpis.services import WorkflowError, latest_open_year
from metu_strategy.params import year_param
from reports.excel import build_ministry_report, report_filename, workbook_bytes
from reports.freezing import read_freeze_request
from reports.models import FrozenReport
from reports.selectors import freeze_summary, latest_year_with_values
from reports.services import freeze_report

security_log = logging.getLogger("metu.security")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def ministry_report(request: HttpRequest) -> HttpResponse:
    """The report as it stands now, for a year (?year=) or every year (?year=all)."""
    program = current_program()
    if program is None:
        raise Http404
    include_submitted = request.GET.get("include") == "submitted"
    raw_year = request.GET.get("year", "")
    year = year_param(raw_year, program)
    if raw_year == "all":
        year = None
    elif year is None and not raw_year:
        year = latest_year_with_values(program, include_submitted=include_submitted)
    elif year is None:
        raise Http404(_("No such year in the program."))
    workbook = build_ministry_report(
        program, year=year, include_submitted=include_submitted, user=request.user
    )
    response = HttpResponse(workbook_bytes(workbook), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{report_filename(program, year)}"'
    return response


def frozen_reports(request: HttpRequest) -> HttpResponse:
    """The reports sent to the Ministry; the planning office freezes new ones here."""
    program = current_program()
    if program is None:
        raise Http404
    reports = FrozenReport.objects.filter(program=program).select_related("created_by")
    # A freeze that was refused, or taken back from its confirmation, comes back as typed.
    kept = kept_input.take(request, KEPT_FREEZE)
    reported_year = latest_open_year(program) or program.start_year
    ctx = {
        "program": program,
        "reports": reports,
        "can_freeze": roles.is_planner(request.user),
        "reported_year": reported_year,
        "freeze_year": year_param(kept.get("year"), program, reported_year),
        "freeze_include": kept.get("include") == "submitted",
        "freeze_note": kept.get("note", ""),
        "note_max": NOTE_MAX,
    }
    return render(request, "reports/frozen_reports.html", ctx)


KEPT_FREEZE = "freeze"
NOTE_MAX = FrozenReport._meta.get_field("note").max_length


@require_POST
def freeze(request: HttpRequest) -> HttpResponse:
    """Freeze the year's report once the planning office has seen what it would lack
    (a POST without `confirm` shows that); `action=back` returns to the form as typed."""
    if not roles.is_planner(request.user):
        raise PermissionDenied
    program = current_program()
    if program is None:
        raise Http404
    asked = read_freeze_request(request.POST, program, note_max=NOTE_MAX)
    year, include_submitted, note = asked.year, asked.include_submitted, asked.note
    if asked.problems or request.POST.get("action") == "back":
        for problem in asked.problems:
            messages.error(request, problem)
        return _back_to_form(request)
    summary = freeze_summary(program, year, include_submitted=include_submitted)
    if request.POST.get("confirm") != "yes":
        ctx = {
            "program": program,
            "summary": summary,
            "note": note,
            "include": "submitted" if include_submitted else "",
            "language": get_language_info(translation.get_language())["name_local"],
        }
        return render(request, "reports/freeze_confirm.html", ctx)
    try:
        report = freeze_report(
            user=request.user,
            program=program,
            year=year,
            include_submitted=include_submitted,
            note=note,
        )
    except WorkflowError as exc:
        messages.error(request, str(exc))
        return _back_to_form(request)
    counted = _("approved and submitted values") if include_submitted else _("approved values only")
    messages.success(
        request,
        _(
            "The %(year)s report is frozen with %(counted)s: %(with)s of %(targets)s KPIs "
            "with a target have a value in it. This file will download unchanged from now on."
        )
        % {
            "year": report.year,
            "counted": counted,
            "with": summary.with_value,
            "targets": summary.with_target,
        },
    )
    return redirect("frozen_reports")


def _back_to_form(request: HttpRequest) -> HttpResponse:
    kept_input.keep(request, KEPT_FREEZE, ("year", "include", "note"))
    return redirect(reverse("frozen_reports") + "#freeze")


def frozen_download(request: HttpRequest, pk: int) -> HttpResponse:
    """The frozen file, byte for byte, or none at all: bytes that no longer match the SHA-256
    recorded when the report was frozen are not what was sent to the Ministry."""
    report = get_object_or_404(FrozenReport.objects.select_related("program"), pk=pk)
    try:
        with report.file.open("rb") as handle:
            content = handle.read()  # checked and served from memory: a report is small
    except FileNotFoundError:
        security_log.warning("Frozen report %s: its file %s is missing", pk, report.file.name)
        messages.error(request, _("The file is missing from storage."))
        return redirect("frozen_reports")
    if FrozenReport.digest(content) != report.sha256:
        security_log.warning(
            "Frozen report %s: its file %s no longer matches its SHA-256; download refused "
            "to user %r",
            pk,
            report.file.name,
            request.user.username,
        )
        messages.error(
            request,
            _(
                "The file of this frozen report no longer matches the checksum recorded when "
                "it was frozen, so it is not served. Ask the administrator to restore it from "
                "a backup."
            ),
        )
        return redirect("frozen_reports")
    return FileResponse(
        io.BytesIO(content), as_attachment=True, filename=report.filename, content_type=XLSX
    )
