"""Values created directly in tests carry the stamps the workflow would have set: the
database refuses a submitted value without submitted_at and an approved one without
submitted_at and approved_at."""

from django.utils import timezone

from kpis.models import ActualState


def stamps(state: str) -> dict:
    now = timezone.now()
    published = state in (ActualState.SUBMITTED, ActualState.APPROVED)
    return {
        "submitted_at": now if published else None,
        "approved_at": now if state == ActualState.APPROVED else None,
    }
