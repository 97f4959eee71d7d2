"""Creating notifications (each once: a UNIQUE `dedupe_key`) and sending their e-mails
(each once: rows locked with SKIP LOCKED while sent, retried with backoff).

Every function that depends on the time takes `now`, so a test runs a whole calendar
on a simulated clock."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from directions.models import Program
from directions.selectors import current_program
from kpis import roles, services
from kpis.models import (
    Actual,
    ActualState,
    Contribution,
    OrgUnit,
    ReportingYear,
    Target,
)
from kpis.selectors import Owed, owed_by_unit
from kpis.status import Status, assess_kpi
from notices import texts
from notices.models import (
    OPTIONAL_KINDS,
    EmailState,
    Kind,
    Notification,
    Profile,
    ReminderSettings,
)

log = logging.getLogger("metu.notices")
User = get_user_model()


def profile_of(user) -> Profile:
    """The person's notification settings (the defaults until they choose)."""
    profile = Profile.objects.filter(user=user).first()
    return profile if profile is not None else Profile(user=user)


def notify(
    user,
    kind: str,
    dedupe_key: str,
    render,
    *,
    link: str = "",
    params: dict | None = None,
    now: datetime | None = None,
    profile: Profile | None = None,
) -> Notification | None:
    """Create one notice for `user`, written by `render()` (→ subject, body) in their
    language; None when the same notice (its `dedupe_key`) exists already."""
    if Notification.objects.filter(dedupe_key=dedupe_key).exists():
        return None
    profile = profile or profile_of(user)
    with translation.override(profile.language):
        subject, body = render()
    off = not user.email or (kind in OPTIONAL_KINDS and kind in (profile.email_off or []))
    now = now or timezone.now()
    notice = Notification(
        recipient=user,
        kind=kind,
        subject_key=kind,
        params=params or {},
        language=profile.language,
        subject=subject[:300],
        body=body,
        link=link,
        created_at=now,
        email_state=EmailState.OFF if off else EmailState.PENDING,
        next_attempt_at=None if off else now,
        dedupe_key=dedupe_key[:200],
    )
    try:
        with transaction.atomic():  # another process created it meanwhile: keep theirs
            notice.save()
    except IntegrityError:
        return None
    return notice


# --- Workflow events (kpis.signals.workflow_event) ---------------------------------------


def on_workflow_event(sender, row, event: str, user, reason: str = "", **kwargs) -> None:
    """Tell the heads of the value's unit that it was returned, approved or reopened."""
    unit = row.kpi.owner if isinstance(row, Actual) else row.unit
    if unit is None:
        return
    kind = {"returned": Kind.RETURNED, "approved": Kind.APPROVED, "reopened": Kind.REOPENED}[event]
    label = "actual" if isinstance(row, Actual) else "contribution"
    link = f"{reverse('entry')}?year={row.year}&unit={unit.code}"
    for head in unit.heads.filter(is_active=True):
        notify(
            head,
            kind,
            f"{event}:{label}:{row.pk}:v{row.version}:{head.pk}",
            lambda: texts.workflow(event, row, reason, link),
            link=link,
            params={"row": label, "id": row.pk, "year": row.year, "reason": reason},
        )


# --- Who gets what -----------------------------------------------------------------------


def planners():
    """Active people of the planning office (those who may approve values)."""
    perm = Q(codename="approve_actual", content_type__app_label="kpis")
    from django.contrib.auth.models import Permission

    perms = Permission.objects.filter(perm)
    return (
        User.objects.filter(is_active=True)
        .filter(
            Q(is_superuser=True) | Q(groups__permissions__in=perms) | Q(user_permissions__in=perms)
        )
        .distinct()
        .order_by("id")
    )


def rectors_office():
    return User.objects.filter(is_active=True, groups__name=roles.RECTORS_OFFICE).order_by("id")


# --- Reminders ---------------------------------------------------------------------------


def reminder_texts(language: str, stored: ReminderSettings | None = None) -> tuple[str, str]:
    """The reminder's subject and text in `language`: the planning office's where it
    wrote one, else the application's own."""
    stored = stored or ReminderSettings.current()
    with translation.override(language):
        default_subject, default_body = texts.default_reminder()
    subject = getattr(stored, f"subject_{language}", "") or default_subject
    body = getattr(stored, f"body_{language}", "") or default_body
    return subject, body


def remind_unit(
    owed: Owed,
    *,
    program: Program,
    year: int,
    due: date,
    kind: str,
    key: str,
    now: datetime,
    stored: ReminderSettings | None = None,
) -> list[Notification]:
    """One reminder to each head of the unit, in their language."""
    today = services.today_in_almaty(now)
    created = []
    for head in owed.unit.heads.filter(is_active=True).order_by("id"):
        profile = profile_of(head)

        def render(profile=profile):
            return texts.reminder(
                reminder_texts(profile.language, stored),
                unit=owed.unit.name,
                year=year,
                due=due,
                today=today,
                lines=owed.lines(),
            )

        notice = notify(
            head,
            kind,
            f"{key}:{head.pk}",
            render,
            link=f"{reverse('entry')}?year={year}&unit={owed.unit.code}",
            params={"unit": owed.unit.code, "year": year, "due": due.isoformat()},
            now=now,
            profile=profile,
        )
        if notice is not None:
            created.append(notice)
    return created


def late_units(program: Program, year: int, *, now: datetime | None = None) -> list[Owed]:
    """The units that owe anything for `year` and may still enter it."""
    owed = owed_by_unit(program, year)
    if not owed:
        return []
    if services.year_is_open(program, year, now=now):
        return sorted(owed.values(), key=lambda o: o.unit.name)
    excepted = services.excepted_units(program, year, now=now)
    return sorted((o for u, o in owed.items() if u in excepted), key=lambda o: o.unit.name)


def scheduled_reminders(program: Program, now: datetime) -> list[Notification]:
    """N days before each year's due date and M days after it, to units that owe
    anything and may still enter: once each (the key holds the year and the due date)."""
    stored = ReminderSettings.current()
    today = services.today_in_almaty(now)
    created = []
    years = ReportingYear.objects.filter(program=program, due__isnull=False).order_by("year")
    for row in years:
        if row.due - timedelta(days=stored.days_before) <= today <= row.due:
            kind = Kind.REMINDER_BEFORE
        elif today >= row.due + timedelta(days=stored.days_after):
            kind = Kind.REMINDER_AFTER
        else:
            continue
        for owed in late_units(program, row.year, now=now):
            key = f"{kind}:{program.pk}:{row.year}:{row.due.isoformat()}:{owed.unit.pk}"
            created += remind_unit(
                owed,
                program=program,
                year=row.year,
                due=row.due,
                kind=kind,
                key=key,
                now=now,
                stored=stored,
            )
    return created


def remind_now(
    *, user, program: Program, year: int, unit: OrgUnit | None, token: str, now=None
) -> list[Notification]:
    """The planning office's "send a reminder now": to one unit, or every late one
    (None). The preview's `token` makes a repeated click send nothing more."""
    if not roles.is_planner(user):
        raise PermissionDenied
    now = now or timezone.now()
    row = ReportingYear.objects.filter(program=program, year=year).first()
    due = row.due if row and row.due else services.today_in_almaty(now)
    created = []
    for owed in late_units(program, year, now=now):
        if unit is not None and owed.unit.pk != unit.pk:
            continue
        key = f"{Kind.REMINDER_NOW}:{token}:{owed.unit.pk}"
        created += remind_unit(
            owed, program=program, year=year, due=due, kind=Kind.REMINDER_NOW, key=key, now=now
        )
    return created


def new_token() -> str:
    return uuid.uuid4().hex


# --- Digest and weekly summary -----------------------------------------------------------


def _local_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def daily_digest(program: Program, now: datetime) -> list[Notification]:
    """Yesterday's submitted values, to the planning office, from the digest hour on."""
    local = timezone.localtime(now)
    if local.hour < settings.NOTICE_DIGEST_HOUR:
        return []
    day = local.date() - timedelta(days=1)
    start, end = _local_start(day), _local_start(day + timedelta(days=1))
    values = (
        Actual.objects.filter(kpi__program=program, submitted_at__gte=start, submitted_at__lt=end)
        .select_related("kpi__owner")
        .order_by("kpi__task__goal__direction__number", "kpi__task__position", "kpi__position")
    )
    parts = (
        Contribution.objects.filter(
            input__program=program, submitted_at__gte=start, submitted_at__lt=end
        )
        .select_related("input", "unit")
        .order_by("input__code", "unit__name")
    )
    values, parts = list(values), list(parts)
    if not values and not parts:
        return []
    created = []
    link = f"{reverse('review')}?state=submitted"

    def render():
        lines = [
            f"{a.kpi.code} {a.year}  {a.kpi.name} — {a.kpi.owner.name if a.kpi.owner else '—'}"
            for a in values
        ]
        lines += [f"{c.input.name} {c.year} — {c.unit.name}" for c in parts]
        return texts.digest(day, lines, link)

    for user in planners():
        notice = notify(
            user,
            Kind.DIGEST,
            f"digest:{day.isoformat()}:{user.pk}",
            render,
            link=link,
            params={"day": day.isoformat()},
            now=now,
        )
        if notice is not None:
            created.append(notice)
    return created


def weekly_summary(program: Program, now: datetime) -> list[Notification]:
    """Each week, from Monday's digest hour: for the rector's office, the KPIs whose
    approved value turned red in the last seven days and the units overdue."""
    local = timezone.localtime(now)
    if local.weekday() == 0 and local.hour < settings.NOTICE_DIGEST_HOUR:
        return []
    iso = local.isocalendar()
    week = f"{iso.year}-W{iso.week:02d}"
    monday = local.date() - timedelta(days=local.weekday())
    since = _local_start(monday) - timedelta(days=7)
    approved = (
        Actual.objects.filter(
            kpi__program=program, state=ActualState.APPROVED, approved_at__gte=since
        )
        .select_related("kpi")
        .order_by("kpi__task__goal__direction__number", "kpi__task__position", "kpi__position")
    )
    targets = {
        (t.kpi_id, t.year): t
        for t in Target.objects.filter(kpi__program=program, kpi__actuals__in=approved)
    }
    red = [
        a
        for a in approved
        if assess_kpi(a.kpi, targets.get((a.kpi_id, a.year)), a).status == Status.BEHIND
    ]
    today = services.today_in_almaty(now)
    late = []
    for row in ReportingYear.objects.filter(program=program, due__lt=today).order_by("year"):
        for owed in late_units(program, row.year, now=now):
            late.append((row.year, owed))
    link = reverse("home")

    def render():
        red_lines = [f"{a.kpi.code} {a.year}  {a.kpi.name}" for a in red]
        late_lines = [
            _("%(unit)s, %(year)s: %(n)s still to submit")
            % {"unit": owed.unit.name, "year": year, "n": len(owed)}
            for year, owed in late
        ]
        return texts.weekly(week, red_lines, late_lines, link)

    created = []
    for user in rectors_office():
        notice = notify(
            user,
            Kind.WEEKLY,
            f"weekly:{week}:{user.pk}",
            render,
            link=link,
            params={"week": week},
            now=now,
        )
        if notice is not None:
            created.append(notice)
    return created


def create_due_notices(now: datetime | None = None) -> list[Notification]:
    """Every scheduled notice due at `now` that does not exist yet."""
    now = now or timezone.now()
    program = current_program()
    if program is None:
        return []
    with transaction.atomic():
        return (
            scheduled_reminders(program, now)
            + daily_digest(program, now)
            + weekly_summary(program, now)
        )


# --- Sending -----------------------------------------------------------------------------


@dataclass
class Sent:
    sent: int = 0
    failed: int = 0


def backoff(attempts: int) -> timedelta:
    """How long to wait after the n-th failed attempt: doubling, from NOTICE_RETRY_SECONDS."""
    return timedelta(seconds=settings.NOTICE_RETRY_SECONDS * 2 ** max(attempts - 1, 0))


def send_pending(*, now: datetime | None = None, limit: int = 1000) -> Sent:
    """Send the e-mails due now, one locked row at a time: a row another process is
    sending is skipped (SKIP LOCKED), so two senders never send the same notice."""
    now = now or timezone.now()
    connection = get_connection()
    result = Sent()
    for _i in range(limit):
        with transaction.atomic():
            notice = (
                Notification.objects.select_for_update(skip_locked=True, of=("self",))
                .to_send(now)
                .select_related("recipient")
                .order_by("id")
                .first()
            )
            if notice is None:
                break
            notice.attempts += 1
            try:
                delivered = _email(notice, connection).send()
                if not delivered:
                    raise OSError(_("The mail server accepted no recipient."))
            except Exception as exc:  # noqa: BLE001 - any failure is recorded and retried
                notice.email_state = EmailState.FAILED
                notice.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                notice.next_attempt_at = now + backoff(notice.attempts)
                result.failed += 1
                log.warning("Notice %s not sent (attempt %s): %s", notice.pk, notice.attempts, exc)
            else:
                notice.email_state = EmailState.SENT
                notice.sent_at = timezone.now()
                notice.next_attempt_at = None
                notice.last_error = ""
                result.sent += 1
            notice.save(
                update_fields=[
                    "attempts",
                    "email_state",
                    "last_error",
                    "next_attempt_at",
                    "sent_at",
                ]
            )
    return result


def _email(notice: Notification, connection) -> EmailMessage:
    with translation.override(notice.language):
        footer = [
            "",
            "—",
            _("METU Strategy: %(link)s") % {"link": texts.absolute(notice.link)},
        ]
        if notice.kind in OPTIONAL_KINDS:
            footer.append(
                _("You can turn these e-mails off in your notification settings: %(link)s")
                % {"link": texts.absolute(reverse("notice_profile"))}
            )
    return EmailMessage(
        subject=notice.subject,
        body=notice.body + "\n" + "\n".join(footer),
        to=[notice.recipient.email],
        connection=connection,
        headers={"X-METU-Notice": str(notice.pk)},
    )
