"""Reports kept as they were sent."""

from __future__ import annotations

import hashlib
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

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
