"""Sweep benchmarks against raw-SQL floors (issue 21), interleaved rounds, medians,
the 1-minute load average beside each figure.

1. One plan of 500 and of 5,000 checkpoints (SQLite, the example satker's people) on
   the day that reminds/escalates them all. Floor: plain ``sqlite3`` doing the reads a
   sweep makes (the plan, its checkpoints with their rows, its action log, the
   satker's portal links, the day's pending outbox rows) and writing exactly the rows
   the sweep wrote in that round (action log, audit records, outbox rows, links, the
   status updates), in one transaction. Each round on a fresh copy of the same
   database.
2. ``sweep_all`` of the national set (``--plans``, default 1,100) in PostgreSQL on a
   reminder day (25-11-2025: H-3 of every November checkpoint of the 550 ZI 2025 plans),
   after yesterday's sweep, through a real Prefect server (artifacts included). The
   set is imported on 03-11-2025 (older checkpoints are backlog) and swept once on
   24-11-2025 to prepare. Floor:
   the two reads a sweep cannot avoid (each plan's checkpoints with their rows, its
   action log); a second floor adds writing the same rows the sweep wrote (``COPY``)
   and the same status updates. Each round on a fresh copy of the prepared database
   (``CREATE DATABASE … TEMPLATE``).

``MONEV_BENCH_POSTGRES_URL`` (e.g. from ``tests/with_postgres.sh``:
``MONEV_BENCH_POSTGRES_URL=$MONEV_TEST_POSTGRES_URL``) is needed for part 2.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_engine import synthetic_plan  # noqa: E402
from bench_plans import generate  # noqa: E402
from bench_portal import national_config  # noqa: E402

from monev.config import load_config  # noqa: E402
from monev.engine.sweep import sweep_plan  # noqa: E402
from monev.store.db import open_session_factory  # noqa: E402
from monev.store.imports import import_plan  # noqa: E402

WRITTEN = ("action_log", "transition", "outbox", "portal_link", "plan_event")
# Imported in November (earlier months are backlog: one digest, no ladder, no monthly
# reports to catch up), swept on the 24th (H-7 of November), measured on the 25th.
IMPORT_DAY, PREP_DAY, REMINDER_DAY = "2025-11-03", "2025-11-24", "2025-11-25"


def load() -> float:
    return round(os.getloadavg()[0], 2)


def _timed(fn: Callable[..., Any], *args: Any) -> tuple[float, float, Any]:
    """(seconds, load average right after, what ``fn(*args)`` returned)."""
    started = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - started, load(), result


def _sweep_one(factory: Any, plan_id: int, day: date, cal: Any, settings: Any,
               sc: Any) -> int:
    with factory.begin() as s:
        return len(sweep_plan(s, plan_id, day, cal, settings, sc))


# --- 1. one plan, SQLite -------------------------------------------------------------

def _new_rows(conn: sqlite3.Connection, base: sqlite3.Connection
              ) -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
    """Rows of ``WRITTEN`` tables in ``conn`` that ``base`` does not have (by id)."""
    out = {}
    for table in WRITTEN:
        top = base.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()[0]
        cur = conn.execute(f"SELECT * FROM {table} WHERE id > ?", (top,))
        cols = [d[0] for d in cur.description if d[0] != "id"]
        out[table] = (cols, [r[1:] for r in cur.fetchall()])
    return out


def _moved(conn: sqlite3.Connection, base: sqlite3.Connection) -> list[tuple[Any, ...]]:
    """(status, sequence, updated_at, id) of checkpoints the sweep changed."""
    before = dict((r[0], r[1:]) for r in base.execute(
        "SELECT id, status, sequence, updated_at FROM checkpoint"))
    return [(*r[1:], r[0]) for r in conn.execute(
        "SELECT id, status, sequence, updated_at FROM checkpoint") if before[r[0]] != r[1:]]


def _sqlite_floor(path: Path, plan_id: int, satker: str, day: str,
                  rows: dict[str, tuple[list[str], list[tuple[Any, ...]]]],
                  moved: list[tuple[Any, ...]]) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in ("foreign_keys=ON", "journal_mode=WAL", "synchronous=NORMAL"):  # as monev's
        conn.execute(f"PRAGMA {pragma}")
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("SELECT * FROM plan WHERE id = ?", (plan_id,)).fetchall()
    conn.execute("SELECT max(c.due) FROM checkpoint c JOIN item i ON i.id = c.item_id "
                 "WHERE i.plan_id = ? AND i.active", (plan_id,)).fetchall()
    conn.execute(
        "SELECT c.id, c.period, c.due, c.status, c.imported_on, i.key, i.komponen, "
        "i.indikator, i.bukti_fisik, a.name FROM checkpoint c JOIN item i ON i.id = c.item_id "
        "JOIN area a ON a.id = i.area_id WHERE i.plan_id = ? AND i.active "
        "ORDER BY c.due, i.position", (plan_id,)).fetchall()
    conn.execute("SELECT checkpoint_id, action, step FROM action_log WHERE plan_id = ?",
                 (plan_id,)).fetchall()
    conn.execute("SELECT * FROM portal_link WHERE satker = ?", (satker,)).fetchall()
    conn.execute("SELECT * FROM outbox WHERE idem_key LIKE ? AND status = 'pending'",
                 (f"{day}|{satker}|%",)).fetchall()
    for table, (cols, values) in rows.items():
        if values:
            conn.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES "
                             f"({', '.join('?' * len(cols))})", values)
    conn.executemany("UPDATE checkpoint SET status = ?, sequence = ?, updated_at = ? "
                     "WHERE id = ?", moved)
    conn.execute("UPDATE plan SET data_version = data_version + 1 WHERE id = ?", (plan_id,))
    conn.execute("COMMIT")
    conn.close()


def bench_one_plan(n: int, rounds: int) -> dict[str, Any]:
    sc = load_config(ROOT / "config" / "monev.yaml").satker("KPU Kabupaten Muaro Jambi")
    assert sc is not None
    cal, settings = sc.calendar(), sc.settings()
    day = date(2026, 11, 11)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["MONEV_HOME"] = tmp
        base = Path(tmp) / "base.db"
        factory = open_session_factory(f"sqlite:///{base}")
        with factory.begin() as s:
            plan_id = import_plan(s, synthetic_plan(n, sc.name), cal, date(2026, 9, 1),
                                  "b").plan_id
        with factory.begin() as s:  # opens all of them
            sweep_plan(s, plan_id, date(2026, 10, 1), cal, settings, sc)
        factory.kw["bind"].dispose()
        sweeps: list[tuple[float, float]] = []
        floors: list[tuple[float, float]] = []
        actions = 0
        written: dict[str, int] = {}
        for r in range(rounds):
            work = Path(tmp) / f"round{r}.db"
            shutil.copy(base, work)
            factory = open_session_factory(f"sqlite:///{work}")  # as a flow's task does
            *timing, actions = _timed(_sweep_one, factory, plan_id, day, cal, settings, sc)
            sweeps.append((timing[0], timing[1]))
            factory.kw["bind"].dispose()
            with sqlite3.connect(work) as conn, sqlite3.connect(base) as b:
                rows, moved = _new_rows(conn, b), _moved(conn, b)
            written = {t: len(v) for t, (_, v) in rows.items()} | {"status_updates": len(moved)}
            floor_db = Path(tmp) / f"floor{r}.db"
            shutil.copy(base, floor_db)
            floors.append(_timed(_sqlite_floor, floor_db, plan_id, sc.name, day.isoformat(),
                                 rows, moved)[:2])
    return _summary({"checkpoints": n, "actions": actions, "rows_written": written},
                    sweeps, floors)


def _summary(head: dict[str, Any], sweeps: list[tuple[float, float]],
             floors: list[tuple[float, float]], **more: list[tuple[float, float]]
             ) -> dict[str, Any]:
    med = statistics.median(s for s, _ in sweeps)
    out = head | {"rounds": len(sweeps), "sweep_median_s": round(med, 3)}
    for name, runs in {"floor": floors, **more}.items():
        f = statistics.median(s for s, _ in runs)
        out[f"{name}_median_s"] = round(f, 3)
        out[f"ratio_to_{name}"] = round(med / f, 1)
    for name, runs in {"sweep": sweeps, "floor": floors, **more}.items():
        out[f"{name}_rounds"] = [{"s": round(s, 3), "load": ld} for s, ld in runs]
    return out


# --- 2. sweep_all of the national set, PostgreSQL ------------------------------------

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pg(url: str, db: str) -> str:
    return url.rsplit("/", 1)[0] + "/" + db


def _copy_db(url: str, template: str, name: str) -> str:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return _pg(url, name)


def _drop_db(url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


VIEWS_SQL = ("SELECT c.id, c.period, c.due, c.status, c.imported_on, i.key, i.komponen, "
             "i.indikator, i.bukti_fisik, a.name FROM checkpoint c JOIN item i ON "
             "i.id = c.item_id JOIN area a ON a.id = i.area_id WHERE i.plan_id = %s AND "
             "i.active ORDER BY c.due, i.position")
DONE_SQL = "SELECT checkpoint_id, action, step FROM action_log WHERE plan_id = %s"


def _pg_floor(url: str, rows: dict[str, tuple[list[str], list[tuple[Any, ...]]]] | None,
              moved: list[tuple[Any, ...]] | None) -> None:
    """Each plan's two reads (one transaction per plan, as the sweep); with ``rows``,
    then the same rows written with COPY and the same status updates."""
    import psycopg

    with psycopg.connect(url) as conn:
        plan_ids = [r[0] for r in conn.execute("SELECT id FROM plan ORDER BY id")]
        conn.commit()
        for pid in plan_ids:
            with conn.transaction():
                conn.execute(VIEWS_SQL, (pid,)).fetchall()
                conn.execute(DONE_SQL, (pid,)).fetchall()
        if rows is None or moved is None:
            return
        with conn.transaction(), conn.cursor() as cur:
            for table, (cols, values) in rows.items():
                with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                    for v in values:
                        copy.write_row(v)
            cur.executemany("UPDATE checkpoint SET status = %s, sequence = %s, "
                            "updated_at = %s WHERE id = %s", moved)


def _pg_written(url: str, base_url: str) -> tuple[dict[str, tuple[list[str], list[Any]]],
                                                   list[tuple[Any, ...]]]:
    import psycopg

    rows: dict[str, tuple[list[str], list[Any]]] = {}
    with psycopg.connect(url) as conn, psycopg.connect(base_url) as base:
        for table in WRITTEN:
            top = base.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()
            cur = conn.execute(f"SELECT * FROM {table} WHERE id > %s", (top[0] if top else 0,))
            cols = [d.name for d in cur.description or () if d.name != "id"]
            rows[table] = (cols, [tuple(json.dumps(v, ensure_ascii=False)  # JSON columns
                                        if isinstance(v, list | dict) else v for v in r[1:])
                                  for r in cur.fetchall()])
        before = {r[0]: r[1:] for r in base.execute(
            "SELECT id, status, sequence, updated_at FROM checkpoint")}
        moved = [(*r[1:], r[0]) for r in conn.execute(
            "SELECT id, status, sequence, updated_at FROM checkpoint")
            if before[r[0]] != r[1:]]
    return rows, moved


@contextmanager
def national_set(url: str, n_plans: int,
                 tmp: Path) -> Iterator[tuple[str, Callable[[str], int]]]:
    """The national set imported on ``IMPORT_DAY`` and swept on ``PREP_DAY`` in the
    database of ``url``, a Prefect server for the flows; yields the database name and
    the ``sweep_all`` flow (imported once Prefect's settings point at the server)."""
    import psycopg

    from flows.server import auth_string, server_env, start_server, stop_server, wait_healthy

    port = _free_port()
    auth = auth_string(tmp / "prefect")
    os.environ.update(server_env(tmp / "prefect", port, auth))
    os.environ.pop("PREFECT_SERVER_API_AUTH_STRING")
    from flows.monev_flows import sweep_all  # Prefect reads its settings on import
    os.environ["MONEV_HOME"] = str(tmp)
    os.environ["PREFECT_LOGGING_LEVEL"] = "WARNING"
    (tmp / "plans").mkdir()
    files = generate(n_plans, tmp / "plans")
    national_config(files, tmp / "monev.yaml")
    os.environ["MONEV_CONFIG"] = str(tmp / "monev.yaml")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
    os.environ["MONEV_DATABASE_URL"] = url
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "app", "plan", "import", "-q", *map(str, files)],
                   cwd=ROOT, check=True, capture_output=True,
                   env={**os.environ, "MONEV_TODAY": IMPORT_DAY})
    print(f"imported {len(files)} plans in {time.perf_counter() - started:.0f} s", flush=True)
    proc = start_server(tmp / "prefect", port, auth=auth)
    try:
        wait_healthy(port, proc, auth=auth, home=tmp / "prefect")
        os.environ["MONEV_REPORT_FORMATS"] = "md"  # the catch-up's monthly reports: cheap
        started = time.perf_counter()
        sweep_all(as_of=PREP_DAY)
        print(f"prepared ({PREP_DAY}) in {time.perf_counter() - started:.0f} s", flush=True)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("ANALYZE")
        yield url.rsplit("/", 1)[1], sweep_all
    finally:
        stop_server(proc)


def bench_national(url: str, n_plans: int, rounds: int) -> dict[str, Any]:
    from sqlalchemy import func, select

    from monev.store import models as m

    sweeps: list[tuple[float, float]] = []
    reads: list[tuple[float, float]] = []
    same_rows: list[tuple[float, float]] = []
    head: dict[str, Any] = {"plans": n_plans, "day": REMINDER_DAY, "database": "postgresql"}
    with tempfile.TemporaryDirectory() as tmp, \
            national_set(url, n_plans, Path(tmp)) as (prep, sweep_all):
        prep_url = _pg(url, "bench_prep")
        _copy_db(_pg(url, "postgres"), prep, "bench_prep")
        for r in range(rounds):
            os.environ["MONEV_DATABASE_URL"] = work = _copy_db(url, "bench_prep", "bench_r")
            seconds, ld, actions = _timed(sweep_all, REMINDER_DAY)
            sweeps.append((seconds, ld))
            print(f"round {r}: sweep_all {sweeps[-1][0]:.1f} s, load {sweeps[-1][1]}",
                  flush=True)
            if r == 0:
                factory = open_session_factory(work)
                with factory() as s:
                    head["actions"] = actions
                    head["outbox_rows"] = s.scalar(select(func.count()).select_from(
                        m.Outbox).where(m.Outbox.day == date.fromisoformat(REMINDER_DAY)))
                factory.kw["bind"].dispose()
            rows, moved = _pg_written(work, prep_url)
            head["rows_written"] = {t: len(v) for t, (_, v) in rows.items()} | {
                "status_updates": len(moved)}
            floor = _copy_db(url, "bench_prep", "bench_f")
            reads.append(_timed(_pg_floor, floor, None, None)[:2])
            same_rows.append(_timed(_pg_floor, floor, rows, moved)[:2])
            print(f"round {r}: floors {reads[-1][0]:.1f} s / {same_rows[-1][0]:.1f} s",
                  flush=True)
        for name in ("bench_r", "bench_f", "bench_prep"):
            _drop_db(url, name)
    out = _summary(head, sweeps, reads, floor_same_rows=same_rows)
    out["floor"] = "the two reads a sweep cannot avoid, per plan"
    out["floor_same_rows"] = "the two reads, then the same rows written (COPY) and updated"
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="500,5000")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--plans", type=int, default=1100)
    ap.add_argument("--national-rounds", type=int, default=3)
    ap.add_argument("--skip-national", action="store_true")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results-sweep.json"))
    args = ap.parse_args()
    stamp = time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime())
    results: dict[str, Any] = {"measured": stamp, "one_plan": []}
    for n in (int(x) for x in args.sizes.split(",") if x):
        results["one_plan"].append(bench_one_plan(n, args.rounds))
        print(json.dumps(results["one_plan"][-1]), flush=True)
    url = os.environ.get("MONEV_BENCH_POSTGRES_URL")
    if not args.skip_national:
        if not url:
            raise SystemExit("MONEV_BENCH_POSTGRES_URL is needed for sweep_all")
        results["sweep_all"] = bench_national(url, args.plans, args.national_rounds)
    print(json.dumps(results, indent=2))
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
