"""Admin import and export of targets and actual values (django-import-export).

Rows name a KPI by its code within the current program and a year. An import is not
written row by row as django-import-export does by itself: every row is read and
checked first — KPI, year, numbers, state, duplicates, permissions, locks — so that a bad
cell becomes a message for its row and never reaches the database; then the rows are
handed to the workflow (kpis.services), the same functions the entry and review pages
call, all in one transaction. Any problem in any row rolls the whole file back, and the
preview lists every row's problems at once. The preview runs exactly this code and rolls
it back."""

from __future__ import annotations

import logging
from copy import deepcopy
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.validators import MaxLengthValidator
from django.db import DatabaseError, transaction
from django.utils.translation import gettext as _
from import_export import exceptions, fields, resources, widgets
from import_export.results import Error, RowResult

from directions.selectors import current_program
from kpis import roles, services
from kpis.models import Actual, ActualState, Kpi, ReportingYear, Target
from kpis.reasons import Reason
from kpis.values import plain
from kpis.workbooks import escape_formula

TEXT_LIMIT = 2000  # as on the entry page
IMPORTED_STATES = (ActualState.DRAFT, ActualState.SUBMITTED, ActualState.APPROVED)

logger = logging.getLogger(__name__)


class EscapedTextWidget(widgets.CharWidget):
    """Text that a spreadsheet will never run as a formula (see escape_formula)."""

    def render(self, value, obj=None, **kwargs):
        return escape_formula(super().render(value, obj, **kwargs))


def _text_field(attribute: str) -> fields.Field:
    return fields.Field(attribute=attribute, column_name=attribute, widget=EscapedTextWidget())


class KpiCodeWidget(widgets.ForeignKeyWidget):
    """A KPI written as its code."""

    def __init__(self) -> None:
        super().__init__(Kpi, field="code")


def _number_field(attribute: str) -> fields.Field:
    return fields.Field(
        attribute=attribute,
        column_name=attribute,
        widget=widgets.DecimalWidget(coerce_to_string=False),
    )


class PlainDiff(resources.Diff):
    """The preview's before and after as people write numbers: 71, not 71.0000 or None."""

    @classmethod
    def _read_field_values(cls, resource, instance):
        values = super()._read_field_values(resource, instance)
        return [plain(v) if isinstance(v, Decimal) else ("" if v is None else v) for v in values]


class ImportProblem(Exception):
    """A problem with the whole file; the message is for the user."""


class _Rollback(Exception):
    """Leaves the transaction of a preview, or of a file with errors, unwritten."""


@dataclass
class ImportRow:
    """One row of the file as read, what it asks for and what is wrong with it."""

    number: int
    cells: dict
    kpi: Kpi | None = None
    year: int | None = None
    value: Decimal | None = None
    value2: Decimal | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)
    extra: dict = field(default_factory=dict)  # what a resource reads beyond the above

    def fail(self, column: str, message) -> None:
        self.errors.setdefault(column, []).extend(
            message.messages if isinstance(message, ValidationError) else [str(message)]
        )

    @property
    def key(self) -> tuple[int, int]:
        return (self.kpi.id, self.year)

    @property
    def label(self) -> str:
        return f"{self.kpi.code}/{self.year}"


class _WorkflowResource(resources.ModelResource):
    """Reads and checks every row, then writes the valid file through the services."""

    kpi = fields.Field(attribute="kpi", column_name="kpi", widget=KpiCodeWidget())
    value = _number_field("value")
    value2 = _number_field("value2")

    required_columns = ("kpi", "year", "value")

    def get_diff_class(self):
        return PlainDiff

    def __init__(self, *, user=None, **kwargs):
        super().__init__(**kwargs)
        self.user = user

    def before_import(self, dataset, **kwargs):
        self.user = kwargs.get("user") or self.user

    def get_export_queryset(self, request=None, **kwargs):
        return self._meta.model.objects.filter(kpi__program=current_program()).select_related("kpi")

    # django-import-export calls this inside its own transaction, which it rolls back
    # for a preview; the savepoint below makes the all-or-nothing rule independent of it.
    def import_data_inner(
        self, dataset, dry_run, raise_errors, using_transactions, collect_failed_rows, **kwargs
    ):
        result = self.get_result_class()()
        result.diff_headers = self.get_diff_headers()
        result.total_rows = len(dataset)
        self.before_import(dataset, **kwargs)
        try:
            rows = self._read(dataset)
            self.check_rows(rows, **kwargs)
        except ImportProblem as problem:
            result.append_base_error(Error(problem))
            return result
        outcomes = {}
        try:
            with transaction.atomic():
                self.apply([row for row in rows if not row.errors], **kwargs)
                if not any(row.errors for row in rows):
                    outcomes = self.outcomes(rows)
                if dry_run or any(row.errors for row in rows):
                    raise _Rollback
        except _Rollback:
            pass
        except DatabaseError:
            # Every check the database makes is made above first; reaching here is a bug.
            logger.exception("Admin import of %s failed in the database", self._meta.model)
            result.append_base_error(
                Error(ImportProblem(_("The file could not be imported; nothing was saved.")))
            )
            return result
        for row in rows:
            self._report(result, row, outcomes.get(row.number))
        if raise_errors and (result.has_errors() or result.has_validation_errors()):
            raise exceptions.ImportError(_("Nothing was imported."))
        return result

    # --- reading ---

    def _read(self, dataset) -> list[ImportRow]:
        headers = [str(h or "").strip() for h in (dataset.headers or [])]
        missing = [column for column in self.required_columns if column not in headers]
        if missing:
            raise ImportProblem(
                _("The file has no column %(columns)s. Its first row names the columns: %(all)s.")
                % {"columns": ", ".join(missing), "all": ", ".join(self.column_names())}
            )
        self.columns = set(headers)
        program = current_program()
        if program is None:
            raise ImportProblem(_("No program is loaded."))
        self.program = program
        self.kpis = {
            kpi.code: kpi
            for kpi in Kpi.objects.filter(program=program)
            .select_related("owner")
            .prefetch_related("targets")
        }
        rows = []
        for number, values in enumerate(dataset, 1):
            cells = dict(zip(headers, values, strict=False))
            if all(_blank(v) for v in cells.values()):
                continue
            row = ImportRow(number=number, cells=cells)
            self._read_common(row)
            self.read_row(row)
            rows.append(row)
        self._refuse_duplicates(rows)
        return rows

    def column_names(self) -> list[str]:
        return [f.column_name for f in self.get_import_fields()]

    def _read_common(self, row: ImportRow) -> None:
        code = _text(row.cells.get("kpi"))
        row.kpi = self.kpis.get(code)
        if row.kpi is None:
            row.fail("kpi", _("Unknown KPI code “%(code)s”.") % {"code": code})
        row.year = _year(row, self.program)
        if row.kpi is not None:
            _read_value(row, row.kpi.measure)

    def _refuse_duplicates(self, rows: list[ImportRow]) -> None:
        by_key: dict[tuple[int, int], list[ImportRow]] = {}
        for row in rows:
            if row.kpi is not None and row.year is not None:
                by_key.setdefault(row.key, []).append(row)
        for same in by_key.values():
            if len(same) > 1:
                numbers = ", ".join(str(row.number) for row in same)
                message = _("KPI %(code)s %(year)s is in more than one row (rows %(rows)s).")
                for row in same:
                    row.fail(
                        NON_FIELD_ERRORS,
                        message % {"code": row.kpi.code, "year": row.year, "rows": numbers},
                    )

    def read_row(self, row: ImportRow) -> None:
        """Read the columns a resource adds."""

    def check_rows(self, rows: list[ImportRow], **kwargs) -> None:
        """Check what needs the database: permissions, locks, versions."""

    def apply(self, rows: list[ImportRow], **kwargs) -> None:
        """Write the rows through the services; problems go on the rows."""
        raise NotImplementedError

    def outcomes(self, rows: list[ImportRow]) -> dict[int, RowResult]:
        """Each written row's result (new, update or skip) with its difference."""
        raise NotImplementedError

    # --- reporting ---

    def _report(self, result, row: ImportRow, outcome: RowResult | None) -> None:
        if row.errors:
            outcome = self.get_row_result_class()()
            outcome.import_type = RowResult.IMPORT_TYPE_INVALID
            outcome.validation_error = ValidationError(row.errors)
            result.append_invalid_row(row.number, row.cells, outcome.validation_error)
        elif outcome is None:  # a valid row while another one failed: nothing was written
            return
        result.increment_row_result_total(outcome)
        result.append_row_result(outcome)

    def _outcome(self, before, after, *, new: bool) -> RowResult:
        outcome = self.get_row_result_class()()
        if after is None:
            outcome.import_type = RowResult.IMPORT_TYPE_SKIP
            after = before
        elif new:
            outcome.import_type = RowResult.IMPORT_TYPE_NEW
        elif self.changed(before, after):
            outcome.import_type = RowResult.IMPORT_TYPE_UPDATE
        else:
            outcome.import_type = RowResult.IMPORT_TYPE_SKIP
        diff = self.get_diff_class()(self, before, new)
        diff.compare_with(self, after)
        outcome.diff = diff.as_html()
        if outcome.import_type != RowResult.IMPORT_TYPE_SKIP:
            outcome.add_instance_info(after)
            outcome.instance = after
        return outcome

    def changed(self, before, after) -> bool:
        raise NotImplementedError


class TargetResource(_WorkflowResource):
    """Targets by KPI and year. `raw_text` (the cell as the program document wrote it) is
    exported for reference; an imported target is no longer what the document wrote."""

    raw_text = _text_field("raw_text")

    class Meta:
        model = Target
        import_id_fields = ("kpi", "year")
        fields = ("kpi", "year", "value", "value2", "raw_text")
        export_order = ("kpi", "year", "value", "value2", "raw_text")

    def check_rows(self, rows: list[ImportRow], **kwargs) -> None:
        if not roles.is_planner(self.user):
            raise ImportProblem(_("Only the planning office may do this."))
        current = Target.objects.filter(kpi__in={r.kpi for r in rows if r.kpi}).select_related(
            "kpi"
        )
        self.current = {(t.kpi_id, t.year): t for t in current}

    def apply(self, rows: list[ImportRow], **kwargs) -> None:
        self.written = {}
        for row in rows:
            before = self.current.get(row.key)
            if before is not None and (before.value, before.value2) == (row.value, row.value2):
                continue
            try:
                self.written[row.number] = services.set_target(
                    user=self.user,
                    kpi=row.kpi,
                    year=row.year,
                    value=row.value,
                    value2=row.value2,
                    reason="",
                    code=Reason.IMPORTED,
                )
            except ValidationError as exc:
                row.fail("value", exc)
            except (services.WorkflowError, PermissionDenied) as exc:
                row.fail(NON_FIELD_ERRORS, str(exc) or _("Only the planning office may do this."))

    def outcomes(self, rows: list[ImportRow]) -> dict[int, RowResult]:
        results = {}
        for row in rows:
            before = self.current.get(row.key)
            after = self.written.get(row.number)
            blank = Target(kpi=row.kpi, year=row.year)
            results[row.number] = self._outcome(
                before or blank, after, new=before is None and after is not None
            )
        return results

    def changed(self, before: Target, after: Target) -> bool:
        return (before.value, before.value2) != (after.value, after.value2)


class ActualResource(_WorkflowResource):
    """Actual values by KPI and year. `state` is what the importer wants to happen: a
    draft is saved as a draft, `submitted` is submitted, `approved` is submitted and then
    approved by the importer — the same rules as the entry and review pages. `version`
    (exported) is the version the file was made from: a value changed since is refused."""

    comment = _text_field("comment")
    explanation = _text_field("explanation")
    state = fields.Field(attribute="state", column_name="state")
    version = fields.Field(
        attribute="version", column_name="version", widget=widgets.IntegerWidget()
    )

    class Meta:
        model = Actual
        import_id_fields = ("kpi", "year")
        fields = ("kpi", "year", "value", "value2", "state", "comment", "explanation", "version")
        export_order = fields

    def read_row(self, row: ImportRow) -> None:
        state = _text(row.cells.get("state")).lower() or ActualState.DRAFT
        if state not in IMPORTED_STATES:
            row.fail(
                "state",
                _("Unknown state “%(state)s”: write draft, submitted or approved.")
                % {"state": _text(row.cells.get("state"))},
            )
        row.extra["state"] = state
        for column in ("comment", "explanation"):
            if column in self.columns:
                text = _text(row.cells.get(column))
                try:
                    MaxLengthValidator(TEXT_LIMIT)(text)
                except ValidationError as exc:
                    row.fail(column, exc)
                row.extra[column] = text
        version = row.cells.get("version")
        if not _blank(version):
            try:
                row.extra["version"] = _whole(version, minimum=0)
            except ValueError:
                row.fail("version", _("The version is a whole number; copy it from the export."))

    def check_rows(self, rows: list[ImportRow], *, seen_versions=None, **kwargs) -> None:
        """What the entry form checks before saving: whose KPI, which years are open, what
        is locked — so a file is refused row by row, with every reason at once."""
        checked = [row for row in rows if row.kpi is not None and row.year is not None]
        editable = set(
            Kpi.objects.editable_by(self.user)
            .filter(id__in={row.kpi.id for row in checked})
            .values_list("id", flat=True)
        )
        planner = roles.is_planner(self.user)
        open_years = set(
            ReportingYear.objects.filter(program=self.program, is_open=True).values_list(
                "year", flat=True
            )
        )
        self.current = {
            (a.kpi_id, a.year): a
            for a in Actual.objects.filter(
                kpi__in={row.kpi for row in checked}, year__in={row.year for row in checked}
            ).select_related("kpi")
        }
        recorded = kwargs.get("seen_versions_out")
        for row in checked:
            current = self.current.get(row.key)
            if recorded is not None:
                recorded[row.label] = current.version if current else 0
            row.extra["seen"] = row.extra.get("version", (seen_versions or {}).get(row.label))
            if row.kpi.id not in editable:
                row.fail(
                    NON_FIELD_ERRORS,
                    _("You may not enter values for KPI %(code)s.") % {"code": row.kpi.code},
                )
            elif row.extra["state"] == ActualState.APPROVED and not planner:
                row.fail("state", _("Only the planning office may do this."))
            elif not planner and row.year not in open_years:
                row.fail("year", _("%(year)s is closed for entry.") % {"year": row.year})
            elif (
                current is not None
                and current.state == ActualState.APPROVED
                and not self._same(row, current, state=True)
            ):
                row.fail(
                    NON_FIELD_ERRORS,
                    _("KPI %(code)s %(year)s is approved and locked; reopen it first.")
                    % {"code": row.kpi.code, "year": row.year},
                )

    def _same(self, row: ImportRow, actual: Actual, *, state: bool) -> bool:
        return (
            (row.value, row.value2) == (actual.value, actual.value2)
            and row.extra.get("comment", actual.comment) == actual.comment
            and row.extra.get("explanation", actual.explanation) == actual.explanation
            and (not state or row.extra["state"] == actual.state)
        )

    def apply(self, rows: list[ImportRow], **kwargs) -> None:
        """Save and submit through save_entries, one call per year, then approve."""
        self.before = {row.number: deepcopy(self.current.get(row.key)) for row in rows}
        to_approve: list[tuple[ImportRow, int | None]] = []
        by_year: dict[int, list[tuple[ImportRow, services.Entry]]] = {}
        for row in rows:
            current, wanted = self.current.get(row.key), row.extra["state"]
            if current is not None and self._same(row, current, state=True):
                continue  # nothing asked
            if (
                current is not None
                and current.state == ActualState.SUBMITTED
                and wanted == ActualState.APPROVED
                and self._same(row, current, state=False)
            ):
                to_approve.append((row, row.extra["seen"]))  # only the approval is asked
                continue
            by_year.setdefault(row.year, []).append((row, self._entry(row, current)))
            if wanted == ActualState.APPROVED:
                to_approve.append((row, None))  # submitted just now, under this lock
        for year, pairs in sorted(by_year.items()):
            self._save_year(year, pairs)
        for row, seen in to_approve:
            if row.errors:
                continue
            actual = Actual.objects.get(kpi=row.kpi, year=row.year)
            try:
                services.approve(user=self.user, actual=actual, seen_version=seen)
            except (services.WorkflowError, PermissionDenied) as exc:
                row.fail(NON_FIELD_ERRORS, str(exc) or _("Only the planning office may do this."))

    def _entry(self, row: ImportRow, current: Actual | None) -> services.Entry:
        return services.Entry(
            kpi=row.kpi,
            value=row.value,
            value2=row.value2,
            comment=row.extra.get("comment", current.comment if current else ""),
            explanation=row.extra.get("explanation", current.explanation if current else ""),
            seen_version=row.extra["seen"],
            submit=row.extra["state"] != ActualState.DRAFT,
        )

    def _save_year(self, year: int, pairs: list[tuple[ImportRow, services.Entry]]) -> None:
        try:
            services.save_entries(
                user=self.user, program=self.program, year=year, entries=[e for _r, e in pairs]
            )
        except services.EntryErrors as exc:
            by_key = {entry.key: row for row, entry in pairs}
            for key, problems in exc.errors.items():
                for problem in problems:
                    by_key[key].fail(NON_FIELD_ERRORS, problem)
        except (services.WorkflowError, PermissionDenied) as exc:
            for row, _entry in pairs:
                row.fail(NON_FIELD_ERRORS, str(exc) or _("Only the planning office may do this."))

    def outcomes(self, rows: list[ImportRow]) -> dict[int, RowResult]:
        now = {
            (a.kpi_id, a.year): a
            for a in Actual.objects.filter(
                kpi__in={row.kpi for row in rows}, year__in={row.year for row in rows}
            ).select_related("kpi")
        }
        results = {}
        for row in rows:
            before = self.before.get(row.number)
            after = now.get(row.key)
            blank = Actual(kpi=row.kpi, year=row.year, version=0)
            results[row.number] = self._outcome(
                before or blank, after, new=before is None and after is not None
            )
        return results

    def changed(self, before: Actual, after: Actual) -> bool:
        return before.version != after.version


# --- cells as a spreadsheet or a CSV file gives them ---


def _blank(cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _text(cell) -> str:
    return "" if cell is None else str(cell).strip()


def _whole(cell, *, minimum: int) -> int:
    """A whole number from a cell: 2025, 2025.0 or "2025"."""
    if isinstance(cell, bool):
        raise ValueError(cell)
    if isinstance(cell, float | Decimal):
        if cell != int(cell):
            raise ValueError(cell)
        cell = int(cell)
    text = _text(cell)
    if not text.isdigit() or len(text) > 9 or int(text) < minimum:
        raise ValueError(cell)
    return int(text)


def _year(row: ImportRow, program) -> int | None:
    try:
        year = _whole(row.cells.get("year"), minimum=0)
    except ValueError:
        year = None
    if year is None or not program.covers(year):
        row.fail(
            "year",
            _("The year must lie within the program, %(start)s–%(end)s.")
            % {"start": program.start_year, "end": program.end_year},
        )
        return None
    return year


def _read_value(row: ImportRow, measure) -> None:
    """The value and value2 columns as the KPI's measure reads them."""
    try:
        row.value, row.value2 = measure.parse_columns(
            row.cells.get("value"), row.cells.get("value2")
        )
        measure.check(row.value, row.value2)
    except ValidationError as exc:
        by_column = exc.message_dict if hasattr(exc, "error_dict") else {"value": exc.messages}
        for column, messages in by_column.items():
            row.fail(column, ValidationError(messages))
