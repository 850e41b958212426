"""``monev simulate``: the real sweep on a virtual clock against a throwaway database.

Sends nothing; returns what would be opened, reminded, escalated, digested, reported."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from pathlib import Path

from monev.config import SatkerConfig
from monev.engine.lifecycle import find_checkpoint, submit_link
from monev.engine.rules import EngineSettings
from monev.engine.sweep import ActionRecord, sweep_plan
from monev.model import Plan
from monev.store.db import open_session_factory
from monev.store.imports import import_plan
from monev.workdays import WorkCalendar


def simulate(plan: Plan, start: date, end: date, satker: SatkerConfig | None,
             submissions: Mapping[str, date] | None = None) -> list[ActionRecord]:
    """Import ``plan`` as of ``start`` into a fresh SQLite file and sweep every day.

    ``submissions`` (``KEY@PERIOD`` → day) plays evidence arriving on that day, before
    that day's sweep, so the preview shows where reminders and the ladder stop."""
    pending = dict(submissions or {})
    calendar = satker.calendar() if satker else WorkCalendar()
    settings = satker.settings() if satker else EngineSettings()
    records: list[ActionRecord] = []
    with tempfile.TemporaryDirectory(prefix="monev-sim-") as tmp:
        factory = open_session_factory(f"sqlite:///{Path(tmp) / 'sim.db'}")
        with factory.begin() as s:
            plan_id = import_plan(s, plan, calendar, start, "simulasi",
                                  satker.tz if satker else "Asia/Jakarta").plan_id
        day = start
        while day <= end:
            with factory.begin() as s:
                for ref in [r for r, on in pending.items() if on <= day]:
                    submit_link(s, find_checkpoint(s, ref), "https://simulasi.invalid/bukti",
                                "simulasi", datetime.combine(pending.pop(ref), time(9)))
                records += sweep_plan(s, plan_id, day, calendar, settings, satker, links=False)
            day += timedelta(days=1)
        factory.kw["bind"].dispose()
    return records
