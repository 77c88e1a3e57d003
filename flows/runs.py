"""The flow run a flow is running in: its tags, and the states dtia sets on it itself.

A paused run whose pause has timed out is failed by the Prefect API with its own words ("The
flow was paused and never resumed") at the next transition it is asked for; dtia moves such
a run on itself, with ``force``, so the state a run ends in carries dtia's reason.
"""

from __future__ import annotations

from uuid import UUID

from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import FlowRun
from prefect.context import FlowRunContext
from prefect.settings import PREFECT_API_URL, temporary_settings
from prefect.states import Failed, Running


def current_run() -> FlowRun | None:
    """The flow run this code runs in (None outside one)."""
    context = FlowRunContext.get()
    return context.flow_run if context is not None else None


def transfer_tag(transfer_id: str) -> str:
    """The tag of every flow run about one transfer (filter the Prefect UI's runs by it)."""
    return f"transfer:{transfer_id}"


def add_tags(*tags: str) -> None:
    """Tag the current run: the transfer is known only once its intake is read."""
    run = current_run()
    if run is None:
        return
    with get_client(sync_client=True) as client:
        current = client.read_flow_run(run.id).tags
        client.update_flow_run(run.id, tags=sorted({*current, *tags}))


def stop_waiting(flow_run_id: UUID, why: str) -> None:
    """A run whose pause timed out, running again, so it ends in the state dtia gives it."""
    with get_client(sync_client=True) as client:
        client.set_flow_run_state(flow_run_id, Running(message=why), force=True)


def fail_waiting_run(flow_run_id: str, api_url: str | None, reason: str) -> bool:
    """Fail a paused or suspended run with ``reason``, on the API it runs against; False when
    the run no longer waits (resumed, or ended meanwhile)."""
    settings = {PREFECT_API_URL: api_url} if api_url else {}
    with temporary_settings(settings), get_client(sync_client=True) as client:
        run = client.read_flow_run(UUID(flow_run_id))
        if run.state is None or not run.state.is_paused():
            return False
        client.set_flow_run_state(run.id, Failed(message=reason), force=True)
        return True
