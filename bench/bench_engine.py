"""Engine benchmarks (figures for the closing note, not tests).

1. One sweep of a plan with 500 open checkpoints (SQLite, in-process): the first sweep
   that reminds/escalates them all, and a repeated (no-op) sweep of the same day.
2. National scale: compile the deployments of 1,100 plans, register them on a real
   local Prefect server for a work pool (concurrent API calls), compare with the
   one-by-one registration `serve()` uses, and measure the Prefect server's CPU per
   scheduler loop with those deployments.
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

from monev.engine.rules import EngineSettings  # noqa: E402
from monev.engine.sweep import sweep_plan  # noqa: E402
from monev.model import Item, Plan, PlanHeader, assign_keys  # noqa: E402
from monev.periods import Period  # noqa: E402
from monev.store.db import open_session_factory  # noqa: E402
from monev.store.imports import import_plan  # noqa: E402
from monev.workdays import WorkCalendar  # noqa: E402


def synthetic_plan(n_checkpoints: int) -> Plan:
    items = [Item(area=f"Area {i % 6}", komponen=f"Komponen {i % 20}", indikator=f"Indikator {i}",
                  langkah_aksi=f"Langkah {i}", bukti_fisik=f"Bukti {i}",
                  target_text="Oktober 2026", source_line=i + 1,
                  periods=(Period(2026, 10),)) for i in range(n_checkpoints)]
    assign_keys("ZI", items)
    return Plan(PlanHeader("KPU Bench", "ZI", 2026, "1", date(2026, 1, 5)), items, "bench")


def bench_sweep(n: int) -> dict[str, float]:
    cal, settings = WorkCalendar(), EngineSettings()
    with tempfile.TemporaryDirectory() as tmp:
        factory = open_session_factory(f"sqlite:///{tmp}/bench.db")
        with factory.begin() as s:
            plan_id = import_plan(s, synthetic_plan(n), cal, date(2026, 9, 1), "b").plan_id
        with factory.begin() as s:  # opens all of them
            sweep_plan(s, plan_id, date(2026, 10, 1), cal, settings, None)
        timings = {}
        for label, day in (("remind_escalate", date(2026, 11, 11)),
                           ("repeat_noop", date(2026, 11, 11))):
            started = time.perf_counter()
            with factory.begin() as s:
                done = sweep_plan(s, plan_id, day, cal, settings, None)
            timings[f"{label}_s"] = time.perf_counter() - started
            timings[f"{label}_actions"] = len(done)
        return timings


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


def bench_national(n_plans: int, idle_seconds: int) -> dict[str, Any]:
    from flows.server import server_env, start_server, stop_server, wait_healthy

    result: dict[str, Any] = {"plans": n_plans}
    with tempfile.TemporaryDirectory() as tmp:
        port = _free_port()
        os.environ.update(server_env(Path(tmp) / "prefect", port))  # before importing prefect
        from flows.deployments import compile_plan_deployments, runner_deployments
        from flows.register import register
        from monev.config import MonevConfig
        from monev.plans import load_plan

        (Path(tmp) / "plans").mkdir()
        files = generate(n_plans, Path(tmp) / "plans")
        url = f"sqlite:///{tmp}/monev.db"
        os.environ["MONEV_DATABASE_URL"] = url
        factory = open_session_factory(url)
        with factory.begin() as s:
            for f in files:
                import_plan(s, load_plan(f), WorkCalendar(), date(2026, 1, 5), f.name)
        started = time.perf_counter()
        with factory() as s:
            deployments = compile_plan_deployments(s, MonevConfig(), date(2026, 1, 5))
        result["compile_s"] = time.perf_counter() - started
        result["deployments"] = len(deployments)
        result["schedules"] = sum(len(d.schedules) for d in deployments)
        env = {"PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "10"}
        prefect_db = os.environ.get("MONEV_BENCH_PREFECT_DB")  # postgresql+asyncpg://…
        if prefect_db:
            env["PREFECT_API_DATABASE_CONNECTION_URL"] = prefect_db
        result["prefect_database"] = "postgresql" if prefect_db else "sqlite"
        proc = start_server(Path(tmp) / "prefect", port, env)
        try:
            wait_healthy(port, proc)
            subprocess.run([sys.executable, "-m", "prefect", "work-pool", "create", "bench",
                            "--type", "process"], check=True, capture_output=True)
            started = time.perf_counter()
            asyncio.run(register(deployments, "bench"))
            result["register_work_pool_s"] = time.perf_counter() - started
            sample = runner_deployments(deployments[:40])
            started = time.perf_counter()
            for d in sample:  # what serve() does: one deployment after the other
                d.apply()
            per = (time.perf_counter() - started) / len(sample)
            result["serve_path_per_deployment_s"] = per
            result["serve_path_extrapolated_s"] = per * len(deployments)
            time.sleep(15)  # first scheduler pass materialises the runs
            before = _tree_cpu(proc.pid)
            time.sleep(idle_seconds)
            loops = idle_seconds / 10
            result["scheduler_cpu_per_loop_s"] = (_tree_cpu(proc.pid) - before) / loops
            result["idle_window_s"] = idle_seconds
        finally:
            stop_server(proc)
    return result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoints", type=int, default=500)
    ap.add_argument("--plans", type=int, default=1100)
    ap.add_argument("--idle", type=int, default=60)
    args = ap.parse_args()
    results = {"sweep": bench_sweep(args.checkpoints),
               "national": bench_national(args.plans, args.idle)}
    print(json.dumps(results, indent=2))
    (ROOT / "bench" / "results-engine.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
