"""Engine benchmarks (figures for the closing note, not tests).

1. One sweep of a plan with 5,000 checkpoints and the example satker's people (SQLite,
   in-process) on the day that reminds/escalates them all, against the floor of
   selecting the same rows and writing as many rows as it writes — rounds on fresh
   copies, interleaved, medians — and a repeated (no-op) sweep of the same day.
2. National scale (1,100 generated plans, every satker with people): ``sweep_all``
   (the first, which opens every checkpoint, announces the backlog and writes the
   year-end report of each ZI 2025 plan that closed before it was imported — PDF and
   XLSX — then the next day's), compiling the deployments, syncing 4,400 of them to a work
   pool on a real Prefect server (``MONEV_BENCH_PREFECT_DB`` for a PostgreSQL-backed
   one), ``monev deploy`` again with nothing changed, and the server's CPU at its
   default scheduler loop without and with those deployments.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_plans import generate  # noqa: E402
from bench_portal import national_config  # noqa: E402

from monev.engine.sweep import sweep_plan  # noqa: E402
from monev.model import Item, Plan, PlanHeader, assign_keys  # noqa: E402
from monev.periods import Period  # noqa: E402
from monev.store.db import open_session_factory  # noqa: E402
from monev.store.imports import import_plan  # noqa: E402

AREAS = ("Manajemen Perubahan", "Penataan Tata Laksana", "Penataan Sistem Manajemen SDM",
         "Penguatan Akuntabilitas", "Penguatan Pengawasan",
         "Peningkatan Kualitas Pelayanan Publik")
KOMPONEN = ("Tim Kerja", "Sistem Informasi Kepegawaian", "Penerapan SPIP",
            "Pengendalian Gratifikasi", "Komponen tanpa PIC")


def synthetic_plan(n_checkpoints: int, satker: str = "KPU Bench") -> Plan:
    """``n`` rows due in October 2026, spread over the six ZI areas and komponen that
    the example config's people hold (so every decision finds real recipients)."""
    items = [Item(area=AREAS[i % 6], komponen=KOMPONEN[i % 5], indikator=f"Indikator {i}",
                  langkah_aksi=f"Langkah {i}", bukti_fisik=f"Bukti fisik nomor {i}",
                  target_text="Oktober 2026", source_line=i + 1,
                  periods=(Period(2026, 10),)) for i in range(n_checkpoints)]
    assign_keys("ZI", items)
    return Plan(PlanHeader(satker, "ZI", 2026, "1", date(2026, 1, 5)), items, "bench")


def _floor(url: str, plan_id: int, n_log: int, n_audit: int, n_moved: int) -> float:
    """Select the plan's checkpoints (the columns a sweep reads) and write as many
    action-log rows, audit rows and status updates as the sweep did, in one
    transaction: what the same rows cost without any deciding."""
    from sqlalchemy import insert, select, update

    from monev.store import models as m

    factory = open_session_factory(url)
    started = time.perf_counter()
    with factory.begin() as s:
        cp, it = m.Checkpoint, m.Item
        rows = s.execute(select(cp.id, cp.period, cp.due, cp.status, cp.imported_on, it.key,
                                it.komponen, it.indikator, it.bukti_fisik, m.Area.name)
                         .join(cp.item).join(it.area).where(it.plan_id == plan_id)).all()
        ids = [r[0] for r in rows]
        conn = s.connection()
        conn.execute(insert(m.ActionLog.__table__), [  # type: ignore[arg-type]
            {"plan_id": plan_id, "checkpoint_id": ids[i % len(ids)], "checkpoint_key": i,
             "action": "escalate", "step": "floor", "period": "2026-10",
             "on_date": date(2026, 11, 11), "recipient_role": "pic", "recipient": "x"}
            for i in range(n_log)])
        conn.execute(insert(m.Transition.__table__), [  # type: ignore[arg-type]
            {"checkpoint_id": ids[i % len(ids)], "at": datetime(2026, 11, 11),
             "actor": "monev", "from_status": "open", "to_status": "open", "note": "floor"}
            for i in range(n_audit)])
        for i in range(0, n_moved, 900):
            s.execute(update(cp).where(cp.id.in_(ids[i:i + 900])).values(status="open"))
    elapsed = time.perf_counter() - started
    factory.kw["bind"].dispose()
    return elapsed


def bench_sweep(n: int, rounds: int) -> dict[str, Any]:
    """Sweep of one plan of ``n`` checkpoints with the example satker's people, on the
    day that reminds/escalates them all, against the floor of the same rows; each
    round on a fresh copy of the same database, sweep and floor interleaved."""
    import shutil

    from sqlalchemy import func, select

    from monev.config import load_config
    from monev.store import models as m

    sc = load_config(ROOT / "config" / "monev.yaml").satker("KPU Kabupaten Muaro Jambi")
    assert sc is not None
    cal, settings = sc.calendar(), sc.settings()
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
        sweeps, floors, noops = [], [], []
        actions = audit = log = 0
        for r in range(rounds):
            work = Path(tmp) / f"round{r}.db"
            shutil.copy(base, work)
            url = f"sqlite:///{work}"
            factory = open_session_factory(url)
            with factory() as s:
                before = s.scalar(select(func.count()).select_from(m.Transition)) or 0
                logged = s.scalar(select(func.count()).select_from(m.ActionLog)) or 0
            started = time.perf_counter()
            with factory.begin() as s:
                actions = len(sweep_plan(s, plan_id, date(2026, 11, 11), cal, settings, sc))
            sweeps.append(time.perf_counter() - started)
            started = time.perf_counter()
            with factory.begin() as s:  # the same day again: nothing left to do
                sweep_plan(s, plan_id, date(2026, 11, 11), cal, settings, sc)
            noops.append(time.perf_counter() - started)
            with factory() as s:
                audit = (s.scalar(select(func.count()).select_from(m.Transition)) or 0) - before
                log = (s.scalar(select(func.count()).select_from(m.ActionLog)) or 0) - logged
            factory.kw["bind"].dispose()
            floor_db = Path(tmp) / f"floor{r}.db"
            shutil.copy(base, floor_db)
            floors.append(_floor(f"sqlite:///{floor_db}", plan_id, log, audit, n))
    sweep_s, floor_s = statistics.median(sweeps), statistics.median(floors)
    return {"checkpoints": n, "rounds": rounds, "actions_recorded": actions,
            "action_log_rows": log, "audit_rows": audit,
            "sweep_median_s": round(sweep_s, 3), "floor_median_s": round(floor_s, 3),
            "ratio_to_floor": round(sweep_s / floor_s, 1),
            "repeat_noop_median_s": round(statistics.median(noops), 3),
            "sweeps_s": [round(x, 3) for x in sweeps], "floors_s": [round(x, 3) for x in floors]}


LIVE_DAY = date(2025, 11, 10)  # ZI 2025 and RB 2026 plans both have dates ahead


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _tree_cpu(pid: int) -> float:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True,
                         text=True).stdout.split()
    return _cpu_seconds(pid) + sum(_tree_cpu(int(c)) for c in out)


def _cpu_percent(pid: int, seconds: float) -> float:
    before = _tree_cpu(pid)
    time.sleep(seconds)
    return round(100 * (_tree_cpu(pid) - before) / seconds, 1)


def bench_national(n_plans: int, idle_seconds: int, sweeps: bool = True) -> dict[str, Any]:
    """1,100 generated plans with real people: a first and a next-day ``sweep_all``;
    compile; sync 4,400 deployments to a work pool, then again with nothing changed;
    the Prefect server's CPU at its default scheduler loop, without deployments and
    with them."""
    from flows.server import auth_string, server_env, start_server, stop_server, wait_healthy

    result: dict[str, Any] = {"plans": n_plans}
    with tempfile.TemporaryDirectory() as tmp:
        port = _free_port()
        auth = auth_string(Path(tmp))
        os.environ.update(server_env(Path(tmp) / "prefect", port, auth))
        os.environ.pop("PREFECT_SERVER_API_AUTH_STRING")
        os.environ["MONEV_HOME"] = tmp
        from flows.deployments import compile_plan_deployments
        from flows.monev_flows import sweep_all
        from flows.register import sync
        from monev.config import load_config

        (Path(tmp) / "plans").mkdir()
        files = generate(n_plans, Path(tmp) / "plans")
        national_config(files, Path(tmp) / "monev.yaml")
        os.environ["MONEV_CONFIG"] = str(Path(tmp) / "monev.yaml")
        url = os.environ.get("MONEV_BENCH_POSTGRES_URL") or f"sqlite:///{tmp}/monev.db"
        if url.startswith("postgresql"):
            import psycopg

            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute("DROP SCHEMA public CASCADE")
                conn.execute("CREATE SCHEMA public")
        os.environ["MONEV_DATABASE_URL"] = url
        result["monev_database"] = url.split(":", 1)[0]
        os.environ["MONEV_TODAY"] = "2026-11-10"
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "app", "plan", "import", "-q",
                               *map(str, files)], cwd=ROOT, capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"import failed: {done.stderr.strip()[-2000:]}")
        result["import_s"] = round(time.perf_counter() - started, 1)
        prefect_db = os.environ.get("MONEV_BENCH_PREFECT_DB")  # postgresql+asyncpg://…
        env = {"PREFECT_API_DATABASE_CONNECTION_URL": prefect_db} if prefect_db else {}
        result["prefect_database"] = "postgresql" if prefect_db else "sqlite"
        proc = start_server(Path(tmp) / "prefect", port, env, auth=auth)
        try:
            wait_healthy(port, proc, auth=auth, home=Path(tmp) / "prefect")
            for label, day in (("sweep_all_first_s", "2026-11-10"),
                               ("sweep_all_next_day_s", "2026-11-11")) if sweeps else ():
                started = time.perf_counter()
                result[label.replace("_s", "_actions")] = sweep_all(as_of=day)
                result[label] = round(time.perf_counter() - started, 1)
            factory = open_session_factory(url)
            if sweeps:
                from sqlalchemy import func, select

                from monev.store import models as m

                with factory() as s:
                    result["sweep_all_first_reports"] = s.scalar(
                        select(func.count()).select_from(m.ActionLog)
                        .where(m.ActionLog.action == "report"))
            started = time.perf_counter()
            with factory() as s:  # a day when both plans of every satker are live: 4,400
                deployments = compile_plan_deployments(s, load_config(), LIVE_DAY)
            result["compile_s"] = round(time.perf_counter() - started, 2)
            result["deployments"] = len(deployments)
            result["schedules"] = sum(len(d.schedules) for d in deployments)
            time.sleep(30)  # a quiet server: the CPU floor without deployments
            result["server_cpu_pct_no_deployments"] = _cpu_percent(proc.pid, idle_seconds)
            subprocess.run([sys.executable, "-m", "prefect", "work-pool", "create", "bench",
                            "--type", "process"], check=True, capture_output=True)
            started = time.perf_counter()
            from flows.deployments import dispatcher, safety_net

            report = asyncio.run(sync([*deployments, safety_net(), dispatcher()], "bench"))
            result["sync_first_s"] = round(time.perf_counter() - started, 1)
            result["sync_first_created"] = len(report.created)
            result["sync_first_retries"] = report.retries
            started = time.perf_counter()
            cli = subprocess.run([sys.executable, "-m", "app", "deploy", "--work-pool",
                                  "bench"], cwd=ROOT, capture_output=True, text=True,
                                 check=True, env={**os.environ,
                                                  "MONEV_TODAY": LIVE_DAY.isoformat()})
            result["redeploy_unchanged_cli_s"] = round(time.perf_counter() - started, 1)
            result["redeploy_unchanged_output"] = cli.stdout.strip()
            time.sleep(90)  # the first scheduler passes materialise the runs
            result["server_cpu_pct_with_deployments"] = _cpu_percent(proc.pid, idle_seconds)
            result["cpu_window_s"] = idle_seconds
        finally:
            stop_server(proc)
    return result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoints", type=int, default=5000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--plans", type=int, default=1100)
    ap.add_argument("--idle", type=int, default=180)
    ap.add_argument("--skip-sweeps", action="store_true",
                    help="measure compile/sync/CPU only; keep the sweep figures on file")
    args = ap.parse_args()
    out = ROOT / "bench" / "results-engine.json"
    stamp = time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime())
    if args.skip_sweeps:
        results = json.loads(out.read_text())
        national = bench_national(args.plans, args.idle, sweeps=False)
        results["national"].update(national, deploy_measured=stamp)
    else:
        results = {"sweep": bench_sweep(args.checkpoints, args.rounds) | {"measured": stamp}}
        print(json.dumps(results, indent=2), flush=True)
        results["national"] = bench_national(args.plans, args.idle) | {
            "sweeps_measured": stamp, "deploy_measured": stamp}
    print(json.dumps(results, indent=2))
    out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
