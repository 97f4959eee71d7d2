"""The program document over HTTP: the same JSON and CSV as `export_program`, read-only,
for other university systems and for the planning office's own spreadsheets."""

from __future__ import annotations

import io

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.views.decorators.http import require_GET

from directions.models import Program
from directions.selectors import current_program
from reports.exports import BOM, is_localized_csv, program_document, program_rows, write_csv


def _program(request: HttpRequest) -> Program:
    code = request.GET.get("program")
    program = Program.objects.filter(code=code).first() if code else current_program()
    if program is None:
        raise Http404
    return program


@require_GET
def program_json(request: HttpRequest) -> JsonResponse:
    """program → directions → goals → tasks → KPIs, in the reader's language."""
    document = program_document(
        _program(request), include_submitted=request.GET.get("include") == "submitted"
    )
    return JsonResponse(document, json_dumps_params={"ensure_ascii": False, "indent": 2})


@require_GET
def program_csv(request: HttpRequest) -> HttpResponse:
    """One row per KPI and year, with status and achievement: for Excel in the reader's
    language when it is Kazakh or Russian, the machine-readable form in English."""
    program = _program(request)
    localized = is_localized_csv(translation.get_language())
    include_submitted = request.GET.get("include") == "submitted"
    out = io.StringIO()
    write_csv(
        program_rows(program, include_submitted=include_submitted, localized=localized),
        out,
        localized=localized,
    )
    # A byte-order mark lets Excel open the Cyrillic text as UTF-8.
    response = HttpResponse(BOM + out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{program.code}.csv"'
    return response
