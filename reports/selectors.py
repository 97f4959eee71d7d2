"""Querysets the reports and dashboards need, built in one place."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from directions.models import Program
from kpis.models import Actual, ActualState, Kpi, Target


def counted_states(*, include_submitted: bool) -> list[str]:
    states = [ActualState.APPROVED]
    if include_submitted:
        states.append(ActualState.SUBMITTED)
    return states


def kpis_with_values(program: Program, *, include_submitted: bool = False) -> QuerySet[Kpi]:
    """Every KPI of the program with its task, direction, owner, targets and counted actuals.

    Four queries whatever the number of KPIs."""
    return (
        Kpi.objects.filter(program=program)
        .select_related("task__goal__direction", "owner")
        .prefetch_related(
            Prefetch("targets", queryset=Target.objects.order_by("year")),
            Prefetch(
                "actuals",
                queryset=Actual.objects.filter(
                    state__in=counted_states(include_submitted=include_submitted)
                ).order_by("year"),
            ),
        )
        .order_by("task__goal__direction__number", "task__position", "position")
    )
