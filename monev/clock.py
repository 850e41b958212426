"""The one place "today" and "now" come from: the real clock read in the satker's own
time zone (WIB/WITA/WIT, never the host's), or ``MONEV_TODAY`` (ISO date) for
previews, demos and tests."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

DEFAULT_TZ = "Asia/Jakarta"


def today(tz: str | None = None) -> date:
    """Today's date in ``tz`` (WIB when not given), whatever the host's zone."""
    fixed = os.environ.get("MONEV_TODAY")
    if fixed:
        return date.fromisoformat(fixed)
    return datetime.now(ZoneInfo(tz or DEFAULT_TZ)).date()


def now(tz: str | None = None) -> datetime:
    """This moment, aware, in ``tz`` (WIB when not given). Under ``MONEV_TODAY`` it is
    that day at the real time of day: a preview's records keep their day and, like every
    record, are stamped when they happen, never at a planned hour still ahead."""
    zone = ZoneInfo(tz or DEFAULT_TZ)
    real = datetime.now(zone)
    fixed = os.environ.get("MONEV_TODAY")
    if fixed:
        return datetime.combine(date.fromisoformat(fixed), real.time(), zone)
    return real


def utcnow() -> datetime:
    """Now as a naive UTC datetime (how the store keeps moments)."""
    return datetime.now(UTC).replace(tzinfo=None)
