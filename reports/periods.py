"""The period a report covers: a month (``2026-11``), a quarter (``2026-Q3``) or a
year (``2026``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from monev.errors import MonevError
from monev.periods import MONTH_NAMES_ID

Kind = Literal["bulan", "triwulan", "tahun"]
ROMAN = ("I", "II", "III", "IV")
_RE = re.compile(r"^(\d{4})(?:-(\d{2})|-[Qq]([1-4]))?$")


@dataclass(frozen=True)
class ReportPeriod:
    kind: Kind
    year: int
    index: int = 0  # month 1–12, quarter 1–4, 0 for a year

    @classmethod
    def parse(cls, text: str) -> ReportPeriod:
        found = _RE.match(text.strip())
        if not found or not 1900 <= int(found.group(1)) <= 2200 or (
                found.group(2) and not 1 <= int(found.group(2)) <= 12):
            raise MonevError(f"periode laporan '{text}' tidak sah; tulis 2026-11 (bulan), "
                             "2026-Q3 (triwulan) atau 2026 (tahun)")
        year = int(found.group(1))
        if found.group(2):
            return cls("bulan", year, int(found.group(2)))
        if found.group(3):
            return cls("triwulan", year, int(found.group(3)))
        return cls("tahun", year)

    @property
    def code(self) -> str:
        if self.kind == "bulan":
            return f"{self.year}-{self.index:02d}"
        if self.kind == "triwulan":
            return f"{self.year}-Q{self.index}"
        return str(self.year)

    @property
    def months(self) -> tuple[int, int]:
        """First and last month (1–12) of the period."""
        if self.kind == "bulan":
            return self.index, self.index
        if self.kind == "triwulan":
            return 3 * self.index - 2, 3 * self.index
        return 1, 12

    @property
    def start(self) -> date:
        return date(self.year, self.months[0], 1)

    @property
    def end(self) -> date:
        last = self.months[1]
        nxt = date(self.year + (last == 12), last % 12 + 1, 1)
        return nxt - timedelta(days=1)

    def label(self) -> str:
        """``November 2026``, ``Triwulan III 2026``, ``Tahun 2026``."""
        if self.kind == "bulan":
            return f"{MONTH_NAMES_ID[self.index - 1]} {self.year}"
        if self.kind == "triwulan":
            return f"Triwulan {ROMAN[self.index - 1]} {self.year}"
        return f"Tahun {self.year}"

    def previous(self) -> ReportPeriod:
        if self.kind == "bulan":
            return ReportPeriod("bulan", self.year - (self.index == 1),
                                (self.index - 2) % 12 + 1)
        if self.kind == "triwulan":
            return ReportPeriod("triwulan", self.year - (self.index == 1),
                                (self.index - 2) % 4 + 1)
        return ReportPeriod("tahun", self.year - 1)


def tanggal(day: date) -> str:
    """``30 November 2026`` (as a signature block dates a report)."""
    return f"{day.day} {MONTH_NAMES_ID[day.month - 1]} {day.year}"
