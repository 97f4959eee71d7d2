"""Small cross-cutting middleware."""

import time

from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.http import HttpRequest, HttpResponse


class ServerTimingMiddleware:
    """Adds `Server-Timing: app;dur=<ms>` so the browser's developer tools and the
    benchmark can tell the application's own time from the network's."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed_ms = (time.perf_counter() - started) * 1000
        response["Server-Timing"] = f"app;dur={elapsed_ms:.2f}"
        return response


class SignInAgainMiddleware(LoginRequiredMiddleware):
    """Django's LoginRequiredMiddleware, telling the sign-in page when a form was posted
    after the session ended: the page then says so, and the entry page offers back
    what was typed (kept in the browser, static/js/app.js)."""

    def handle_no_permission(self, request: HttpRequest, view_func) -> HttpResponse:
        response = super().handle_no_permission(request, view_func)
        if request.method == "POST":
            response["Location"] += "&expired=1" if "?" in response["Location"] else "?expired=1"
        return response
