"""Project-wide views: health check and error pages that never show a stack trace.

The error pages are rendered without the request's context processors: they may answer
a request that never reached the session and the user (a bad Host header is refused
before either is read) or that failed because the database is gone, so they read
neither."""

import logging

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError, connections
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

from metu_strategy.params import client_address

security_log = logging.getLogger("metu.security")
log = logging.getLogger(__name__)


@login_not_required
def healthz(request: HttpRequest) -> HttpResponse:
    """200 "ok" when every database answers a trivial query; 503 otherwise, so a load
    balancer takes the server out of service instead of sending users to failing pages."""
    for alias in connections:
        try:
            with connections[alias].cursor() as cursor:
                cursor.execute("SELECT 1")
        except DatabaseError as exc:
            log.error("Health check: database %r does not answer: %s", alias, exc)
            return HttpResponse("database unavailable", content_type="text/plain", status=503)
    return HttpResponse("ok", content_type="text/plain")


def _error_page(template: str, status: int, context: dict | None = None) -> HttpResponse:
    return HttpResponse(render_to_string(template, context or {}), status=status)


def permission_denied(request: HttpRequest, exception=None) -> HttpResponse:
    user = getattr(request, "user", None)
    security_log.warning(
        "Refused %s %s for user %r from %s",
        request.method,
        request.path,
        getattr(user, "username", None) or "anonymous",
        client_address(request),
    )
    return _error_page("403.html", 403)


def bad_request(request: HttpRequest, exception=None) -> HttpResponse:
    too_big = isinstance(exception, RequestDataTooBig)
    security_log.warning(
        "Bad request %s %s from %s: %s",
        request.method,
        request.path,
        client_address(request),
        exception,
    )
    ctx = {"too_big": too_big, "limit_mb": settings.MAX_UPLOAD_BYTES // (1024 * 1024)}
    return _error_page("400.html", 413 if too_big else 400, ctx)


def page_not_found(request: HttpRequest, exception=None) -> HttpResponse:
    return _error_page("404.html", 404)


def server_error(request: HttpRequest) -> HttpResponse:
    return _error_page("500.html", 500)


@login_not_required
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico on every page, the admin's included."""
    from django.shortcuts import redirect
    from django.templatetags.static import static

    return redirect(static("img/favicon.svg"), permanent=True)
