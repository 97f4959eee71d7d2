"""Pages of the data-entry workflow: entry, review, progress, evidence, targets."""

from __future__ import annotations

import logging
import re
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from directions.models import Program
from directions.selectors import current_program
from kpis import kept_input, roles, selectors, services
from kpis.forms import EntryForm, ReasonForm, TargetChangeForm
from kpis.models import (
    Actual,
    ActualState,
    Contribution,
    Evidence,
    Input,
    Kpi,
    OrgUnit,
    ReportingYear,
    Target,
)
from kpis.reasons import describe
from metu_strategy.params import client_address, id_list_param, int_param, next_param, year_param

security_log = logging.getLogger("metu.security")


def _program_or_404() -> Program:
    program = current_program()
    if program is None:
        raise Http404(_("No program is loaded."))
    return program


def _year(request: HttpRequest, program: Program, default: int | None) -> int:
    fallback = default if default is not None and program.covers(default) else program.start_year
    return year_param(request.GET.get("year"), program, default=fallback)


def _require_planner(user) -> None:
    if not roles.is_planner(user):
        raise PermissionDenied


def entry(request: HttpRequest) -> HttpResponse:
    """ "My KPIs": a department head enters the year's values of their units' KPIs and
    the inputs their units report."""
    program = _program_or_404()
    if not request.user.has_perm("kpis.enter_actual"):
        raise PermissionDenied
    units = selectors.units_for(request.user, program)
    unit = units.filter(code=request.GET.get("unit")).first() if request.GET.get("unit") else None
    year = _year(request, program, services.latest_open_year(program))
    year_open = services.year_is_open(program, year)
    # Units with a lock exception may still enter a closed year.
    excepted = set() if year_open else services.excepted_units(program, year)
    rows = selectors.entry_rows(request.user, program, year, unit)
    inputs = selectors.input_rows(request.user, program, year, unit)
    _mark_calculated(rows, program, year)
    posted = _posted_keys(request)
    planner = roles.is_planner(request.user)
    editable = year_open or planner
    for row in [*rows, *inputs]:
        calculated = getattr(row, "calculated", False)
        row_unit = row.unit.id if isinstance(row, selectors.InputRow) else row.kpi.owner_id
        row.editable = (
            (editable or row_unit in excepted)
            and row.state in ("missing", *services.EDITABLE_STATES)
            and (planner or not calculated)  # only the planning office overrides
        )
        # Every row the page posted is bound, editable or not any more, so a row that
        # stopped being editable is refused out loud rather than dropped in silence.
        bound = row.key in posted
        row.form = None
        if row.editable or bound:
            row.form = EntryForm(
                request.POST if bound else None,
                request.FILES if bound else None,
                prefix=row.key,
                initial=_initial(row),
                overriding=calculated,
                **_subject(row),
            )
    if request.method == "POST" and _save_entry_forms(
        request, program, year, [*rows, *inputs], posted
    ):
        return redirect(request.get_full_path())
    ctx = {
        "program": program,
        "year": year,
        "years": ReportingYear.objects.filter(program=program).order_by("year"),
        "year_open": year_open,
        "excepted": [u for u in units if u.id in excepted],
        "deadline": services.deadline(program, year),
        "units": units,
        "unit": unit,
        "rows": rows,
        "inputs": inputs,
        "any_editable": any(row.editable for row in [*rows, *inputs]),
        "counts": _entry_counts(rows),
        # With nothing to enter (a dean: the faculty's departments report), the pages
        # where the head's units' figures are.
        "headed": [] if rows or inputs else OrgUnit.objects.filter(heads=request.user),
    }
    return render(request, "kpis/entry.html", ctx)


def _subject(row) -> dict:
    if isinstance(row, selectors.InputRow):
        return {"input": row.input, "unit": row.unit}
    return {"kpi": row.kpi}


def _mark_calculated(rows: list[selectors.EntryRow], program: Program, year: int) -> None:
    """A calculated KPI's row shows the value its approved parts give."""
    rollup = selectors.read_rollup(program)
    for row in rows:
        if row.kpi.id in rollup.formulas:
            row.computed = rollup.computed(row.kpi.id, year)


POSTED_ROW = re.compile(r"(k[0-9]{1,18}|i[0-9]{1,18}-u[0-9]{1,18})-version")


def _posted_keys(request: HttpRequest) -> set[str]:
    if request.method != "POST":
        return set()
    return {m.group(1) for key in request.POST if (m := POSTED_ROW.fullmatch(key))}


def _initial(row) -> dict:
    actual = row.actual
    if actual is None:
        return {"version": 0}
    measure = (row.input if isinstance(row, selectors.InputRow) else row.kpi).measure
    value, value2 = measure.inputs(actual.value, actual.value2)
    return {
        "value": value,
        "value2": value2,
        "comment": actual.comment,
        "explanation": actual.explanation,
        "reason": getattr(actual, "override_reason", ""),
        "version": actual.version,
    }


def _save_entry_forms(request: HttpRequest, program: Program, year: int, rows, posted) -> bool:
    """Save the posted rows, all or none; True when saved. Every refusal is shown."""
    if _refuse_strangers(request, program, posted - {row.key for row in rows}):
        return False
    forms = [row.form for row in rows if row.form is not None and row.form.is_bound]
    valid = [form for form in forms if form.is_valid()]
    entries = [form.to_entry(request.POST.get("action", "save")) for form in valid]
    try:
        if len(valid) < len(forms):
            problems = services.check_entries(
                user=request.user, program=program, year=year, entries=entries
            )
            raise services.EntryErrors(problems)
        saved = services.save_entries(
            user=request.user, program=program, year=year, entries=entries
        )
    except services.EntryErrors as exc:
        _show_row_errors(request, forms, exc.errors)
        return False
    except services.WorkflowError as exc:
        messages.error(request, str(exc))
        return False
    _report_saved(request, saved)
    return True


def _refuse_strangers(request: HttpRequest, program: Program, keys: set[str]) -> bool:
    """Rows posted for KPIs or inputs this page does not offer the user (another unit's,
    or one reassigned meanwhile): nothing is saved, and the page says which."""
    if not keys:
        return False
    kpi_ids = {int(key[1:]) for key in keys if key.startswith("k")}
    names = list(Kpi.objects.filter(program=program, id__in=kpi_ids).values_list("code", flat=True))
    input_ids = {int(key[1:].split("-")[0]) for key in keys if key.startswith("i")}
    names += [str(i) for i in Input.objects.filter(program=program, id__in=input_ids)]
    messages.error(
        request,
        _("Nothing was saved: you may not enter values for %(codes)s here.")
        % {"codes": ", ".join(sorted(names)) or _("a KPI that no longer exists")},
    )
    return True


def _show_row_errors(request: HttpRequest, forms, errors: dict[str, list[str]]) -> None:
    by_key = {form.prefix: form for form in forms}
    for key, problems in errors.items():
        for problem in problems:
            by_key[key].add_error(None, problem)
    codes = [str(form.kpi.code if form.kpi else form.input) for form in forms if form.errors]
    messages.error(
        request,
        _("Nothing was saved. Correct the rows marked in red: %(codes)s.")
        % {"codes": ", ".join(codes)},
    )
    if request.FILES:
        messages.warning(
            request, _("The files you chose were not uploaded: choose them again before saving.")
        )


def _report_saved(request: HttpRequest, saved: list[Actual]) -> None:
    """Say exactly what was stored; never "saved" when nothing was."""
    submitted = sum(1 for a in saved if a.state == ActualState.SUBMITTED)
    drafts = len(saved) - submitted
    if submitted:
        messages.success(
            request,
            ngettext(
                "%(n)s value submitted to the planning office.",
                "%(n)s values submitted to the planning office.",
                submitted,
            )
            % {"n": submitted},
        )
    if drafts:
        messages.success(
            request,
            ngettext(
                "%(n)s value saved as draft. Nothing is sent until you submit.",
                "%(n)s values saved as draft. Nothing is sent until you submit.",
                drafts,
            )
            % {"n": drafts},
        )
    if not saved:
        messages.info(request, _("Nothing to save: no value was changed."))


def _entry_counts(rows) -> dict:
    counts = {"total": len(rows), "missing": 0}
    for row in rows:
        counts[row.state] = counts.get(row.state, 0) + 1
    return counts


# The review page's tabs; drafts belong to their unit until submitted.
REVIEW_STATES = (ActualState.SUBMITTED, ActualState.RETURNED, ActualState.APPROVED)
REVIEW_VIEWS = ("cards", "table")
PARTS = "parts"  # the review page's list of units' contributions instead of KPI values
ALL_YEARS = "all"
KEPT_TICKS = "approve-selected"


def review(request: HttpRequest) -> HttpResponse:
    """The planning office's queue of submitted values (and the approved and returned ones),
    as cards or as a compact table, for the year being reported unless another is chosen."""
    _require_planner(request.user)
    program = _program_or_404()
    state = request.GET.get("state")
    if state not in REVIEW_STATES:
        state = ActualState.SUBMITTED
    view = request.GET.get("view") if request.GET.get("view") in REVIEW_VIEWS else "cards"
    if request.GET.get("year") == ALL_YEARS:
        year = None
    else:
        # The year being reported, as on My KPIs; with no year open, every year.
        year = year_param(request.GET.get("year"), program, services.latest_open_year(program))
    units = list(OrgUnit.objects.order_by("name"))
    unit = next((u for u in units if u.code == request.GET.get("unit")), None)
    parts = request.GET.get("kind") == PARTS
    scope = {"year": year, "unit": unit}
    value_counts = selectors.review_counts(program, **scope)
    part_counts = selectors.part_counts(program, **scope)
    if parts:
        actuals = selectors.review_parts(program, state=state, **scope)
        _warn(program, actuals)
    else:
        actuals = selectors.review_rows(program, state=state, **scope)
    counts = part_counts if parts else value_counts
    prefix = "part-" if parts else ""
    ticked = set(kept_input.take(request, KEPT_TICKS).get("selected", "").split(","))
    for actual in actuals:
        actual.kept_reason = kept_input.take(request, f"reason-{prefix}{actual.pk}").get(
            "reason", ""
        )
        actual.ticked = str(actual.pk) in ticked
    filters = {
        "state": state,
        "year": year or ALL_YEARS,
        "unit": unit.code if unit else "",
        "kind": PARTS if parts else "",
    }
    ctx = {
        "program": program,
        "actuals": actuals,
        "parts": parts,
        "has_inputs": parts or part_counts[ActualState.SUBMITTED] or program.inputs.exists(),
        "state": state,
        "year": year,
        "all_years": ALL_YEARS,
        "unit": unit,
        "units": units,
        "view": view,
        "kind_urls": {
            "values": _query({**filters, "kind": "", "view": view}),
            "parts": _query({**filters, "kind": PARTS, "view": view}),
        },
        "waiting": {
            "values": value_counts[ActualState.SUBMITTED],
            "parts": part_counts[ActualState.SUBMITTED],
        },
        "tabs": [
            {
                "state": value,
                "label": ActualState(value).label,
                "count": counts[value],
                "url": _query({**filters, "state": value, "view": view}),
            }
            for value in REVIEW_STATES
        ],
        "view_urls": {name: _query({**filters, "view": name}) for name in REVIEW_VIEWS},
    }
    return render(request, "kpis/review.html", ctx)


def _warn(program: Program, parts: list[Contribution]) -> None:
    """Give each contribution under review what the reviewer should look at (a large
    change from last year, a numerator above its denominator), or None."""
    warnings: dict[int, str] = {}
    for year in {part.year for part in parts}:
        warnings.update(selectors.contribution_warnings(program, year))
    for part in parts:
        part.warning = warnings.get(part.pk)


def _query(params: dict) -> str:
    """A link to the review page with these filters (empty ones left out)."""
    return "?" + urlencode({k: v for k, v in params.items() if v not in ("", None)})


REVIEW_ACTIONS = ("approve", "return", "reopen")
# The version of the value the page showed (or the ticked values) is missing or garbled.
STALE_FORM = _lazy("Nothing was changed: the form was incomplete. Reload the page and try again.")


@require_POST
def review_action(request: HttpRequest, pk: int, action: str, kind: str = "") -> HttpResponse:
    """Approve, return or reopen one KPI value, or one unit's contribution (kind=parts)."""
    _require_planner(request.user)
    actual = get_object_or_404(_reviewed_model(kind), pk=pk)
    if action not in REVIEW_ACTIONS:
        raise Http404
    back = next_param(request, reverse("review"))
    form = ReasonForm(request.POST)
    # The version shown is required: without it an approval would skip the check that
    # nobody changed the value since the reviewer read it.
    version = int_param(request.POST.get("version"))
    done = False
    try:
        if version is None:
            messages.error(request, STALE_FORM)
        elif action == "approve":
            services.approve(user=request.user, actual=actual, seen_version=version)
            messages.success(request, _("%(code)s %(year)s approved and locked.") % _ids(actual))
            done = True
        elif not form.is_valid():
            problems = (
                " ".join(form.errors.get("reason", []))
                if request.POST.get("reason", "").strip()
                else _("give a reason; the department and the history will show it.")
            )
            refused = (
                _("%(code)s %(year)s was not returned: %(problems)s")
                if action == "return"
                else _("%(code)s %(year)s was not reopened: %(problems)s")
            )
            messages.error(request, refused % {**_ids(actual), "problems": problems})
        elif action == "return":
            services.return_for_revision(
                user=request.user,
                actual=actual,
                reason=form.cleaned_data["reason"],
                seen_version=version,
            )
            messages.success(request, _("%(code)s %(year)s returned for revision.") % _ids(actual))
            done = True
        else:
            services.reopen(
                user=request.user,
                actual=actual,
                reason=form.cleaned_data["reason"],
                seen_version=version,
            )
            messages.success(
                request, _("%(code)s %(year)s reopened for the department.") % _ids(actual)
            )
            done = True
    except services.WorkflowError as exc:
        messages.error(request, _("%(code)s %(year)s: %(error)s") % {**_ids(actual), "error": exc})
    if not done and action != "approve":
        prefix = "part-" if kind == PARTS else ""
        kept_input.keep(request, f"reason-{prefix}{actual.pk}", ("reason",))
    return redirect(back)


def _reviewed_model(kind: str) -> type[Actual] | type[Contribution]:
    return Contribution if kind == PARTS else Actual


def _ids(row: Actual | Contribution) -> dict:
    """How a message names a reviewed row: «1.2.2 2025», or «staff · Department 2025»."""
    if isinstance(row, Contribution):
        return {"code": f"{row.input.name} · {row.unit.name}", "year": row.year}
    return {"code": row.kpi.code, "year": row.year}


@require_POST
def approve_selected(request: HttpRequest) -> HttpResponse:
    _require_planner(request.user)
    back = next_param(request, reverse("review"))
    ticked = request.POST.getlist("selected")
    if not ticked:
        messages.warning(request, _("Select the values to approve first."))
        return redirect(back)
    ids = id_list_param(ticked) or []
    model = _reviewed_model(request.POST.get("kind", ""))
    related = ("input", "unit") if model is Contribution else ("kpi",)
    actuals = list(model.objects.filter(pk__in=ids).select_related(*related))
    versions = {a.pk: int_param(request.POST.get(f"version-{a.pk}")) for a in actuals}
    if not ids or len(actuals) != len(ids) or None in versions.values():
        messages.error(request, STALE_FORM)
        _keep_ticks(request, ids)
        return redirect(back)
    actuals.sort(key=lambda a: ids.index(a.pk))
    try:
        with transaction.atomic():
            for actual in actuals:
                try:
                    services.approve(
                        user=request.user, actual=actual, seen_version=versions[actual.pk]
                    )
                except services.WorkflowError as exc:
                    raise services.WorkflowError(
                        _("%(code)s %(year)s: %(error)s") % {**_ids(actual), "error": exc}
                    ) from exc
    except services.WorkflowError as exc:
        messages.error(request, _("Nothing was approved: %(error)s") % {"error": exc})
        _keep_ticks(request, ids)
    else:
        messages.success(
            request,
            ngettext(
                "%(n)s value approved and locked: %(values)s.",
                "%(n)s values approved and locked: %(values)s.",
                len(actuals),
            )
            % {
                "n": len(actuals),
                "values": ", ".join("{code} {year}".format(**_ids(a)) for a in actuals),
            },
        )
    return redirect(back)


def _keep_ticks(request: HttpRequest, ids: list[int]) -> None:
    """The ticked values of a refused bulk approval, ticked again on the page."""
    text = ",".join(map(str, ids))
    if len(text) > kept_input.MAX_LENGTH:  # never keep half an id
        text = text[: kept_input.MAX_LENGTH].rpartition(",")[0]
    kept_input.keep_values(request, KEPT_TICKS, {"selected": text})


def progress(request: HttpRequest) -> HttpResponse:
    """Entry progress by unit for a year, and opening or closing years for entry."""
    _require_planner(request.user)
    program = _program_or_404()
    year = _year(request, program, services.latest_open_year(program))
    rows = selectors.progress_by_unit(program, year)
    deadline = services.deadline(program, year)
    for row in rows:
        row.overdue = bool(deadline and deadline.overdue and row.owed)
    rows.sort(key=lambda row: not row.overdue)  # overdue units first, each part by name
    today = services.today_in_almaty()
    years = list(ReportingYear.objects.filter(program=program).order_by("year"))
    for row in years:
        row.open_now = services.window_is_open(row, today)
    ctx = {
        "program": program,
        "year": year,
        "rows": rows,
        "totals": selectors.UnitProgress.summed(rows),
        "years": years,
        "deadline": deadline,
        "late": sum(1 for row in rows if row.overdue),
    }
    return render(request, "kpis/progress.html", ctx)


@require_http_methods(["GET", "POST"])
def set_year(request: HttpRequest, year: int, state: str) -> HttpResponse:
    """Open a year for entry at once; close it only once the planning office has seen what
    is still pending for it and confirmed (GET, or a POST without `confirm`, shows that)."""
    _require_planner(request.user)
    program = _program_or_404()
    if not program.covers(year):
        raise Http404(_("No such year in the program."))
    confirmed = request.method == "POST" and request.POST.get("confirm") == "yes"
    if state == "open" and request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if state == "close" and not confirmed:
        return _confirm_close(request, program, year)
    is_open = state == "open"
    was_open = services.year_is_open(program, year)
    try:
        services.set_year_open(user=request.user, program=program, year=year, is_open=is_open)
    except services.WorkflowError as exc:
        messages.error(request, str(exc))
    else:
        if was_open == is_open:
            already = (
                _("%(year)s was already open for entry; nothing changed.")
                if is_open
                else _("%(year)s was already closed for entry; nothing changed.")
            )
            messages.info(request, already % {"year": year})
        elif is_open:
            messages.success(request, _("%(year)s is open for entry.") % {"year": year})
        else:
            messages.success(
                request,
                _(
                    "%(year)s is closed for entry: department heads can no longer enter or "
                    "change its values."
                )
                % {"year": year},
            )
    return redirect(f"{reverse('progress')}?year={year}")


def _confirm_close(request: HttpRequest, program: Program, year: int) -> HttpResponse:
    """What is still pending for `year`, by state and by unit, before it is closed."""
    rows = selectors.progress_by_unit(program, year)
    ctx = {
        "program": program,
        "year": year,
        "year_open": services.year_is_open(program, year),
        "totals": selectors.UnitProgress.summed(rows),
        "pending": [row for row in rows if row.owed or row.submitted],
    }
    return render(request, "kpis/close_year.html", ctx)


def evidence_download(request: HttpRequest, pk: int) -> FileResponse:
    evidence = get_object_or_404(Evidence.objects.select_related("actual"), pk=pk)
    if not Actual.objects.visible_to(request.user).filter(pk=evidence.actual_id).exists():
        security_log.warning(
            "Refused evidence %s to user %r from %s",
            pk,
            request.user.username,
            client_address(request),
        )
        raise Http404  # do not even confirm that the file exists
    try:
        handle = evidence.file.open("rb")
    except FileNotFoundError:
        raise Http404(_("The file is missing from storage.")) from None
    return FileResponse(
        handle,
        as_attachment=True,
        filename=evidence.original_name,
        content_type=evidence.content_type,
    )


@require_POST
def evidence_delete(request: HttpRequest, pk: int) -> HttpResponse:
    evidence = get_object_or_404(Evidence.objects.select_related("actual__kpi"), pk=pk)
    if not Kpi.objects.editable_by(request.user).filter(pk=evidence.actual.kpi_id).exists():
        raise Http404
    try:
        services.delete_evidence(user=request.user, evidence=evidence)
    except services.WorkflowError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("“%(name)s” removed.") % {"name": evidence.original_name})
    return redirect(next_param(request, reverse("entry")))


@require_POST
def target_change(request: HttpRequest, pk: int) -> HttpResponse:
    _require_planner(request.user)
    target = get_object_or_404(Target.objects.select_related("kpi"), pk=pk)
    form = TargetChangeForm(request.POST, kpi=target.kpi)
    if form.is_valid():
        try:
            services.change_target(
                user=request.user,
                target=target,
                value=form.cleaned_data["value"],
                value2=form.cleaned_data.get("value2"),
                reason=form.cleaned_data["reason"],
            )
        except (services.WorkflowError, services.ValidationError) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        else:
            messages.success(request, _("Target %(year)s changed.") % {"year": target.year})
            return redirect("kpi_detail", code=target.kpi.code)
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    kept_input.keep(request, f"target-{target.pk}", ("value", "value2", "reason"))
    return redirect("kpi_detail", code=target.kpi.code)


@require_http_methods(["GET", "POST"])
def target_revert(request: HttpRequest, history_id: int) -> HttpResponse:
    """Undo a target change: a page shows the change (year, old → new, who, when, why)
    and asks for a reason; only its POST, with the reason, reverts."""
    _require_planner(request.user)
    record = get_object_or_404(Target.history.select_related("history_user"), history_id=history_id)
    target = Target.objects.select_related("kpi").filter(pk=record.id).first()
    if target is None:  # deleted since, with its KPI or on its own
        messages.error(request, _("This target no longer exists; there is nothing to revert."))
        return redirect("program")
    kpi = target.kpi
    previous = record.prev_record
    if previous is None or record.history_type != "~":
        messages.error(request, _("This change cannot be reverted: there is nothing before it."))
        return redirect("kpi_detail", code=kpi.code)
    confirm_url = reverse("target_revert", args=[history_id])
    if request.method == "POST":
        seen = int_param(request.POST.get("seen"))
        try:
            if seen is None:
                raise services.WorkflowError(str(STALE_FORM))
            target = services.revert_target_change(
                user=request.user,
                record=record,
                reason=request.POST.get("reason", ""),
                seen_history_id=seen,
            )
        except services.WorkflowError as exc:
            messages.error(request, str(exc))
            kept_input.keep(request, f"revert-{history_id}", ("reason",))
            return redirect(confirm_url)
        messages.success(
            request,
            _("Target %(year)s of %(code)s restored to %(value)s (the change of %(when)s undone).")
            % {
                "year": target.year,
                "code": kpi.code,
                "value": kpi.measure.display_target(target.value, target.value2),
                "when": timezone.localtime(record.history_date).strftime("%Y-%m-%d %H:%M"),
            },
        )
        return redirect("kpi_detail", code=kpi.code)
    user = record.history_user
    ctx = {
        "kpi": kpi,
        "record": record,
        "who": (user.get_full_name() or user.username) if user else "—",
        "why": describe(record.history_change_reason),
        "old": kpi.measure.display_target(previous.value, previous.value2),
        "new": kpi.measure.display_target(record.value, record.value2),
        "now": kpi.measure.display_target(target.value, target.value2),
        "seen": target.history.values_list("history_id", flat=True).first(),
    }
    # A revert that was refused comes back with the reason as typed, marked.
    kept = kept_input.take(request, f"revert-{history_id}")
    ctx["kept_reason"], ctx["refused"] = kept.get("reason", ""), bool(kept)
    ctx["changed_since"] = ctx["seen"] != record.history_id
    return render(request, "kpis/target_revert.html", ctx)
