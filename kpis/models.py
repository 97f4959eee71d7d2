"""KPIs, their yearly targets and actual values, the units that own them, and the
workflow values go through (draft → submitted → approved, or returned)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from directions.models import Program, Task
from kpis.measures import Measure, Unit, measure_for
from metu_strategy.converters import KPI_CODE_PATTERN

VALUE_FIELD = {"max_digits": 14, "decimal_places": 4, "null": True, "blank": True}
# The passport's texts, in Kazakh, Russian and English (kpis/translation.py), each at
# most as long as a comment on a value.
PASSPORT_TEXTS = (
    "definition",
    "formula",
    "data_source",
    "verification",
    "collection_method",
    "baseline_comment",
    "baseline_source",
)
PASSPORT_TEXT_LIMIT = 2000
RANKING_FIELDS = ("ranking_name", "ranking_edition", "ranking_category")


def _person(verbose_name) -> models.ForeignKey:
    """Who did something; kept as nobody when the account is deleted."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=verbose_name,
    )


class Sense(models.TextChoices):
    AT_LEAST = "at_least", _("at least")
    AT_MOST = "at_most", _("at most")
    RANK = "rank", _("rank: place within the top N")


class OrgUnitKind(models.TextChoices):
    UNIVERSITY = "university", _("university")
    FACULTY = "faculty", _("faculty or institute")
    DEPARTMENT = "department", _("department")
    OFFICE = "office", _("office")


class OrgUnit(models.Model):
    """A structural unit of the university. Units form a tree (university → faculty or
    institute → department or office); a unit owns KPIs and reports inputs, and what
    its subtree reports adds up to its own figure."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=300)
    kind = models.CharField(
        _("kind"), max_length=12, choices=OrgUnitKind.choices, default=OrgUnitKind.OFFICE
    )
    parent = models.ForeignKey(
        "self",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("part of"),
    )
    is_demo = models.BooleanField(
        _("demo data"), default=False, help_text=_("Created by the demo (make run).")
    )
    heads = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="headed_units",
        blank=True,
        verbose_name=_("heads"),
        help_text=_(
            "People who enter and submit this unit's values. One person may head several units."
        ),
    )

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Frequency(models.TextChoices):
    """How often a KPI's data are collected."""

    YEARLY = "yearly", _("yearly")
    SEMESTER = "semester", _("by semester")
    QUARTER = "quarter", _("by quarter")


class Baseline(NamedTuple):
    """A KPI's value before the program, as its passport records it."""

    year: int
    value: Decimal
    value2: Decimal | None
    comment: str
    source: str


def _passport_text(verbose_name, help_text="") -> models.TextField:
    return models.TextField(
        verbose_name,
        blank=True,
        help_text=help_text,
        validators=[MaxLengthValidator(PASSPORT_TEXT_LIMIT)],
    )


class KpiHistory(HistoricalRecords):
    """The KPI's history, which keeps the passport's texts in every language.

    modeltranslation adds the `_kk`, `_ru` and `_en` columns to Kpi only after this
    history is built (kpis/translation.py), so the history would not know them: the
    passport's are added here as the columns they will be, and their untranslated
    column is left out (it holds whichever language was active when the row was
    saved). The name's, notes' and methodology's translations are not kept: the loader
    fills them without history."""

    def fields_included(self, model):
        fields = super().fields_included(model)
        present = {field.name for field in fields}
        for name in passport_columns():
            if name not in present:
                column = models.TextField(blank=True, null=True)
                column.set_attributes_from_name(name)
                fields.append(column)
        return fields


def passport_columns() -> list[str]:
    """The passport's texts as stored: one column per text and language."""
    return [
        f"{text}_{language}"
        for text in PASSPORT_TEXTS
        for language in settings.MODELTRANSLATION_LANGUAGES
    ]


class KpiQuerySet(models.QuerySet):
    def for_program(self, program: Program) -> KpiQuerySet:
        return self.filter(program=program)

    def editable_by(self, user) -> KpiQuerySet:
        """The KPIs whose values `user` may write. Every write path goes through this."""
        from kpis import roles

        if not user.is_authenticated or not user.is_active:
            return self.none()
        if roles.is_planner(user):
            return self.all()
        if roles.is_department_head(user):
            return self.filter(owner__heads=user).distinct()
        return self.none()

    def readable_by(self, user) -> KpiQuerySet:
        """Every signed-in user may read the whole program; drafts are guarded separately."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        return self.all()


class Kpi(models.Model):
    """A key performance indicator of a task, with a target for every program year."""

    program = models.ForeignKey(
        Program, models.CASCADE, related_name="kpis", editable=False, verbose_name=_("program")
    )
    task = models.ForeignKey(Task, models.CASCADE, related_name="kpis", verbose_name=_("task"))
    position = models.PositiveSmallIntegerField(_("position"))
    code = models.CharField(
        _("code"), max_length=20, help_text=_("direction.task.position, e.g. 1.3.2")
    )
    name = models.TextField(_("name"))
    unit = models.CharField(_("unit of measure"), max_length=10, choices=Unit.choices)
    sense = models.CharField(_("sense"), max_length=10, choices=Sense.choices)
    owner = models.ForeignKey(
        OrgUnit,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="kpis",
        verbose_name=_("responsible unit"),
    )
    notes = models.TextField(_("notes"), blank=True)
    methodology = models.TextField(_("methodology"), blank=True)
    # The passport: what the KPI counts and where its data come from (kpis/passport.py).
    definition = _passport_text(_("definition"), _("What the KPI counts, and what it does not."))
    formula = _passport_text(_("formula"), _("How the value is worked out, in words."))
    data_source = _passport_text(
        _("data source"), _("Where the data come from: ЕСУВО, the HR system, Scopus…")
    )
    verification = _passport_text(
        _("means of verification"), _("The documents that prove a value: an order, a report.")
    )
    collection_method = _passport_text(_("collection method"))
    frequency = models.CharField(
        _("frequency of collection"), max_length=10, choices=Frequency.choices, blank=True
    )
    ranking_name = models.CharField(_("ranking"), max_length=200, blank=True)
    ranking_edition = models.CharField(_("edition of the ranking"), max_length=100, blank=True)
    ranking_category = models.CharField(_("category in the ranking"), max_length=200, blank=True)
    # The baseline: the value before the program, stored as targets and values are
    # (value2 is a ratio's postgraduate share or a band's worst place) and read, checked
    # and shown by the KPI's measure.
    baseline_year = models.PositiveSmallIntegerField(
        _("baseline year"),
        null=True,
        blank=True,
        validators=[MinValueValidator(2000), MaxValueValidator(2100)],
    )
    baseline_value = models.DecimalField(_("baseline"), **VALUE_FIELD)
    baseline_value2 = models.DecimalField(
        _("baseline, second part"),
        **VALUE_FIELD,
        help_text=_("Postgraduate share of a ratio, or the worst place of a band."),
    )
    baseline_comment = _passport_text(_("baseline comment"))
    baseline_source = _passport_text(
        _("source of the baseline"), _("Where the figure is published, quoted where possible.")
    )
    # The Kazakh name, notes and methodology are tracked, their translations are not;
    # the passport is tracked in every language (see KpiHistory).
    history = KpiHistory(
        excluded_fields=[
            f"{field}_{lang}"
            for field in ("name", "notes", "methodology")
            for lang in ("kk", "ru", "en")
        ]
        + list(PASSPORT_TEXTS)
    )

    objects = KpiQuerySet.as_manager()

    class Meta:
        verbose_name = _("KPI")
        verbose_name_plural = _("KPIs")
        ordering = ["program", "task__goal__direction__number", "task__position", "position"]
        constraints = [
            models.UniqueConstraint(fields=["program", "code"], name="kpi_code_unique"),
            models.UniqueConstraint(fields=["task", "position"], name="kpi_position_unique"),
            models.CheckConstraint(
                condition=Q(unit="rank", sense="rank") | (~Q(unit="rank") & ~Q(sense="rank")),
                name="kpi_rank_unit_iff_rank_sense",
            ),
            # A baseline is a value and the year it was measured in, or nothing.
            models.CheckConstraint(
                condition=Q(baseline_year__isnull=True, baseline_value__isnull=True)
                | Q(baseline_year__isnull=False, baseline_value__isnull=False),
                name="kpi_baseline_has_year_and_value",
            ),
            models.CheckConstraint(
                condition=Q(baseline_value2__isnull=True) | Q(baseline_value__isnull=False),
                name="kpi_baseline_second_part_needs_first",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name[:80]}"

    def save(self, *args, **kwargs) -> None:
        self.program_id = self.task.goal.direction.program_id
        super().save(*args, **kwargs)

    def clean(self) -> None:
        errors = self.passport_errors()
        # The KPI's page is /kpi/<code>/, whose converter admits digits and dots only.
        if not re.fullmatch(KPI_CODE_PATTERN, self.code or ""):
            errors["code"] = [_("A KPI code is numbers separated by dots, e.g. 1.3.2.")]
        if errors:
            raise ValidationError(errors)

    def passport_errors(self) -> dict[str, list[str]]:
        """What is wrong with the passport and the baseline, field by field, all at once."""
        errors: dict[str, list[str]] = {}
        value, value2, year = self.baseline_value, self.baseline_value2, self.baseline_year
        if value is not None and year is None:
            errors["baseline_year"] = [_("Give the year the baseline was measured in.")]
        if year is not None and value is None and value2 is None:
            errors["baseline_value"] = [_("Enter the baseline's value, or clear its year.")]
        start = self._program_start()
        if year is not None and start is not None and year >= start:
            errors["baseline_year"] = [
                _("The baseline is the value before the program: a year before %(start)s.")
                % {"start": start}
            ]
        if self.unit not in Unit.values:
            return errors  # the form reports the unit
        try:
            self.measure.check(value, value2)
        except ValidationError as exc:
            errors.setdefault("baseline_value", []).extend(exc.messages)
        if not self.measure.ranking:
            for name in RANKING_FIELDS:
                if getattr(self, name):
                    errors[name] = [_("Only a KPI that is a place in a ranking names a ranking.")]
        return errors

    def _program_start(self) -> int | None:
        if self.program_id is not None:
            return self.program.start_year
        if self.task_id is not None:
            return self.task.goal.direction.program.start_year
        return None

    @property
    def measure(self) -> Measure:
        """What the KPI's numbers mean: how they are read, checked, judged and shown."""
        return measure_for(self.unit)

    @property
    def baseline(self) -> Baseline | None:
        """The value before the program, or None where the planning office gave none."""
        if self.baseline_value is None or self.baseline_year is None:
            return None
        return Baseline(
            self.baseline_year,
            self.baseline_value,
            self.baseline_value2,
            self.baseline_comment,
            self.baseline_source,
        )

    @property
    def ranking(self) -> str:
        """The ranking the KPI's place is in, its edition and category, as one line."""
        return " · ".join(text for text in (getattr(self, name) for name in RANKING_FIELDS) if text)


class Target(models.Model):
    """The planned value of a KPI for one year; null value means no target that year."""

    kpi = models.ForeignKey(Kpi, models.CASCADE, related_name="targets", verbose_name=_("KPI"))
    year = models.PositiveSmallIntegerField(_("year"))
    value = models.DecimalField(_("target"), **VALUE_FIELD)
    value2 = models.DecimalField(
        _("second part"), **VALUE_FIELD, help_text=_("Postgraduate share of a ratio target.")
    )
    raw_text = models.CharField(
        _("as written in the program"),
        max_length=40,
        blank=True,
        help_text=_("The cell of table 4.2 exactly as written, e.g. 99,5/0,5 or топ-20."),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        ordering = ["kpi", "year"]
        constraints = [
            models.UniqueConstraint(fields=["kpi", "year"], name="target_one_per_kpi_year"),
            models.CheckConstraint(
                condition=Q(year__gte=2000, year__lte=2100), name="target_year_plausible"
            ),
            models.CheckConstraint(
                condition=Q(value2__isnull=True) | Q(value__isnull=False),
                name="target_second_part_needs_first",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kpi.code} {self.year}: {self.raw_text or self.value}"

    def clean(self) -> None:
        if self.kpi_id is None:
            return  # the form reports the missing KPI
        program = self.kpi.task.goal.direction.program
        if not program.covers(self.year):
            raise ValidationError(
                {
                    "year": _("The year must lie within the program, %(start)s–%(end)s.")
                    % {"start": program.start_year, "end": program.end_year}
                }
            )

    @property
    def is_set(self) -> bool:
        return self.value is not None


class ReportingYear(models.Model):
    """Whether departments may enter values for a year of a program."""

    program = models.ForeignKey(
        Program, models.CASCADE, related_name="reporting_years", verbose_name=_("program")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    is_open = models.BooleanField(_("open for entry"), default=True)
    # The reporting window (kpis.services.year_is_open): entry opens, is due and closes
    # on these days (Almaty's calendar); a year past its close date is closed unless
    # the planning office keeps it open. No date: no limit on that side.
    opens = models.DateField(_("opens"), null=True, blank=True)
    due = models.DateField(_("due date"), null=True, blank=True)
    closes = models.DateField(_("closes"), null=True, blank=True)
    keep_open = models.BooleanField(
        _("keep open after the close date"),
        default=False,
        help_text=_("The year stays open for entry after its close date until closed by hand."),
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    changed_at = models.DateTimeField(_("changed at"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("reporting year")
        verbose_name_plural = _("reporting years")
        ordering = ["program", "year"]
        constraints = [
            models.UniqueConstraint(fields=["program", "year"], name="reporting_year_unique"),
            models.CheckConstraint(
                condition=Q(opens__isnull=True) | Q(due__isnull=True) | Q(opens__lte=F("due")),
                name="reporting_year_opens_before_due",
            ),
            models.CheckConstraint(
                condition=Q(due__isnull=True) | Q(closes__isnull=True) | Q(due__lte=F("closes")),
                name="reporting_year_due_before_closes",
            ),
            models.CheckConstraint(
                condition=Q(opens__isnull=True)
                | Q(closes__isnull=True)
                | Q(opens__lte=F("closes")),
                name="reporting_year_opens_before_closes",
            ),
        ]

    def __str__(self) -> str:
        return str(self.year)

    def calendar_errors(self) -> dict[str, list[str]]:
        """What is wrong with the window, by field, all at once: opens ≤ due ≤ closes."""
        errors: dict[str, list[str]] = {}
        opens, due, closes = self.opens, self.due, self.closes
        if opens and due and opens > due:
            errors["due"] = [_("The due date cannot come before the year opens.")]
        if due and closes and due > closes:
            errors["closes"] = [_("The year cannot close before its due date.")]
        elif opens and closes and opens > closes:
            errors["closes"] = [_("The year cannot close before it opens.")]
        return errors


class EntryException(models.Model):
    """A unit that may still enter a year's values after the year closed, until a day:
    a lock exception, granted by the planning office."""

    reporting_year = models.ForeignKey(
        ReportingYear, models.CASCADE, related_name="exceptions", verbose_name=_("year")
    )
    unit = models.ForeignKey(
        OrgUnit, models.CASCADE, related_name="entry_exceptions", verbose_name=_("unit")
    )
    until = models.DateField(_("may enter until"))
    reason = models.TextField(_("reason"), blank=True)
    granted_by = _person(_("granted by"))
    granted_at = models.DateTimeField(_("granted at"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("entry exception")
        verbose_name_plural = _("entry exceptions")
        ordering = ["reporting_year", "unit__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["reporting_year", "unit"], name="entry_exception_one_per_unit_year"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.reporting_year}: {self.until}"


class ActualState(models.TextChoices):
    DRAFT = "draft", _("draft")
    SUBMITTED = "submitted", _("submitted")
    RETURNED = "returned", _("returned for revision")
    APPROVED = "approved", _("approved")


PUBLISHED_STATES = [ActualState.SUBMITTED, ActualState.APPROVED]


class ActualQuerySet(models.QuerySet):
    def approved(self) -> ActualQuerySet:
        return self.filter(state=ActualState.APPROVED)

    def visible_to(self, user) -> ActualQuerySet:
        """Drafts and returned values belong to their unit and the planning office;
        submitted and approved values are read by everyone signed in."""
        from kpis import roles

        if not user.is_authenticated or not user.is_active:
            return self.none()
        if roles.is_planner(user):
            return self.all()
        return self.filter(Q(state__in=PUBLISHED_STATES) | Q(kpi__owner__heads=user)).distinct()

    def counted(self, *, include_submitted: bool = False) -> ActualQuerySet:
        """The values dashboards count: approved, and optionally submitted ones too."""
        states = [ActualState.APPROVED]
        if include_submitted:
            states.append(ActualState.SUBMITTED)
        return self.filter(state__in=states)


class Actual(models.Model):
    """The university-wide value a KPI reached in a year, and where it is in the workflow."""

    kpi = models.ForeignKey(Kpi, models.CASCADE, related_name="actuals", verbose_name=_("KPI"))
    year = models.PositiveSmallIntegerField(_("year"))
    value = models.DecimalField(_("actual value"), **VALUE_FIELD)
    value2 = models.DecimalField(
        _("second part"), **VALUE_FIELD, help_text=_("Postgraduate share of a ratio value.")
    )
    state = models.CharField(
        _("state"), max_length=10, choices=ActualState.choices, default=ActualState.DRAFT
    )
    comment = models.TextField(_("comment"), blank=True)
    explanation = models.TextField(
        _("explanation"), blank=True, help_text=_("Why the target was missed.")
    )
    return_reason = models.TextField(_("reason for return"), blank=True)
    override_reason = models.TextField(
        _("why entered instead of calculated"),
        blank=True,
        help_text=_("A calculated KPI's value entered by the planning office, and why."),
    )
    entered_by = _person(_("entered by"))
    submitted_by = _person(_("submitted by"))
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    approved_by = _person(_("approved by"))
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    is_demo = models.BooleanField(_("demo data"), default=False)
    history = HistoricalRecords()

    objects = ActualQuerySet.as_manager()

    class Meta:
        verbose_name = _("actual value")
        verbose_name_plural = _("actual values")
        ordering = ["kpi", "year"]
        permissions = [
            ("enter_actual", _("Can enter and submit values of own unit's KPIs")),
            ("approve_actual", _("Can approve, return and reopen values")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["kpi", "year"], name="actual_one_per_kpi_year"),
            models.CheckConstraint(
                condition=Q(year__gte=2000, year__lte=2100), name="actual_year_plausible"
            ),
            models.CheckConstraint(
                condition=Q(value2__isnull=True) | Q(value__isnull=False),
                name="actual_second_part_needs_first",
            ),
            # The workflow stamps when a value was submitted and approved; a value in
            # those states without the stamp was written around the workflow. (Who did
            # it is not constrained: deleting an account sets it to NULL.)
            models.CheckConstraint(
                condition=~Q(state="submitted") | Q(submitted_at__isnull=False),
                name="actual_submitted_has_submitted_at",
            ),
            models.CheckConstraint(
                condition=~Q(state="approved")
                | Q(submitted_at__isnull=False, approved_at__isnull=False),
                name="actual_approved_has_timestamps",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kpi.code} {self.year}: {self.value}"

    @property
    def is_locked(self) -> bool:
        return self.state == ActualState.APPROVED

    @property
    def has_value(self) -> bool:
        return self.value is not None


class Input(models.Model):
    """A yearly count that units report (the teaching staff, the students, the income):
    the parts calculated KPIs are built from. One input may feed many KPIs."""

    program = models.ForeignKey(
        Program, models.CASCADE, related_name="inputs", verbose_name=_("program")
    )
    code = models.SlugField(_("code"), max_length=60)
    name = models.CharField(_("name"), max_length=300)
    unit = models.CharField(
        _("unit of measure"), max_length=10, choices=Unit.choices, default=Unit.PERSONS
    )
    reporters = models.ManyToManyField(
        OrgUnit,
        related_name="reported_inputs",
        blank=True,
        verbose_name=_("units that report it"),
    )
    proposed = models.BooleanField(
        _("proposed"),
        default=False,
        help_text=_("Loaded from the proposed definitions; the planning office confirms it."),
    )
    history = HistoricalRecords(excluded_fields=[f"name_{lang}" for lang in ("kk", "ru", "en")])

    class Meta:
        verbose_name = _("input")
        verbose_name_plural = _("inputs")
        ordering = ["program", "code"]
        constraints = [
            models.UniqueConstraint(fields=["program", "code"], name="input_code_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def measure(self) -> Measure:
        return measure_for(self.unit)


class Calculation(models.Model):
    """How a KPI is calculated from inputs instead of entered: the sum of the numerator
    inputs over the reporting units, or, with a denominator, numerator ÷ denominator ×
    100, each side summed over the units before dividing."""

    kpi = models.OneToOneField(
        Kpi, models.CASCADE, related_name="calculation", verbose_name=_("KPI")
    )
    numerator = models.ManyToManyField(
        Input, related_name="numerator_of", verbose_name=_("numerator")
    )
    denominator = models.ManyToManyField(
        Input, related_name="denominator_of", blank=True, verbose_name=_("denominator")
    )
    proposed = models.BooleanField(
        _("proposed"),
        default=False,
        help_text=_("Loaded from the proposed definitions; the planning office confirms it."),
    )

    class Meta:
        verbose_name = _("calculation")
        verbose_name_plural = _("calculations")

    def __str__(self) -> str:
        return str(self.kpi)

    @property
    def is_share(self) -> bool:
        return self.denominator.exists() if self.pk else False


class ContributionQuerySet(models.QuerySet):
    def visible_to(self, user) -> ContributionQuerySet:
        """Drafts and returned contributions belong to their unit and the planning office;
        submitted and approved ones are read by everyone signed in."""
        from kpis import roles

        if not user.is_authenticated or not user.is_active:
            return self.none()
        if roles.is_planner(user):
            return self.all()
        return self.filter(Q(state__in=PUBLISHED_STATES) | Q(unit__heads=user)).distinct()

    def counted(self, *, include_submitted: bool = False) -> ContributionQuerySet:
        states = [ActualState.APPROVED]
        if include_submitted:
            states.append(ActualState.SUBMITTED)
        return self.filter(state__in=states)


class Contribution(models.Model):
    """What one unit reported of an input for a year, and where it is in the workflow:
    the same draft → submitted → approved (or returned) as a KPI's value."""

    input = models.ForeignKey(
        Input, models.CASCADE, related_name="contributions", verbose_name=_("input")
    )
    unit = models.ForeignKey(
        OrgUnit, models.PROTECT, related_name="contributions", verbose_name=_("unit")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    value = models.DecimalField(_("value"), **VALUE_FIELD)
    value2 = models.DecimalField(_("second part"), **VALUE_FIELD)
    state = models.CharField(
        _("state"), max_length=10, choices=ActualState.choices, default=ActualState.DRAFT
    )
    comment = models.TextField(_("comment"), blank=True)
    explanation = models.TextField(_("explanation"), blank=True)
    return_reason = models.TextField(_("reason for return"), blank=True)
    entered_by = _person(_("entered by"))
    submitted_by = _person(_("submitted by"))
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    approved_by = _person(_("approved by"))
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    is_demo = models.BooleanField(_("demo data"), default=False)
    history = HistoricalRecords()

    objects = ContributionQuerySet.as_manager()

    class Meta:
        verbose_name = _("contribution")
        verbose_name_plural = _("contributions")
        ordering = ["input", "unit", "year"]
        constraints = [
            models.UniqueConstraint(
                fields=["input", "unit", "year"], name="contribution_one_per_unit_year"
            ),
            models.CheckConstraint(
                condition=Q(year__gte=2000, year__lte=2100), name="contribution_year_plausible"
            ),
            models.CheckConstraint(
                condition=~Q(state="submitted") | Q(submitted_at__isnull=False),
                name="contribution_submitted_has_submitted_at",
            ),
            models.CheckConstraint(
                condition=~Q(state="approved")
                | Q(submitted_at__isnull=False, approved_at__isnull=False),
                name="contribution_approved_has_timestamps",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.input.code} · {self.unit.code} {self.year}: {self.value}"

    @property
    def is_locked(self) -> bool:
        return self.state == ActualState.APPROVED


class Exemption(models.Model):
    """A unit that has nothing to report of an input in a year (a faculty without
    postgraduates): its part is not waited for, and counts as nothing."""

    input = models.ForeignKey(
        Input, models.CASCADE, related_name="exemptions", verbose_name=_("input")
    )
    unit = models.ForeignKey(
        OrgUnit, models.CASCADE, related_name="exemptions", verbose_name=_("unit")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    reason = models.TextField(_("reason"))
    decided_by = _person(_("decided by"))
    decided_at = models.DateTimeField(_("decided at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("not applicable")
        verbose_name_plural = _("not applicable")
        constraints = [
            models.UniqueConstraint(
                fields=["input", "unit", "year"], name="exemption_one_per_unit_year"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.input.code} · {self.unit.code} {self.year}"


def evidence_path(instance: Evidence, filename: str) -> str:
    """A random name: the original name is kept in the database, never on disk."""
    import uuid
    from pathlib import PurePath

    suffix = PurePath(filename).suffix.lower()[:8]
    return f"evidence/{instance.owner.year}/{uuid.uuid4().hex}{suffix}"


class Evidence(models.Model):
    """A file that backs a KPI's value or a unit's contribution: a report, an order, a
    certificate."""

    actual = models.ForeignKey(
        Actual,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="evidence",
        verbose_name=_("actual value"),
    )
    contribution = models.ForeignKey(
        Contribution,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="evidence",
        verbose_name=_("contribution"),
    )
    file = models.FileField(_("file"), upload_to=evidence_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("size"))
    uploaded_by = _person(_("uploaded by"))
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")
        ordering = ["actual", "contribution", "uploaded_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(actual__isnull=False, contribution__isnull=True)
                | Q(actual__isnull=True, contribution__isnull=False),
                name="evidence_backs_one_value",
            ),
        ]

    def __str__(self) -> str:
        return self.original_name

    @property
    def owner(self) -> Actual | Contribution:
        """The value or contribution the file backs."""
        return self.actual if self.actual_id else self.contribution
