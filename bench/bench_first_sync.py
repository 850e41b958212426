"""First sync of N plans' deployments against a raw replay of the same HTTP requests
(issue 21: "first sync ≤ 1.2× of the replay; say what the server costs").

Each round, on a fresh Prefect server (new PREFECT_HOME, same port, a work pool made
before the clock starts):

- **ours**: ``monev deploy``'s code path (:func:`app.cli.engine.sync_deployments`) with
  no deploy record — the complete sync: compile every plan, read, create, mark. Every
  request the Prefect client puts on the wire is recorded (method, path, the exact body
  bytes, the answer) by wrapping ``httpx.AsyncClient.send``;
- **floor**: on another fresh server, one keep-alive ``httpx.AsyncClient`` sending the
  recorded requests one after the other in the same order, byte for byte, except the
  ids the first server handed out (flows, the variable), mapped to the ids the second
  one answers.

Rounds interleave (ours, floor, ours, floor …); medians; the 1-minute load average
beside each figure; the server's CPU seconds (its process tree, from /proc) per
deployment for both. Run ``MONEV_TEST_PG_PORT=… tests/with_postgres.sh env
PYTHONPATH=$PWD python bench/bench_first_sync.py [--plans N] [--rounds R]``; results
in bench/results-first-sync.json."""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))
from bench_engine import LIVE_DAY, _free_port  # noqa: E402
from bench_plans import generate  # noqa: E402
from bench_redeploy import _reset  # noqa: E402

UUID = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass
class Sent:
    method: str
    path: str  # below /api, with its query
    body: bytes
    content_type: str | None
    status: int
    answer: bytes
    at: float  # perf_counter when answered


def _tree_cpu(pid: int) -> float:
    """User + system CPU seconds of ``pid`` and every live descendant."""
    tick = os.sysconf("SC_CLK_TCK")
    children: dict[int, list[int]] = {}
    stats: dict[int, list[str]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        stats[int(entry.name)] = fields
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        if p in stats:
            total += (int(stats[p][11]) + int(stats[p][12])) / tick
        todo += children.get(p, [])
    return total


class Recorder:
    """Wraps ``httpx.AsyncClient.send`` (which Prefect's client calls for each attempt)
    and keeps every request and answer while ``on``."""

    def __init__(self) -> None:
        import httpx

        self.sent: list[Sent] = []
        self.on = False
        original = httpx.AsyncClient.send
        recorder = self

        async def send(client: httpx.AsyncClient, request: httpx.Request,
                       *args: Any, **kwargs: Any) -> httpx.Response:
            response = await original(client, request, *args, **kwargs)
            if recorder.on:
                await response.aread()
                path = request.url.raw_path.decode()
                recorder.sent.append(Sent(request.method, path.split("/api", 1)[1],
                                          request.content,
                                          request.headers.get("content-type"),
                                          response.status_code, response.content,
                                          time.perf_counter()))
            return response

        httpx.AsyncClient.send = send  # type: ignore[method-assign]


BUSY = {429, 503}


async def replay(sent: list[Sent], base: str, auth: str,
                 concurrency: int = 1) -> dict[str, Any]:
    """The same requests, in order, on one keep-alive client — except those the first
    server refused as busy, which did no work; ids that the first server handed out are
    swapped for the ones this server answers. With ``concurrency`` > 1 consecutive
    deployment upserts go up to that many at a time (as the sync sends them); everything
    else waits for them. A busy answer here is retried at once (counted)."""
    import httpx

    ids: dict[bytes, bytes] = {}
    statuses: Counter[str] = Counter()
    header = {"Authorization": "Basic " + base64.b64encode(auth.encode()).decode()}
    gate = asyncio.Semaphore(concurrency)
    pending: list[asyncio.Task[None]] = []

    def swap(m: re.Match[bytes]) -> bytes:
        return ids.get(m.group(), m.group())

    async def one(client: httpx.AsyncClient, s: Sent) -> None:
        body, path = UUID.sub(swap, s.body), UUID.sub(swap, s.path.encode()).decode()
        headers = {"content-type": s.content_type} if s.content_type else {}
        async with gate:
            while True:
                response = await client.request(s.method, path, content=body,
                                                headers=headers)
                if response.status_code not in BUSY:
                    break
                statuses["busy"] += 1
                await asyncio.sleep(0.05)
        statuses[f"{s.status}->{response.status_code}"] += 1
        first, now = UUID.findall(s.answer[:200]), UUID.findall(response.content[:200])
        if first and now and s.method in ("POST", "PUT", "PATCH"):
            ids.setdefault(first[0], now[0])

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, headers=header, timeout=120,
                                 limits=limits) as client:
        for s in sent:
            if s.status in BUSY:
                continue
            if concurrency > 1 and s.method == "POST" and s.path == "/deployments/":
                pending.append(asyncio.create_task(one(client, s)))
                continue
            await asyncio.gather(*pending)
            pending = []
            await one(client, s)
        await asyncio.gather(*pending)
    return {"statuses": dict(statuses), "ids_mapped": len(ids), "concurrency": concurrency,
            "replayed": sum(1 for s in sent if s.status not in BUSY)}


class Server:
    """A fresh Prefect server on ``port`` (a new PREFECT_HOME) with a work pool."""

    def __init__(self, tmp: Path, port: int, auth: str, n: int, pg: str | None) -> None:
        from flows.server import start_server, wait_healthy

        self.home, self.pg, self.db = tmp / f"prefect-{n}", pg, f"prefect_{n}"
        env = {}
        if pg:  # a fresh database in the bench's PostgreSQL
            _sql(pg, f"CREATE DATABASE {self.db}")
            env["PREFECT_API_DATABASE_CONNECTION_URL"] = \
                pg.replace("postgresql://", "postgresql+asyncpg://").rsplit("/", 1)[0] \
                + "/" + self.db
        self.proc = start_server(self.home, port, env, auth=auth)
        wait_healthy(port, self.proc, auth=auth, home=self.home)
        subprocess.run([sys.executable, "-m", "prefect", "work-pool", "create", "bench",
                        "--type", "process"], check=True, capture_output=True,
                       env={**os.environ, "PREFECT_API_URL": f"http://127.0.0.1:{port}/api"})
        time.sleep(3)  # let the start-up services settle

    def count(self) -> int:
        from prefect.client.orchestration import get_client

        from flows.register import _count_owned

        async def go() -> int:
            async with get_client() as client:
                return await _count_owned(client)

        return asyncio.run(go())

    def stop(self) -> None:
        from flows.server import stop_server

        stop_server(self.proc)
        shutil.rmtree(self.home, ignore_errors=True)
        if self.pg:
            _sql(self.pg, f"DROP DATABASE {self.db}")


def _sql(url: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(statement)  # type: ignore[arg-type]


def _clear_record(url: str) -> None:
    _sql(url, "DELETE FROM deployed_plan")
    _sql(url, "DELETE FROM deploy_target")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--plans", type=int, default=150)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--prefect-db", choices=("postgresql", "sqlite"), default="postgresql",
                    help="the Prefect server's database (production: PostgreSQL)")
    ap.add_argument("--concurrency", type=int, default=None,
                    help="override sync()'s concurrency (default: the code's)")
    ap.add_argument("--out", default="results-first-sync.json")
    args = ap.parse_args()
    url = os.environ["MONEV_BENCH_POSTGRES_URL"]
    res: dict[str, Any] = {"date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                           "cores": os.cpu_count(), "plans": args.plans,
                           "monev_database": "postgresql", "prefect_database": args.prefect_db}
    pg = url if args.prefect_db == "postgresql" else None
    with tempfile.TemporaryDirectory(prefix="monev-first-sync-") as name:
        tmp = Path(name)
        (tmp / "plans").mkdir()
        files = generate(args.plans, tmp / "plans")
        os.environ.update(MONEV_TODAY=LIVE_DAY.isoformat(), MONEV_DATABASE_URL=url,
                          MONEV_HOME=str(tmp))
        _reset(url)
        subprocess.run([sys.executable, "-m", "app", "plan", "import", "-q",
                        *map(str, files)], cwd=ROOT, check=True, capture_output=True)
        from flows.server import auth_string, server_env

        port, auth = _free_port(), auth_string(tmp)
        # one port for every server: Prefect reads its settings once, at import
        os.environ.update(server_env(tmp / "client", port, auth))
        os.environ.pop("PREFECT_SERVER_API_AUTH_STRING")
        from prefect.client.schemas import actions  # noqa: F401

        from app.cli.engine import sync_deployments
        from flows import deploy_record, register  # noqa: F401  (imports out of the timing)

        if args.concurrency:
            register.sync.__defaults__ = (*register.sync.__defaults__[:-2],  # type: ignore
                                          args.concurrency, None)
        res["concurrency"] = args.concurrency or "default"

        recorder = Recorder()
        ours: list[dict[str, Any]] = []
        floor: list[dict[str, Any]] = []
        floor8: list[dict[str, Any]] = []
        concurrency = args.concurrency or register.sync.__defaults__[1]  # type: ignore
        for r in range(args.rounds):
            _clear_record(url)
            server = Server(tmp, port, auth, 3 * r, pg)
            try:
                recorder.sent, recorder.on = [], True
                cpu, started = _tree_cpu(server.proc.pid), time.perf_counter()
                mine = resource.getrusage(resource.RUSAGE_SELF)
                report = sync_deployments("bench")
                wall = time.perf_counter() - started
                cpu = _tree_cpu(server.proc.pid) - cpu
                after = resource.getrusage(resource.RUSAGE_SELF)
                recorder.on = False
                n = server.count()
            finally:
                server.stop()
            assert len(report.created) == n and not report.updated, (report, n)
            sent = recorder.sent
            ours.append({"s": round(wall, 2), "load": os.getloadavg()[0],
                         "server_cpu_s": round(cpu, 2), "deployments": n,
                         "requests": len(sent), "retries": report.retries,
                         "busy_answers": sum(1 for s in sent if s.status in BUSY),
                         "client_cpu_s": round(after.ru_utime + after.ru_stime
                                               - mine.ru_utime - mine.ru_stime, 2),
                         "before_first_deployment_s": round(min(
                             s.at for s in sent if s.path == "/deployments/") - started, 2),
                         "after_last_deployment_s": round(started + wall - max(
                             s.at for s in sent if s.path == "/deployments/"), 2),
                         "by_endpoint": dict(Counter(
                             f"{s.method} {UUID.sub(b'<id>', s.path.encode()).decode()}"
                             for s in sent))})
            print("ours", json.dumps(ours[-1]), flush=True)
            for k, (runs, width) in enumerate(((floor, 1), (floor8, concurrency))):
                server = Server(tmp, port, auth, 3 * r + 1 + k, pg)
                try:
                    cpu, started = _tree_cpu(server.proc.pid), time.perf_counter()
                    done = asyncio.run(replay(sent, f"http://127.0.0.1:{port}/api", auth,
                                              width))
                    wall = time.perf_counter() - started
                    cpu = _tree_cpu(server.proc.pid) - cpu
                    replayed = server.count()
                finally:
                    server.stop()
                assert replayed == n, (replayed, n)
                runs.append({"s": round(wall, 2), "load": os.getloadavg()[0],
                             "server_cpu_s": round(cpu, 2), "deployments": replayed,
                             "requests": len(sent), **done})
                print("floor", json.dumps(runs[-1]), flush=True)
    n = ours[0]["deployments"]
    o, f, f8 = (statistics.median(x["s"] for x in runs) for runs in (ours, floor, floor8))
    oc, fc, f8c = (statistics.median(x["server_cpu_s"] for x in runs)
                   for runs in (ours, floor, floor8))
    res |= {"deployments": n, "rounds": args.rounds,
            "ours_median_s": o, "replay_median_s": f, "ratio": round(o / f, 2),
            "replay_concurrent_median_s": f8, "ratio_concurrent": round(o / f8, 2),
            "ours_server_cpu_ms_per_deployment": round(1000 * oc / n, 1),
            "replay_server_cpu_ms_per_deployment": round(1000 * fc / n, 1),
            "replay_concurrent_server_cpu_ms_per_deployment": round(1000 * f8c / n, 1),
            "ours_client_cpu_median_s": statistics.median(x["client_cpu_s"] for x in ours),
            "ours_wall_ms_per_deployment": round(1000 * o / n, 1),
            "replay_wall_ms_per_deployment": round(1000 * f / n, 1),
            "ours": ours, "replay": floor, "replay_concurrent": floor8}
    print(json.dumps(res, indent=1))
    (ROOT / "bench" / args.out).write_text(json.dumps(res, indent=2) + "\n")


if __name__ == "__main__":
    main()
