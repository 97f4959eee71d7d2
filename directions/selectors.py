"""Querysets of the plan's structure, built in one place."""

from __future__ import annotations

from directions.models import Program


def current_program() -> Program | None:
    """The program the application shows: the latest one loaded."""
    return Program.objects.order_by("-start_year", "-id").first()
