"""Asking Prefect for a run of the dispatcher's deployment when a message is due.

The dispatcher has no interval schedule: whoever queues messages asks for a run at the
moment the earliest pending row may go out — a sweep, a dispatch run that leaves rows
for later (``tasks.dispatch.schedule_dispatch``), and a portal action that queued a
message (a rejection: the PIC hears it within minutes in working hours, not next
morning). Here, below the portal and the flows, so both can ask."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from monev.clock import DEFAULT_TZ
from monev.store.outbox import next_due

DISPATCH_DEPLOYMENT = "dispatch/antrean"
SLACK = timedelta(seconds=30)  # a scheduled run this close to the moment is good enough
EMPTY, COVERED, NOT_DEPLOYED = ("antrean kosong", "sudah terjadwal",
                                "deployment pengirim belum ada")


def request_dispatch(factory: sessionmaker[Session]) -> str:
    """Make sure a dispatch run is scheduled for the earliest pending outbox row (once:
    an earlier or equal scheduled run already covers it). Talks to the Prefect API of
    the environment; returns what was done, in words."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterId,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.exceptions import ObjectNotFound
    from prefect.states import Scheduled

    with factory() as s:
        due = next_due(s)
    if due is None:
        return EMPTY
    moment = max(due.replace(tzinfo=UTC), datetime.now(UTC))
    with get_client(sync_client=True) as client:
        try:
            deployment = client.read_deployment_by_name(DISPATCH_DEPLOYMENT)
        except ObjectNotFound:
            return NOT_DEPLOYED
        waiting = client.read_flow_runs(
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment.id])),
            flow_run_filter=FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(
                any_=[StateType.SCHEDULED, StateType.PENDING]))))
        if any(r.expected_start_time and r.expected_start_time <= moment + SLACK
               for r in waiting):
            return COVERED
        local = moment.astimezone(ZoneInfo(DEFAULT_TZ))  # named as tasks.naming does
        client.create_flow_run_from_deployment(
            deployment.id, state=Scheduled(scheduled_time=moment),
            name=f"dispatch · {local:%Y-%m-%d %H:%M}")
    return f"pengiriman dijadwalkan {moment:%Y-%m-%d %H:%M} UTC"
