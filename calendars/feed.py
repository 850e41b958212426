"""Rendering one iCalendar feed: pure, no clock, no randomness.

The same events give byte-identical output whatever their order: events are sorted,
DTSTAMP is the event's own last change, the calendar UID is fixed and the VTIMEZONE is
built from the zone's fixed offset (Indonesia has no daylight saving time). Each
VEVENT is serialised once; the feed is the concatenation, so keeping a feed under
1 MB needs no second rendering."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone, TimezoneStandard
from icalendar.prop import vDuration

MAX_FEED_BYTES = 1_000_000
PRODID = "-//monev//Rencana Aksi ZI-RB//ID"
ZONE_NAMES = {"Asia/Jakarta": "WIB", "Asia/Pontianak": "WIB", "Asia/Makassar": "WITA",
              "Asia/Jayapura": "WIT"}


@dataclass(frozen=True)
class FeedEvent:
    uid: str  # stable, given by the caller
    due: date  # an all-day event on this date
    summary: str
    description: str
    url: str | None
    categories: tuple[str, ...]
    sequence: int
    modified: datetime  # UTC (aware, or naive meaning UTC): LAST-MODIFIED and DTSTAMP
    done: bool = False  # finished: the first to go when trimming


@dataclass(frozen=True)
class FeedInfo:
    uid: str
    name: str  # NAME and X-WR-CALNAME
    description: str  # DESCRIPTION and X-WR-CALDESC
    color: str  # CSS3 colour name (RFC 7986 COLOR)
    timezone: str  # IANA zone of the satker
    refresh: timedelta = timedelta(hours=1)  # REFRESH-INTERVAL and X-PUBLISHED-TTL
    url: str | None = None


def _utc(moment: datetime) -> datetime:
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    return moment.astimezone(UTC).replace(microsecond=0)


def vtimezone(tzid: str) -> Timezone:
    """A one-rule VTIMEZONE for a zone without daylight saving time."""
    offset = datetime(2000, 1, 1, tzinfo=ZoneInfo(tzid)).utcoffset() or timedelta(0)
    zone = Timezone()
    zone.add("TZID", tzid)
    rule = TimezoneStandard()
    rule.add("DTSTART", datetime(1970, 1, 1))
    rule.add("TZOFFSETFROM", offset)
    rule.add("TZOFFSETTO", offset)
    rule.add("TZNAME", ZONE_NAMES.get(tzid, tzid.rsplit("/", 1)[-1]))
    zone.add_component(rule)
    return zone


def calendar_shell(info: FeedInfo) -> Calendar:
    """The calendar without events, built with a fixed UID (``Calendar.new`` would
    invent a random one) and the ``VALUE=DURATION`` RFC 7986 asks for."""
    cal = Calendar()
    cal.add("PRODID", PRODID)
    cal.add("VERSION", "2.0")
    cal.add("CALSCALE", "GREGORIAN")
    cal.add("METHOD", "PUBLISH")
    cal.add("UID", info.uid)
    cal.add("NAME", info.name)
    cal.add("X-WR-CALNAME", info.name)
    cal.add("DESCRIPTION", info.description)
    cal.add("X-WR-CALDESC", info.description)
    cal.add("COLOR", info.color)
    cal.add("X-WR-TIMEZONE", info.timezone)
    cal.add("REFRESH-INTERVAL", info.refresh, parameters={"VALUE": "DURATION"})
    cal.add("X-PUBLISHED-TTL", vDuration(info.refresh))
    if info.url:
        cal.add("SOURCE", info.url, parameters={"VALUE": "URI"})
    cal.add_component(vtimezone(info.timezone))
    return cal


def vevent(ev: FeedEvent) -> bytes:
    """One all-day VEVENT, serialised on its own so a feed can be cut to size
    without rendering it again. DTSTAMP is the last change, not the clock."""
    e = Event()
    e.add("UID", ev.uid)
    stamp = _utc(ev.modified)
    e.add("DTSTAMP", stamp)
    e.add("LAST-MODIFIED", stamp)
    e.add("SEQUENCE", ev.sequence)
    e.add("DTSTART", ev.due)
    e.add("DTEND", ev.due + timedelta(days=1))
    e.add("TRANSP", "TRANSPARENT")
    e.add("STATUS", "CONFIRMED")
    e.add("CLASS", "PUBLIC")
    e.add("SUMMARY", ev.summary)
    e.add("DESCRIPTION", ev.description)
    if ev.url:
        e.add("URL", ev.url)
    categories = [c for c in ev.categories if c]
    if categories:  # an empty CATEGORIES line is invalid
        e.add("CATEGORIES", categories)
    return bytes(e.to_ical())


def render_feed(info: FeedInfo, events: Sequence[FeedEvent], *,
                horizon_start: date | None = None) -> bytes:
    """The ``.ics`` bytes: finished events due before ``horizon_start`` are left out,
    then — only if still over 1 MB — the oldest finished, then the oldest others."""
    chosen = [e for e in events
              if not (e.done and horizon_start is not None and e.due < horizon_start)]
    head, end, tail = bytes(calendar_shell(info).to_ical()).rpartition(b"END:VCALENDAR")
    budget = MAX_FEED_BYTES - 1 - len(head) - len(end) - len(tail)  # strictly below 1 MB
    # Serialise in keeping order (open items newest first, then finished newest first)
    # and stop at the budget: a huge roll-up costs what fits in 1 MB, not all of it.
    kept: list[tuple[FeedEvent, bytes]] = []
    used = 0
    for event in sorted(chosen, key=lambda e: (not e.done, e.due, e.uid), reverse=True):
        blob = vevent(event)
        if used + len(blob) > budget:
            break
        kept.append((event, blob))
        used += len(blob)
    kept.sort(key=lambda pair: (pair[0].due, pair[0].uid))
    return head + b"".join(blob for _, blob in kept) + end + tail
