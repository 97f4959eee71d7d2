"""Caching the rendered dashboards, safely.

A dashboard's body is the same for everyone who may see it, so it is rendered once per
(data version, language, options) and kept in the cache. Every write to the data the
dashboards read moves the data version on after its transaction commits, so no worker
serves a dashboard older than the last committed change."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.translation import get_language

from reports.models import DataVersion


def data_version() -> int:
    row = DataVersion.objects.filter(pk=1).values_list("value", flat=True).first()
    return row or 0


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


def cached_body(
    request: HttpRequest, name: str, options: tuple, template: str, build: Callable[[], dict]
) -> str:
    """The dashboard body rendered from `build()`'s context, cached when allowed."""
    timeout = settings.DASHBOARD_CACHE_SECONDS
    if not timeout:
        return render_to_string(template, build(), request=request)
    key = ":".join(["dashboard", name, str(data_version()), get_language(), *map(str, options)])
    body = cache.get(key)
    if body is None:
        body = render_to_string(template, build(), request=request)
        cache.set(key, body, timeout)
    return body


def _changed(sender, **kwargs) -> None:
    bump_data_version()


def connect_signals() -> None:
    from directions.models import Direction, Goal, Program, Task
    from kpis.models import Actual, Kpi, OrgUnit, ReportingYear, Target

    for model in (Program, Direction, Goal, Task, Kpi, Target, Actual, OrgUnit, ReportingYear):
        post_save.connect(_changed, sender=model, dispatch_uid=f"dashboard-{model.__name__}")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"dashboard-del-{model.__name__}")
