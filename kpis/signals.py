"""Signals other apps listen to."""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

from django.apps import apps
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import Signal

# Data the application shows has changed: the program (its directions, goals, tasks and
# KPIs), targets, values, evidence, units, reporting years, or who may see and do what
# (people, their roles, the units they head). Sent inside the writing transaction, once
# per changed row or more: a receiver that acts on it waits for the commit (reports.cache
# moves the dashboards' data version on once per committed transaction).
data_changed = Signal()

# A value or a contribution went through the workflow: `row` (an Actual or a
# Contribution), `event` ("approved", "returned" or "reopened"), `user` who did it and
# `reason` (the planning office's words; empty for an approval). Sent by kpis.services
# inside the transaction that made the change, after the row was saved, so a receiver's
# writes commit or roll back with it (the notices app creates notifications from it).
workflow_event = Signal()
_quiet = ContextVar("workflow_events_quiet", default=False)


@contextmanager
def workflow_events_quiet():
    """Within it the workflow announces nothing: the demo's own approvals are not news
    to anyone, and would start every demo head's bell at dozens."""
    token = _quiet.set(True)
    try:
        yield
    finally:
        _quiet.reset(token)


def announce(row, event: str, user, reason: str = "") -> None:
    """Send workflow_event for `row`, unless inside workflow_events_quiet()."""
    if not _quiet.get():
        workflow_event.send(sender=type(row), row=row, event=event, user=user, reason=reason)


# Every write of a model of these apps sends data_changed through the model signals
# below, whoever writes: the services, the program loader, the admin, a restore, a shell.
# A write that sends no model signal (bulk_create, QuerySet.update) sends it itself.
WATCHED_APPS = ("directions", "kpis")


def watched_models() -> list[type]:
    """The models whose every write is data the application shows: those of WATCHED_APPS
    (with their history and many-to-many tables) and Django's users, groups and the
    tables that give them permissions, which decide what each page shows its reader."""
    from django.contrib.auth.models import Group, User

    models = [
        model
        for label in WATCHED_APPS
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
    ]
    models += [User, Group]
    models += [relation.through for relation in (User.groups, User.user_permissions)]
    models.append(Group.permissions.through)
    return models


def watch_models() -> None:
    """Connect the model signals of every watched model to data_changed."""
    for model in watched_models():
        uid = f"data-changed-{model._meta.label_lower}"
        post_save.connect(_saved, sender=model, dispatch_uid=uid)
        post_delete.connect(_deleted, sender=model, dispatch_uid=uid)
        m2m_changed.connect(_related, sender=model, dispatch_uid=uid)


def _saved(sender, update_fields=None, **kwargs) -> None:
    if update_fields == {"last_login"}:  # every sign-in saves that alone
        return
    data_changed.send(sender=sender)


def _deleted(sender, **kwargs) -> None:
    data_changed.send(sender=sender)


def _related(sender, action: str, **kwargs) -> None:
    if action.startswith("post_"):
        data_changed.send(sender=sender)
