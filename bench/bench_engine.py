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
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_plans import generate  # noqa: E402
from bench_portal import national_config  # noqa: E402

from monev.model import Item, Plan, PlanHeader, assign_keys  # noqa: E402
from monev.periods import Period  # noqa: E402
from monev.store.db import open_session_factory  # noqa: E402

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
    """Compiling, syncing and the scheduler's CPU for the national set. The sweeps are
    measured by bench/bench_sweep.py (one plan and sweep_all, against raw-SQL floors)."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--plans", type=int, default=1100)
    ap.add_argument("--idle", type=int, default=180)
    args = ap.parse_args()
    out = ROOT / "bench" / "results-engine.json"
    stamp = time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime())
    results = json.loads(out.read_text()) if out.exists() else {}
    results.pop("sweep", None)  # superseded by results-sweep.json
    national = bench_national(args.plans, args.idle, sweeps=False)
    results["national"] = {**results.get("national", {}), **national,
                           "deploy_measured": stamp}
    print(json.dumps(results, indent=2))
    out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
