"""Calendar feed benchmarks (figures for the closing note, not tests).

1. Render a 500-event feed (pure renderer) and build a stored plan's feed from the
   database (query + render).
2. National roll-up: 1,100 generated plans (550 satkers) in one feed — time, the size
   before trimming and the size served (trimmed under 1 MB).
3. Requests per second on loopback by wrk against the real app (uvicorn, own process):
   a plan feed's 304 (If-None-Match), a person feed's 304 and a full 200, interleaved
   with the floor — a raw ASGI app answering the same 304 from memory, run by uvicorn
   with the same configuration — medians of the rounds, load average beside each run.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from sqlalchemy import select  # noqa: E402

from calendars.events import FeedScope, event_for, rows_for  # noqa: E402
from calendars.feed import FeedEvent, FeedInfo, render_feed  # noqa: E402
from monev.config import load_config  # noqa: E402
from monev.plans import load_plan  # noqa: E402
from monev.store import models as m  # noqa: E402
from monev.store.db import open_session_factory  # noqa: E402
from monev.store.imports import import_plan  # noqa: E402
from monev.workdays import WorkCalendar  # noqa: E402

CFG = load_config(ROOT / "config" / "monev.yaml")
PLANS = ROOT / "examples" / "plans"
SECRET = "bench-feed-secret-long-enough-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def render_500() -> dict[str, float]:
    info = FeedInfo("feed-1@monev", "Monev ZI 2025 — KPU Kabupaten Contoh",
                    "Tenggat bukti fisik", "darkgreen", "Asia/Jakarta")
    events = [FeedEvent(
        uid=f"{i:012x}-2025-{i % 12 + 1:02d}-zi2025@kpu-kabupaten-contoh.monev",
        due=date(2025, 1, 31) + timedelta(days=(i * 7) % 330),
        summary=f"⏳ Notulen rapat evaluasi pembangunan ZI nomor {i} [KPU Kab. Contoh]",
        description="Bukti fisik: Undangan rapat, daftar hadir, lembar monev ZI\n"
                    "Indikator: Timeline pemantauan dan evaluasi pembangunan WBK/WBBM\n"
                    "Langkah aksi: Rapat evaluasi pembangunan ZI\nPIC: Pegawai Contoh\n"
                    f"Status: menunggu bukti\nKode: {i:012x}@2025-10",
        url=f"https://monev.example.org/feeds/x/c/{i:012x}@2025-10",
        categories=("Manajemen Perubahan", "ZI"), sequence=i % 4,
        modified=datetime(2025, 10, 1, 1)) for i in range(500)]
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        data = render_feed(info, events)
        times.append(time.perf_counter() - t0)
    return {"events": 500, "render_s_min": round(min(times), 3),
            "render_s_median": round(sorted(times)[2], 3), "bytes": len(data)}


def stored_plan_feed(factory: object) -> dict[str, float]:
    from calendars.events import build_feed
    from calendars.service import create_feed

    with factory.begin() as s:  # type: ignore[attr-defined]
        feed, _ = create_feed(s, SECRET.encode(), "plan", "bench",
                              plan="kpu-kabupaten-muaro-jambi/rb-2026", cfg=CFG)
        feed_id = feed.id
    times = []
    for _ in range(5):
        with factory() as s:  # type: ignore[operator]
            t0 = time.perf_counter()
            data = build_feed(s, s.get(m.Feed, feed_id), CFG, date(2026, 3, 1))
            times.append(time.perf_counter() - t0)
    return {"plan": "RB 2026 Muaro Jambi (399 checkpoints)",
            "query_and_render_s_min": round(min(times), 3), "bytes": len(data)}


def national(n_plans: int, workdir: Path) -> dict[str, float]:
    from bench_plans import generate

    factory = open_session_factory(f"sqlite:///{workdir / 'national.db'}")
    (workdir / "plans").mkdir()
    files = generate(n_plans, workdir / "plans")
    t0 = time.perf_counter()
    for path in files:
        plan = load_plan(path)
        with factory.begin() as s:
            import_plan(s, plan, WorkCalendar(), date(2025, 7, 7), path.name)
    t_import = time.perf_counter() - t0
    with factory() as s:
        ids = tuple(s.scalars(select(m.Plan.id)))
        scope = FeedScope(FeedInfo("nasional@monev", "Monev nasional", "Rekap nasional",
                                   "darkorange", "Asia/Jakarta"), ids)
        t0 = time.perf_counter()
        rows = rows_for(s, scope, {})
        t_query = time.perf_counter() - t0
        t0 = time.perf_counter()
        events = [event_for(r, [], None) for r in rows]  # generated satkers: no people
        data = render_feed(scope.info, events, horizon_start=date(2025, 1, 1))
        t_render = time.perf_counter() - t0
    untrimmed = sum(len(e.description) + len(e.summary) + 300 for e in events)
    return {"plans": len(ids), "checkpoints": len(rows), "import_s": round(t_import, 1),
            "query_s": round(t_query, 1), "events_and_render_s": round(t_render, 1),
            "untrimmed_bytes_estimate": untrimmed, "served_bytes": len(data),
            "served_events": data.count(b"BEGIN:VEVENT")}


FLOOR = """
import uvicorn

ETAG = {etag!r}.encode()
HEAD = [(b"etag", ETAG), (b"last-modified", {modified!r}.encode()),
        (b"cache-control", b"private, max-age=300, must-revalidate")]


async def app(scope, receive, send):
    # the floor: a raw ASGI responder answering 304 from memory
    if scope["type"] != "http":
        return
    inm = next((v for k, v in scope["headers"] if k == b"if-none-match"), None)
    status = 304 if inm == ETAG else 412
    await send({{"type": "http.response.start", "status": status, "headers": HEAD}})
    await send({{"type": "http.response.body", "body": b""}})

uvicorn.run(app, {server})
"""
APP = """
import uvicorn
from app.web import create_app

uvicorn.run(create_app(), {server})
"""


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (/proc, clock ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wrk(url: str, headers: dict[str, str], seconds: int, connections: int,
        pid: int) -> dict[str, float]:
    """Requests per second by wrk (one thread: the server has the other core), and the
    server's CPU per request — steadier than wall-clock figures on a loaded machine."""
    args = ["/usr/bin/wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for key, value in headers.items():
        args += ["-H", f"{key}: {value}"]
    load, cpu = round(os.getloadavg()[0], 2), cpu_seconds(pid)
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    cpu = cpu_seconds(pid) - cpu
    if "Non-2xx or 3xx" in out or "Socket errors" in out:
        raise RuntimeError(out)
    requests = int(out.split(" requests in ")[0].split()[-1])
    return {"rps": float(out.split("Requests/sec:")[1].split()[0]), "load_1min": load,
            "server_cpu_us_per_request": round(cpu / requests * 1e6, 1)}


def start(code: str, env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env)
    for _ in range(300):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start")


def serve_rps(workdir: Path, seconds: int, rounds: int, connections: int,
              db: str | None = None) -> dict[str, Any]:
    """wrk against the real app (one uvicorn process) — plan-feed 304, person-feed 304,
    a full 200 — and the floor: a raw ASGI app answering the same 304 from memory, run
    by uvicorn with the same configuration in its own process. Interleaved rounds."""
    from calendars.service import create_feed

    db = db or f"sqlite:///{workdir / 'serve.db'}"
    factory = open_session_factory(db)
    for path in sorted(PLANS.glob("*.txt")):
        plan = load_plan(path)
        sc = CFG.satker(plan.header.satker)
        with factory.begin() as s:
            import_plan(s, plan, sc.calendar() if sc else WorkCalendar(), date(2025, 7, 7),
                        path.name)
    with factory.begin() as s:
        _, plan_token = create_feed(s, SECRET.encode(), "plan", "bench",
                                    plan="kpu-kabupaten-muaro-jambi/rb-2026", cfg=CFG)
        _, person_token = create_feed(s, SECRET.encode(), "person", "bench",
                                      satker="kpu-kabupaten-muaro-jambi",
                                      value="Pegawai Contoh Satu", cfg=CFG)
    app_port, floor_port = free_port(), free_port()
    server = "host='127.0.0.1', port={port}, log_level='warning', access_log=False"
    env = {**os.environ, "MONEV_DATABASE_URL": db, "MONEV_HOME": str(workdir / "home"),
           "MONEV_FEED_SECRET": SECRET, "MONEV_CONFIG": str(ROOT / "config" / "monev.yaml")}
    procs = [start(APP.format(server=server.format(port=app_port)), env, app_port)]
    try:
        base = f"http://127.0.0.1:{app_port}"
        urls = {"plan": f"{base}/feeds/{plan_token}.ics",
                "person": f"{base}/feeds/{person_token}.ics"}
        first = {k: httpx.get(u, timeout=60) for k, u in urls.items()}
        etags = {k: r.headers["etag"] for k, r in first.items()}
        for k, u in urls.items():  # the 304s really are 304s
            assert httpx.get(u, headers={"If-None-Match": etags[k]}).status_code == 304
        code = FLOOR.format(etag=etags["plan"], modified=first["plan"].headers[
            "last-modified"], server=server.format(port=floor_port))
        procs.append(start(code, env, floor_port))
        floor_url = f"http://127.0.0.1:{floor_port}/feeds/{plan_token}.ics"
        assert httpx.get(floor_url, headers={"If-None-Match": etags["plan"]}
                         ).status_code == 304
        app_pid, floor_pid = procs[0].pid, procs[1].pid
        cases = {"floor_304": (floor_url, {"If-None-Match": etags["plan"]}, floor_pid),
                 "plan_304": (urls["plan"], {"If-None-Match": etags["plan"]}, app_pid),
                 "person_304": (urls["person"], {"If-None-Match": etags["person"]}, app_pid),
                 "plan_200": (urls["plan"], {}, app_pid)}
        runs: dict[str, list[dict[str, float]]] = {k: [] for k in cases}
        for _ in range(rounds):  # interleaved, so each sees the same machine
            for name, (url, headers, pid) in cases.items():
                runs[name].append(wrk(url, headers, seconds, connections, pid))
        med = {k: statistics.median(r["rps"] for r in v) for k, v in runs.items()}
        cpu = {k: statistics.median(r["server_cpu_us_per_request"] for r in v)
               for k, v in runs.items()}
        return {"tool": f"wrk -t1 -c{connections} -d{seconds}s", "rounds": rounds,
                "database": db.split(":", 1)[0],
                "bytes_200": len(first["plan"].content),
                **{f"rps_{k}_median": round(v, 1) for k, v in med.items()},
                **{f"server_cpu_us_{k}_median": round(v, 1) for k, v in cpu.items()},
                "ratio_plan_304_to_floor": round(med["plan_304"] / med["floor_304"], 2),
                "ratio_person_304_to_floor": round(med["person_304"] / med["floor_304"], 2),
                "cpu_ratio_floor_to_plan_304": round(cpu["floor_304"] / cpu["plan_304"], 2),
                "cpu_ratio_floor_to_person_304": round(cpu["floor_304"] / cpu["person_304"],
                                                       2),
                "load_1min_range": [min(r["load_1min"] for v in runs.values() for r in v),
                                    max(r["load_1min"] for v in runs.values() for r in v)],
                "runs": runs}
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--plans", type=int, default=1100)
    parser.add_argument("--seconds", type=int, default=4, help="each wrk run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--postgres", action="store_true",
                        help="serve from MONEV_TEST_POSTGRES_URL (tests/with_postgres.sh, "
                             "empty database); results under serving_postgresql")
    parser.add_argument("--serving-only", action="store_true",
                        help="measure serving only; keep the other figures of --out")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results-feeds.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        os.environ["MONEV_HOME"] = str(work / "home")
        db = os.environ["MONEV_TEST_POSTGRES_URL"] if args.postgres else None
        serving = serve_rps(work, args.seconds, args.rounds, args.connections, db)
        key = "serving_postgresql" if args.postgres else "serving"
        if args.serving_only:
            old = json.loads(args.out.read_text(encoding="utf-8")) if args.out.exists() \
                else {}
            result = {**old, key: serving}
            print(json.dumps(serving, indent=1))
            args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
            return
        factory = open_session_factory(f"sqlite:///{work / 'plan.db'}")
        plan = load_plan(PLANS / "rencana-aksi-rb-2026-kpu-kab-muaro-jambi.txt")
        with factory.begin() as s:
            import_plan(s, plan, WorkCalendar(), date(2026, 1, 6), "rb")
        result = {"render_500": render_500(), "stored_plan": stored_plan_feed(factory),
                  key: serving,
                  "national": national(args.plans, work)}
    print(json.dumps(result, indent=1))
    args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
