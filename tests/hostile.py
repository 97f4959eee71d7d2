"""What the hostile-input tests share: a few values in every state, and a digest of
everything a request could change."""

from __future__ import annotations

from decimal import Decimal as D

from django.contrib.auth.models import User

from directions.models import Program
from kpis import services
from kpis.models import Actual, Evidence, Kpi, ReportingYear, Target
from reports.models import FrozenReport
from tests.files import pdf_bytes, upload


def entry(program: Program, code: str, value, submit: bool = False) -> services.Entry:
    kpi = Kpi.objects.prefetch_related("targets").get(program=program, code=code)
    return services.Entry(kpi=kpi, value=D(value), submit=submit, explanation="x")


def make_values(program: Program) -> dict:
    """A draft with evidence, a submitted and an approved value of the head's unit in
    2025, and a changed target (so there is a change to revert)."""
    head = User.objects.get(username="head")
    planner = User.objects.get(username="planner")
    (draft,) = services.save_entries(
        user=head, program=program, year=2025, entries=[entry(program, "1.1.3", 70)]
    )
    services.attach_evidence(actual=draft, user=head, upload=upload("a.pdf", pdf_bytes()))
    (submitted,) = services.save_entries(
        user=head, program=program, year=2025, entries=[entry(program, "1.1.4", 4, True)]
    )
    (approved,) = services.save_entries(
        user=head, program=program, year=2025, entries=[entry(program, "1.2.1", 7, True)]
    )
    services.approve(user=planner, actual=approved)
    target = Target.objects.get(kpi__program=program, kpi__code="1.1.1", year=2029)
    services.change_target(user=planner, target=target, value=D(4600), value2=None, reason="r")
    return {
        "draft": draft,
        "submitted": submitted,
        "approved": approved,
        "evidence": draft.evidence.get(),
        "target": target,
        "target_change": target.history.first().history_id,
    }


def database() -> tuple:
    """Everything a page or form could change: values, targets, years, evidence,
    frozen reports and their histories."""
    return (
        sorted(
            Actual.objects.values_list(
                "id", "state", "value", "value2", "comment", "explanation", "version"
            )
        ),
        sorted(Actual.objects.values_list("id", "return_reason")),
        sorted(Target.objects.values_list("id", "value", "value2", "raw_text")),
        sorted(ReportingYear.objects.values_list("year", "is_open")),
        Actual.history.count(),
        Target.history.count(),
        ReportingYear.history.count(),
        Evidence.objects.count(),
        FrozenReport.objects.count(),
    )
