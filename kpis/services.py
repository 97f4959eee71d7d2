"""The workflow of actual values and targets. Every write goes through here, whether it
comes from a page, the admin or an import:

    (none) → draft → submitted → approved (locked)
                  ↖ returned ↙        ↘ reopened → returned

Each function checks who may do it, locks the rows it changes and refuses a save made
over a newer version (two people saving the same value: the second is refused)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from simple_history.utils import bulk_create_with_history

from directions.models import Program
from kpis import roles
from kpis.evidence import check_evidence
from kpis.measures import Measure, Values
from kpis.models import (
    PUBLISHED_STATES,
    Actual,
    ActualState,
    Calculation,
    Contribution,
    EntryException,
    Evidence,
    Exemption,
    Input,
    Kpi,
    OrgUnit,
    ReportingYear,
    Target,
)
from kpis.reasons import Reason, recorded
from kpis.signals import announce, data_changed
from kpis.status import Status, assess_kpi

EDITABLE_STATES = {ActualState.DRAFT, ActualState.RETURNED}
CREATED_MEANWHILE = _lazy(
    "Someone else saved this value meanwhile. Your change was not saved; reload the page."
)


class WorkflowError(Exception):
    """An action that cannot be done now; the message is for the user."""


class EntryErrors(WorkflowError):
    """Some rows of an entry are invalid; nothing was saved. `errors` is keyed by each
    entry's `key`."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__(_("Nothing was saved: correct the rows marked in red."))


@dataclass
class Entry:
    """What a person typed for one row in one year: a KPI's university value, or one
    unit's contribution to an input (`input` and `unit` instead of `kpi`)."""

    kpi: Kpi | None = None
    value: Decimal | None = None
    value2: Decimal | None = None
    comment: str = ""
    explanation: str = ""
    seen_version: int | None = None  # the version shown to the user; 0 when none existed
    submit: bool = False
    files: list[UploadedFile] = field(default_factory=list)
    input: Input | None = None
    unit: OrgUnit | None = None
    reason: str = ""  # why the planning office enters a calculated KPI's value itself

    @property
    def key(self) -> str:
        """The row the entry is about, named as the entry page's forms are."""
        return row_key(self.kpi, self.input, self.unit)

    @property
    def measure(self) -> Measure:
        return (self.kpi or self.input).measure

    def new_row(self, year: int) -> Actual | Contribution:
        if self.kpi is not None:
            return Actual(kpi=self.kpi, year=year, version=0)
        return Contribution(input=self.input, unit=self.unit, year=year, version=0)


def row_key(kpi: Kpi | None = None, input: Input | None = None, unit: OrgUnit | None = None):
    """k<kpi> for a KPI's value, i<input>-u<unit> for a unit's contribution."""
    return f"k{kpi.id}" if kpi is not None else f"i{input.id}-u{unit.id}"


def key_of(row: Actual | Contribution) -> str:
    if isinstance(row, Actual):
        return f"k{row.kpi_id}"
    return f"i{row.input_id}-u{row.unit_id}"


def conflict_message(actual: Actual) -> str:
    who = actual.history.first().history_user if actual.history.exists() else None
    return _(
        "Someone else (%(who)s) saved this value at %(when)s after you opened the page. "
        "Your change was not saved; reload the page to see theirs."
    ) % {
        "who": (who.get_full_name() or who.username) if who else "?",
        "when": timezone.localtime(actual.updated_at).strftime("%H:%M"),
    }


def today_in_almaty(now: datetime | None = None) -> date:
    """The calendar day deadlines are counted in (TIME_ZONE), now or at `now`."""
    return timezone.localdate(now or timezone.now())


def window_is_open(row: ReportingYear | None, today: date) -> bool:
    """Whether a year's reporting window lets units enter on `today`: opened by the
    planning office, past its opening day, and not past its close date unless kept open."""
    if row is None or not row.is_open:
        return False
    if row.opens and today < row.opens:
        return False
    return not (row.closes and today > row.closes and not row.keep_open)


def year_is_open(
    program: Program, year: int, *, unit: OrgUnit | None = None, now: datetime | None = None
) -> bool:
    """Whether units may enter `year`'s values now (or at `now`); with `unit`, whether
    that unit may, which an unexpired exception allows after the year closed."""
    today = today_in_almaty(now)
    row = ReportingYear.objects.filter(program=program, year=year).first()
    if window_is_open(row, today):
        return True
    return unit is not None and unit.id in excepted_units(program, year, now=now)


def excepted_units(program: Program, year: int, *, now: datetime | None = None) -> set[int]:
    """The units with an unexpired lock exception for `year`: they may still enter."""
    return set(
        EntryException.objects.filter(
            reporting_year__program=program,
            reporting_year__year=year,
            until__gte=today_in_almaty(now),
        ).values_list("unit_id", flat=True)
    )


@dataclass
class Deadline:
    """A year's due date seen from a day: `days` left (negative once overdue)."""

    due: date
    today: date

    @property
    def days(self) -> int:
        return (self.due - self.today).days

    @property
    def overdue(self) -> bool:
        return self.days < 0

    @property
    def days_late(self) -> int:
        return -self.days


def deadline(program: Program, year: int, *, now: datetime | None = None) -> Deadline | None:
    """When `year`'s values are due, seen from today (or `now`); None without a due date."""
    due = (
        ReportingYear.objects.filter(program=program, year=year)
        .values_list("due", flat=True)
        .first()
    )
    return Deadline(due, today_in_almaty(now)) if due else None


@transaction.atomic
def set_calendar(
    *,
    user,
    program: Program,
    year: int,
    opens: date | None,
    due: date | None,
    closes: date | None,
    keep_open: bool,
) -> ReportingYear:
    """Set a year's reporting window (planning office). Refused with every problem at
    once unless opens ≤ due ≤ closes."""
    _require_planner(user)
    if not program.covers(year):
        raise WorkflowError(_("%(year)s is not a year of the program.") % {"year": year})
    row, _created = ReportingYear.objects.select_for_update().get_or_create(
        program=program, year=year, defaults={"is_open": False}
    )
    row.opens, row.due, row.closes, row.keep_open = opens, due, closes, keep_open
    errors = row.calendar_errors()
    if errors:
        raise ValidationError(errors)
    row.changed_by, row.changed_at = user, timezone.now()
    row._history_user = user
    row._change_reason = recorded(Reason.CALENDAR)
    row.save()
    return row


@transaction.atomic
def grant_exception(
    *, user, program: Program, year: int, unit: OrgUnit, until: date, reason: str = ""
) -> EntryException:
    """Let `unit` enter `year`'s values until `until`, whether the year is open or not."""
    _require_planner(user)
    row = ReportingYear.objects.filter(program=program, year=year).first()
    if row is None:
        raise WorkflowError(_("%(year)s is not a year of the program.") % {"year": year})
    exception, _created = EntryException.objects.select_for_update().get_or_create(
        reporting_year=row, unit=unit, defaults={"until": until}
    )
    exception.until, exception.reason, exception.granted_by = until, reason.strip(), user
    exception._history_user = user
    exception.save()
    return exception


@transaction.atomic
def revoke_exception(*, user, exception: EntryException) -> None:
    _require_planner(user)
    exception._history_user = user
    exception.delete()


def latest_open_year(program: Program) -> int | None:
    row = ReportingYear.objects.filter(program=program, is_open=True).order_by("-year").first()
    return row.year if row else None


def target_of(kpi: Kpi, year: int) -> Target | None:
    return next((t for t in kpi.targets.all() if t.year == year), None)


def misses_target(kpi: Kpi, year: int, value, value2) -> bool:
    target = target_of(kpi, year)
    if target is None or target.value is None:
        return False
    assessment = assess_kpi(kpi, target, Values(value, value2))
    return assessment.status in (Status.CLOSE, Status.BEHIND)


@transaction.atomic
def save_entries(
    *, user, program: Program, year: int, entries: list[Entry]
) -> list[Actual | Contribution]:
    """Save what was typed, as drafts or submitted: KPIs' values and units'
    contributions alike, all rows or none."""
    _check_entry_allowed(user, program, year, entries)
    current = _current_rows(entries, year, lock=True)
    calculated = _calculated(entries)
    errors = _problems(entries, current, year, calculated)
    if errors:
        raise EntryErrors(errors)
    applied = [(e, _apply_entry(user, e, current.get(e.key), year, calculated)) for e in entries]
    changes = [(entry, row) for entry, row in applied if row is not None]
    try:
        with transaction.atomic():
            for model in (Actual, Contribution):
                _write([row for _entry, row in changes if isinstance(row, model)], model)
    except IntegrityError:
        # Another person created one of these rows between our read and our write.
        taken = set(_current_rows([e for e, r in changes if r.pk is None], year, lock=False))
        new = [entry.key for entry, row in changes if row.pk is None]
        raise EntryErrors({key: [CREATED_MEANWHILE] for key in (taken or new)}) from None
    for entry, row in changes:
        for upload in entry.files:
            attach_evidence(actual=row, user=user, upload=upload)
    return [row for _entry, row in changes]


def _write(rows: list, model: type) -> None:
    new = [row for row in rows if row.pk is None]
    # New rows in bulk (an Excel import creates thousands), with their history.
    bulk_create_with_history(new, model, batch_size=500)
    if new:
        data_changed.send(sender=model)  # bulk_create sends no post_save
    for row in rows:
        if row not in new:
            row.save()


def check_entries(*, user, program: Program, year: int, entries: list[Entry]) -> dict:
    """What saving `entries` now would refuse, row by row (keyed by entry.key), without
    saving anything: a page shows these beside its own form errors, so every problem is
    seen at once."""
    _check_entry_allowed(user, program, year, entries)
    current = _current_rows(entries, year, lock=False)
    return _problems(entries, current, year, _calculated(entries))


def _calculated(entries: list[Entry]) -> set[int]:
    """The KPIs among the entries' whose value is calculated from inputs."""
    kpi_ids = {entry.kpi.id for entry in entries if entry.kpi is not None}
    return set(Calculation.objects.filter(kpi_id__in=kpi_ids).values_list("kpi_id", flat=True))


def _current_rows(entries: list[Entry], year: int, *, lock: bool) -> dict:
    """The stored rows the entries are about, by entry key (locked when saving)."""
    kpi_ids = [entry.kpi.id for entry in entries if entry.kpi is not None]
    inputs = {entry.input.id for entry in entries if entry.input is not None}
    units = {entry.unit.id for entry in entries if entry.input is not None}
    actuals = Actual.objects.filter(kpi_id__in=kpi_ids, year=year)
    parts = Contribution.objects.filter(input_id__in=inputs, unit_id__in=units, year=year)
    if lock:
        actuals, parts = actuals.select_for_update(), parts.select_for_update()
    rows = list(actuals) + (list(parts) if inputs else [])
    wanted = {entry.key for entry in entries}
    return {key_of(row): row for row in rows if key_of(row) in wanted}


def _check_entry_allowed(user, program: Program, year: int, entries: list[Entry]) -> None:
    if not roles.is_planner(user) and not year_is_open(program, year):
        excepted = excepted_units(program, year)
        units = {entry.kpi.owner_id if entry.kpi else entry.unit.id for entry in entries}
        if not units or not units <= excepted:
            raise WorkflowError(_("%(year)s is closed for entry.") % {"year": year})
    kpi_ids = {entry.kpi.id for entry in entries if entry.kpi is not None}
    allowed = set(Kpi.objects.editable_by(user).filter(id__in=kpi_ids).values_list("id", flat=True))
    if allowed != kpi_ids:
        raise PermissionDenied(_("You may not enter values for some of these KPIs."))
    if kpi_ids and not roles.is_planner(user) and _calculated(entries):
        raise PermissionDenied(
            _(
                "A calculated KPI's value comes from its units' inputs; "
                "only the planning office may enter it instead."
            )
        )
    reportable = reportable_pairs(user, {entry.input.id for entry in entries if entry.input})
    if any(entry.input and (entry.input.id, entry.unit.id) not in reportable for entry in entries):
        raise PermissionDenied(_("You may not report some of these inputs for this unit."))


def reportable_pairs(user, input_ids: set[int]) -> set[tuple[int, int]]:
    """(input, unit) pairs among `input_ids` that `user` may report: a unit that reports
    the input and that they head, or any such unit for the planning office."""
    if not input_ids or not user.is_authenticated or not user.is_active:
        return set()
    reporters = Input.reporters.through.objects.filter(input_id__in=input_ids)
    if not roles.is_planner(user):
        if not roles.is_department_head(user):
            return set()
        reporters = reporters.filter(orgunit__heads=user)
    return set(reporters.values_list("input_id", "orgunit_id"))


def _problems(
    entries: list[Entry], current: dict[str, object], year: int, calculated: set[int]
) -> dict:
    errors = {}
    for entry in entries:
        overriding = entry.kpi is not None and entry.kpi.id in calculated
        problems = _entry_problems(entry, current.get(entry.key), year, overriding=overriding)
        if problems:
            errors[entry.key] = problems
    return errors


class Problem(str):
    """Why a row is refused, for the user; `code` says which rule refused it."""

    def __new__(cls, message: str, code: str) -> Problem:
        problem = super().__new__(cls, message)
        problem.code = code
        return problem


TEXT_LIMIT = 2000  # a comment or an explanation, whichever way it is entered


def _entry_problems(entry: Entry, actual, year: int, *, overriding: bool = False) -> list[Problem]:
    if actual and actual.state not in EDITABLE_STATES and _already_done(entry, actual):
        return []  # the same request again (a double click): nothing left to do
    version = actual.version if actual else 0
    if entry.seen_version is not None and entry.seen_version != version:
        if actual is None:
            return [Problem(_("This value was deleted meanwhile."), "deleted")]
        return [Problem(conflict_message(actual), "conflict")]
    if actual and actual.state not in EDITABLE_STATES:
        message = _("This value is %(state)s and can no longer be changed here.")
        return [Problem(message % {"state": actual.get_state_display()}, "locked")]
    problems = _value_problems(entry)
    if overriding and not entry.reason.strip():
        message = _(
            "This KPI is calculated from its units' inputs: entering its value instead "
            "needs a reason (e.g. persons counted in two faculties)."
        )
        problems.append(Problem(message, "needs_reason"))
    if (
        entry.kpi is not None
        and entry.submit
        and not problems
        and not entry.explanation.strip()
        and misses_target(entry.kpi, year, entry.value, entry.value2)
    ):
        message = _("This value misses its target: explain why before submitting.")
        problems.append(Problem(message, "needs_explanation"))
    return problems + _file_problems(entry, actual)


def _value_problems(entry: Entry) -> list[Problem]:
    problems = []
    try:
        entry.measure.check(entry.value, entry.value2)
    except ValidationError as exc:
        problems.extend(Problem(message, "invalid") for message in exc.messages)
    if entry.submit and entry.value is None:
        problems.append(Problem(_("Enter a value before submitting it."), "needs_value"))
    too_long = (
        (
            entry.comment,
            _("The comment has %(n)s characters; at most %(max)s are kept. Shorten it."),
        ),
        (
            entry.explanation,
            _("The explanation has %(n)s characters; at most %(max)s are kept. Shorten it."),
        ),
    )
    for text, message in too_long:
        if len(text.strip()) > TEXT_LIMIT:
            n = len(text.strip())
            problems.append(Problem(message % {"n": n, "max": TEXT_LIMIT}, "long"))
    return problems


def _file_problems(entry: Entry, actual: Actual | None) -> list[Problem]:
    problems = []
    for upload in entry.files:
        try:
            check_evidence(upload)
        except ValidationError as exc:
            problems.extend(Problem(message, "file") for message in exc.messages)
    if entry.files:
        kept = actual.evidence.count() if actual and actual.pk else 0
        if kept + len(entry.files) > settings.EVIDENCE_MAX_FILES:
            problems.append(Problem(too_many_files_message(kept), "too_many_files"))
    return problems


def too_many_files_message(kept: int) -> str:
    return _(
        "A value may have at most %(max)s evidence files; it has %(kept)s. "
        "Put several pages in one PDF, or remove a file first."
    ) % {"max": settings.EVIDENCE_MAX_FILES, "kept": kept}


def _already_done(entry: Entry, actual: Actual) -> bool:
    """The entry asks for what the stored value already is: submitted as typed."""
    return (
        entry.submit
        and actual.state == ActualState.SUBMITTED
        and not entry.files
        and (entry.value, entry.value2) == (actual.value, actual.value2)
        and entry.comment.strip() == actual.comment
        and entry.explanation.strip() == actual.explanation
    )


def _apply_entry(user, entry: Entry, actual, year: int, calculated: set[int]):
    """Put what was typed on the value or contribution; None when there is nothing to
    save."""
    if actual is not None and _already_done(entry, actual):
        return None
    values = {
        "value": entry.value,
        "value2": entry.value2,
        "comment": entry.comment.strip(),
        "explanation": entry.explanation.strip(),
    }
    if entry.kpi is not None and entry.kpi.id in calculated:
        values["override_reason"] = entry.reason.strip()
    if actual is None:
        untouched = entry.value is None and not values["comment"] and not entry.files
        if untouched and not entry.submit:
            return None
        actual = entry.new_row(year)
    changed = actual.pk is None or any(getattr(actual, k) != v for k, v in values.items())
    if not (changed or entry.submit or entry.files):
        return None
    for name, value in values.items():
        setattr(actual, name, value)
    actual.entered_by = user
    if entry.submit:
        actual.state = ActualState.SUBMITTED
        actual.submitted_by, actual.submitted_at = user, timezone.now()
    actual.version += 1
    actual._history_user = user
    actual._change_reason = recorded(Reason.SUBMITTED if entry.submit else Reason.SAVED_DRAFT)
    return actual


def attach_evidence(*, actual: Actual | Contribution, user, upload: UploadedFile) -> Evidence:
    """A file backing `actual`: a KPI's value or a unit's contribution."""
    kept = actual.evidence.count()
    if kept >= settings.EVIDENCE_MAX_FILES:
        raise WorkflowError(too_many_files_message(kept))
    checked = check_evidence(upload)
    owner = {"actual": actual} if isinstance(actual, Actual) else {"contribution": actual}
    evidence = Evidence(
        **owner,
        original_name=upload.name[:255],
        content_type=checked.content_type,
        size=upload.size,
        uploaded_by=user,
    )
    evidence.file.save(f"upload{checked.extension}", upload, save=False)
    evidence._history_user = user
    evidence.save()
    return evidence


@transaction.atomic
def delete_evidence(*, user, evidence: Evidence) -> None:
    actual = _lock(evidence.owner, None)
    if not may_write(user, actual):
        raise PermissionDenied
    if actual.state not in EDITABLE_STATES:
        raise WorkflowError(_("Evidence of a submitted or approved value cannot be removed."))
    evidence._history_user = user
    evidence.file.delete(save=False)
    evidence.delete()


@transaction.atomic
def approve(*, user, actual: Actual, seen_version: int | None = None) -> Actual:
    _require_planner(user)
    actual = _lock(actual, seen_version)
    if actual.state != ActualState.SUBMITTED:
        raise WorkflowError(_("Only a submitted value can be approved."))
    actual.state = ActualState.APPROVED
    actual.approved_by, actual.approved_at = user, timezone.now()
    actual.return_reason = ""
    _save(actual, user, recorded(Reason.APPROVED))
    announce(actual, "approved", user, "")
    return actual


@transaction.atomic
def return_for_revision(*, user, actual: Actual, reason: str, seen_version=None) -> Actual:
    _require_planner(user)
    reason = _require_reason(reason)
    actual = _lock(actual, seen_version)
    if actual.state != ActualState.SUBMITTED:
        raise WorkflowError(_("Only a submitted value can be returned."))
    actual.state = ActualState.RETURNED
    actual.return_reason = reason
    _save(actual, user, recorded(Reason.RETURNED, reason))
    announce(actual, "returned", user, reason)
    return actual


@transaction.atomic
def reopen(*, user, actual: Actual, reason: str, seen_version=None) -> Actual:
    _require_planner(user)
    reason = _require_reason(reason)
    actual = _lock(actual, seen_version)
    if actual.state != ActualState.APPROVED:
        raise WorkflowError(_("Only an approved value can be reopened."))
    actual.state = ActualState.RETURNED
    actual.return_reason = reason
    actual.approved_by, actual.approved_at = None, None
    _save(actual, user, recorded(Reason.REOPENED, reason))
    announce(actual, "reopened", user, reason)
    return actual


@transaction.atomic
def set_year_open(*, user, program: Program, year: int, is_open: bool) -> ReportingYear:
    """Open or close a year for entry. A year already so is left alone: the history
    records only what changed."""
    _require_planner(user)
    if not program.covers(year):
        raise WorkflowError(_("%(year)s is not a year of the program.") % {"year": year})
    row, _created = ReportingYear.objects.select_for_update().get_or_create(
        program=program, year=year, defaults={"is_open": not is_open}
    )
    if row.is_open == is_open:
        return row
    row.is_open = is_open
    row.changed_by, row.changed_at = user, timezone.now()
    row._history_user = user
    row._change_reason = recorded(Reason.YEAR_OPENED if is_open else Reason.YEAR_CLOSED)
    row.save()
    return row


@transaction.atomic
def change_target(
    *,
    user,
    target: Target,
    value: Decimal | None,
    value2: Decimal | None,
    reason: str,
    code: Reason = Reason.TARGET_CHANGED,
) -> Target:
    """Change a yearly target; the planning office must say why (an import says so
    by its `code`)."""
    _require_planner(user)
    reason = _require_reason(reason) if code == Reason.TARGET_CHANGED else reason
    target = Target.objects.select_for_update().get(pk=target.pk)
    target.kpi.measure.check(value, value2)
    target.value, target.value2 = value, value2
    target.raw_text = ""  # no longer what the program document wrote
    target._history_user = user
    target._change_reason = recorded(code, reason)
    target.save()
    return target


REVERTED_MEANWHILE = _lazy(
    "Nothing was reverted: the target was changed again after you opened this page. "
    "Look at its history again."
)


@transaction.atomic
def revert_target_change(
    *, user, record, reason: str, seen_history_id: int | None = None
) -> Target:
    """Undo one recorded target change by restoring the values before it. The planning
    office says why; the history keeps the time of the change undone and that reason
    ("2026-01-05 10:00 — <reason>"). `seen_history_id` is the target's latest record
    when the planner looked: a change made since is not undone along with this one."""
    _require_planner(user)
    reason = (reason or "").strip()
    if not reason:
        raise WorkflowError(
            _("Nothing was reverted: give a reason for reverting the change; the history keeps it.")
        )
    previous = record.prev_record
    if previous is None or record.history_type != "~":
        raise WorkflowError(
            _("This is the first version of the target; there is nothing to revert to.")
        )
    target = Target.objects.select_for_update().filter(pk=record.id).first()
    if target is None:
        raise WorkflowError(_("This target no longer exists; there is nothing to revert."))
    if seen_history_id is not None:
        latest = target.history.values_list("history_id", flat=True).first()
        if latest != seen_history_id:
            raise WorkflowError(str(REVERTED_MEANWHILE))
    target.value, target.value2, target.raw_text = (
        previous.value,
        previous.value2,
        previous.raw_text,
    )
    undone = timezone.localtime(record.history_date).strftime("%Y-%m-%d %H:%M")
    target._history_user = user
    target._change_reason = recorded(Reason.REVERTED, f"{undone} — {reason}")
    target.save()
    return target


def _require_planner(user) -> None:
    if not roles.is_planner(user):
        raise PermissionDenied(_("Only the planning office may do this."))


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise WorkflowError(_("Give a reason: the department and the history will show it."))
    return reason


def may_write(user, row: Actual | Contribution) -> bool:
    """Whether `user` may change `row` (a KPI's value or a unit's contribution)."""
    if isinstance(row, Actual):
        return Kpi.objects.editable_by(user).filter(pk=row.kpi_id).exists()
    return (row.input_id, row.unit_id) in reportable_pairs(user, {row.input_id})


def is_calculated(kpi: Kpi) -> bool:
    """Whether the KPI's value is calculated from inputs (a Calculation exists)."""
    try:
        return kpi.calculation is not None
    except Calculation.DoesNotExist:
        return False


def _lock(actual, seen_version: int | None):
    locked = type(actual).objects.select_for_update().get(pk=actual.pk)
    if seen_version is not None and locked.version != seen_version:
        raise WorkflowError(conflict_message(locked))
    return locked


def _save(actual: Actual, user, reason: str) -> None:
    actual.version += 1
    actual._history_user = user
    actual._change_reason = reason
    actual.save()


# --- Targets created in the administration ---


@transaction.atomic
def set_target(
    *,
    user,
    kpi: Kpi,
    year: int,
    value: Decimal | None,
    value2: Decimal | None,
    reason: str,
    code: Reason = Reason.TARGET_CHANGED,
) -> Target:
    """Set a KPI's target for a year of its program: change the one there is (see
    change_target) or create it. The planning office must say why; the history keeps it."""
    _require_planner(user)
    reason = _require_reason(reason) if code == Reason.TARGET_CHANGED else reason
    program = kpi.program
    if not program.covers(year):
        raise WorkflowError(
            _("The year must lie within the program, %(start)s–%(end)s.")
            % {"start": program.start_year, "end": program.end_year}
        )
    existing = Target.objects.select_for_update().filter(kpi=kpi, year=year).first()
    if existing is not None:
        return change_target(
            user=user, target=existing, value=value, value2=value2, reason=reason, code=code
        )
    kpi.measure.check(value, value2)
    target = Target(kpi=kpi, year=year, value=value, value2=value2)
    target._history_user = user
    target._change_reason = recorded(code, reason)
    try:
        with transaction.atomic():
            target.save()
    except IntegrityError:
        raise WorkflowError(str(CREATED_MEANWHILE)) from None
    return target


# --- Units with nothing to report ("not applicable") ---


@transaction.atomic
def exempt(*, user, input: Input, unit: OrgUnit, year: int, reason: str) -> Exemption:
    """Mark `unit` as having nothing to report of `input` in `year` (a faculty without
    postgraduates): its part is no longer waited for and counts as nothing. The
    planning office says why; the history keeps who, when and why."""
    _require_planner(user)
    reason = (reason or "").strip()
    problems = []
    if not reason:
        problems.append(_("Give a reason: the history and the unit will see it."))
    elif len(reason) > TEXT_LIMIT:
        problems.append(
            _("The reason has %(n)s characters; at most %(max)s are kept. Shorten it.")
            % {"n": len(reason), "max": TEXT_LIMIT}
        )
    if not input.reporters.filter(pk=unit.pk).exists():
        problems.append(
            _("%(unit)s does not report %(input)s: there is nothing to exempt it from.")
            % {"unit": unit, "input": input}
        )
    if not input.program.covers(year):
        problems.append(_("%(year)s is not a year of the program.") % {"year": year})
    counted = (
        Contribution.objects.select_for_update()
        .filter(input=input, unit=unit, year=year, state__in=PUBLISHED_STATES)
        .first()
    )
    if counted is not None:
        problems.append(
            _(
                "%(unit)s has already %(state)s its figure of %(input)s for %(year)s: "
                "return or reopen it first, so that nothing counted is hidden."
            )
            % {
                "unit": unit,
                "state": counted.get_state_display(),
                "input": input,
                "year": year,
            }
        )
    if problems:
        raise WorkflowError(" ".join(str(p) for p in problems))
    existing = Exemption.objects.select_for_update().filter(input=input, unit=unit, year=year)
    exemption = existing.first() or Exemption(input=input, unit=unit, year=year)
    exemption.reason = reason
    exemption.decided_by = user
    exemption._history_user = user
    exemption._change_reason = recorded(Reason.EXEMPTED, reason)
    try:
        with transaction.atomic():
            exemption.save()
    except IntegrityError:
        raise WorkflowError(str(CREATED_MEANWHILE)) from None
    return exemption


@transaction.atomic
def withdraw_exemption(*, user, exemption: Exemption, reason: str = "") -> None:
    """The unit reports the input for that year after all; the history keeps the
    exemption and its withdrawal."""
    _require_planner(user)
    exemption = Exemption.objects.select_for_update().filter(pk=exemption.pk).first()
    if exemption is None:
        return  # withdrawn meanwhile: what was asked is done
    exemption._history_user = user
    exemption._change_reason = recorded(Reason.EXEMPTION_WITHDRAWN, reason)
    exemption.delete()
