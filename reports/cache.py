"""Caching the rendered dashboards, safely.

A dashboard's body is the same for everyone who may see it, so it is rendered once per
(data version, language, options) and kept in the cache. Every write to the data the
dashboards read moves the data version on after its transaction commits, so no worker
serves a dashboard older than the last committed change."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.translation import get_language

from reports.models import DataVersion


def data_version(request: HttpRequest | None = None) -> int:
    """The current data version; read once per request when a request is given."""
    if request is not None and hasattr(request, "_data_version"):
        return request._data_version
    version = DataVersion.objects.filter(pk=1).values_list("value", flat=True).first() or 0
    if request is not None:
        request._data_version = version
    return version


def bump_data_version() -> None:
    """Move the version on once the current transaction commits (at once outside one)."""
    if connection.in_atomic_block and any(
        callback is _bump_now for _sids, callback, _robust in connection.run_on_commit
    ):
        return  # already due in this transaction
    transaction.on_commit(_bump_now)


def _bump_now() -> None:
    if not DataVersion.objects.filter(pk=1).update(value=F("value") + 1):
        DataVersion.objects.get_or_create(pk=1, defaults={"value": 1})


def per_version(
    request: HttpRequest, name: str, compute: Callable[[], object], *parts: object
) -> object:
    """`compute()` remembered in this process until the data version moves on: the
    current program and the default year are asked for on every dashboard request."""
    if not settings.DASHBOARD_CACHE_SECONDS:
        return compute()
    key = (name, data_version(request), *parts)
    if key not in _per_version:
        if len(_per_version) > 256:
            _per_version.clear()
        _per_version[key] = compute()
    return _per_version[key]


_per_version: dict[tuple, object] = {}


def cached_body(
    request: HttpRequest, name: str, options: tuple, template: str, build: Callable[[], dict]
) -> str:
    """The dashboard body rendered from `build()`'s context, cached when allowed."""
    timeout = settings.DASHBOARD_CACHE_SECONDS
    if not timeout:
        return render_to_string(template, build(), request=request)
    version = str(data_version(request))
    key = ":".join(["dashboard", name, version, get_language(), *map(str, options)])
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
    roles moves the data version on (see connect_signals)."""

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
        key = "page:" + hashlib.sha256(":".join(parts).encode()).hexdigest()
        content = cache.get(key)
        if content is not None:
            return HttpResponse(content)
        response = view(request, *args, **kwargs)
        if response.status_code == 200:
            cache.set(key, response.content, settings.DASHBOARD_CACHE_SECONDS)
        return response

    return wrapper


def _changed(sender, **kwargs) -> None:
    bump_data_version()


def _roles_changed(sender, action: str, **kwargs) -> None:
    if action.startswith("post_"):
        bump_data_version()


def _user_saved(sender, update_fields=None, **kwargs) -> None:
    if update_fields != {"last_login"}:  # every sign-in saves that alone
        bump_data_version()


def connect_signals() -> None:
    from django.contrib.auth.models import Group, User

    from directions.models import Direction, Goal, Program, Task
    from kpis.models import Actual, Evidence, Kpi, OrgUnit, ReportingYear, Target
    from kpis.signals import values_bulk_saved

    values_bulk_saved.connect(_changed, dispatch_uid="dashboard-bulk")
    models = (Program, Direction, Goal, Task, Kpi, Target, Actual, Evidence, OrgUnit, ReportingYear)
    for model in models:
        post_save.connect(_changed, sender=model, dispatch_uid=f"dashboard-{model.__name__}")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"dashboard-del-{model.__name__}")
    # A page kept for a session shows what its user may read and use (drafts of the
    # units they head, the planning office's controls): a change of roles renders it anew.
    post_save.connect(_user_saved, sender=User, dispatch_uid="dashboard-user")
    for relation in (User.groups, User.user_permissions, Group.permissions, OrgUnit.heads):
        m2m_changed.connect(
            _roles_changed,
            sender=relation.through,
            dispatch_uid=f"dashboard-roles-{relation.through.__name__}",
        )
