"""Filling a spreadsheet instead of the form: download the unit's template, upload it,
see what would change, then confirm. Nothing is saved before the confirmation."""

from __future__ import annotations

import contextlib
import secrets
import time
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from directions.selectors import current_program
from kpis import selectors, services
from kpis.spreadsheets import MAX_UPLOAD, SpreadsheetError, build_template, read_upload
from kpis.workbooks import workbook_bytes
from metu_strategy.params import next_param, year_param

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SESSION_KEY = "imports"
UPLOAD_KEPT_SECONDS = 24 * 3600


def _program():
    program = current_program()
    if program is None:
        raise Http404
    return program


def _check_role(user) -> None:
    if not user.has_perm("kpis.enter_actual"):
        raise PermissionDenied


def template_download(request: HttpRequest) -> HttpResponse:
    _check_role(request.user)
    program = _program()
    unit = selectors.units_for(request.user, program).filter(code=request.GET.get("unit")).first()
    year = year_param(request.GET.get("year"), program)
    if unit is None or year is None:
        raise Http404(_("No such unit or year."))
    workbook = build_template(user=request.user, program=program, unit=unit, year=year)
    response = HttpResponse(workbook_bytes(workbook), content_type=XLSX)
    filename = f"{program.code}-{unit.code}-{year}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _upload_dir() -> Path:
    folder = Path(settings.MEDIA_ROOT) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _forget_abandoned(folder: Path) -> None:
    """Uploads nobody confirmed or cancelled within a day are of no more use."""
    too_old = time.time() - UPLOAD_KEPT_SECONDS
    for path in folder.glob("*.xlsx"):
        with contextlib.suppress(FileNotFoundError):  # another worker removed it
            if path.stat().st_mtime < too_old:
                path.unlink()


@require_POST
def upload(request: HttpRequest) -> HttpResponse:
    """Keep the uploaded file aside and show what importing it would do."""
    _check_role(request.user)
    program = _program()
    back = next_param(request, reverse("entry"))
    uploaded = request.FILES.get("file")
    if uploaded is None:
        messages.error(request, _("Choose the filled template to upload."))
        return redirect(back)
    if uploaded.size > MAX_UPLOAD:
        messages.error(request, _("The file is larger than 5 MB."))
        return redirect(back)
    content = uploaded.read()
    try:
        read_upload(content, user=request.user, program=program)
    except SpreadsheetError as exc:
        messages.error(request, _("The file was not imported: %(reason)s") % {"reason": exc})
        return redirect(back)
    token = secrets.token_urlsafe(16)
    _forget_abandoned(_upload_dir())
    (_upload_dir() / f"{token}.xlsx").write_bytes(content)
    request.session.setdefault(SESSION_KEY, {})[token] = {"name": uploaded.name[:200]}
    request.session.modified = True
    return redirect("import_preview", token=token)


def _stored(request: HttpRequest, token: str) -> Path:
    if token not in request.session.get(SESSION_KEY, {}):
        raise Http404(_("This upload has expired. Upload the file again."))
    path = _upload_dir() / f"{token}.xlsx"
    if not path.exists():
        raise Http404(_("This upload has expired. Upload the file again."))
    return path


def _forget(request: HttpRequest, token: str) -> None:
    (_upload_dir() / f"{token}.xlsx").unlink(missing_ok=True)
    request.session.get(SESSION_KEY, {}).pop(token, None)
    request.session.modified = True


def preview(request: HttpRequest, token: str) -> HttpResponse:
    """Each row new, changed, unchanged or in error; confirm saves them all or nothing."""
    _check_role(request.user)
    program = _program()
    path = _stored(request, token)
    try:
        result = read_upload(path.read_bytes(), user=request.user, program=program)
    except SpreadsheetError as exc:
        _forget(request, token)
        messages.error(request, _("The file was not imported: %(reason)s") % {"reason": exc})
        return redirect("entry")
    stored = request.session[SESSION_KEY][token]
    if request.method == "POST":
        return _confirm(request, token, result, seen=stored.get("versions", {}))
    # What the user is shown now is what they confirm: a value saved by someone else
    # after this moment must refuse the import, not be overwritten by it.
    stored["versions"] = {row.code: row.version for row in result.rows}
    request.session.modified = True
    ctx = {"preview": result, "token": token, "name": stored["name"]}
    return render(request, "kpis/import_preview.html", ctx)


def _confirm(request: HttpRequest, token: str, result, *, seen: dict[str, int]) -> HttpResponse:
    entry_page = f"{reverse('entry')}?year={result.year}&unit={result.unit.code}"
    if request.POST.get("action") == "cancel":
        _forget(request, token)
        messages.info(request, _("The upload was cancelled; nothing was saved."))
        return redirect(entry_page)
    if result.has_errors or not result.changes:
        messages.error(request, _("Nothing was saved: correct the rows in error and upload again."))
        return redirect("import_preview", token=token)
    submit = request.POST.get("action") == "submit"
    if submit and result.needing_explanation:
        codes = ", ".join(row.code for row in result.needing_explanation)
        messages.error(
            request,
            _(
                "Nothing was submitted. These rows miss their targets and need an "
                "explanation: %(codes)s. Write why in the “Why the target was missed” "
                "column and upload the file again, or save the values as draft."
            )
            % {"codes": codes},
        )
        return redirect("import_preview", token=token)
    entries = result.entries(submit=submit)
    for row, entry in zip(result.changes, entries, strict=True):
        entry.seen_version = seen.get(row.code, 0)
    try:
        services.save_entries(
            user=request.user, program=result.program, year=result.year, entries=entries
        )
    except services.EntryErrors as exc:
        by_key = {row.entry().key: row.code for row in result.changes}
        for key, problems in exc.errors.items():
            messages.error(request, f"{by_key.get(key, '?')}: {' '.join(map(str, problems))}")
        messages.error(request, str(exc))
        return redirect("import_preview", token=token)
    except services.WorkflowError as exc:
        messages.error(request, str(exc))
        return redirect("import_preview", token=token)
    _forget(request, token)
    messages.success(request, _("%(n)s values imported.") % {"n": len(result.changes)})
    return redirect(entry_page)
