"""Calendar feeds from the store, served by the real HTTP app, on SQLite and PostgreSQL:
strict parsing, stable UIDs across a revised plan, SEQUENCE on change, conditional
requests, revocation and rotation, static publishing."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from icalendar import Calendar
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from calendars.events import build_feed
from calendars.service import FeedCache, create_feed, revoke_feed, rotate_feed
from monev.config import load_config
from monev.engine.lifecycle import find_checkpoint, submit_link
from monev.plans import load_plan
from monev.store import models as m
from monev.store.imports import import_plan
from tests.conftest import ROOT, ZI_KOTA, ZI_MUARO, free_port
from tests.test_store import _revised_kota

CFG = load_config(ROOT / "config" / "monev.yaml")
SECRET = b"rahasia-uji-feed-yang-cukup-panjang-0123456789"
TODAY = date(2025, 9, 15)
MUARO_PLAN = "kpu-kabupaten-muaro-jambi/zi-2025"
KOTA_PLAN = "kpu-kota-jambi/zi-2025"


def strict_parse(data: bytes) -> Any:
    """Parse as a strict client would (the ``ical`` package validates RFC 5545)."""
    from ical.calendar_stream import IcsCalendarStream

    return IcsCalendarStream.calendar_from_ics(data.decode("utf-8"))


def events(data: bytes) -> dict[str, Any]:
    return {str(e["UID"]): e for e in Calendar.from_ical(data).walk("VEVENT")}


@pytest.fixture
def stored(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    for path in (ZI_MUARO, ZI_KOTA):
        plan = load_plan(path)
        sc = CFG.satker(plan.header.satker)
        assert sc is not None
        with sessions.begin() as s:
            import_plan(s, plan, sc.calendar(), date(2025, 7, 7), path.name, sc.tz)
    return sessions


def _feed(sessions: sessionmaker[Session], scope: str = "plan", **kw: Any) -> tuple[int, str]:
    with sessions.begin() as s:
        row, token = create_feed(s, SECRET, scope, "Tim ZI", cfg=CFG, **kw)
        return row.id, token


def _build(sessions: sessionmaker[Session], feed_id: int, today: date = TODAY) -> bytes:
    with sessions() as s:
        feed = s.get(m.Feed, feed_id)
        assert feed is not None
        return build_feed(s, feed, CFG, today, link=lambda ref: f"https://monev.test/c/{ref}")


def test_plan_feed_is_valid_complete_and_deterministic(stored: sessionmaker[Session]) -> None:
    feed_id, _ = _feed(stored, plan=MUARO_PLAN)
    data = _build(stored, feed_id)
    strict = strict_parse(data)
    assert len(strict.events) == 252  # every checkpoint of the plan, nothing trimmed yet
    cal = Calendar.from_ical(data)
    assert str(cal["X-WR-CALNAME"]) == str(cal["NAME"]) == \
        "Monev ZI 2025 — KPU Kabupaten Muaro Jambi"
    assert b"REFRESH-INTERVAL;VALUE=DURATION:" in data and b"X-PUBLISHED-TTL:" in data
    assert b"COLOR:" in data and b"X-WR-CALDESC:" in data
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["Asia/Jakarta"]
    with stored() as s:
        dues = {f"{i.key}-{c.period}-zi2025@kpu-kabupaten-muaro-jambi.monev": c.due
                for c, i in s.execute(select(m.Checkpoint, m.Item).join(m.Checkpoint.item)
                                      .where(m.Item.plan_id == 1)).tuples()}
    found = events(data)
    assert set(found) == set(dues), "one event per checkpoint, UIDs from stable identity"
    for uid, ev in found.items():
        assert ev.decoded("DTSTART") == dues[uid]
        assert ev.decoded("DTEND") == dues[uid] + timedelta(days=1)
        assert str(ev["TRANSP"]) == "TRANSPARENT"
        assert str(ev["SUMMARY"]).endswith("[KPU Kab. Muaro Jambi]")
        assert "Bukti fisik:" in str(ev["DESCRIPTION"]) and "PIC:" in str(ev["DESCRIPTION"])
        assert "Kirim bukti: lewat Portal monev" in str(ev["DESCRIPTION"])
        assert "monev evidence" not in str(ev["DESCRIPTION"]), "no command in an event"
        assert str(ev["URL"]).startswith("https://monev.test/c/")
        assert "ZI" in [str(c) for c in ev["CATEGORIES"].cats]
    assert _build(stored, feed_id) == data, "same data, byte-identical feed"


def test_revised_plan_keeps_uids_bumps_sequence_and_drops_removed(
        stored: sessionmaker[Session], tmp_path: Path) -> None:
    feed_id, _ = _feed(stored, plan=KOTA_PLAN)
    before = events(_build(stored, feed_id))
    path = _revised_kota(tmp_path)
    text = path.read_text(encoding="utf-8").replace(
        "\tSOP Pelayanan\t", "\tSOP Pelayanan yang sudah direviu\t")
    path.write_text(text, encoding="utf-8")
    with stored.begin() as s:
        res = import_plan(s, load_plan(path), CFG.satker("KPU Kota Jambi").calendar(),  # type: ignore[union-attr]
                          TODAY, "v2")
    assert res.revision == 2
    after_data = _build(stored, feed_id)
    strict_parse(after_data)
    after = events(after_data)
    gone, new = set(before) - set(after), set(after) - set(before)
    assert gone and new, "removed checkpoints left; new ones came"
    kept = set(before) & set(after)
    assert len(kept) > 300
    changed = [u for u in kept if "direviu" in str(after[u]["SUMMARY"]) + str(
        after[u]["DESCRIPTION"])]
    assert changed
    for uid in kept:
        old_seq, new_seq = int(before[uid]["SEQUENCE"]), int(after[uid]["SEQUENCE"])
        if uid in changed:
            assert new_seq > old_seq
            assert after[uid].decoded("LAST-MODIFIED") >= before[uid].decoded("LAST-MODIFIED")
        else:
            assert new_seq == old_seq and after[uid].to_ical() == before[uid].to_ical()


def test_status_change_bumps_sequence_and_mark(stored: sessionmaker[Session]) -> None:
    feed_id, _ = _feed(stored, plan=MUARO_PLAN)
    before = events(_build(stored, feed_id))
    with stored.begin() as s:
        cp = s.scalars(select(m.Checkpoint).where(m.Checkpoint.period == "2025-10")).first()
        assert cp is not None
        item = s.get(m.Item, cp.item_id)
        assert item is not None
        uid = f"{item.key}-2025-10-zi2025@kpu-kabupaten-muaro-jambi.monev"
        cp.status = "open"
        submit_link(s, find_checkpoint(s, f"{item.key}@2025-10"), "https://x.test/b.pdf",
                    "Pegawai", None)
    after = events(_build(stored, feed_id))
    assert int(after[uid]["SEQUENCE"]) == int(before[uid]["SEQUENCE"]) + 1
    assert str(after[uid]["SUMMARY"]).startswith("📨")
    assert after[uid].decoded("DTSTAMP") == after[uid].decoded("LAST-MODIFIED")
    assert sum(a.to_ical() != before[u].to_ical() for u, a in after.items()) == 1


def test_area_person_and_province_feeds(stored: sessionmaker[Session]) -> None:
    plan_all = events(_build(stored, _feed(stored, plan=MUARO_PLAN)[0]))
    area = events(_build(stored, _feed(stored, "area", plan=MUARO_PLAN,
                                       value="Penataan Tata Laksana")[0]))
    assert area and set(area) < set(plan_all)
    assert all("PENATAAN TATA LAKSANA" in str(e["DESCRIPTION"]).upper() for e in area.values())
    person = events(_build(stored, _feed(stored, "person", satker="KPU Kabupaten Muaro Jambi",
                                         value="Koordinator Tata Laksana")[0]))
    assert set(area) <= set(person) < set(plan_all)
    sekretaris = events(_build(stored, _feed(stored, "person",
                                             satker="kpu-kabupaten-muaro-jambi",
                                             value="Sekretaris Contoh")[0]))
    assert set(sekretaris) == set(plan_all)
    province_data = _build(stored, _feed(stored, "province", value="Jambi")[0])
    strict_parse(province_data)
    province = events(province_data)
    assert len(province) == 252 + 375
    with pytest.raises(Exception, match="area 'Tidak Ada'"):
        _feed(stored, "area", plan=MUARO_PLAN, value="Tidak Ada")


def test_old_finished_items_leave_and_large_feeds_stay_under_1mb(
        stored: sessionmaker[Session]) -> None:
    feed_id, _ = _feed(stored, "province", value="Jambi")
    with stored.begin() as s:
        for cp in s.scalars(select(m.Checkpoint).where(m.Checkpoint.due < date(2025, 9, 1))):
            cp.status = "verified"
    with stored() as s:  # a 60-day horizon, while the plans are still open (aktif)
        feed = s.get(m.Feed, feed_id)
        assert feed is not None
        later = events(build_feed(s, feed, CFG, date(2025, 12, 1), horizon_days=60))
    with stored() as s:
        old_done = s.scalars(select(m.Checkpoint).where(
            m.Checkpoint.status == "verified")).all()
    assert old_done and len(later) == 252 + 375 - len(old_done)


def test_large_plan_feed_stays_under_1mb(sessions: sessionmaker[Session],
                                         tmp_path: Path) -> None:
    """A plan 40 times the Muaro Jambi one (10,000+ checkpoints, weekly targets among
    them) still gives a feed under 1 MB that keeps the newest items."""
    import yaml

    doc = yaml.safe_load(_export(ZI_MUARO))
    doc["items"] = [dict(item, indikator=f"{item['indikator']} (salinan {n})")
                    for n in range(40) for item in doc["items"]]
    path = tmp_path / "besar.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    plan = load_plan(path)
    with sessions.begin() as s:
        import_plan(s, plan, CFG.satker(plan.header.satker).calendar(),  # type: ignore[union-attr]
                    date(2025, 7, 7), "besar")
        n = len(s.scalars(select(m.Checkpoint.id)).all())
    assert n > 10_000
    feed_id, _ = _feed(sessions, plan=MUARO_PLAN)
    data = _build(sessions, feed_id)
    assert len(data) < 1_000_000
    kept = strict_parse(data).events
    assert 0 < len(kept) < n
    assert max(e.dtstart for e in kept) >= date(2025, 12, 1), "the newest items stay"


def _export(path: Path) -> str:
    from monev.plans.canonical import dump_plan

    return dump_plan(load_plan(path))


@pytest.fixture
def app_server(stored: sessionmaker[Session], db_url: str, tmp_path: Path,
               monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    from app.web import create_app

    port = free_port()
    for key, value in {"MONEV_DATABASE_URL": db_url, "MONEV_HOME": str(tmp_path / "home"),
                       "MONEV_FEED_SECRET": SECRET.decode(), "MONEV_HTTP_PORT": str(port),
                       "MONEV_TODAY": TODAY.isoformat(), "MONEV_PUBLIC_URL": ""}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(ROOT)
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port,
                                           log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(100):
        if server.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def test_http_feed_200_then_304_head_revoke_rotate(app_server: str,
                                                   stored: sessionmaker[Session]) -> None:
    feed_id, token = _feed(stored, plan=MUARO_PLAN)
    url = f"{app_server}/feeds/{token}.ics"
    with httpx.Client(timeout=30) as client:
        first = client.get(url)
        assert first.status_code == 200
        assert first.headers["content-type"] == "text/calendar; charset=utf-8"
        etag, modified = first.headers["etag"], first.headers["last-modified"]
        assert etag.startswith('"') and not etag.startswith("W/")
        assert "max-age" in first.headers["cache-control"]
        assert len(strict_parse(first.content).events) == 252
        again = client.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["etag"] == etag
        assert client.get(url, headers={"If-Modified-Since": modified}).status_code == 304
        future = "Thu, 01 Jan 2099 00:00:00 GMT"  # a client's broken clock: not "unchanged"
        assert client.get(url, headers={"If-Modified-Since": future}).status_code == 200
        assert client.get(url, headers={"If-None-Match": '"other"',
                                        "If-Modified-Since": modified}).status_code == 200
        head = client.head(url)
        assert head.status_code == 200 and head.content == b""
        assert int(head.headers["content-length"]) == len(first.content)
        # a status change: new ETag, 200 again for the old one
        with stored.begin() as s:
            cp = s.scalars(select(m.Checkpoint)).first()
            assert cp is not None
            cp.status = "open"
            submit_link(s, cp, "https://x.test/b.pdf", "Pegawai", None)
        changed = client.get(url, headers={"If-None-Match": etag})
        deadline = time.monotonic() + 10  # PostgreSQL: until the write's NOTIFY arrived
        while changed.status_code == 304 and stored.kw["bind"].dialect.name == "postgresql" \
                and time.monotonic() < deadline:
            time.sleep(0.01)
            changed = client.get(url, headers={"If-None-Match": etag})
        assert changed.status_code == 200 and changed.headers["etag"] != etag
        # the event URL is a page of the app
        event = next(iter(events(changed.content).values()))
        page = client.get(str(event["URL"]))
        assert page.status_code == 200 and "Bukti fisik" in page.text
        # rotation: the old link is dead at once, the new one works
        with stored.begin() as s:
            new_token = rotate_feed(s, feed_id, SECRET)
        assert client.get(url).status_code == 404
        new_url = f"{app_server}/feeds/{new_token}.ics"
        assert client.get(new_url).status_code == 200
        with stored.begin() as s:
            revoke_feed(s, feed_id)
        gone = client.get(new_url)
        assert gone.status_code == 404 and new_token not in gone.text
        assert client.get(f"{app_server}/feeds/{'A' * 43}.ics").status_code == 404


def test_last_modified_is_never_ahead_of_the_response(app_server: str,
                                                     stored: sessionmaker[Session]) -> None:
    """A change stamped ahead of the clock (a planned hour, another host's clock) never
    makes Last-Modified later than the response's Date: If-Modified-Since gets its 304."""
    from email.utils import parsedate_to_datetime

    _, token = _feed(stored, plan=MUARO_PLAN)
    with stored.begin() as s:
        cp = s.scalars(select(m.Checkpoint)).first()
        assert cp is not None
        cp.updated_at = datetime.now(UTC).replace(tzinfo=None) + timedelta(hours=7)
    url = f"{app_server}/feeds/{token}.ics"
    with httpx.Client(timeout=30) as client:
        first = client.get(url)
        assert first.status_code == 200
        modified = first.headers["last-modified"]
        # uvicorn refreshes its Date header once a second: compare at that granularity
        assert parsedate_to_datetime(modified) <= \
            parsedate_to_datetime(first.headers["date"]) + timedelta(seconds=2)
        assert parsedate_to_datetime(modified) <= datetime.now(UTC)
        again = client.get(url, headers={"If-Modified-Since": modified})
        assert again.status_code == 304, modified


def test_index_page_lists_subscribe_links(app_server: str,
                                          stored: sessionmaker[Session]) -> None:
    _, plan_token = _feed(stored, plan=MUARO_PLAN)
    _, index_token = _feed(stored, "index", satker="kpu-kabupaten-muaro-jambi")
    with httpx.Client(timeout=30) as client:
        page = client.get(f"{app_server}/feeds/{index_token}/")
        assert page.status_code == 200
        assert f"{app_server}/feeds/{plan_token}.ics" in page.text
        assert f"webcal://{app_server.split('://')[1]}/feeds/{plan_token}.ics" in page.text
        assert "https://calendar.google.com/calendar/r?cid=webcal%3A%2F%2F" in page.text
        # an index token is not a calendar, and a calendar token is not an index
        assert client.get(f"{app_server}/feeds/{index_token}.ics").status_code == 404
        assert client.get(f"{app_server}/feeds/{plan_token}/").status_code == 404


def test_publish_writes_atomically_and_follows_changes(stored: sessionmaker[Session],
                                                       tmp_path: Path) -> None:
    from calendars.publish import publish

    out = tmp_path / "terbit"
    feed_id, token = _feed(stored, plan=MUARO_PLAN)
    _feed(stored, plan=KOTA_PLAN)
    cache = FeedCache(CFG, None)
    with stored() as s:
        first = publish(s, cache, SECRET, out, TODAY)
    assert len(first.written) == 2 and not first.removed
    data = (out / f"{token}.ics").read_bytes()
    assert len(strict_parse(data).events) == 252
    with stored() as s:
        again = publish(s, FeedCache(CFG, None), SECRET, out, TODAY)
    assert again.written == [] and again.unchanged == 2
    with stored.begin() as s:
        revoke_feed(s, feed_id)
    with stored() as s:
        third = publish(s, cache, SECRET, out, TODAY)
    assert third.removed == [f"{token}.ics"] and not (out / f"{token}.ics").exists()
    assert sorted(p.name for p in out.iterdir()) == sorted(
        p.name for p in out.glob("*.ics")), "no temporary files left"
    assert os.stat(next(out.glob("*.ics"))).st_mode & 0o777 == 0o644


def test_feed_cli_create_list_rotate_revoke_publish(tmp_path: Path) -> None:
    """The admin's commands, end to end on a SQLite file; static feeds follow changes."""
    import re

    from typer.testing import CliRunner

    from app.cli import app

    env = {"MONEV_HOME": str(tmp_path / "home"), "MONEV_DATABASE_URL": "",
           "MONEV_HTTP_PORT": "8123", "MONEV_PUBLIC_URL": "", "MONEV_TODAY": "2025-09-15",
           "MONEV_FEED_DIR": str(tmp_path / "terbit"), "COLUMNS": "200",
           "MONEV_FEED_SECRET": ""}
    cli = CliRunner()

    def run(*args: str) -> str:
        result = cli.invoke(app, list(args), env=env)
        assert result.exit_code == 0, result.output
        return result.output

    run("plan", "import", str(ZI_MUARO), "--config", str(ROOT / "config" / "monev.yaml"))
    created = run("feed", "create", "--plan", MUARO_PLAN, "--for", "Tim ZI")
    url = re.search(r"https : (http://127\.0\.0\.1:8123/feeds/(\S{43})\.ics)", created)
    assert url and "webcal://127.0.0.1:8123/feeds/" in created
    assert "calendar.google.com/calendar/r?cid=webcal%3A%2F%2F127.0.0.1" in created
    token = url.group(2)
    assert (tmp_path / "home" / "feed-secret").stat().st_mode & 0o777 == 0o600
    listed = run("feed", "list")
    assert "Tim ZI" in listed and token not in listed, "tokens only on request"
    assert token in run("feed", "list", "--links")
    published = run("feed", "publish", "--out", str(tmp_path / "terbit"))
    assert "1 ditulis" in published
    first = (tmp_path / "terbit" / f"{token}.ics").read_bytes()
    # evidence submitted: MONEV_FEED_DIR is republished by the command itself
    with open_db(tmp_path) as s:
        cp = s.scalars(select(m.Checkpoint).where(m.Checkpoint.period == "2025-10")).first()
        assert cp is not None
        item = s.get(m.Item, cp.item_id)
        assert item is not None
        cp.status = "open"
        s.commit()
        ref = f"{item.key}@2025-10"
    run("evidence", "submit", ref, "--link", "https://x.test/bukti.pdf", "--by", "Budi")
    assert (tmp_path / "terbit" / f"{token}.ics").read_bytes() != first
    rotated = run("feed", "rotate", "1")
    new_token = re.search(r"/feeds/(\S{43})\.ics", rotated)
    assert new_token and new_token.group(1) != token
    run("feed", "publish", "--out", str(tmp_path / "terbit"))
    assert [p.stem for p in (tmp_path / "terbit").glob("*.ics")] == [new_token.group(1)]
    assert "dicabut" in run("feed", "revoke", "1")
    bad = cli.invoke(app, ["feed", "revoke", "1"], env=env)
    assert bad.exit_code != 0 and "sudah dicabut" in bad.output


def open_db(tmp_path: Path) -> Session:
    from monev.store.db import open_session_factory

    return open_session_factory(f"sqlite:///{tmp_path / 'home' / 'monev.db'}")()


def test_kasubbag_feed_and_a_person_gone_from_the_config(stored: sessionmaker[Session],
                                                         tmp_path: Path) -> None:
    from calendars.publish import publish

    plan_all = events(_build(stored, _feed(stored, plan=MUARO_PLAN)[0]))
    kasubbag = events(_build(stored, _feed(stored, "person", satker="kpu-kabupaten-muaro-jambi",
                                           value="Kasubbag SDM Contoh")[0]))
    assert kasubbag and set(kasubbag) < set(plan_all)
    assert all("Pegawai Contoh Satu" in str(e["DESCRIPTION"]) for e in kasubbag.values())
    sc = CFG.satker("KPU Kabupaten Muaro Jambi")
    assert sc is not None
    trimmed = CFG.model_copy(update={"satkers": [sc.model_copy(update={"people": [
        p for p in sc.people if p.name != "Kasubbag SDM Contoh"]})]})
    with stored() as s:
        report = publish(s, FeedCache(trimmed, None), SECRET, tmp_path / "out", TODAY)
    assert len(report.failed) == 1 and "Kasubbag SDM Contoh" in report.failed[0]
    assert len(report.written) == 1, "the other feed is still published"


def test_cached_feed_follows_every_kind_of_write(stored: sessionmaker[Session],
                                                 tmp_path: Path) -> None:
    """The cache answers from plan data versions: a sweep's status changes, a portal
    or CLI verdict, and a revised plan each give a new feed; nothing else does."""
    from calendars.service import FeedCache
    from monev.engine.sweep import sweep_plan

    feed_id, token = _feed(stored, plan=KOTA_PLAN)
    cache = FeedCache(CFG, "https://monev.test")
    engine = stored.kw["bind"]

    def served() -> tuple[str, bool]:
        with engine.connect() as conn:
            fresh = cache.fresh(conn, token, TODAY)
        with stored() as s:
            feed = s.get(m.Feed, feed_id)
            assert feed is not None
            return cache.get(s, feed, token, TODAY).etag, fresh is not None

    first, _ = served()
    assert served() == (first, True), "unchanged: answered from the cache"
    sc = CFG.satker("KPU Kota Jambi")
    assert sc is not None
    with stored.begin() as s:
        sweep_plan(s, 2, TODAY, sc.calendar(), sc.settings(), sc, links=False)
    swept, cached = served()
    assert swept != first and not cached, "the sweep opened checkpoints"
    with stored.begin() as s:
        cp = s.scalars(select(m.Checkpoint).join(m.Checkpoint.item).where(
            m.Item.plan_id == 2, m.Checkpoint.status == "open")).first()
        assert cp is not None
        submit_link(s, cp, "https://drive.example/bukti", "Pegawai")
    verdict, _ = served()
    assert verdict != swept
    with stored.begin() as s:
        import_plan(s, load_plan(_revised_kota(tmp_path)), sc.calendar(), TODAY, "rev2",
                    sc.tz)
    revised, _ = served()
    assert revised != verdict
    assert served() == (revised, True)
