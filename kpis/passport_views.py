"""The passport page: the planning office edits a KPI's passport and baseline."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from directions.selectors import current_program
from kpis import passport, roles
from kpis.models import Kpi
from kpis.passport_forms import PassportForm


def passport_edit(request: HttpRequest, code: str) -> HttpResponse:
    if not roles.is_planner(request.user):
        raise PermissionDenied
    program = current_program()
    kpi = (
        Kpi.objects.filter(program=program, code=code)
        .select_related("task__goal__direction", "owner", "program")
        .first()
    )
    if kpi is None:
        raise Http404(_("No such KPI."))
    form = PassportForm(request.POST or None, kpi=kpi, initial=passport.form_initial(kpi))
    if request.method == "POST" and form.is_valid():
        try:
            changed = passport.update_passport(
                user=request.user,
                kpi=kpi,
                changes=form.changes(),
                reason=form.cleaned_data["reason"],
                seen_history=form.cleaned_data["seen"],
            )
        except ValidationError as exc:
            form.show(exc)
        else:
            if changed:
                messages.success(request, _("%(code)s: passport saved.") % {"code": kpi.code})
            else:
                messages.info(request, _("Nothing to save: nothing was changed."))
            return redirect(reverse("kpi_detail", args=[kpi.code]) + "#passport")
    ctx = {"kpi": kpi, "form": form, "changes": passport.passport_history(kpi)}
    return render(request, "kpis/passport_edit.html", ctx)
