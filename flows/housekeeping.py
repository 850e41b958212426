"""Keeping the Prefect server's view honest: runs that no process will finish."""

from __future__ import annotations

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    FlowRunFilter,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import StateType
from prefect.states import Crashed

UNFINISHED = [StateType.PENDING, StateType.RUNNING, StateType.CANCELLING]


def crash_unfinished_runs(reason: str) -> int:
    """Mark every Pending/Running run of this server Crashed with ``reason``: called by
    ``monev up`` (which owns its server) when no runner of its is alive. Flows are
    idempotent sweeps, so the next run catches up on whatever these left undone."""
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(
            state=FlowRunFilterState(type=FlowRunFilterStateType(any_=UNFINISHED))))
        for run in runs:
            client.set_flow_run_state(run.id, Crashed(message=reason), force=True)
    return len(runs)
