"""The pure iCalendar renderer (``calendars/feed.py``): valid for lenient and strict
parsers, byte-for-byte deterministic, and kept under the 1 MB Google cuts feeds at."""

from __future__ import annotations

import random
import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from ical.calendar import Calendar as StrictCalendar
from ical.calendar_stream import IcsCalendarStream
from icalendar import Calendar, Component

from calendars.feed import MAX_FEED_BYTES, PRODID, FeedEvent, FeedInfo, render_feed

BASE_DUE = date(2025, 1, 6)
BASE_MODIFIED = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)


def info(tz: str = "Asia/Jakarta", refresh: timedelta = timedelta(hours=1),
         url: str | None = None) -> FeedInfo:
    return FeedInfo(uid="feed-7@monev", name="Monev ZI 2025 — KPU Kab. Contoh",
                    description="Tenggat bukti fisik rencana aksi ZI 2025 (Tim ZI)",
                    color="darkred", timezone=tz, refresh=refresh, url=url)


def event(i: int, *, done: bool = False, due: date | None = None,
          description: str | None = None) -> FeedEvent:
    return FeedEvent(
        uid=f"ZI-{i:05d}-2025Q1-zi2025@kab-contoh.monev",
        due=due if due is not None else BASE_DUE + timedelta(days=i % 400),
        summary=f"🗓 Unggah SK Tim Kerja nomor {i} [KPU Kab. Contoh]",
        description=description if description is not None
        else f"Bukti fisik: SK Tim Kerja {i}\nArea: Manajemen Perubahan\nStatus: terjadwal",
        url=f"https://monev.example.org/c/ZI-{i:05d}@2025Q1",
        categories=("Manajemen Perubahan", "ZI"),
        sequence=i % 3,
        modified=BASE_MODIFIED + timedelta(minutes=i),
        done=done,
    )


def strict(data: bytes) -> StrictCalendar:
    return IcsCalendarStream.calendar_from_ics(data.decode("utf-8"))


def vevents(data: bytes) -> list[Component]:
    return list(Calendar.from_ical(data).walk("VEVENT"))


def prop(component: Component, name: str) -> Any:
    """A property as icalendar parsed it (its typed union is too wide to narrow here)."""
    return component[name]


def uids(data: bytes) -> list[str]:
    return [str(e["UID"]) for e in vevents(data)]


def blocks(data: bytes) -> dict[str, list[bytes]]:
    """Raw VEVENT blocks by UID, unfolded line by line."""
    unfolded = data.replace(b"\r\n ", b"")
    out: dict[str, list[bytes]] = {}
    for raw in re.findall(rb"BEGIN:VEVENT\r\n(.*?)END:VEVENT\r\n", unfolded, re.S):
        lines = raw.split(b"\r\n")[:-1]
        uid = next(ln[4:] for ln in lines if ln.startswith(b"UID:")).decode()
        out[uid] = lines
    return out


def test_parses_with_icalendar_and_strict_parser() -> None:
    events = [event(i, done=i % 4 == 0) for i in range(20)]
    data = render_feed(info(), events)
    assert len(vevents(data)) == 20
    cal = strict(data)
    assert len(cal.events) == 20
    assert cal.prodid == PRODID
    assert data.endswith(b"END:VCALENDAR\r\n")
    # CRLF only, no blank lines (the strict parser tolerates both, clients may not)
    assert b"\r\n\r\n" not in data
    assert data.count(b"\n") == data.count(b"\r\n")


def test_events_are_transparent_all_day_events() -> None:
    events = [event(i) for i in range(10)]
    data = render_feed(info(), events)
    for ev in vevents(data):
        start, end = prop(ev, "DTSTART"), prop(ev, "DTEND")
        assert type(start.dt) is date and type(end.dt) is date
        assert start.params["VALUE"] == "DATE" and end.params["VALUE"] == "DATE"
        assert end.dt == start.dt + timedelta(days=1)
        assert ev["TRANSP"] == "TRANSPARENT"
        assert ev["STATUS"] == "CONFIRMED"
    by_uid = {e.uid: e for e in events}
    for parsed in strict(data).events:
        given = by_uid[parsed.uid]
        assert parsed.dtstart == given.due
        assert parsed.dtend == given.due + timedelta(days=1)
        assert parsed.dtstamp == parsed.last_modified == given.modified
        assert parsed.sequence == given.sequence
        assert parsed.url == given.url
        assert parsed.categories == list(given.categories)
    assert b"DTSTAMP:20250102T030405Z\r\n" in data
    assert b"LAST-MODIFIED:20250102T030405Z\r\n" in data


def test_calendar_properties() -> None:
    feed_url = "https://monev.example.org/f/abc.ics"
    data = render_feed(info("Asia/Makassar", refresh=timedelta(hours=6), url=feed_url),
                       [event(1)])
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT6H\r\n" in data
    assert b"X-PUBLISHED-TTL:PT6H\r\n" in data
    cal = Calendar.from_ical(data)
    expected = {
        "VERSION": "2.0", "PRODID": PRODID, "CALSCALE": "GREGORIAN", "METHOD": "PUBLISH",
        "UID": "feed-7@monev", "NAME": "Monev ZI 2025 — KPU Kab. Contoh",
        "X-WR-CALNAME": "Monev ZI 2025 — KPU Kab. Contoh",
        "DESCRIPTION": "Tenggat bukti fisik rencana aksi ZI 2025 (Tim ZI)",
        "X-WR-CALDESC": "Tenggat bukti fisik rencana aksi ZI 2025 (Tim ZI)",
        "COLOR": "darkred", "X-WR-TIMEZONE": "Asia/Makassar", "SOURCE": feed_url,
    }
    assert {k: str(cal[k]) for k in expected} == expected
    parsed = strict(data)
    assert parsed.refresh_interval == timedelta(hours=6)
    assert parsed.color == "darkred"
    assert parsed.uid == "feed-7@monev"


def test_default_refresh_and_optional_fields_left_out() -> None:
    bare = replace(event(1), url=None, categories=())
    blank = replace(event(2), categories=("", ""))
    data = render_feed(info(), [bare, blank])
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in data
    assert b"X-PUBLISHED-TTL:PT1H\r\n" in data
    assert b"SOURCE" not in data
    assert b"CATEGORIES" not in data
    assert not [ln for ln in blocks(data)[bare.uid] if ln.startswith(b"URL")]
    assert [ln for ln in blocks(data)[blank.uid] if ln.startswith(b"URL")]
    assert len(strict(data).events) == 2


def test_empty_feed_is_valid() -> None:
    data = render_feed(info(), [])
    assert strict(data).events == []
    assert b"BEGIN:VTIMEZONE" in data and b"BEGIN:VEVENT" not in data


@pytest.mark.parametrize("modified", [
    datetime(2025, 1, 2, 10, 4, 5, tzinfo=timezone(timedelta(hours=7))),  # WIB wall clock
    datetime(2025, 1, 2, 3, 4, 5),  # naive means UTC
    datetime(2025, 1, 2, 3, 4, 5, 999_999, tzinfo=UTC),  # microseconds dropped
])
def test_stamps_are_utc(modified: datetime) -> None:
    data = render_feed(info(), [replace(event(1), modified=modified)])
    assert b"DTSTAMP:20250102T030405Z\r\n" in data
    assert b"LAST-MODIFIED:20250102T030405Z\r\n" in data


def test_shuffled_input_gives_identical_bytes() -> None:
    events = [event(i, done=i % 3 == 0) for i in range(200)]
    # same-day events too, so the order must also come from the UID
    events += [event(1000 + i, due=BASE_DUE) for i in range(10)]
    first = render_feed(info(), events, horizon_start=BASE_DUE + timedelta(days=30))
    rng = random.Random(20250101)
    for _ in range(5):
        shuffled = events[:]
        rng.shuffle(shuffled)
        again = render_feed(info(), shuffled, horizon_start=BASE_DUE + timedelta(days=30))
        assert again == first
    parsed = [(prop(e, "DTSTART").dt, str(e["UID"])) for e in vevents(first)]
    assert parsed == sorted(parsed)


def test_changed_event_changes_only_its_own_stamps() -> None:
    events = [event(i) for i in range(30)]
    before = render_feed(info(), events)
    changed = events[12]
    events[12] = replace(changed, sequence=changed.sequence + 1,
                         modified=changed.modified + timedelta(days=3, hours=1))
    after = render_feed(info(), events)
    assert before != after
    old, new = blocks(before), blocks(after)
    assert old.keys() == new.keys()
    for uid in old:
        if uid != changed.uid:
            assert old[uid] == new[uid]
    diff = set(old[changed.uid]) ^ set(new[changed.uid])
    assert {line.split(b":")[0] for line in diff} == {b"SEQUENCE", b"LAST-MODIFIED",
                                                      b"DTSTAMP"}
    assert f"SEQUENCE:{changed.sequence + 1}".encode() in new[changed.uid]
    stamp = f"{events[12].modified:%Y%m%dT%H%M%S}Z".encode()
    assert b"DTSTAMP:" + stamp in new[changed.uid]
    assert b"LAST-MODIFIED:" + stamp in new[changed.uid]
    # everything outside the events is untouched too
    assert before.split(b"BEGIN:VEVENT")[0] == after.split(b"BEGIN:VEVENT")[0]


def test_horizon_drops_only_old_finished_events() -> None:
    horizon = date(2025, 3, 1)
    old_done = event(1, done=True, due=date(2025, 2, 28))
    old_open = event(2, due=date(2025, 1, 1))
    edge_done = event(3, done=True, due=horizon)
    new_done = event(4, done=True, due=date(2025, 6, 1))
    new_open = event(5, due=date(2025, 6, 1))
    events = [old_done, old_open, edge_done, new_done, new_open]
    kept = set(uids(render_feed(info(), events, horizon_start=horizon)))
    assert kept == {e.uid for e in events} - {old_done.uid}
    assert set(uids(render_feed(info(), events))) == {e.uid for e in events}


LONG = ("Bukti fisik: Laporan pelaksanaan survei kepuasan masyarakat, notulensi rapat "
        "evaluasi, daftar hadir, dokumentasi kegiatan, dan tindak lanjut rekomendasi. ") * 6


def test_big_feed_stays_under_limit_and_keeps_open_and_newest() -> None:
    events = [event(i, done=i % 5 != 0, due=BASE_DUE + timedelta(days=i // 3),
                    description=f"{LONG} #{i}") for i in range(3000)]
    data = render_feed(info(), events, horizon_start=BASE_DUE)  # horizon drops nothing
    assert len(data) < MAX_FEED_BYTES
    assert len(data) > MAX_FEED_BYTES - 5_000  # cut to size, not far below it
    kept = set(uids(data))
    assert len(kept) == len(strict(data).events)
    by_uid = {e.uid: e for e in events}
    open_events = [e for e in events if not e.done]
    assert {e.uid for e in open_events} <= kept  # 600 open items fit: all stay
    kept_done = [by_uid[u] for u in kept if by_uid[u].done]
    dropped_done = [e for e in events if e.done and e.uid not in kept]
    assert kept_done and dropped_done
    assert min(e.due for e in kept_done) >= max(e.due for e in dropped_done)


def test_too_many_open_events_keeps_the_newest() -> None:
    events = [event(i, due=BASE_DUE + timedelta(days=i), description=f"{LONG} #{i}")
              for i in range(3000)]
    events += [event(5000 + i, done=True, due=BASE_DUE + timedelta(days=4000))
               for i in range(10)]
    data = render_feed(info(), events)
    assert len(data) < MAX_FEED_BYTES
    kept = uids(data)
    assert not any(u.startswith("ZI-05") for u in kept)  # finished go first, even new ones
    dues = sorted(e.due for e in events if e.uid in set(kept))
    assert dues[-1] == BASE_DUE + timedelta(days=2999)
    assert len(dues) == dues[-1].toordinal() - dues[0].toordinal() + 1  # a newest run


def test_uids_unique_and_all_present() -> None:
    events = [event(i) for i in range(300)]
    got = uids(render_feed(info(), events))
    assert len(got) == len(set(got)) == 300
    assert set(got) == {e.uid for e in events}
    assert b"UID:feed-7@monev\r\n" in render_feed(info(), events)


def test_indonesian_text_and_long_lines_roundtrip() -> None:
    summary = ("✅ Penyusunan SOP “Pelayanan Prima”; Kab. Pegunungan Bintang, Papua "
               "Pegunungan — tahap ½, revisi ke-2 (Bagian Teknis & Hukum)…")
    description = ("Bukti fisik: SK Kepala Satker tentang Penetapan Agen Perubahan;\n"
                   "Catatan: unggah berkas «asli», bukan salinan \\ fotokopi, ya.\n" + "é" * 200
                   + "\nPIC: Ni Luh Putu Ayu Wédayanti, Stéfanus Ëko")
    categories = ("Penguatan Akuntabilitas", "ZI; RB, 2025")
    ev = replace(event(1), summary=summary, description=description, categories=categories)
    data = render_feed(info("Asia/Jayapura"), [ev])
    lines = data.split(b"\r\n")
    assert any(line.startswith(b" ") for line in lines)  # folded
    for line in lines:
        assert len(line) <= 75
        line.decode("utf-8")  # folding never splits a character
    lenient = vevents(data)[0]
    assert str(lenient["SUMMARY"]) == summary
    assert str(lenient["DESCRIPTION"]) == description
    assert [str(c) for c in prop(lenient, "CATEGORIES").cats] == list(categories)
    parsed = strict(data).events[0]
    assert (parsed.summary, parsed.description) == (summary, description)
    # ``ical`` splits CATEGORIES on an escaped comma ("ZI; RB\\, 2025"), so only the
    # comma-free value is checked against it
    assert parsed.categories[0] == categories[0]
    assert parsed.categories[1].startswith("ZI; RB")


@pytest.mark.parametrize(("tz", "offset", "name"), [
    ("Asia/Jakarta", "+0700", "WIB"),
    ("Asia/Makassar", "+0800", "WITA"),
    ("Asia/Jayapura", "+0900", "WIT"),
])
def test_vtimezone_per_satker_zone(tz: str, offset: str, name: str) -> None:
    data = render_feed(info(tz), [event(1)])
    zones = list(Calendar.from_ical(data).walk("VTIMEZONE"))
    assert len(zones) == 1 and str(zones[0]["TZID"]) == tz
    rules = zones[0].subcomponents
    assert [r.name for r in rules] == ["STANDARD"]
    hours = timedelta(hours=int(offset[1:3]))
    assert prop(rules[0], "TZOFFSETFROM").td == prop(rules[0], "TZOFFSETTO").td == hours
    assert str(rules[0]["TZNAME"]) == name
    assert f"TZOFFSETTO:{offset}\r\n".encode() in data
    assert f"X-WR-TIMEZONE:{tz}\r\n".encode() in data
    (zone,) = strict(data).timezones
    assert zone.tz_id == tz
    assert [o.tz_offset_to.offset for o in zone.standard] == [hours]
    assert zone.daylight == []
