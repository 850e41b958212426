"""Working-day calendar: Monday–Friday minus Indonesian national holidays and
*cuti bersama*, adjusted by a satker's own extra days off and extra working days.

Pure apart from the ``holidays`` package's built-in tables (no I/O)."""

from __future__ import annotations

import json
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Literal

from monev.periods import Period

_TABLE = Path(__file__).parent / "data" / "holidays_id.json"

DueRule = Literal["last_working_day", "last_day"]
DUE_RULES: tuple[DueRule, ...] = ("last_working_day", "last_day")

# Time zone of each province; every satker of a province shares it.
PROVINCE_TIMEZONES: dict[str, str] = {
    **{p: "Asia/Makassar" for p in (
        "bali", "nusa tenggara barat", "nusa tenggara timur", "kalimantan selatan",
        "kalimantan timur", "kalimantan utara", "sulawesi utara", "sulawesi tengah",
        "sulawesi selatan", "sulawesi tenggara", "gorontalo", "sulawesi barat")},
    **{p: "Asia/Jayapura" for p in (
        "maluku", "maluku utara", "papua", "papua barat", "papua barat daya",
        "papua tengah", "papua pegunungan", "papua selatan")},
}
INDONESIAN_TIMEZONES = ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")


def timezone_for_province(province: str | None) -> str:
    """WIB unless the province lies in WITA or WIT."""
    key = (province or "").lower().replace("provinsi", "").strip()
    return PROVINCE_TIMEZONES.get(key, "Asia/Jakarta")


@lru_cache(maxsize=1)
def _bundled() -> dict[str, list[str]]:
    years: dict[str, list[str]] = json.loads(_TABLE.read_text())["years"]
    return years


@lru_cache(maxsize=64)
def national_days_off(year: int) -> frozenset[date]:
    """National holidays and cuti bersama of one year (``holidays`` package data,
    pre-computed for 2020–2035 in data/holidays_id.json by tools/gen_holidays.py)."""
    bundled = _bundled().get(str(year))
    if bundled is not None:
        return frozenset(date.fromisoformat(d) for d in bundled)
    import holidays

    table = holidays.country_holidays("ID", years=year, categories=("public", "government"))
    return frozenset(table.keys())


@lru_cache(maxsize=512)
def _prefix(calendar: WorkCalendar, year: int) -> tuple[int, ...]:
    """``counts[d]`` = working days of ``year`` up to and including its day ``d``
    (``counts[0]`` = 0): any span's working days are a subtraction."""
    counts, total = [0], 0
    day, one = date(year, 1, 1), timedelta(days=1)
    while day.year == year:
        total += calendar.is_working_day(day)
        counts.append(total)
        day += one
    return tuple(counts)


@dataclass(frozen=True)
class WorkCalendar:
    """Which days are working days for one satker, and when a period is due."""

    extra_days_off: frozenset[date] = field(default_factory=frozenset)
    extra_working_days: frozenset[date] = field(default_factory=frozenset)
    due_rule: DueRule = "last_working_day"

    @classmethod
    def build(cls, days_off: Iterable[date] = (), working_days: Iterable[date] = (),
              due_rule: DueRule = "last_working_day") -> WorkCalendar:
        return cls(frozenset(days_off), frozenset(working_days), due_rule)

    def is_working_day(self, day: date) -> bool:
        if day in self.extra_working_days:
            return True
        if day.weekday() >= 5 or day in self.extra_days_off:
            return False
        return day not in national_days_off(day.year)

    def last_working_day_on_or_before(self, day: date) -> date:
        for _ in range(60):  # no real calendar has two months without a working day
            if self.is_working_day(day):
                return day
            day -= timedelta(days=1)
        raise ValueError(f"tidak ada hari kerja dalam 60 hari sebelum {day}")

    def add_working_days(self, day: date, count: int) -> date:
        """The working day ``count`` working days after (or before, if negative) ``day``."""
        if count > 0:  # by the year's running count: no walk day by day
            year, wanted = day.year, _prefix(self, day.year)[day.timetuple().tm_yday] + count
            while True:
                counts = _prefix(self, year)
                if counts[-1] >= wanted:
                    return date(year, 1, 1) + timedelta(days=bisect_left(counts, wanted) - 1)
                wanted -= counts[-1]
                year += 1
        step = 1 if count >= 0 else -1
        remaining = abs(count)
        while remaining:
            day += timedelta(days=step)
            if self.is_working_day(day):
                remaining -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]: how many working days ``end`` is after
        ``start`` (0 when ``end`` is not later), by prefix counts per year."""
        if end <= start:
            return 0
        total = _prefix(self, end.year)[end.timetuple().tm_yday]
        for year in range(start.year, end.year):
            total += _prefix(self, year)[-1]
        return total - _prefix(self, start.year)[start.timetuple().tm_yday]

    def due_date(self, period: Period, day: date | None = None) -> date:
        """Due date of a period: its last working day (or last day, by configuration).
        A period without any working day (a week of holidays and cuti bersama) is due on
        the next working day after it, never before it starts. ``day``: the plan wrote
        a day for this period (``14 Februari``): see :meth:`due_on`."""
        return self._due(period) if day is None else self.due_on(day)

    def due_on(self, day: date) -> date:
        """Due date of a day written in a plan: that day, or when it is no working day
        the next working day (like a period without one: never before the day the plan
        names — the evidence of an event held on a holiday exists only after it)."""
        if self.due_rule == "last_day" or self.is_working_day(day):
            return day
        return self.add_working_days(day, 1)

    def has_working_day(self, period: Period) -> bool:
        return self.due_rule == "last_day" or self._due(period) <= period.end

    @lru_cache(maxsize=4096)  # noqa: B019 - instances are frozen and few
    def _due(self, period: Period) -> date:
        if self.due_rule == "last_day":
            return period.end
        day = self.last_working_day_on_or_before(period.end)
        if day < period.start:
            day = self.add_working_days(period.end, 1)
        return day
