"""Tasks: one dispatcher pass over the outbox, and asking Prefect for the next one.

The dispatcher has no interval schedule (it would add 288 empty runs a day to the run
list): a sweep that queued messages asks for a dispatch run, and a dispatch run that
leaves rows for later (quiet hours, retry backoff) asks for one at that moment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from prefect import get_run_logger, task

from monev.config import load_config
from monev.store.db import open_session_factory
from notifiers.dispatch import DispatchReport, dispatch
from notifiers.outbox import next_due, tell_admins
from tasks.naming import describe_run

DISPATCH_DEPLOYMENT = "dispatch/antrean"
SLACK = timedelta(seconds=30)  # a scheduled run this close to the moment is good enough


@task(name="dispatch-outbox")
def dispatch_task(limit: int, send_now: bool = False) -> DispatchReport:
    """One pass; rows left uncertain go into their satker admins' next digest."""
    factory = open_session_factory()
    try:
        report = dispatch(factory, limit=limit, send_now=send_now)
        with factory.begin() as s:
            told = tell_admins(s, load_config(), datetime.now(UTC))
        if told:
            get_run_logger().warning("%d pesan tidak pasti terkirim dilaporkan ke admin", told)
        return report
    finally:
        factory.kw["bind"].dispose()


@task(name="jadwalkan-pengiriman")
def schedule_dispatch() -> str:
    """Make sure a dispatch run is scheduled for the earliest pending outbox row (once:
    an earlier or equal scheduled run already covers it). Returns what was done."""
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

    factory = open_session_factory()
    try:
        with factory() as s:
            due = next_due(s)
    finally:
        factory.kw["bind"].dispose()
    if due is None:
        return "antrean kosong"
    moment = max(due.replace(tzinfo=UTC), datetime.now(UTC))
    with get_client(sync_client=True) as client:
        try:
            deployment = client.read_deployment_by_name(DISPATCH_DEPLOYMENT)
        except ObjectNotFound:
            get_run_logger().warning("deployment %s belum terdaftar", DISPATCH_DEPLOYMENT)
            return "deployment pengirim belum ada"
        waiting = client.read_flow_runs(
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment.id])),
            flow_run_filter=FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(
                any_=[StateType.SCHEDULED, StateType.PENDING]))))
        if any(r.expected_start_time and r.expected_start_time <= moment + SLACK
               for r in waiting):
            return "sudah terjadwal"
        client.create_flow_run_from_deployment(
            deployment.id, state=Scheduled(scheduled_time=moment),
            name=describe_run("dispatch", {}, moment))
    return f"pengiriman dijadwalkan {moment:%Y-%m-%d %H:%M} UTC"
