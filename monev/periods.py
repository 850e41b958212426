"""Periods: the unit a checkpoint is due in — a month (``2025-10``) or a week of a
month (``2026-01-W2``; week k = days 7k-6 … 7k, week 5 = day 29 to month end)."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

_PERIOD_RE = re.compile(r"^(\d{4})-(\d{2})(?:-W([1-5]))?$")

MONTH_NAMES_ID = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
)


@dataclass(frozen=True, order=True)
class Period:
    """A month, or one week of it when ``week`` is set (1–5)."""

    year: int
    month: int
    week: int = 0  # 0 = the whole month

    def __post_init__(self) -> None:
        if not 1900 <= self.year <= 2200:
            raise ValueError(f"tahun tidak sah: {self.year} (diharapkan 1900–2200)")
        if not 1 <= self.month <= 12:
            raise ValueError(f"bulan tidak sah: {self.month}")
        if not 0 <= self.week <= 5:
            raise ValueError(f"minggu tidak sah: {self.week}")

    @classmethod
    def parse(cls, text: str) -> Period:
        """Read the canonical form (``2025-10`` or ``2026-01-W2``)."""
        m = _PERIOD_RE.match(text.strip())
        if not m:
            raise ValueError(f"periode tidak sah: {text!r} (contoh: 2025-10 atau 2026-01-W2)")
        return cls(int(m.group(1)), int(m.group(2)), int(m.group(3) or 0))

    def __str__(self) -> str:
        base = f"{self.year:04d}-{self.month:02d}"
        return f"{base}-W{self.week}" if self.week else base

    @property
    def start(self) -> date:
        day = 1 if not self.week else 7 * self.week - 6
        return date(self.year, self.month, min(day, self.days_in_month))

    @property
    def end(self) -> date:
        if not self.week or self.week == 5:
            return date(self.year, self.month, self.days_in_month)
        return date(self.year, self.month, 7 * self.week)

    @property
    def days_in_month(self) -> int:
        return calendar.monthrange(self.year, self.month)[1]

    @property
    def is_empty(self) -> bool:
        """Week 5 of a 28-day February has no days at all."""
        return self.week == 5 and self.days_in_month < 29

    def label(self) -> str:
        """Indonesian label for people: ``Oktober 2025``, ``Januari 2026 minggu ke-2``."""
        text = f"{MONTH_NAMES_ID[self.month - 1]} {self.year}"
        return f"{text} minggu ke-{self.week}" if self.week else text


_DAY_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def parse_checkpoint(text: str) -> tuple[Period, date | None]:
    """A hand-written checkpoint: a period (``2026-02``, ``2026-01-W2``) or a day
    (``2026-02-14``: the month, due that day)."""
    m = _DAY_RE.match(text.strip())
    if not m:
        return Period.parse(text), None
    try:
        day = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        raise ValueError(f"tanggal tidak sah: {text!r} (contoh: 2026-02-14)") from None
    return Period(day.year, day.month), day


def quarter_end(q: int) -> int:
    """Last month of quarter q (1–4)."""
    return 3 * q


def semester_end(s: int) -> int:
    """Last month of semester s (1–2)."""
    return 6 * s
