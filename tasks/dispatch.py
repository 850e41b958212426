"""Task: one dispatcher pass over the outbox."""

from __future__ import annotations

from prefect import task

from monev.store.db import open_session_factory
from notifiers.dispatch import DispatchReport, dispatch


@task(name="dispatch-outbox")
def dispatch_task(limit: int, send_now: bool = False) -> DispatchReport:
    factory = open_session_factory()
    try:
        return dispatch(factory, limit=limit, send_now=send_now)
    finally:
        factory.kw["bind"].dispose()
