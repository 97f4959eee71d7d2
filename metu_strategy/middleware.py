"""Small cross-cutting middleware."""

import time

from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.core.exceptions import BadRequest
from django.http import Http404, HttpRequest, HttpResponse


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


class RefuseNulMiddleware:
    """A NUL character, which nobody types and PostgreSQL refuses in any query: in the
    address, the page does not exist (404); in a parameter, the request is not accepted
    (400); a cookie holding one is ignored, as an invalid session key would be. Placed
    before the session middleware, which reads its cookie in a query."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if NUL in request.path_info:
            raise Http404
        request.COOKIES = {
            key: value
            for key, value in request.COOKIES.items()
            if NUL not in key and NUL not in value
        }
        params = (request.GET, request.POST) if request.method == "POST" else (request.GET,)
        for query in params:
            for key, values in query.lists():
                if NUL in key or any(NUL in value for value in values):
                    raise BadRequest("A NUL character in a parameter.")
        return self.get_response(request)


NUL = "\x00"
