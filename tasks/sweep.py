"""Task: one idempotent sweep of one plan, in one database transaction."""

from __future__ import annotations

from datetime import UTC, date, datetime

from prefect import task

from monev.config import load_config
from monev.engine.rules import EngineSettings
from monev.engine.sweep import FLOW_ACTIONS, ActionRecord, sweep_plan
from monev.store.db import open_session_factory
from monev.store.queries import Capaian, find_plan, progress
from monev.workdays import WorkCalendar


@task(name="sweep-plan", retries=2, retry_delay_seconds=5)
def sweep_task(plan: str, as_of: date, flow: str) -> tuple[list[ActionRecord], Capaian]:
    """Run the ``flow`` part of the sweep for ``plan``; returns its actions and the
    plan's capaian after them."""
    cfg = load_config()
    factory = open_session_factory()
    with factory.begin() as session:
        plan_row, satker = find_plan(session, plan)
        sc = cfg.satker(satker.name)
        records = sweep_plan(session, plan_row.id, as_of,
                             sc.calendar() if sc else WorkCalendar(),
                             sc.settings() if sc else EngineSettings(), sc,
                             FLOW_ACTIONS[flow], now=datetime.now(UTC))
        capaian = progress(session, plan_row.id, as_of)
    factory.kw["bind"].dispose()
    return records, capaian
