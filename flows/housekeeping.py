"""Keeping the Prefect server's view honest: runs that no process will finish, and
waiting runs named like the ones that ran."""

from __future__ import annotations

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    FlowRunFilter,
    FlowRunFilterState,
    FlowRunFilterStateType,
    FlowRunFilterTags,
)
from prefect.client.schemas.objects import StateType
from prefect.states import Crashed

from tasks.naming import OWNER_TAG, describe_run

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


def running_runs() -> int:
    """How many flow runs of this server are running now."""
    with get_client(sync_client=True) as client:
        return client.count_flow_runs(flow_run_filter=FlowRunFilter(state=FlowRunFilterState(
            type=FlowRunFilterStateType(any_=[StateType.RUNNING]))))


def name_scheduled_runs(page: int = 200) -> int:
    """Give the runs Prefect's scheduler created for monev's deployments (named at
    random, "gabby-horse") the name they carry once they start, so an admin reads the
    upcoming runs too. Prefect names a run from ``flow_run_name`` only when it starts;
    this renames the waiting ones that still have a random name. Returns how many."""
    waiting = FlowRunFilter(
        state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.SCHEDULED])),
        tags=FlowRunFilterTags(all_=[OWNER_TAG]))
    renamed = 0
    with get_client(sync_client=True) as client:
        flows = {f.id: f.name for f in client.read_flows()}
        seen = 0
        while True:  # the server answers at most 200 runs a request
            runs = client.read_flow_runs(flow_run_filter=waiting, limit=page, offset=seen)
            seen += len(runs)
            for run in runs:
                if " · " in run.name or run.expected_start_time is None:
                    continue
                name = describe_run(flows.get(run.flow_id, "monev"), run.parameters,
                                    run.expected_start_time)
                client.update_flow_run(run.id, name=name)
                renamed += 1
            if len(runs) < page:
                return renamed
