"""Tasks: one dispatcher pass over the outbox, and asking Prefect for the next one.

The dispatcher has no interval schedule (it would add 288 empty runs a day to the run
list): a sweep that queued messages asks for a dispatch run, and a dispatch run that
leaves rows for later (quiet hours, retry backoff) asks for one at that moment."""

from __future__ import annotations

from datetime import UTC, datetime

from prefect import get_run_logger, task

from monev.config import load_config
from monev.store.db import open_session_factory
from notifiers.dispatch import DispatchReport, dispatch
from notifiers.outbox import tell_admins
from notifiers.trigger import DISPATCH_DEPLOYMENT, NOT_DEPLOYED, request_dispatch


@task(name="dispatch-outbox")
def dispatch_task(limit: int, send_now: bool = False) -> DispatchReport:
    """One pass; rows left uncertain go into their satker admins' next digest."""
    factory = open_session_factory()
    try:
        cfg = load_config()
        report = dispatch(factory, limit=limit, send_now=send_now, cfg=cfg)
        with factory.begin() as s:
            told = tell_admins(s, cfg, datetime.now(UTC))
        if told:
            get_run_logger().warning("%d pesan tidak pasti terkirim dilaporkan ke admin", told)
        return report
    finally:
        factory.kw["bind"].dispose()


@task(name="jadwalkan-pengiriman")
def schedule_dispatch() -> str:
    """Make sure a dispatch run is scheduled for the earliest pending outbox row (once:
    an earlier or equal scheduled run already covers it). Returns what was done."""
    factory = open_session_factory()
    try:
        done = request_dispatch(factory)
    finally:
        factory.kw["bind"].dispose()
    if done == NOT_DEPLOYED:
        get_run_logger().warning("deployment %s belum terdaftar", DISPATCH_DEPLOYMENT)
    return done
