"""Pages: the bell's list, a person's notification settings, and the planning office's
reminders (settings, preview and "send a reminder now")."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from directions.selectors import current_program
from kpis import roles
from kpis import services as kpi_services
from kpis.models import OrgUnit, ReportingYear
from metu_strategy.params import int_param, next_param, year_param
from notices import services, texts
from notices.forms import ProfileForm, ReminderSettingsForm
from notices.models import OPTIONAL_KINDS, EmailState, Notification, Profile, ReminderSettings

PAGE_SIZE = 50


@login_required
def notice_list(request: HttpRequest) -> HttpResponse:
    notices = Notification.objects.filter(recipient=request.user)
    page = Paginator(notices, PAGE_SIZE).get_page(int_param(request.GET.get("page"), default=1))
    ctx = {"page": page, "notices": page.object_list}
    if roles.is_planner(request.user):
        ctx["failures"] = (
            Notification.objects.filter(email_state=EmailState.FAILED)
            .select_related("recipient")
            .order_by("next_attempt_at", "id")[:200]
        )
        ctx["max_attempts"] = settings.NOTICE_MAX_ATTEMPTS
    return render(request, "notices/list.html", ctx)


@login_required
@require_POST
def notice_read(request: HttpRequest, pk: int) -> HttpResponse:
    notice = get_object_or_404(Notification, pk=pk, recipient=request.user)
    if notice.read_at is None:
        Notification.objects.filter(pk=notice.pk).update(read_at=timezone.now())
    if request.POST.get("open") and notice.link:
        return redirect(notice.link)
    return redirect(next_param(request, reverse("notices")))


@login_required
@require_POST
def notice_read_all(request: HttpRequest) -> HttpResponse:
    n = Notification.objects.filter(recipient=request.user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    messages.success(
        request,
        ngettext("%(n)s notification marked read.", "%(n)s notifications marked read.", n)
        % {"n": n},
    )
    return redirect(reverse("notices"))


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    """A person's language and which e-mails they get."""
    stored = services.profile_of(request.user)
    initial = {
        "language": stored.language,
        "email": [k.value for k in OPTIONAL_KINDS if k.value not in (stored.email_off or [])],
    }
    form = ProfileForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        wanted = set(form.cleaned_data["email"])
        Profile.objects.update_or_create(
            user=request.user,
            defaults={
                "language": form.cleaned_data["language"],
                "email_off": [k.value for k in OPTIONAL_KINDS if k.value not in wanted],
            },
        )
        language = form.cleaned_data["language"]
        with translation.override(language):
            messages.success(request, _("Your notification settings are saved."))
        response = redirect(reverse("notice_profile"))
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
        return response
    return render(request, "notices/profile.html", {"form": form})


def _require_planner(request: HttpRequest) -> None:
    if not roles.is_planner(request.user):
        raise PermissionDenied


@require_http_methods(["GET", "POST"])
def reminder_settings(request: HttpRequest) -> HttpResponse:
    """When reminders go out and what they say, per language (planning office)."""
    _require_planner(request)
    stored = ReminderSettings.current()
    form = ReminderSettingsForm(request.POST if request.method == "POST" else None, instance=stored)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("The reminder settings are saved."))
        return redirect(reverse("reminder_settings"))
    defaults = {}
    for language, name in settings.LANGUAGES:
        with translation.override(language):
            defaults[language] = (name, *texts.default_reminder())
    ctx = {"form": form, "defaults": defaults, "placeholders": texts.PLACEHOLDERS}
    return render(request, "notices/reminder_settings.html", ctx)


@require_http_methods(["GET", "POST"])
def reminder_preview(request: HttpRequest) -> HttpResponse:
    """ "Send a reminder now" to one unit or every late one: GET shows who gets what, in
    their language; the POST of that page (with its token) sends it."""
    _require_planner(request)
    program = current_program()
    if program is None:
        raise Http404(_("No program is loaded."))
    data = request.POST if request.method == "POST" else request.GET
    year = year_param(data.get("year"), program, kpi_services.latest_open_year(program))
    if year is None:
        raise Http404(_("No such year in the program."))
    unit = None
    if data.get("unit"):
        unit = get_object_or_404(OrgUnit, code=data.get("unit"))
    if request.method == "POST":
        token = (request.POST.get("token") or "")[:40]
        if not token.isalnum():
            messages.error(request, _("Nothing was sent: the form was incomplete. Try again."))
            return redirect(f"{reverse('progress')}?year={year}")
        created = services.remind_now(
            user=request.user, program=program, year=year, unit=unit, token=token
        )
        if created:
            units = len({n.params.get("unit") for n in created})
            messages.success(
                request,
                ngettext(
                    "Reminder sent to %(n)s head (%(units)s units): it is under their bell "
                    "now, and its e-mail leaves with the next run of send_notifications.",
                    "Reminder sent to %(n)s heads (%(units)s units): it is under their bell "
                    "now, and its e-mails leave with the next run of send_notifications.",
                    len(created),
                )
                % {"n": len(created), "units": units},
            )
        else:
            messages.info(
                request, _("Nothing was sent: no late unit with a head, or already sent.")
            )
        return redirect(f"{reverse('progress')}?year={year}")
    late = services.late_units(program, year)
    if unit is not None:
        late = [owed for owed in late if owed.unit.pk == unit.pk]
    row = ReportingYear.objects.filter(program=program, year=year).first()
    now = timezone.now()
    due = row.due if row and row.due else kpi_services.today_in_almaty(now)
    stored = ReminderSettings.current()
    previews = []
    for owed in late:
        heads = []
        for head in owed.unit.heads.filter(is_active=True).order_by("id"):
            language = services.profile_of(head).language
            with translation.override(language):
                subject, body = texts.reminder(
                    services.reminder_texts(language, stored),
                    unit=owed.unit.name,
                    year=year,
                    due=due,
                    today=kpi_services.today_in_almaty(now),
                    lines=owed.lines(),
                )
            heads.append({"user": head, "language": language, "subject": subject, "body": body})
        previews.append({"owed": owed, "heads": heads})
    ctx = {
        "year": year,
        "unit": unit,
        "previews": previews,
        "token": services.new_token(),
        "recipients": sum(len(p["heads"]) for p in previews),
    }
    return render(request, "notices/reminder_preview.html", ctx)
