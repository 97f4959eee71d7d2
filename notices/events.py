"""The notices app listens to kpis; kpis never imports it."""

from kpis.signals import workflow_event


def connect_signals() -> None:
    from notices.services import on_workflow_event

    workflow_event.connect(on_workflow_event, dispatch_uid="notices-workflow")
