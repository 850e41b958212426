"""Schedule compiler: exact dates, floating local times, Prefect's length limit."""

from __future__ import annotations

from datetime import date, timedelta

from dateutil.rrule import rrulestr

from monev.engine.compile import MAX_RRULE_CHARS, compile_schedules, rruleset
from monev.engine.rules import CheckpointState, EngineSettings, schedule_dates
from monev.periods import Period
from monev.workdays import WorkCalendar


def test_rruleset_is_floating_local_rdates_parsed_back_exactly() -> None:
    days = [date(2026, 3, 31), date(2026, 1, 30), date(2026, 3, 31)]
    text = rruleset(days, 8)
    assert text == "DTSTART:20260130T080000\nRDATE:20260130T080000,20260331T080000"
    parsed = list(rrulestr(text, forceset=True))
    assert [d.date() for d in parsed] == [date(2026, 1, 30), date(2026, 3, 31)]
    assert all(d.hour == 8 and d.tzinfo is None for d in parsed)


def test_long_date_lists_are_split_within_the_limit_and_lose_nothing() -> None:
    days = {date(2026, 1, 1) + timedelta(days=i) for i in range(900)}
    compiled = compile_schedules({"remind": days}, 8, since=date(2026, 1, 1))
    assert len(compiled) > 1
    assert all(len(c.rrule) <= MAX_RRULE_CHARS for c in compiled)
    assert sorted(d for c in compiled for d in c.dates) == sorted(days)


def test_schedule_dates_follow_the_checkpoint_and_ladder() -> None:
    cal = WorkCalendar()
    p = Period(2025, 8)  # due Fri 29 Aug 2025
    cp = CheckpointState(1, p, cal.due_date(p), "scheduled", "A", "K", "B")
    dates = schedule_dates([cp], cal, EngineSettings())
    assert dates["open_checkpoints"] == {date(2025, 8, 1)}
    assert dates["remind"] == {date(2025, 8, 22), date(2025, 8, 26), date(2025, 8, 28),
                               date(2025, 8, 29)}
    assert dates["escalate"] == {date(2025, 9, 1), date(2025, 9, 3), date(2025, 9, 10)}
    assert date(2025, 8, 29) in dates["monev_cycle"]
    # no month-end monev after the plan's last month; the day it closes (1 Oct, after a
    # month of penutupan) runs once more for its year-end report
    assert dates["monev_cycle"] == {date(2025, 8, 29), date(2025, 10, 1)}
    past = compile_schedules(dates, 8, since=date(2025, 9, 2))
    assert {c.flow for c in past} == {"escalate", "monev_cycle"}
