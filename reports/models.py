"""Reports kept as they were sent."""

from __future__ import annotations

import hashlib
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from directions.models import Program


def frozen_path(instance: FrozenReport, filename: str) -> str:
    return f"frozen/{instance.year}/{uuid.uuid4().hex}.xlsx"


class FrozenReport(models.Model):
    """The report sent to the Ministry for a year: the file, byte for byte, and the
    values it was built from, whatever is edited afterwards."""

    program = models.ForeignKey(
        Program, models.PROTECT, related_name="frozen_reports", verbose_name=_("program")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    include_submitted = models.BooleanField(_("submitted values included"), default=False)
    language = models.CharField(_("language"), max_length=5)
    file = models.FileField(_("file"), upload_to=frozen_path, max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64, editable=False)
    snapshot = models.JSONField(_("values"), help_text=_("The program document it was built from."))
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("frozen by"),
    )
    created_at = models.DateTimeField(_("frozen at"), auto_now_add=True)

    class Meta:
        verbose_name = _("frozen report")
        verbose_name_plural = _("frozen reports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.program.code} {self.year} ({self.created_at:%Y-%m-%d})"

    @staticmethod
    def digest(content: bytes) -> str:
        return hashlib.sha256(content).hexdigest()

    @property
    def filename(self) -> str:
        # The university's time, as the list of frozen reports shows it.
        frozen = timezone.localtime(self.created_at)
        return f"{self.program.code}-{self.year}-report-frozen-{frozen:%Y%m%d-%H%M}.xlsx"


class DataVersion(models.Model):
    """A counter that moves on whenever program data changes. Cached dashboards are
    keyed by it, so one write invalidates them on every server process at once."""

    value = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("data version")

    def __str__(self) -> str:
        return str(self.value)


class NarrativeState(models.TextChoices):
    DRAFT = "draft", _("draft")
    FINAL = "final", _("final")


class Narrative(models.Model):
    """The planning office's text about a direction in a year, in one language, for the
    yearly implementation report: plain paragraphs (blank lines between them) and lists
    (lines starting with "- "), nothing pasted with formatting."""

    direction = models.ForeignKey(
        "directions.Direction",
        models.CASCADE,
        related_name="narratives",
        verbose_name=_("strategic direction"),
    )
    year = models.PositiveSmallIntegerField(_("year"))
    language = models.CharField(_("language"), max_length=5, choices=settings.LANGUAGES)
    text = models.TextField(_("text"), blank=True)
    state = models.CharField(
        _("state"), max_length=5, choices=NarrativeState.choices, default=NarrativeState.DRAFT
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("narrative section")
        verbose_name_plural = _("narrative sections")
        ordering = ["year", "direction__number", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["direction", "year", "language"], name="narrative_one_per_language"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.direction.number} {self.year} {self.language}"

    @property
    def is_final(self) -> bool:
        return self.state == NarrativeState.FINAL

    @property
    def blocks(self) -> list[tuple[str, object]]:
        return narrative_blocks(self.text)


def narrative_blocks(text: str) -> list[tuple[str, object]]:
    """("paragraph", text) and ("list", [items]) in order. Blank lines separate
    paragraphs; the lines of one paragraph are joined; lines starting with "- " are the
    items of a list."""
    blocks: list[tuple[str, object]] = []
    lines: list[str] = []
    items: list[str] = []

    def flush_paragraph() -> None:
        if lines:
            blocks.append(("paragraph", " ".join(lines)))
            lines.clear()

    def flush_list() -> None:
        if items:
            blocks.append(("list", list(items)))
            items.clear()

    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = " ".join(raw.split())  # tabs, non-breaking and repeated spaces: one space
        if not line:
            flush_paragraph()
            flush_list()
        elif line.startswith("- ") or line == "-":
            flush_paragraph()
            item = line[2:].strip()
            if item:
                items.append(item)
        else:
            flush_list()
            lines.append(line)
    flush_paragraph()
    flush_list()
    return blocks


def document_path(instance: FrozenDocument, filename: str) -> str:
    suffix = filename.rsplit(".", 1)[-1]
    return f"frozen/documents/{instance.year}/{uuid.uuid4().hex}.{suffix}"


class FrozenDocument(models.Model):
    """The yearly implementation report as it was sent: its DOCX and PDF byte for byte,
    their SHA-256 and the values they were built from, whatever is edited afterwards."""

    program = models.ForeignKey(
        Program, models.PROTECT, related_name="frozen_documents", verbose_name=_("program")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    language = models.CharField(_("language"), max_length=5, choices=settings.LANGUAGES)
    include_submitted = models.BooleanField(_("submitted values included"), default=False)
    docx = models.FileField(_("Word file"), upload_to=document_path, max_length=200)
    docx_sha256 = models.CharField(_("SHA-256 of the Word file"), max_length=64, editable=False)
    pdf = models.FileField(_("PDF file"), upload_to=document_path, max_length=200)
    pdf_sha256 = models.CharField(_("SHA-256 of the PDF file"), max_length=64, editable=False)
    snapshot = models.JSONField(_("values"), help_text=_("The content it was built from."))
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("frozen by"),
    )
    created_at = models.DateTimeField(_("frozen at"), auto_now_add=True)

    class Meta:
        verbose_name = _("frozen implementation report")
        verbose_name_plural = _("frozen implementation reports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.program.code} {self.year} {self.language} ({self.created_at:%Y-%m-%d})"

    def filename(self, kind: str) -> str:
        frozen = timezone.localtime(self.created_at)
        return (
            f"{self.program.code}-{self.year}-implementation-report-{self.language}"
            f"-frozen-{frozen:%Y%m%d-%H%M}.{kind}"
        )


class PublicResults(models.Model):
    """Whether the public results page is open, and which years it shows. One row; the
    page is closed until the planning office opens it."""

    enabled = models.BooleanField(_("public results page open"), default=False)
    years = models.JSONField(_("published years"), default=list, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("public results setting")
        verbose_name_plural = _("public results settings")

    def __str__(self) -> str:
        return str(_("Public results page"))

    @classmethod
    def current(cls) -> PublicResults:
        """The setting (closed, no years, when never saved); never creates a row."""
        return cls.objects.filter(pk=1).first() or cls(pk=1)

    @property
    def published_years(self) -> list[int]:
        return sorted({int(y) for y in self.years or [] if str(y).isdigit()})
