"""Schedule compiler: a plan's checkpoints → Prefect RRule schedule strings.

Pure. Each flow of a plan gets the exact local dates it must run on (opening days,
reminder and escalation days, month/quarter ends) as RDATEs at the satker's run hour,
written as floating local times (Prefect relabels them into the satker's time zone).
A rruleset longer than Prefect's 6,500-character limit is split into several."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

MAX_RRULE_CHARS = 6500
FLOWS = ("open_checkpoints", "remind", "escalate", "monev_cycle")


@dataclass(frozen=True)
class CompiledSchedule:
    flow: str
    rrule: str
    dates: tuple[date, ...]


def rruleset(dates: Iterable[date], hour: int) -> str:
    ordered = sorted(set(dates))
    stamps = [f"{d:%Y%m%d}T{hour:02d}0000" for d in ordered]
    return f"DTSTART:{stamps[0]}\nRDATE:" + ",".join(stamps)


def compile_schedules(dates_by_flow: dict[str, set[date]], hour: int, since: date,
                      limit: int = MAX_RRULE_CHARS) -> list[CompiledSchedule]:
    """Schedules for the dates on or after ``since``, each within Prefect's limit."""
    out: list[CompiledSchedule] = []
    stamp = len("20260101T080000")
    head = len("DTSTART:") + stamp + len("\nRDATE:")  # then stamps joined by commas
    for flow in FLOWS:
        future = sorted(d for d in dates_by_flow.get(flow, set()) if d >= since)
        chunk: list[date] = []
        for d in future:
            if chunk and head + (len(chunk) + 1) * (stamp + 1) - 1 > limit:
                out.append(CompiledSchedule(flow, rruleset(chunk, hour), tuple(chunk)))
                chunk = []
            chunk.append(d)
        if chunk:
            out.append(CompiledSchedule(flow, rruleset(chunk, hour), tuple(chunk)))
    return out
