"""Notifications: what the application tells a person (in the application and by
e-mail), each person's language and e-mail choices, and the reminders' settings."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    RETURNED = "returned", _("Value returned for revision")
    APPROVED = "approved", _("Value approved")
    REOPENED = "reopened", _("Value reopened")
    DIGEST = "digest", _("Daily digest of submitted values")
    WEEKLY = "weekly", _("Weekly summary")
    REMINDER_BEFORE = "reminder_before", _("Reminder before the due date")
    REMINDER_AFTER = "reminder_after", _("Reminder after the due date")
    REMINDER_NOW = "reminder_now", _("Reminder sent by the planning office")


REMINDER_KINDS = (Kind.REMINDER_BEFORE, Kind.REMINDER_AFTER, Kind.REMINDER_NOW)
# The kinds whose e-mails a person may turn off; reminders always go out.
OPTIONAL_KINDS = tuple(kind for kind in Kind if kind not in REMINDER_KINDS)


class EmailState(models.TextChoices):
    PENDING = "pending", _("waiting to be sent")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")
    OFF = "off", _("not sent by e-mail")


class NotificationQuerySet(models.QuerySet):
    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)

    def to_send(self, now) -> NotificationQuerySet:
        """E-mails due now: waiting, or failed and due for another try."""
        return self.filter(
            email_state__in=[EmailState.PENDING, EmailState.FAILED],
            attempts__lt=settings.NOTICE_MAX_ATTEMPTS,
            next_attempt_at__lte=now,
        )


class Notification(models.Model):
    """One notice to one person, written in their language when it was created."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    subject_key = models.CharField(_("subject key"), max_length=40)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    language = models.CharField(_("language"), max_length=8)
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("text"))
    link = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"))
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    email_state = models.CharField(
        _("e-mail"), max_length=10, choices=EmailState.choices, default=EmailState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    # What makes the notice the same notice: created twice, by two servers or a retry,
    # it is stored once (the UNIQUE constraint decides).
    dedupe_key = models.CharField(_("key"), max_length=200, unique=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["recipient"], condition=Q(read_at__isnull=True), name="notice_unread"
            ),
            models.Index(fields=["email_state", "next_attempt_at"], name="notice_to_send"),
        ]

    def __str__(self) -> str:
        return self.subject


class Profile(models.Model):
    """A person's language for notices and e-mails, and the e-mails they turned off."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="notice_profile"
    )
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    email_off = models.JSONField(
        _("e-mails turned off"), default=list, blank=True, help_text=_("Kinds of notice.")
    )

    class Meta:
        verbose_name = _("notification settings")
        verbose_name_plural = _("notification settings")

    def __str__(self) -> str:
        return str(self.user)


class ReminderSettings(models.Model):
    """When units are reminded, and what the reminder says in each language (one row).
    An empty text means the application's own wording."""

    days_before = models.PositiveSmallIntegerField(
        _("days before the due date"),
        default=7,
        help_text=_("Units with anything missing or returned are reminded this many days before."),
    )
    days_after = models.PositiveSmallIntegerField(
        _("days after the due date"),
        default=3,
        help_text=_("…and again this many days after it, while the year is open for them."),
    )
    subject_kk = models.CharField(_("subject (Kazakh)"), max_length=200, blank=True)
    subject_ru = models.CharField(_("subject (Russian)"), max_length=200, blank=True)
    subject_en = models.CharField(_("subject (English)"), max_length=200, blank=True)
    body_kk = models.TextField(_("text (Kazakh)"), blank=True)
    body_ru = models.TextField(_("text (Russian)"), blank=True)
    body_en = models.TextField(_("text (English)"), blank=True)

    class Meta:
        verbose_name = _("reminder settings")
        verbose_name_plural = _("reminder settings")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)

    @classmethod
    def current(cls) -> ReminderSettings:
        row = cls.objects.filter(pk=1).first()
        return row if row is not None else cls(pk=1)
