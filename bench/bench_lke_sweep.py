"""The LKE score inside the daily sweep (issue 22): ``sweep_all`` of the national set
with the LKE step and without it, interleaved rounds, medians, the 1-minute load average
beside each figure, and the CPU time of this process (where the flow, its tasks and the
LKE step run) beside the wall time: under the shared machine's load it is the steadier
measure of what the step adds in Python.

The set, its import and its preparing sweep are ``bench_sweep.national_set`` (1,100
plans in PostgreSQL, a real Prefect server, the reminder day 25-11-2025, after the
24th's sweep — which kept each ZI plan's first LKE snapshot). Each run is on a fresh
copy of that prepared database (``CREATE DATABASE … TEMPLATE``), so both arms do the
same sweep work; "without" replaces ``tasks.sweep._lke`` (the step ``sweep_all_task``
calls after each plan's sweep) with a no-op, in this process only. The order of the two
arms alternates round by round.

``MONEV_BENCH_POSTGRES_URL`` (e.g. ``tests/with_postgres.sh`` and
``MONEV_BENCH_POSTGRES_URL=$MONEV_TEST_POSTGRES_URL``) is needed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_sweep import (  # noqa: E402
    REMINDER_DAY,
    _copy_db,
    _drop_db,
    _pg,
    _timed,
    national_set,
)

import tasks.sweep  # noqa: E402


def _no_lke(*_: Any) -> None:
    """The "without" arm: the sweep alone."""


def _standings(url: str) -> dict[str, int]:
    """Plans whose snapshot the measured day wrote, of all plans and open ZI plans."""
    import psycopg

    with psycopg.connect(url) as conn:
        def one(sql: str, *args: Any) -> int:
            row = conn.execute(sql, args).fetchone()
            return int(row[0]) if row else 0
        return {
            "plans": one("SELECT count(*) FROM plan"),
            "zi_plans": one("SELECT count(*) FROM plan WHERE kind = 'ZI'"),
            "open_zi_plans": one("SELECT count(*) FROM plan WHERE kind = 'ZI' "
                                 "AND status <> 'selesai'"),
            "with_standing": one("SELECT count(*) FROM lke_snapshot WHERE day = %s",
                                 date.fromisoformat(REMINDER_DAY)),
        }


def _profile(url: str) -> dict[str, Any]:
    """``record()`` of every open ZI plan under cProfile, one transaction each as the
    sweep does: the time, the statements per plan, and where the time goes."""
    import cProfile
    import io
    import pstats

    from sqlalchemy import event, select

    from monev.engine.lke import record
    from monev.store import models as m
    from monev.store.db import open_session_factory

    factory = open_session_factory(url)
    statements = 0

    def count(*_: Any) -> None:
        nonlocal statements
        statements += 1

    event.listen(factory.kw["bind"], "before_cursor_execute", count)
    with factory() as s:
        ids = list(s.scalars(select(m.Plan.id).where(m.Plan.kind == "ZI",
                                                     m.Plan.status != "selesai")))
    day = date.fromisoformat(REMINDER_DAY)
    prof = cProfile.Profile()
    started = time.perf_counter()
    prof.enable()
    for pid in ids:
        with factory.begin() as s:
            plan = s.get(m.Plan, pid)
            assert plan is not None
            record(s, plan, day)
    prof.disable()
    seconds = time.perf_counter() - started
    factory.kw["bind"].dispose()
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(40)
    print(out.getvalue(), flush=True)
    return {"plans": len(ids), "seconds_under_profile": round(seconds, 2),
            "statements_per_plan": round(statements / max(1, len(ids)), 1)}


def bench(url: str, n_plans: int, rounds: int, profile: bool) -> dict[str, Any]:
    real_lke = tasks.sweep._lke
    arms: dict[str, list[tuple[float, float]]] = {"with_lke": [], "without_lke": []}
    cpus: dict[str, list[float]] = {"with_lke": [], "without_lke": []}
    head: dict[str, Any] = {"plans": n_plans, "day": REMINDER_DAY, "database": "postgresql"}
    with tempfile.TemporaryDirectory() as tmp, \
            national_set(url, n_plans, Path(tmp)) as (prep, sweep_all):
        _copy_db(_pg(url, "postgres"), prep, "bench_prep")
        for r in range(rounds):
            order = ("with_lke", "without_lke") if r % 2 == 0 else ("without_lke",
                                                                     "with_lke")
            for arm in order:
                work = _copy_db(url, "bench_prep", "bench_r")
                os.environ["MONEV_DATABASE_URL"] = work
                tasks.sweep._lke = real_lke if arm == "with_lke" else _no_lke
                cpu = time.process_time()
                try:
                    seconds, ld, _ = _timed(sweep_all, REMINDER_DAY)
                finally:
                    tasks.sweep._lke = real_lke
                arms[arm].append((seconds, ld))
                cpus[arm].append(time.process_time() - cpu)
                print(f"round {r}: {arm} {seconds:.1f} s (this process's CPU "
                      f"{cpus[arm][-1]:.1f} s), load {ld}", flush=True)
                head["standings" if arm == "with_lke" else "standings_without"] = \
                    _standings(work)
        if profile:
            head["profile"] = _profile(_copy_db(url, "bench_prep", "bench_r"))
        for name in ("bench_r", "bench_prep"):
            _drop_db(url, name)
    with_s = statistics.median(s for s, _ in arms["with_lke"])
    without_s = statistics.median(s for s, _ in arms["without_lke"])
    with_cpu = statistics.median(cpus["with_lke"])
    without_cpu = statistics.median(cpus["without_lke"])
    return head | {
        "rounds": rounds,
        "cpu_note": "CPU of this process (the flow and its tasks; not PostgreSQL's): "
                    "what the LKE step adds in Python, steadier than wall time under load",
        "with_lke_cpu_median_s": round(with_cpu, 2),
        "without_lke_cpu_median_s": round(without_cpu, 2),
        "added_cpu_s": round(with_cpu - without_cpu, 2),
        "added_cpu_pct": round(100 * (with_cpu - without_cpu) / without_cpu, 1),
        "with_lke_median_s": round(with_s, 2),
        "without_lke_median_s": round(without_s, 2),
        "added_s": round(with_s - without_s, 2),
        "added_pct": round(100 * (with_s - without_s) / without_s, 1),
        "added_per_standing_ms": round(1000 * (with_s - without_s)
                                       / max(1, head["standings"]["with_standing"]), 1),
        **{f"{arm}_rounds": [{"s": round(s, 2), "cpu_s": round(c, 2), "load": ld}
                             for (s, ld), c in zip(runs, cpus[arm], strict=True)]
           for arm, runs in arms.items()},
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--plans", type=int, default=1100)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--profile", action="store_true",
                    help="then cProfile record() of every open ZI plan")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results-lke-sweep.json"))
    args = ap.parse_args()
    url = os.environ.get("MONEV_BENCH_POSTGRES_URL")
    if not url:
        raise SystemExit("MONEV_BENCH_POSTGRES_URL is needed")
    results = {"measured": time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime()),
               "sweep_all": bench(url, args.plans, args.rounds, args.profile)}
    print(json.dumps(results, indent=2))
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
