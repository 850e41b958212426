"""Asking Prefect for a run of the dispatcher's deployment when a message is due.

The dispatcher has no interval schedule: whoever queues messages asks for a run at the
moment the earliest pending row may go out — a sweep, a dispatch run that leaves rows
for later (``tasks.dispatch.schedule_dispatch``), and a portal action that queued a
message (a rejection: the PIC hears it within minutes in working hours, not next
morning). Here, below the portal and the flows, so both can ask.

The retry of inbound replies (``inbound_retry/ulang``) is asked for the same way: when a
reply's media download failed and the message waits (:func:`request_inbound_retry`), a
run ten minutes later; a run that still leaves one waiting asks for the next. No run is
made while nothing waits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from monev.clock import DEFAULT_TZ
from monev.store import models as m
from monev.store.outbox import next_due

DISPATCH_DEPLOYMENT = "dispatch/antrean"
INBOUND_DEPLOYMENT = "inbound_retry/ulang"
RETRY_AFTER = timedelta(minutes=10)
SLACK = timedelta(seconds=30)  # a scheduled run this close to the moment is good enough
EMPTY, COVERED, NOT_DEPLOYED = ("antrean kosong", "sudah terjadwal",
                                "deployment pengirim belum ada")


def request_dispatch(factory: sessionmaker[Session]) -> str:
    """Make sure a dispatch run is scheduled for the earliest pending outbox row (once:
    an earlier or equal scheduled run already covers it). Talks to the Prefect API of
    the environment; returns what was done, in words."""
    with factory() as s:
        due = next_due(s)
    if due is None:
        return EMPTY
    return request_run(DISPATCH_DEPLOYMENT, due.replace(tzinfo=UTC), "dispatch", "pengiriman")


def request_inbound_retry(factory: sessionmaker[Session], after: timedelta = RETRY_AFTER,
                          ) -> str:
    """Make sure an ``inbound_retry`` run is scheduled within ``after`` while a reply
    waits to be handled again (status ``received``); none while nothing waits."""
    with factory() as s:
        waiting = s.scalar(select(func.count(m.InboundMessage.id)).where(
            m.InboundMessage.status == "received"))
    if not waiting:
        return EMPTY
    return request_run(INBOUND_DEPLOYMENT, datetime.now(UTC) + after, "inbound_retry",
                       "pengulangan pesan masuk")


def request_run(name: str, due: datetime, label: str, what: str) -> str:
    """A scheduled run of deployment ``name`` at ``due`` (aware; not before now), named
    ``label · time``, unless one already waits at or before it; what was done, in words
    (``what`` names the run)."""
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

    moment = max(due, datetime.now(UTC))
    with get_client(sync_client=True) as client:
        try:
            deployment = client.read_deployment_by_name(name)
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
            name=f"{label} · {local:%Y-%m-%d %H:%M}")
    return f"{what} dijadwalkan {moment:%Y-%m-%d %H:%M} UTC"
