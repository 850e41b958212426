"""Nothing lost, nothing twice: races between real processes, quiet hours by the real
clock, "today" in the satker's zone, all-or-nothing imports, the admin told about
uncertain rows, and a feed secret that is never empty."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from monev.config import load_config
from monev.engine.rules import EngineSettings
from monev.engine.sweep import sweep_plan
from monev.plans import load_plan
from monev.store import models as m
from monev.store.db import make_engine
from monev.store.imports import import_plan
from notifiers.batch import claim_batch
from notifiers.outbox import tell_admins
from tests.conftest import ALL_PLANS, RB_MUARO, ROOT, ZI_MUARO

CFG = load_config(ROOT / "config" / "monev.yaml")
MUARO = CFG.satker("KPU Kabupaten Muaro Jambi")
DAY = date(2026, 11, 2)  # ZI 2025 backlog and RB 2026 reminders for the same people
# the ZI 2025 plan kept in penutupan on DAY (by default it closed at the end of Jan 2026)
OPEN = replace(MUARO.settings() if MUARO else EngineSettings(), closing_grace_months=24)


def _monev(*args: str, env: dict[str, str], timeout: float = 120,
           ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "app", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def _import_both(sessions: sessionmaker[Session]) -> tuple[int, int]:
    assert MUARO is not None
    with sessions.begin() as s:
        zi = import_plan(s, load_plan(ZI_MUARO), MUARO.calendar(), DAY, "zi").plan_id
        rb = import_plan(s, load_plan(RB_MUARO), MUARO.calendar(), DAY, "rb").plan_id
    return zi, rb


def test_a_claimed_digest_is_never_rewritten_by_a_sweep(db_url: str,
                                                       sessions: sessionmaker[Session]) -> None:
    """A dispatcher holds the claim of Ketua Tim's digest (uncommitted) while a sweep of
    the satker's other plan, in another process, adds items for the same person and
    day. The claimed row must keep the text being sent; the new items go to a new row."""
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
    assert MUARO is not None
    zi, rb = _import_both(sessions)
    with sessions.begin() as s:
        sweep_plan(s, zi, DAY, MUARO.calendar(), OPEN, MUARO)
    with sessions() as s:
        row = s.scalars(select(m.Outbox).where(m.Outbox.person == "Ketua Tim ZI Contoh",
                                               m.Outbox.channel == "email")).one()
        row_id, first_items = row.id, len(row.items)
    dispatcher = sessions()
    dispatcher.begin()
    [claimed] = claim_batch(dispatcher.connection(), [row_id], datetime(2026, 11, 2, 1))
    sweep = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        from datetime import date
        from monev.config import load_config
        from monev.engine.sweep import sweep_plan
        from monev.store.db import open_session_factory
        sc = load_config().satker("KPU Kabupaten Muaro Jambi")
        with open_session_factory({db_url!r}).begin() as s:
            sweep_plan(s, {rb}, date(2026, 11, 2), sc.calendar(), sc.settings(), sc)
        """)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    engine = make_engine(db_url)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # the sweep is waiting for our row lock
            with engine.connect() as conn:
                waiting = conn.scalar(text(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND query ILIKE '%outbox%'"))
            if waiting or sweep.poll() is not None:
                break
            time.sleep(0.2)
        dispatcher.commit()  # the claim lands; the dispatcher sends claimed.body
    finally:
        dispatcher.close()
        engine.dispose()
    _, errors = sweep.communicate(timeout=120)
    assert sweep.returncode == 0, errors
    with sessions() as s:
        rows = s.scalars(select(m.Outbox).where(m.Outbox.person == "Ketua Tim ZI Contoh",
                                                m.Outbox.channel == "email")
                         .order_by(m.Outbox.id)).all()
    assert rows[0].id == row_id and rows[0].status == "sending"
    assert rows[0].body == claimed.body and len(rows[0].items) == first_items, \
        "the row being sent kept the text being sent"
    assert len(rows) == 2 and rows[1].status == "pending" and rows[1].idem_key.endswith("#2")
    refs = {i["ref"] for i in rows[0].items}
    assert rows[1].items and all(i["ref"] not in refs for i in rows[1].items), \
        "the RB plan's items for Ketua Tim are not lost: they wait in the new row"


def test_quiet_hours_use_the_real_time_of_the_run(sessions: sessionmaker[Session]) -> None:
    """The 08:00 run of a working day happens at 21:00 WIB (server was down): its
    messages wait for 07:00 of the next working day, not "08:00 today"."""
    assert MUARO is not None
    zi, _ = _import_both(sessions)
    evening = datetime(2026, 11, 2, 14, 0, tzinfo=UTC)  # Monday 21:00 WIB
    with sessions.begin() as s:
        sweep_plan(s, zi, DAY, MUARO.calendar(), OPEN, MUARO, now=evening)
    with sessions() as s:
        times = set(s.scalars(select(m.Outbox.not_before)))
    assert times == {datetime(2026, 11, 3, 0, 0)}  # Tuesday 07:00 WIB, in UTC


def test_today_is_the_satkers_date_whatever_the_host_zone(tmp_path: Path) -> None:
    """Two hosts 26 hours apart (UTC+14 and UTC-12) agree on "today": the WIB date."""
    dates = set()
    for zone in ("Pacific/Kiritimati", "Etc/GMT+12"):
        env = {**os.environ, "TZ": zone, "MONEV_HOME": str(tmp_path / "home"),
               "COLUMNS": "200"}
        for name in ("MONEV_TODAY", "MONEV_DATABASE_URL"):
            env.pop(name, None)
        res = _monev("plan", "import", str(ZI_MUARO), "-q", env=env)
        assert res.returncode == 0, res.stderr
        listed = _monev("plan", "list", env=env)
        dates.add(listed.stdout.split("capaian per ", 1)[1][:10])
    from zoneinfo import ZoneInfo

    assert dates == {datetime.now(ZoneInfo("Asia/Jakarta")).strftime("%d-%m-%Y")}


def test_a_failing_write_stores_nothing_of_the_batch(db_url: str, tmp_path: Path) -> None:
    """File 1 is fine, file 2 fails inside the database: neither is stored, one line says
    why, exit code 2."""
    engine = make_engine(db_url)
    from monev.store.db import upgrade_schema

    upgrade_schema(engine)
    with engine.begin() as conn:
        if db_url.startswith("postgresql"):
            conn.execute(text("CREATE FUNCTION no_rb() RETURNS trigger AS $$ BEGIN "
                              "RAISE EXCEPTION 'disk penuh (uji)'; END $$ LANGUAGE plpgsql"))
            conn.execute(text("CREATE TRIGGER no_rb BEFORE INSERT ON plan FOR EACH ROW "
                              "WHEN (NEW.kind = 'RB') EXECUTE FUNCTION no_rb()"))
        else:
            conn.execute(text("CREATE TRIGGER no_rb BEFORE INSERT ON plan WHEN NEW.kind = 'RB' "
                              "BEGIN SELECT RAISE(ABORT, 'disk penuh (uji)'); END"))
    engine.dispose()
    env = {**os.environ, "MONEV_DATABASE_URL": db_url, "MONEV_HOME": str(tmp_path),
           "COLUMNS": "200"}
    res = _monev("plan", "import", str(ZI_MUARO), str(RB_MUARO), env=env)
    assert res.returncode == 2, res.stdout + res.stderr
    assert "gagal" in res.stderr and "tidak ada yang disimpan" in res.stderr
    assert "Traceback" not in res.stderr
    engine = make_engine(db_url)
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM plan")) == 0
    engine.dispose()


def test_concurrent_imports_and_first_run_migrations(db_url: str, tmp_path: Path) -> None:
    """Four processes import the same files into a database nobody migrated yet: all
    succeed (no traceback, no "database is locked"), one revision per plan."""
    if db_url.startswith("sqlite"):
        db_url = f"sqlite:///{tmp_path / 'race.db'}"
    env = {**os.environ, "MONEV_DATABASE_URL": db_url, "MONEV_HOME": str(tmp_path),
           "COLUMNS": "200", "MONEV_TODAY": "2026-01-06"}
    procs = [subprocess.Popen([sys.executable, "-m", "app", "plan", "import",
                               *map(str, ALL_PLANS), "-q"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(4)]
    results = [(p.wait(timeout=300), *p.communicate()) for p in procs]
    for code, _out, errors in results:
        assert code == 0, errors
        assert "Traceback" not in errors
    engine = make_engine(db_url)
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM plan")) == 3
        assert conn.scalar(text("SELECT max(revision) FROM plan")) == 1
    engine.dispose()


def test_uncertain_rows_reach_the_admin_once(sessions: sessionmaker[Session]) -> None:
    assert MUARO is not None
    zi, _ = _import_both(sessions)
    with sessions.begin() as s:
        sweep_plan(s, zi, DAY, MUARO.calendar(), OPEN, MUARO)
        row = s.scalars(select(m.Outbox).order_by(m.Outbox.id)).first()
        assert row is not None
        row.status, row.last_error = "uncertain", "pengiriman terputus"
    now = datetime(2026, 11, 2, 3, tzinfo=UTC)
    with sessions.begin() as s:
        assert tell_admins(s, CFG, now) == 1
    with sessions.begin() as s:
        assert tell_admins(s, CFG, now) == 0, "told once"
    with sessions() as s:
        admin = s.scalars(select(m.Outbox).where(m.Outbox.person == "Admin Monev Contoh")).one()
    assert f"monev outbox --resend {row.id}" in admin.body
    assert f"monev outbox --dismiss {row.id}" in admin.body
    assert "tidak pasti terkirim" in admin.subject


def test_every_uncertain_row_is_named_and_without_admin_the_sekretaris_hears(
        sessions: sessionmaker[Session]) -> None:
    """Nine uncertain rows: the admin's message names each with its commands (never
    "lainnya: 9"); a satker without an admin has them reported to its Sekretaris."""
    assert MUARO is not None
    zi, _ = _import_both(sessions)
    with sessions.begin() as s:  # a dispatcher killed nine times, say
        rows = [m.Outbox(idem_key=f"2026-11-02|KPU Kabupaten Muaro Jambi|P{i}|email",
                         plan_id=zi, person=f"Pegawai {i}", role="pic", channel="email",
                         address=f"p{i}@example.org", kind="harian", day=DAY, items=[],
                         subject=f"[Monev] {i} tugas", body="isi", status="uncertain",
                         attempts=1, not_before=datetime(2026, 11, 2),
                         last_error="pengiriman terputus") for i in range(9)]
        s.add_all(rows)
        s.flush()
        ids = [row.id for row in rows]
    raw = CFG.model_dump()
    for sc in raw["satkers"]:
        sc["people"] = [p for p in sc["people"] if p["role"] != "admin" and not p["admin"]]
    no_admin = type(CFG).model_validate(raw)
    with sessions.begin() as s:
        assert tell_admins(s, no_admin, datetime(2026, 11, 2, 3, tzinfo=UTC)) == 9
    with sessions() as s:
        told = s.scalars(select(m.Outbox).where(m.Outbox.kind == "harian",
                                                m.Outbox.person == "Sekretaris Contoh",
                                                m.Outbox.body.contains("tidak pasti"))).all()
        assert not s.scalars(select(m.Outbox).where(
            m.Outbox.person == "Admin Monev Contoh")).all()
    assert told, "the Sekretaris was told"
    body = "\n".join(r.body for r in told if r.channel == "email")
    for row_id in ids:
        assert f"monev outbox --resend {row_id}`" in body, row_id
        assert f"monev outbox --dismiss {row_id}`" in body, row_id
    assert "lainnya" not in body


def test_feed_secret_is_created_once_and_never_short(tmp_path: Path) -> None:
    code = textwrap.dedent(f"""
        from pathlib import Path
        from calendars.tokens import feed_secret
        print(feed_secret(Path({str(tmp_path)!r})).decode())
        """)
    env = {k: v for k, v in os.environ.items() if k != "MONEV_FEED_SECRET"}
    procs = [subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(12)]
    values = {p.communicate(timeout=60)[0].strip() for p in procs}
    assert len(values) == 1 and len(values.pop()) == 64, "one secret, never empty"
    assert oct((tmp_path / "feed-secret").stat().st_mode & 0o777) == "0o600"
    (tmp_path / "feed-secret").write_text("")
    from calendars.tokens import feed_secret
    from monev.errors import MonevError

    with pytest.raises(MonevError, match="terlalu pendek"):
        feed_secret(tmp_path)


def test_commands_refuse_a_home_that_does_not_exist(tmp_path: Path) -> None:
    env = {**os.environ, "MONEV_HOME": str(tmp_path / "salah"), "COLUMNS": "200"}
    env.pop("MONEV_DATABASE_URL", None)
    res = _monev("plan", "list", env=env)
    assert res.returncode == 2 and "MONEV_HOME" in res.stderr and "belum ada" in res.stderr
    assert not (tmp_path / "salah").exists(), "no second, empty home made silently"
    res = _monev("plan", "import", str(ZI_MUARO), "-q", env=env)
    assert res.returncode == 0, res.stderr
    home = tmp_path / "salah"
    assert oct(home.stat().st_mode & 0o777) == "0o700"
    assert oct((home / "monev.db").stat().st_mode & 0o777) == "0o600"
