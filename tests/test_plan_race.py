"""An admin's ``monev plan close|reopen`` landing while a sweep moves the same plan on
by its dates (issue 24): one runs after the other, on SQLite and PostgreSQL, so the
admin's decision holds and the audit trail is one unbroken chain.

Real threads on a real database; a hook on the engine holds one side for a moment
right after it read the plan row, which is where the lost update used to happen."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import event, select

from monev.config import load_config
from monev.engine.sweep import sweep_plan
from monev.plans import load_plan
from monev.store import models as m
from monev.store import plan_status
from monev.store.db import Sessions, open_session_factory
from monev.store.imports import import_plan
from tests.conftest import ROOT, ZI_MUARO

CFG = load_config(ROOT / "config" / "monev.yaml")
SC = CFG.satker("KPU Kabupaten Muaro Jambi")
PLAN_READ = re.compile(r"FROM \"?plan\"?\s+WHERE \"?plan\"?\.id = ")
GRACE = 1
HOLD = 1.0  # seconds one side waits, after its read, for the other to finish


@pytest.fixture
def factory(db_url: str) -> Iterator[Sessions]:
    made = open_session_factory(db_url)
    assert SC is not None
    with made.begin() as s:  # last checkpoint due in December 2025: penutupan in January
        import_plan(s, load_plan(ZI_MUARO), SC.calendar(), date(2025, 7, 7), "zi", SC.tz)
    yield made
    made.kw["bind"].dispose()


def _sweep(factory: Sessions, day: date) -> None:
    assert SC is not None
    with factory.begin() as s:
        sweep_plan(s, 1, day, SC.calendar(), SC.settings(), SC, links=False)


def _admin(factory: Sessions, verb: str, day: date) -> None:
    with factory.begin() as s:
        plan_status.change(s, 1, "close" if verb == "close" else "reopen", "admin:uji",
                           "uji", day, GRACE)


def _race(factory: Sessions, held: Callable[[], None], other: Callable[[], None]) -> None:
    """Run ``held`` in a thread; once it has read the plan row, run ``other`` in
    another thread while ``held`` waits (up to HOLD seconds) for it to finish."""
    read, done = threading.Event(), threading.Event()
    errors: list[BaseException] = []
    holder: list[threading.Thread] = []

    def hook(_conn: Any, _cur: Any, statement: str, *_args: Any) -> None:
        if threading.current_thread() is holder[0] and not read.is_set() \
                and PLAN_READ.search(statement):
            read.set()
            done.wait(HOLD)

    def run(fn: Callable[[], None], then: threading.Event | None) -> None:
        try:
            fn()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            if then is not None:
                then.set()

    engine = factory.kw["bind"]
    event.listen(engine, "after_cursor_execute", hook)
    try:
        holder.append(threading.Thread(target=run, args=(held, None)))
        holder[0].start()
        assert read.wait(30), "the held side never read the plan"
        second = threading.Thread(target=run, args=(other, done))
        second.start()
        holder[0].join(60)
        second.join(60)
    finally:
        event.remove(engine, "after_cursor_execute", hook)
    assert not errors, errors


def _trail(factory: Sessions) -> tuple[str, bool, list[tuple[str, str, str]]]:
    with factory() as s:
        plan = s.get(m.Plan, 1)
        assert plan is not None
        events = [(e.from_status, e.to_status, e.actor) for e in s.scalars(
            select(m.PlanEvent).where(m.PlanEvent.plan_id == 1).order_by(m.PlanEvent.id))]
        return plan.status, plan.status_manual, events


def _unbroken(events: list[tuple[str, str, str]]) -> None:
    """Each change starts where the one before ended (nothing written over unseen)."""
    status = "aktif"
    for before, after, actor in events:
        assert before == status, f"{actor} changed {before}→{after} but it was {status}"
        status = after


@pytest.mark.parametrize("held", ["sweep", "admin"])
def test_a_close_during_a_sweep_stays_closed(factory: Sessions, held: str) -> None:
    day = date(2026, 1, 10)  # the sweep moves the plan to penutupan today
    sweep, close = (lambda: _sweep(factory, day)), (lambda: _admin(factory, "close", day))
    _race(factory, *((sweep, close) if held == "sweep" else (close, sweep)))
    status, manual, events = _trail(factory)
    _unbroken(events)
    assert (status, manual) == ("selesai", True), events
    assert [e[2] for e in events].count("admin:uji") == 1
    _sweep(factory, date(2026, 1, 11))
    assert _trail(factory)[:2] == ("selesai", True), "the next sweep leaves it closed"


def test_a_reopen_during_a_sweep_stays_open(factory: Sessions) -> None:
    _sweep(factory, date(2026, 3, 2))  # closed by the dates
    _race(factory, lambda: _sweep(factory, date(2026, 3, 3)),
          lambda: _admin(factory, "reopen", date(2026, 3, 3)))
    status, manual, events = _trail(factory)
    _unbroken(events)
    assert (status, manual) == ("aktif", True), events
    _sweep(factory, date(2026, 3, 4))
    assert _trail(factory)[:2] == ("aktif", True), "the next sweep leaves it open"

