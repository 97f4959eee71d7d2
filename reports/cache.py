"""Caching the rendered dashboards, safely.

A dashboard's body is the same for everyone who may see it, so it is rendered once per
(data version, language, options) and kept in the cache. The data version is a counter
in the database (DataVersion). kpis announces every write of data the application shows
with its `data_changed` signal; each transaction that sent it moves the version on once,
when it commits. So no worker serves a dashboard older than the last committed change,
and none keeps one under a version whose data was rolled back."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from functools import partial, wraps

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language

from kpis.signals import data_changed
from reports.models import DataVersion


def data_version(request: HttpRequest | None = None) -> int:
    """The current data version; read once per request when a request is given."""
    if request is not None and hasattr(request, "_data_version"):
        return request._data_version
    version = DataVersion.objects.filter(pk=1).values_list("value", flat=True).first() or 0
    if request is not None:
        request._data_version = version
    return version


def move_on_commit() -> None:
    """Move the version on once when the current transaction commits (at once outside
    one). Every change of a transaction asks for the same move: the first of its
    callbacks to run makes it, the others find it made. A rolled-back transaction's
    callbacks never run, and its move, never made, is reused by the next transaction."""
    move = getattr(_pending, "move", None)
    if move is None or move.made:
        move = _pending.move = _Move()
    transaction.on_commit(partial(_make, move))


class _Move:
    made = False


# The move the current transaction asks for; per thread, like its database connection.
_pending = threading.local()


def _make(move: _Move) -> None:
    if move.made:
        return
    move.made = True
    if not DataVersion.objects.filter(pk=1).update(value=F("value") + 1):
        DataVersion.objects.get_or_create(pk=1, defaults={"value": 1})


def cached_body(
    request: HttpRequest, name: str, options: tuple, template: str, build: Callable[[], dict]
) -> str:
    """The dashboard body rendered from `build()`'s context, cached when allowed."""
    timeout = settings.DASHBOARD_CACHE_SECONDS
    if not timeout:
        return render_to_string(template, build(), request=request)
    version = str(data_version(request))
    # Which years are due changes on New Year's Day, without any data changing.
    today = str(timezone.localdate().year)
    key = ":".join(["dashboard", name, version, today, get_language(), *map(str, options)])
    body = cache.get(key)
    if body is None:
        body = render_to_string(template, build(), request=request)
        cache.set(key, body, timeout)
    return body


def cached_page(view: Callable) -> Callable:
    """Keep a dashboard page as it was last sent to this session, until the data
    version moves on. The page carries the session's own CSRF token, navigation and
    whatever else only its user may see, so it is never shared with another session;
    the body inside it is (see cached_body). Sessions belong to one user; a change of
    roles moves the data version on (kpis.signals.data_changed)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        session_key = request.session.session_key
        if (
            not settings.DASHBOARD_CACHE_SECONDS
            or request.method != "GET"
            or not session_key
            or len(messages.get_messages(request))  # one-off messages: render afresh
        ):
            return view(request, *args, **kwargs)
        parts = [session_key, str(data_version(request)), get_language(), request.get_full_path()]
        # What the header shows its reader besides: the bell's unread count (notices).
        parts.append(str(getattr(request, "unread_notices", "")))
        key = "page:" + hashlib.sha256(":".join(parts).encode()).hexdigest()
        content = cache.get(key)
        if content is not None:
            return HttpResponse(content)
        response = view(request, *args, **kwargs)
        if response.status_code == 200:
            cache.set(key, response.content, settings.DASHBOARD_CACHE_SECONDS)
        return response

    return wrapper


def _data_changed(sender, **kwargs) -> None:
    move_on_commit()


def connect_signals() -> None:
    data_changed.connect(_data_changed, dispatch_uid="reports-data-version")
