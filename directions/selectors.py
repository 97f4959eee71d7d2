"""Querysets the program pages need, built in one place."""

from __future__ import annotations

from django.db.models import Prefetch

from directions.models import Alignment, Direction, Program, TargetIndicator, Task


def current_program() -> Program | None:
    """The program the application shows: the latest one loaded."""
    return Program.objects.order_by("-start_year", "-id").first()


def program_tree(program: Program) -> list[Direction]:
    """Directions → goals → tasks → KPIs with targets, in a fixed number of queries.

    Each KPI gets `yearly_targets`: its Target (or None) for every program year, in order."""
    from kpis.models import Kpi, Target

    kpis = Kpi.objects.select_related("owner").prefetch_related(
        Prefetch("targets", queryset=Target.objects.order_by("year"))
    )
    tasks = Task.objects.order_by("position").prefetch_related(
        Prefetch("kpis", queryset=kpis.order_by("position"))
    )
    directions = list(
        Direction.objects.filter(program=program)
        .order_by("number")
        .prefetch_related(
            "goals",
            Prefetch("goals__tasks", queryset=tasks),
            Prefetch("alignments", queryset=Alignment.objects.select_related("document")),
            Prefetch(
                "target_indicators", queryset=TargetIndicator.objects.select_related("document")
            ),
        )
    )
    for direction in directions:
        for alignment in direction.alignments.all():
            alignment.indicators = [
                i
                for i in direction.target_indicators.all()
                if i.document_id == alignment.document_id
            ]
        for goal in direction.goals.all():
            for task in goal.tasks.all():
                for kpi in task.kpis.all():
                    by_year = {t.year: t for t in kpi.targets.all()}
                    kpi.yearly_targets = [by_year.get(y) for y in program.years]
    return directions
