"""The one place tests take "today" and plan years from.

Most tests fix ``MONEV_TODAY`` to a day inside the example plans' years (2025/2026):
what they check depends on that day, never on the real date. Two things cannot be fixed
that way and are derived here from the real clock instead:

- Prefect's scheduler creates runs only for moments ahead of the real clock, so a test
  that waits for scheduled runs needs a plan whose every date is still ahead:
  :func:`live_plan` (the RB example moved to the year after the real one).
- The tests that must hold on any day (``@pytest.mark.dated``) run once per day of
  :data:`DAYS`: the real date and the awkward ones (New Year's Day, New Year's Eve, a
  leap day); ``MONEV_TEST_DAYS=2027-03-01,2029-12-31`` replaces the list.
"""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.conftest import PLANS

REAL_TODAY = datetime.now(ZoneInfo("Asia/Jakarta")).date()
LIVE_YEAR = REAL_TODAY.year + 1  # every date of a plan of this year is still ahead

_EDGE_DAYS = (date(REAL_TODAY.year + 1, 1, 1), date(REAL_TODAY.year + 1, 12, 31),
              date(2028, 2, 29))
DAYS: tuple[date, ...] = tuple(
    date.fromisoformat(d.strip()) for d in os.environ["MONEV_TEST_DAYS"].split(",")
) if os.environ.get("MONEV_TEST_DAYS") else (REAL_TODAY, *_EDGE_DAYS)

RB_SOURCE = PLANS / "rencana-aksi-rb-2026-kpu-kab-muaro-jambi.txt"
ZI_SOURCE = PLANS / "rencana-aksi-zi-2025-kpu-kota-jambi.txt"


def moved_plan(source: Path, from_year: int, year: int, folder: Path) -> Path:
    """The plan of ``source`` (a decree of ``from_year``) as the same decree of
    ``year``: every ``from_year`` becomes ``year`` and the year before it (the decree's
    own preparation, e.g. minutes of the previous year) moves along. Laws cited with
    other years are untouched."""
    text = source.read_text(encoding="utf-8")
    text = text.replace(str(from_year - 1), "\x00").replace(str(from_year), str(year))
    text = text.replace("\x00", str(year - 1))
    target = folder / source.name.replace(str(from_year), str(year))
    target.write_text(text, encoding="utf-8")
    return target


def live_plan(folder: Path) -> Path:
    """The RB example as a plan of :data:`LIVE_YEAR`: Prefect has runs to schedule for
    each of its flows whatever the real date."""
    return moved_plan(RB_SOURCE, 2026, LIVE_YEAR, folder)
