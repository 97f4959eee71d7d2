"""Downloading the Ministry report and keeping frozen copies of it."""

from __future__ import annotations

import io
import logging

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from directions.selectors import current_program
from kpis import roles
from kpis.services import latest_open_year
from metu_strategy.params import year_param
from reports.excel import build_ministry_report, report_filename, workbook_bytes
from reports.models import FrozenReport
from reports.selectors import latest_year_with_values
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
    ctx = {
        "program": program,
        "reports": reports,
        "can_freeze": roles.is_planner(request.user),
        "reported_year": latest_open_year(program) or program.start_year,
    }
    return render(request, "reports/frozen_reports.html", ctx)


@require_POST
def freeze(request: HttpRequest) -> HttpResponse:
    if not roles.is_planner(request.user):
        raise PermissionDenied
    program = current_program()
    year = year_param(request.POST.get("year"), program) if program is not None else None
    if year is None:
        messages.error(request, _("Choose a year of the program."))
        return redirect("frozen_reports")
    report = freeze_report(
        user=request.user,
        program=program,
        year=year,
        include_submitted=request.POST.get("include") == "submitted",
        note=request.POST.get("note", ""),
    )
    messages.success(
        request,
        _("The %(year)s report is frozen. This file will download unchanged from now on.")
        % {"year": report.year},
    )
    return redirect("frozen_reports")


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
