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
calls after each plan's sweep) with a no-op, in this process only. "with" is the day as
it comes: a plan whose snapshot inputs did not change since the 24th keeps it (issue
22's second pass); "full" first clears every snapshot's inputs in its copy, so every ZI
plan is recomputed — a day when every plan changed. Before each run the in-process LKE
caches (the parsed file, the suggestion index and its remembered row texts) are
dropped: a real sweep runs in a fresh process. The arms' order rotates round by round;
after each round the snapshots "with" kept and "full" recomputed are compared.

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


def _fresh_process() -> None:
    """Drop what an earlier run left in this process's LKE caches."""
    from monev.lke import load, suggest

    load._load_file.cache_clear()
    suggest._INDEXES.clear()


def _snapshots(url: str) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT s.plan_id, s.version, s.day, s.now_total, s.ahead_total, "
            "s.summary::text, s.short_keys::text, p.data_version FROM lke_snapshot s "
            "JOIN plan p ON p.id = s.plan_id ORDER BY s.plan_id").fetchall()


def _forget_inputs(url: str) -> None:
    import psycopg

    with psycopg.connect(url) as conn:
        conn.execute("UPDATE lke_snapshot SET inputs = NULL")


def _standings(url: str, prep: str) -> dict[str, int]:
    """Plans whose snapshot the measured day wrote, of all plans and open ZI plans, and
    the ZI plans whose data version moved that day (the sweep's or the step's writes:
    those are recomputed)."""
    import psycopg

    with psycopg.connect(prep) as conn:
        before = dict(conn.execute("SELECT id, data_version FROM plan WHERE kind = 'ZI'")
                      .fetchall())
    with psycopg.connect(url) as conn:
        after = dict(conn.execute("SELECT id, data_version FROM plan WHERE kind = 'ZI'")
                     .fetchall())
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
            "zi_plans_changed": sum(after[k] != v for k, v in before.items()),
        }


def _profile(url: str) -> dict[str, Any]:
    """``record()`` of every open ZI plan under cProfile, alone in a transaction of its
    own (not the sweep's), every snapshot recomputed (its inputs cleared; no sweep's
    read to reuse): the time, the statements per plan, and where the time goes (wall
    time; ``--profile-step`` profiles the step inside the sweep by CPU)."""
    import cProfile
    import io
    import pstats

    from sqlalchemy import event, select

    from monev.engine.lke import record
    from monev.store import models as m
    from monev.store.db import open_session_factory

    _forget_inputs(url)
    _fresh_process()
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


def _profile_step(url: str, sweep_all: Any) -> None:
    """The sweep of a day when every ZI plan changed, with the LKE step under cProfile
    timed by this process's CPU (what the step costs in Python): where its time goes."""
    import cProfile
    import io
    import pstats

    real_lke = tasks.sweep._lke
    prof = cProfile.Profile(time.process_time)

    def profiled(*args: Any, **kwargs: Any) -> Any:
        prof.enable()
        try:
            return real_lke(*args, **kwargs)
        finally:
            prof.disable()

    _forget_inputs(url)
    os.environ["MONEV_DATABASE_URL"] = url
    tasks.sweep._lke = profiled
    _fresh_process()
    try:
        sweep_all(REMINDER_DAY)
    finally:
        tasks.sweep._lke = real_lke
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats(order).print_stats(35)
        print(out.getvalue(), flush=True)


ARMS = ("with_lke", "with_lke_full", "without_lke")


def _figures(arm: str, runs: list[tuple[float, float, float]],
             alone: list[tuple[float, float, float]]) -> dict[str, Any]:
    """Medians of one arm against the sweep alone: CPU and wall time added."""
    cpu, cpu0 = (statistics.median(r[1] for r in x) for x in (runs, alone))
    wall, wall0 = (statistics.median(r[0] for r in x) for x in (runs, alone))
    return {f"{arm}_cpu_median_s": round(cpu, 2),
            f"{arm}_added_cpu_s": round(cpu - cpu0, 2),
            f"{arm}_added_cpu_pct": round(100 * (cpu - cpu0) / cpu0, 1),
            f"{arm}_median_s": round(wall, 2),
            f"{arm}_added_pct": round(100 * (wall - wall0) / wall0, 1)}


def bench(url: str, n_plans: int, rounds: int, profile: bool,
          profile_step: bool = False) -> dict[str, Any]:
    real_lke = tasks.sweep._lke
    # CPU and wall time spent inside the step: what it adds, without the sweep's noise
    inside = [0.0, 0.0]

    def timed_lke(*args: Any) -> None:
        started, wall = time.process_time(), time.perf_counter()
        try:
            real_lke(*args)
        finally:
            inside[0] += time.process_time() - started
            inside[1] += time.perf_counter() - wall

    steps: dict[str, list[float]] = {"with_lke": [], "with_lke_full": []}
    walls: dict[str, list[float]] = {"with_lke": [], "with_lke_full": []}
    runs: dict[str, list[tuple[float, float, float]]] = {arm: [] for arm in ARMS}
    same: list[bool] = []
    head: dict[str, Any] = {"plans": n_plans, "day": REMINDER_DAY, "database": "postgresql"}
    with tempfile.TemporaryDirectory() as tmp, \
            national_set(url, n_plans, Path(tmp)) as (prep, sweep_all):
        _copy_db(_pg(url, "postgres"), prep, "bench_prep")
        for r in range(rounds):
            order = ARMS[r % 3:] + ARMS[:r % 3]
            kept: dict[str, list[tuple[Any, ...]]] = {}
            for arm in order:
                work = _copy_db(url, "bench_prep", "bench_r")
                if arm == "with_lke_full":
                    _forget_inputs(work)
                os.environ["MONEV_DATABASE_URL"] = work
                tasks.sweep._lke = _no_lke if arm == "without_lke" else timed_lke
                _fresh_process()
                inside[:] = [0.0, 0.0]
                cpu = time.process_time()
                try:
                    seconds, ld, _ = _timed(sweep_all, REMINDER_DAY)
                finally:
                    tasks.sweep._lke = real_lke
                runs[arm].append((seconds, time.process_time() - cpu, ld))
                if arm in steps:
                    steps[arm].append(inside[0])
                    walls[arm].append(inside[1])
                print(f"round {r}: {arm} {seconds:.1f} s (this process's CPU "
                      f"{runs[arm][-1][1]:.1f} s, in the LKE step {inside[0]:.2f} s of CPU, "
                      f"{inside[1]:.2f} s of wall time), load {ld}", flush=True)
                head[f"standings_{arm}"] = _standings(work, _pg(url, "bench_prep"))
                if arm != "without_lke":
                    kept[arm] = _snapshots(work)
            same.append(kept["with_lke"] == kept["with_lke_full"])
        if profile_step:
            _profile_step(_copy_db(url, "bench_prep", "bench_r"), sweep_all)
        if profile:
            head["profile"] = _profile(_copy_db(url, "bench_prep", "bench_r"))
        for name in ("bench_r", "bench_prep"):
            _drop_db(url, name)
    alone = runs["without_lke"]
    return head | {
        "rounds": rounds,
        "cpu_note": "CPU of this process (the flow and its tasks; not PostgreSQL's): "
                    "what the LKE step adds in Python, steadier than wall time under load",
        "same_snapshots_kept_and_recomputed": all(same),
        "without_lke_cpu_median_s": round(statistics.median(r[1] for r in alone), 2),
        "without_lke_median_s": round(statistics.median(r[0] for r in alone), 2),
        **_figures("with_lke", runs["with_lke"], alone),
        **_figures("with_lke_full", runs["with_lke_full"], alone),
        "step_note": "CPU measured inside tasks.sweep._lke (every plan's call), "
                     "as a share of the sweep alone's median CPU",
        **{f"{arm}_step_cpu_s": [round(c, 2) for c in cpu] for arm, cpu in steps.items()},
        **{f"{arm}_step_wall_s": [round(w, 2) for w in wall] for arm, wall in walls.items()},
        **{f"{arm}_step_cpu_pct": round(100 * statistics.median(cpu) / statistics.median(
            r[1] for r in alone), 1) for arm, cpu in steps.items()},
        **{f"{arm}_rounds": [{"s": round(s, 2), "cpu_s": round(c, 2), "load": ld}
                             for s, c, ld in arm_runs]
           for arm, arm_runs in runs.items()},
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--plans", type=int, default=1100)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--profile", action="store_true",
                    help="then cProfile record() of every open ZI plan")
    ap.add_argument("--profile-step", action="store_true",
                    help="then cProfile (CPU) the LKE step inside a sweep recomputing all")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results-lke-sweep.json"))
    args = ap.parse_args()
    url = os.environ.get("MONEV_BENCH_POSTGRES_URL")
    if not url:
        raise SystemExit("MONEV_BENCH_POSTGRES_URL is needed")
    results = {"measured": time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime()),
               "sweep_all": bench(url, args.plans, args.rounds, args.profile,
                                  args.profile_step)}
    print(json.dumps(results, indent=2))
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
