"""Import and re-deploy against their floors, interleaved rounds, medians, load average
beside each figure (issue 21 item 5).

- import of N plans into PostgreSQL (``monev plan import`` as a process) vs the parse
  floor: the same files read by the same worker pool in a process that stores nothing;
- an unchanged ``monev deploy`` (in-process) vs its floor: reading the due dates and
  the same two requests; a re-deploy after one plan changed.

Run ``tests/with_postgres.sh env MONEV_BENCH_POSTGRES_URL=… python bench/bench_redeploy.py
[--plans N] [--rounds R]``; results in bench/results-redeploy.json."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))
from bench_engine import LIVE_DAY, _free_port  # noqa: E402
from bench_plans import generate  # noqa: E402

PARSE = ("import sys; from pathlib import Path; from monev.plans.parallel import read_all; "
         "n = sum(1 for p in read_all([Path(a) for a in sys.argv[1:]], None) if p.plan); "
         "assert n == len(sys.argv) - 1")


def _reset(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")


def _timed(cmd: list[str], env: dict[str, str]) -> dict[str, float]:
    started = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, env=env, check=True, capture_output=True)
    return {"s": round(time.perf_counter() - started, 2), "load": os.getloadavg()[0]}


def bench_import(files: list[Path], url: str, rounds: int, home: str) -> dict[str, Any]:
    env = {**os.environ, "MONEV_DATABASE_URL": url, "MONEV_HOME": home,
           "PYTHONPATH": str(ROOT)}
    imports, floors = [], []
    for _ in range(rounds):
        floors.append(_timed([sys.executable, "-c", PARSE, *map(str, files)], env))
        _reset(url)
        imports.append(_timed([sys.executable, "-m", "app", "plan", "import", "-q",
                               *map(str, files)], env))
    i, f = (statistics.median(x["s"] for x in r) for r in (imports, floors))
    return {"plans": len(files), "import_median_s": i, "parse_floor_median_s": f,
            "ratio": round(i / f, 2), "imports": imports, "floors": floors}


def bench_deploy(url: str, rounds: int, home: Path) -> dict[str, Any]:
    from flows.server import auth_string, server_env, start_server, stop_server, wait_healthy

    port = _free_port()
    auth = auth_string(home)
    os.environ.update(server_env(home / "prefect", port, auth))
    os.environ.pop("PREFECT_SERVER_API_AUTH_STRING")
    from flows.deploy_record import deploy
    from flows.register import server_state
    from monev.config import load_config
    from monev.store.db import open_session_factory
    from monev.store.queries import bump_plans, due_dates

    proc = start_server(home / "prefect", port, {}, auth=auth)
    out: dict[str, Any] = {}
    try:
        wait_healthy(port, proc, auth=auth, home=home / "prefect")
        subprocess.run([sys.executable, "-m", "prefect", "work-pool", "create", "bench",
                        "--type", "process"], check=True, capture_output=True)
        factory = open_session_factory(url)
        cfg = load_config()
        api = os.environ["PREFECT_API_URL"]
        started = time.perf_counter()
        first = deploy(factory, cfg, LIVE_DAY, "bench", api)
        out["first_sync_s"] = round(time.perf_counter() - started, 1)
        out["first_sync_load"] = os.getloadavg()[0]
        out["deployments"] = len(first.created) + first.unchanged
        with factory() as s:
            plan_ids = list(s.execute(text("SELECT id FROM plan ORDER BY id")).scalars())
        unchanged, floor, changed = [], [], []
        for r in range(rounds):
            started = time.perf_counter()
            with factory() as s:
                due_dates(s)
            asyncio.run(server_state())
            floor.append({"s": round(time.perf_counter() - started, 3),
                          "load": os.getloadavg()[0]})
            started = time.perf_counter()
            rep = deploy(factory, cfg, LIVE_DAY, "bench", api)
            assert not rep.created and not rep.updated, rep
            unchanged.append({"s": round(time.perf_counter() - started, 3),
                              "load": os.getloadavg()[0]})
            with factory.begin() as s:  # one plan revised: a due date moves
                pid = plan_ids[r]
                s.execute(text(
                    "UPDATE checkpoint SET due = due + 1 WHERE id = (SELECT c.id FROM "
                    "checkpoint c JOIN item i ON i.id = c.item_id WHERE i.plan_id = :p "
                    "AND c.due >= :d ORDER BY c.due DESC LIMIT 1)"), {"p": pid, "d": LIVE_DAY})
                bump_plans(s, [pid])
            started = time.perf_counter()
            rep = deploy(factory, cfg, LIVE_DAY, "bench", api)
            changed.append({"s": round(time.perf_counter() - started, 3),
                            "load": os.getloadavg()[0], "written": len(rep.updated)})
        u, f, c = (statistics.median(x["s"] for x in r) for r in (unchanged, floor, changed))
        out |= {"unchanged_median_s": u, "floor_median_s": f, "ratio": round(u / f, 2),
                "one_changed_median_s": c, "unchanged": unchanged, "floor": floor,
                "one_changed": changed}
        factory.kw["bind"].dispose()
    finally:
        stop_server(proc)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--plans", type=int, default=1100)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--skip-import", action="store_true")
    args = ap.parse_args()
    url = os.environ["MONEV_BENCH_POSTGRES_URL"]
    res: dict[str, Any] = {"date": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "cores": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="monev-redeploy-") as tmp:
        (Path(tmp) / "plans").mkdir()
        files = generate(args.plans, Path(tmp) / "plans")
        os.environ["MONEV_TODAY"] = LIVE_DAY.isoformat()
        if not args.skip_import:
            res["import"] = bench_import(files, url, args.rounds, tmp)
            print(json.dumps(res["import"], indent=1), flush=True)
        else:
            _reset(url)
            subprocess.run([sys.executable, "-m", "app", "plan", "import", "-q",
                            *map(str, files)], cwd=ROOT, check=True, capture_output=True,
                           env={**os.environ, "MONEV_DATABASE_URL": url, "MONEV_HOME": tmp})
        res["deploy"] = bench_deploy(url, args.rounds, Path(tmp))
    print(json.dumps(res, indent=1))
    (ROOT / "bench" / "results-redeploy.json").write_text(json.dumps(res, indent=2) + "\n")


if __name__ == "__main__":
    main()
