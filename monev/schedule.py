"""Schedule compiler: an item's periods → checkpoints with due dates.

Also builds the JSON documents that outside checks read (DOMAIN.md §4); keep their
shape exact."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from monev.grammar import RangePolicy, read_target
from monev.model import Item, Plan
from monev.periods import MONTH_NAMES_ID, Period
from monev.workdays import WorkCalendar


@dataclass(frozen=True)
class Checkpoint:
    """One (row, period) pair: the evidence of that row is due in that period."""

    period: Period
    due: date


def checkpoints(item: Item, calendar: WorkCalendar) -> list[Checkpoint]:
    return [Checkpoint(p, calendar.due_date(p, item.days.get(p))) for p in item.periods]


def due_notes(periods: tuple[Period, ...], calendar: WorkCalendar,
              days: Mapping[Period, date] | None = None) -> list[str]:
    """Flags for periods with no working day, and for days written that are no working
    day: both are due on the next working day after them."""
    days = days or {}
    notes = []
    for p in periods:
        day = days.get(p)
        if day is not None and calendar.due_on(day) != day:
            notes.append(f"tanggal {day.day} {MONTH_NAMES_ID[day.month - 1]} {day.year} "
                         "bukan hari kerja; tenggat hari kerja berikutnya "
                         f"{calendar.due_on(day).isoformat()}")
        elif day is None and not calendar.has_working_day(p):
            notes.append(f"periode {p} tidak memiliki hari kerja; tenggat hari kerja "
                         f"berikutnya {calendar.due_date(p).isoformat()}")
    return notes


def plan_due_notes(plan: Plan, calendar: WorkCalendar) -> list[list[str]]:
    """``due_notes`` of every item, located like the importer's own flags."""
    return [[f"{plan.source}:{i.source_line}" + (f" ({i.where})" if i.where else "")
             + f": {n}" for n in due_notes(i.periods, calendar, i.days)] for i in plan.items]


def _cp_json(cps: list[Checkpoint]) -> list[dict[str, str]]:
    return [{"period": str(c.period), "due": c.due.isoformat()} for c in cps]


def plan_document(plan: Plan, calendar: WorkCalendar) -> dict[str, Any]:
    """``monev plan show PATH --json``."""
    h = plan.header
    notes = plan_due_notes(plan, calendar)
    return {
        "plan": {"satker": h.satker, "kind": h.kind, "year": h.year, "number": h.number,
                 "decided_on": h.decided_on.isoformat() if h.decided_on else None},
        "items": [
            {"area": i.area, "komponen": i.komponen, "indikator": i.indikator,
             "langkah_aksi": i.langkah_aksi, "bukti_fisik": i.bukti_fisik,
             "target_text": i.target_text, "source_line": i.source_line,
             "checkpoints": _cp_json(checkpoints(i, calendar)),
             "warnings": list(i.warnings) + note} | ({"pic": i.pic} if i.pic else {})
            for i, note in zip(plan.items, notes, strict=True)
        ],
        "warnings": list(plan.warnings),
    }


def when_document(text: str, year: int, calendar: WorkCalendar,
                  policy: RangePolicy = "monthly") -> dict[str, Any]:
    """``monev when TEXT --year YYYY --json``."""
    reading = read_target(text, year, policy)
    cps = [Checkpoint(p, calendar.due_date(p, reading.days.get(p))) for p in reading.periods]
    return {"checkpoints": _cp_json(cps),
            "warnings": list(reading.warnings) + due_notes(reading.periods, calendar,
                                                           reading.days)}
