"""The engine on any day: this year's plan and last year's, moved to the day under test
(tests/clock.py: the real date, New Year's Day, New Year's Eve, a leap day), swept as an
office's daily run would. What must hold whatever the date: everything whose period has
begun is open and nothing later is; records are stamped on that day and never ahead of
the clock; a plan past its closing does nothing and has no deployments; the schedules
start no earlier than that day; a feed's Last-Modified is never in the future."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from calendars.service import last_modified
from flows.deployments import compile_plan_deployments
from monev import clock
from monev.config import load_config
from monev.engine.closing import phase
from monev.engine.rules import open_date
from monev.engine.sweep import sweep_plan
from monev.periods import Period
from monev.plans import load_plan
from monev.store import models as m
from monev.store.db import make_engine, upgrade_schema
from monev.store.imports import import_plan
from monev.store.plan_status import last_due
from tests.clock import DAYS, RB_SOURCE, ZI_SOURCE, moved_plan
from tests.conftest import ROOT, fresh_database

CFG = load_config(ROOT / "config" / "monev.yaml")
pytestmark = pytest.mark.dated


@pytest.fixture(params=DAYS, ids=[d.isoformat() for d in DAYS])
def day(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> date:
    value: date = request.param
    monkeypatch.setenv("MONEV_TODAY", value.isoformat())
    return value


def _stored(day: date, folder: Path) -> tuple[sessionmaker[Session], dict[str, int]]:
    """A fresh SQLite store with this year's RB plan and last year's ZI plan."""
    engine = make_engine(fresh_database("sqlite", folder))
    upgrade_schema(engine)
    sessions = sessionmaker(engine, expire_on_commit=False)
    ids = {}
    for label, path in (("now", moved_plan(RB_SOURCE, 2026, day.year, folder)),
                        ("last", moved_plan(ZI_SOURCE, 2025, day.year - 1, folder))):
        plan = load_plan(path)
        sc = CFG.satker(plan.header.satker)
        assert sc is not None, plan.header.satker
        with sessions.begin() as s:
            ids[label] = import_plan(s, plan, sc.calendar(), day, path.name, sc.tz).plan_id
    return sessions, ids


def _sweep(sessions: sessionmaker[Session], plan_id: int, day: date) -> int:
    with sessions.begin() as s:
        plan = s.get(m.Plan, plan_id)
        assert plan is not None
        sc = CFG.satker(plan.satker.name)
        assert sc is not None
        return len(sweep_plan(s, plan_id, day, sc.calendar(), sc.settings(), sc,
                              now=clock.now(sc.tz), links=False))


def test_a_day_of_sweeping_holds_on_any_date(day: date, tmp_path: Path) -> None:
    sessions, ids = _stored(day, tmp_path)
    before = clock.now().replace(tzinfo=None, microsecond=0)
    _sweep(sessions, ids["now"], day)
    done_last = _sweep(sessions, ids["last"], day)
    after = clock.now().replace(tzinfo=None)
    with sessions() as s:
        rows = s.execute(select(m.Checkpoint.period, m.Checkpoint.status, m.Item.plan_id)
                         .join(m.Checkpoint.item)).all()
        opened_early = [p for p, st, plan in rows if plan == ids["now"]
                        and st != "scheduled" and open_date_of(p) > day]
        still_closed = [p for p, st, plan in rows if plan == ids["now"]
                        and st == "scheduled" and open_date_of(p) <= day]
        assert not opened_early and not still_closed, (opened_early[:5], still_closed[:5])
        # every record of the day is stamped on it, at a moment already past
        stamps = list(s.scalars(select(m.Transition.at)))
        assert all(t.date() == day and before <= t <= after for t in stamps), \
            sorted(set(stamps))[-3:]
        last = s.get(m.Plan, ids["last"])
        assert last is not None
        settings = CFG.satker(last.satker.name).settings()  # type: ignore[union-attr]
        expected = phase(last_due(s, ids["last"]), day, settings.closing_grace_months)
        assert last.status == expected
        if last.status == "selesai":
            assert done_last == 0 or day <= (last.closed_on or day)  # the closing sweep
        # the feed of both plans: last modified no later than now
        modified = last_modified(s, (ids["now"], ids["last"]))
        assert modified.replace(tzinfo=None) <= clock.utcnow()
        deployments = compile_plan_deployments(s, CFG, day)
    plans = {d.parameters["plan"] for d in deployments}
    assert any(str(day.year) in p for p in plans)
    assert (f"kpu-kota-jambi/zi-{day.year - 1}" in plans) == (last.status != "selesai")
    for d in deployments:
        for schedule in d.schedules:
            assert min(_rdates(schedule.rrule)) >= day, (d.flow_name, d.name)
    # a second sweep of the same day does nothing more
    assert _sweep(sessions, ids["now"], day) == 0


def test_periods_around_the_day(day: date) -> None:
    """The month and week that contain the day (week 5 runs to the month's end, a leap
    day included), and the day after it belongs to the next period."""
    month = Period.parse(f"{day:%Y-%m}")
    assert month.start <= day <= month.end
    week = min(5, (day.day - 1) // 7 + 1)
    w = Period.parse(f"{day:%Y-%m}-W{week}")
    assert w.start <= day <= w.end
    nxt = day + timedelta(days=1)
    assert (Period.parse(f"{nxt:%Y-%m}").start == nxt) == (day == month.end)


def open_date_of(period: str) -> date:
    return open_date(_Dated(Period.parse(period)))


class _Dated:
    def __init__(self, period: Period) -> None:
        self.period = period


def _rdates(rrule: str) -> list[date]:
    line = [x for x in rrule.splitlines() if x.startswith("RDATE:")][0]
    return [datetime.strptime(v[:8], "%Y%m%d").date() for v in line[6:].split(",")]
