"""The structure of a development program: directions, goals, tasks, and how the
program aligns with the state planning documents above it (section 4.1 of the seed)."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class Program(models.Model):
    """A development program with a fixed span of years (METU's runs 2023–2029)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    title = models.CharField(_("title"), max_length=500)
    start_year = models.PositiveSmallIntegerField(_("first year"))
    end_year = models.PositiveSmallIntegerField(_("last year"))
    developer = models.CharField(_("developer"), max_length=300, blank=True)
    basis = models.TextField(_("legal basis"), blank=True, help_text=_("One document per line."))
    indicators_summary = models.CharField(_("indicators"), max_length=300, blank=True)
    funding = models.TextField(_("sources of funding"), blank=True)
    source = models.CharField(_("source document"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("program")
        verbose_name_plural = _("programs")
        ordering = ["-start_year", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_year__gte=F("start_year")), name="program_years_ordered"
            ),
            models.CheckConstraint(
                condition=Q(start_year__gte=2000, end_year__lte=2100),
                name="program_years_plausible",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def years(self) -> list[int]:
        return list(range(self.start_year, self.end_year + 1))

    def covers(self, year: int) -> bool:
        return self.start_year <= year <= self.end_year


class Direction(models.Model):
    """A strategic direction (бағыт), numbered 1–5 in the METU program."""

    program = models.ForeignKey(Program, models.CASCADE, related_name="directions")
    number = models.PositiveSmallIntegerField(_("number"))
    name = models.CharField(_("name"), max_length=300)
    heading_in_table = models.CharField(
        _("heading in table 4.2"),
        max_length=300,
        blank=True,
        help_text=_("The direction's heading as table 4.2 writes it, when it differs."),
    )

    class Meta:
        verbose_name = _("strategic direction")
        verbose_name_plural = _("strategic directions")
        ordering = ["program", "number"]
        constraints = [
            models.UniqueConstraint(fields=["program", "number"], name="direction_number_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.name}"


class Goal(models.Model):
    """A goal (мақсат) of a direction."""

    direction = models.ForeignKey(Direction, models.CASCADE, related_name="goals")
    number = models.PositiveSmallIntegerField(_("number"))
    name = models.CharField(_("name"), max_length=500)
    name_in_table = models.CharField(_("name in table 4.2"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("goal")
        verbose_name_plural = _("goals")
        ordering = ["direction", "number"]
        constraints = [
            models.UniqueConstraint(fields=["direction", "number"], name="goal_number_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class Task(models.Model):
    """A task (міндет) of a goal, numbered like "1.3"."""

    goal = models.ForeignKey(Goal, models.CASCADE, related_name="tasks")
    number = models.CharField(_("number"), max_length=10)
    position = models.PositiveSmallIntegerField(_("position"))
    name = models.CharField(_("name"), max_length=500)
    name_in_table = models.CharField(_("name in table 4.2"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["goal", "position"]
        constraints = [
            models.UniqueConstraint(fields=["goal", "number"], name="task_number_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"

    @property
    def direction(self) -> Direction:
        return self.goal.direction


class StateDocument(models.Model):
    """A higher state planning document the program aligns with (a column of table 4.1)."""

    program = models.ForeignKey(Program, models.CASCADE, related_name="state_documents")
    position = models.PositiveSmallIntegerField(_("position"))
    name = models.CharField(_("name"), max_length=500)

    class Meta:
        verbose_name = _("state document")
        verbose_name_plural = _("state documents")
        ordering = ["program", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "position"], name="document_position_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Alignment(models.Model):
    """What a state document says that a direction serves (a cell of table 4.1)."""

    direction = models.ForeignKey(Direction, models.CASCADE, related_name="alignments")
    document = models.ForeignKey(StateDocument, models.CASCADE, related_name="alignments")
    text = models.TextField(_("provisions"), help_text=_("One provision per line."))

    class Meta:
        verbose_name = _("alignment")
        verbose_name_plural = _("alignment with state documents")
        ordering = ["direction", "document"]
        constraints = [
            models.UniqueConstraint(fields=["direction", "document"], name="alignment_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.direction} ↔ {self.document}"

    def clean(self) -> None:
        if self.direction.program_id != self.document.program_id:
            raise ValidationError(_("The direction and the document belong to different programs."))

    @property
    def provisions(self) -> list[str]:
        return [line for line in self.text.splitlines() if line.strip()]


class TargetIndicator(models.Model):
    """A numbered target indicator of a state document («Нысаналы көрсеткіш N»)."""

    document = models.ForeignKey(StateDocument, models.CASCADE, related_name="indicators")
    number = models.PositiveSmallIntegerField(_("number"))
    name = models.CharField(_("name"), max_length=500)
    directions = models.ManyToManyField(Direction, related_name="target_indicators", blank=True)

    class Meta:
        verbose_name = _("target indicator")
        verbose_name_plural = _("target indicators")
        ordering = ["document", "number"]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="indicator_number_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.name}"
