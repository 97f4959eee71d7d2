"""Project-wide views: health check and error pages that never show a stack trace."""

import logging

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

security_log = logging.getLogger("metu.security")


@login_not_required
def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


def permission_denied(request: HttpRequest, exception=None) -> HttpResponse:
    security_log.warning(
        "Refused %s %s for user %r from %s",
        request.method,
        request.path,
        getattr(request.user, "username", None) or "anonymous",
        request.META.get("REMOTE_ADDR"),
    )
    return render(request, "403.html", status=403)


def bad_request(request: HttpRequest, exception=None) -> HttpResponse:
    too_big = isinstance(exception, RequestDataTooBig)
    security_log.warning(
        "Bad request %s %s from %s: %s",
        request.method,
        request.path,
        request.META.get("REMOTE_ADDR"),
        exception,
    )
    ctx = {"too_big": too_big, "limit_mb": settings.MAX_UPLOAD_BYTES // (1024 * 1024)}
    return render(request, "400.html", ctx, status=413 if too_big else 400)


@login_not_required
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico on every page, the admin's included."""
    from django.shortcuts import redirect
    from django.templatetags.static import static

    return redirect(static("img/favicon.svg"), permanent=True)
