"""The feed 304 answered from memory (``calendars.conditional.FeedFront``): two real app
instances under uvicorn sharing one database (SQLite file and PostgreSQL), as two
processes behind a proxy would. Unchanged feeds get their 304 without a single
statement through SQLAlchemy; a change made elsewhere, a rotation or a revocation is
seen by both at the next request."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from icalendar import Calendar
from sqlalchemy import event, update
from sqlalchemy.orm import Session, sessionmaker

from calendars.conditional import FeedFront
from calendars.service import revoke_feed, rotate_feed
from monev.engine.lifecycle import find_checkpoint, submit_link
from monev.plans import load_plan
from monev.store import models as m
from monev.store.imports import import_plan
from tests.conftest import ROOT, ZI_MUARO, free_port
from tests.test_feeds import CFG, MUARO_PLAN, SECRET, TODAY, _feed

App = tuple[str, FeedFront]


@pytest.fixture
def stored(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    plan = load_plan(ZI_MUARO)
    sc = CFG.satker(plan.header.satker)
    assert sc is not None
    with sessions.begin() as s:
        import_plan(s, plan, sc.calendar(), date(2025, 7, 7), ZI_MUARO.name, sc.tz)
    return sessions


@pytest.fixture
def two_apps(stored: sessionmaker[Session], db_url: str, tmp_path: Path,
             monkeypatch: pytest.MonkeyPatch) -> Iterator[list[App]]:
    from app.web import create_app

    for key, value in {"MONEV_DATABASE_URL": db_url, "MONEV_HOME": str(tmp_path / "home"),
                       "MONEV_FEED_SECRET": SECRET.decode(),
                       "MONEV_TODAY": TODAY.isoformat(), "MONEV_PUBLIC_URL": ""}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(ROOT)
    apps, servers = [], []
    for _ in range(2):
        port, front = free_port(), create_app()
        server = uvicorn.Server(uvicorn.Config(front, host="127.0.0.1", port=port,
                                               log_level="warning", access_log=False))
        threading.Thread(target=server.run, daemon=True).start()
        apps.append((f"http://127.0.0.1:{port}", front))
        servers.append(server)
    for server in servers:
        for _ in range(200):
            if server.started:
                break
            time.sleep(0.05)
    yield apps
    for server in servers:
        server.should_exit = True


def _etags(client: httpx.Client, apps: list[App], token: str) -> list[str]:
    out = []
    for base, _ in apps:
        got = client.get(f"{base}/feeds/{token}.ics")
        assert got.status_code == 200
        out.append(got.headers["etag"])
    return out


def _from_memory(client: httpx.Client, apps: list[App], token: str, etag: str) -> None:
    """Both apps answer 304 for ``etag`` from memory: counted by the front, and not one
    statement through SQLAlchemy."""
    for base, front in apps:
        statements: list[str] = []  # every statement through SQLAlchemy (ORM and Core)

        def count(*args: Any, seen: list[str] = statements) -> None:
            seen.append(str(args[2]))

        before = front.cache.front_304
        event.listen(front.engine, "before_cursor_execute", count)
        try:
            got = client.get(f"{base}/feeds/{token}.ics", headers={"If-None-Match": etag})
        finally:
            event.remove(front.engine, "before_cursor_execute", count)
        assert got.status_code == 304 and got.content == b""
        assert got.headers["etag"] == etag and "last-modified" in got.headers
        assert got.headers["cache-control"].startswith("private")
        assert front.cache.front_304 == before + 1, "answered by the front"
        assert statements == [], "no framework or ORM work"


def _listening(apps: list[App]) -> list[int | None]:
    """Each app's count of change notifications once its listener is up (PostgreSQL);
    None for each app on SQLite, where every 304 is checked by a statement."""
    counts: list[int | None] = []
    for _, front in apps:
        if front.changes is None:
            counts.append(None)
            continue
        deadline = time.monotonic() + 10
        while front.changes.current() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        counts.append(front.changes.current())
        assert counts[-1] is not None, "the listener is up"
    return counts


def _heard(apps: list[App], before: list[int | None]) -> None:
    """Wait until each app's listener heard of a write made since ``before`` (a
    notification takes milliseconds)."""
    for (_, front), seen in zip(apps, before, strict=True):
        if front.changes is None:
            continue
        deadline = time.monotonic() + 10
        while front.changes.current() in (None, seen) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert front.changes.current() not in (None, seen), "the write was notified"


def test_304_from_memory_follows_changes_rotation_and_revocation_in_both_apps(
        two_apps: list[App], stored: sessionmaker[Session],
        monkeypatch: pytest.MonkeyPatch) -> None:
    plan_id, plan_token = _feed(stored, plan=MUARO_PLAN)
    _, person_token = _feed(stored, "person", satker="kpu-kabupaten-muaro-jambi",
                            value="Pegawai Contoh Satu")
    _, area_token = _feed(stored, "area", plan=MUARO_PLAN, value="Tata Laksana")
    with httpx.Client(timeout=60) as client:
        tokens = (plan_token, person_token, area_token)
        first = {t: _etags(client, two_apps, t) for t in tokens}
        for token, etags in first.items():
            assert etags[0] == etags[1], "the same data gives the same ETag everywhere"
            _from_memory(client, two_apps, token, etags[0])

        # a change made by another process: one of the person's checkpoints gets evidence
        person_feed = client.get(f"{two_apps[0][0]}/feeds/{person_token}.ics").content
        code = str(next(iter(Calendar.from_ical(person_feed).walk("VEVENT")))
                   ["DESCRIPTION"]).rsplit("Kode: ", 1)[1].split()[0]
        before = _listening(two_apps)
        with stored.begin() as s:
            cp = find_checkpoint(s, code)
            cp.status = "open"
            submit_link(s, cp, "https://drive.example/bukti", "Pegawai Contoh Satu")
        _heard(two_apps, before)
        for token in (plan_token, person_token):
            for base, _ in two_apps:
                got = client.get(f"{base}/feeds/{token}.ics",
                                 headers={"If-None-Match": first[token][0]})
                assert got.status_code == 200 and got.headers["etag"] != first[token][0]
        new = _etags(client, two_apps, person_token)
        _from_memory(client, two_apps, person_token, new[0])

        # another day: the front leaves it to the app (overdue marks, the horizon move)
        monkeypatch.setenv("MONEV_TODAY", "2025-09-16")
        for base, front in two_apps:
            before = front.cache.front_304
            client.get(f"{base}/feeds/{area_token}.ics",
                       headers={"If-None-Match": first[area_token][0]})
            assert front.cache.front_304 == before
        monkeypatch.setenv("MONEV_TODAY", TODAY.isoformat())

        # rotated elsewhere: the old token is dead at once, even with its valid ETag
        current = _etags(client, two_apps, plan_token)[0]
        _from_memory(client, two_apps, plan_token, current)
        before = _listening(two_apps)
        with stored.begin() as s:
            rotated = rotate_feed(s, plan_id, SECRET)
        _heard(two_apps, before)
        for base, _ in two_apps:
            gone = client.get(f"{base}/feeds/{plan_token}.ics",
                              headers={"If-None-Match": current})
            assert gone.status_code == 404
        renewed = _etags(client, two_apps, rotated)  # event URLs carry the new token
        assert renewed[0] == renewed[1]
        _from_memory(client, two_apps, rotated, renewed[0])
        before = _listening(two_apps)
        with stored.begin() as s:
            revoke_feed(s, plan_id)
        _heard(two_apps, before)
        for base, _ in two_apps:
            gone = client.get(f"{base}/feeds/{rotated}.ics",
                              headers={"If-None-Match": renewed[0]})
            assert gone.status_code == 404 and rotated not in gone.text


def test_postgresql_304_needs_no_statement_until_a_write_is_notified(
        two_apps: list[App], stored: sessionmaker[Session], db_url: str) -> None:
    """On PostgreSQL the front checks a feed once; its next 304s need no statement at
    all until a write to ``plan`` or ``feed`` is notified. A write elsewhere does not
    count; a listener that lost its connection is not trusted: every 304 is checked
    again, until it listens again."""
    if not db_url.startswith("postgresql"):
        pytest.skip("notifications are PostgreSQL's")
    import psycopg

    _, token = _feed(stored, plan=MUARO_PLAN)
    base, front = two_apps[0]
    checks: list[str] = []
    versions = front._versions

    def counted(digest: str, *args: Any) -> Any:
        checks.append(digest)
        return versions(digest, *args)

    front._versions = counted  # type: ignore[method-assign]
    with httpx.Client(timeout=60) as client:
        etag = _etags(client, [(base, front)], token)[0]
        _listening([(base, front)])

        def revalidate() -> int:
            before = len(checks)
            got = client.get(f"{base}/feeds/{token}.ics", headers={"If-None-Match": etag})
            assert got.status_code == 304
            return len(checks) - before

        assert revalidate() == 1, "checked once"
        assert [revalidate() for _ in range(3)] == [0, 0, 0], "then known unchanged"
        with stored.begin() as s:  # a write that reaches no feed: nothing notified
            s.execute(m.Outbox.__table__.delete())
        time.sleep(0.3)
        assert revalidate() == 0
        before = _listening([(base, front)])
        with stored.begin() as s:  # any write to plan: checked again, still unchanged
            s.execute(update(m.Plan).values(status_manual=m.Plan.status_manual))
        _heard([(base, front)], before)
        assert revalidate() == 1 and revalidate() == 0
        with psycopg.connect(db_url, autocommit=True) as conn:  # the listener is cut off
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                         "WHERE pid <> pg_backend_pid() AND (query LIKE 'LISTEN%' "
                         "OR query = 'SELECT 1')")
        deadline = time.monotonic() + 10
        while front.changes is not None and front.changes.current() is not None \
                and time.monotonic() < deadline:
            time.sleep(0.01)
        assert revalidate() == 1 and revalidate() == 1, "not trusted while cut off"
        _listening([(base, front)])  # listening again
        assert revalidate() == 1 and revalidate() == 0
