"""Calendar feed benchmarks (figures for the closing note, not tests).

1. Render a 500-event feed (pure renderer) and build a stored plan's feed from the
   database (query + render).
2. National roll-up: 1,100 generated plans (550 satkers) in one feed — time, the size
   before trimming and the size served (trimmed under 1 MB).
3. Requests per second on loopback against the real app (uvicorn, own process) for a
   200, for a 304 (If-None-Match), and for the same bytes served as a static file by
   the same server (the floor), from a bounded Python load generator (threads with
   keep-alive connections).
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
import threading
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


def load(url: str, n: int, headers: dict[str, str], threads: int = 4) -> float:
    """Requests per second for ``n`` GETs over ``threads`` keep-alive connections."""
    per = n // threads
    statuses: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        with httpx.Client(timeout=30) as client:
            got = [client.get(url, headers=headers).status_code for _ in range(per)]
        with lock:
            statuses.extend(got)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    t0 = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - t0
    assert len(set(statuses)) == 1, set(statuses)
    return round(len(statuses) / elapsed, 1)


def serve_rps(workdir: Path, n: int, rounds: int = 5) -> dict[str, Any]:
    from calendars.service import create_feed

    home = workdir / "home"
    db = f"sqlite:///{workdir / 'serve.db'}"
    factory = open_session_factory(db)
    for path in sorted(PLANS.glob("*.txt")):
        plan = load_plan(path)
        sc = CFG.satker(plan.header.satker)
        with factory.begin() as s:
            import_plan(s, plan, sc.calendar() if sc else WorkCalendar(), date(2025, 7, 7),
                        path.name)
    with factory.begin() as s:
        _, token = create_feed(s, SECRET.encode(), "plan", "bench",
                               plan="kpu-kabupaten-muaro-jambi/rb-2026", cfg=CFG)
    port = free_port()
    static = workdir / "static"
    static.mkdir()
    env = {**os.environ, "MONEV_DATABASE_URL": db, "MONEV_HOME": str(home),
           "MONEV_FEED_SECRET": SECRET, "MONEV_HTTP_PORT": str(port)}
    code = ("import uvicorn\nfrom fastapi.staticfiles import StaticFiles\n"
            "from app.web import create_app\napp = create_app()\n"
            f"app.mount('/static', StaticFiles(directory={str(static)!r}))\n"
            f"uvicorn.run(app, host='127.0.0.1', port={port}, log_level='warning', "
            "access_log=False)\n")
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                if httpx.get(f"{base}/health").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        first = httpx.get(f"{base}/feeds/{token}.ics")
        (static / "feed.ics").write_bytes(first.content)
        etag = first.headers["etag"]
        static_etag = httpx.get(f"{base}/static/feed.ics").headers["etag"]
        feed_url, static_url = f"{base}/feeds/{token}.ics", f"{base}/static/feed.ics"
        runs: dict[str, list[float]] = {"feed_304": [], "static_304": [], "feed_200": [],
                                        "static_200": []}
        for _ in range(rounds):  # interleaved, so both see the same machine
            runs["feed_304"].append(load(feed_url, n, {"If-None-Match": etag}))
            runs["static_304"].append(load(static_url, n, {"If-None-Match": static_etag}))
            runs["feed_200"].append(load(feed_url, n, {}))
            runs["static_200"].append(load(static_url, n, {}))
        med = {k: statistics.median(v) for k, v in runs.items()}
        return {"bytes": len(first.content), "requests_each": n, "rounds": rounds,
                **{f"rps_{k}_median": round(v, 1) for k, v in med.items()},
                "ratio_304_to_static_304": round(med["feed_304"] / med["static_304"], 2),
                "ratio_200_to_static_200": round(med["feed_200"] / med["static_200"], 2),
                "runs": runs}
    finally:
        proc.terminate()
        proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--plans", type=int, default=1100)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results-feeds.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        os.environ["MONEV_HOME"] = str(work / "home")
        factory = open_session_factory(f"sqlite:///{work / 'plan.db'}")
        plan = load_plan(PLANS / "rencana-aksi-rb-2026-kpu-kab-muaro-jambi.txt")
        with factory.begin() as s:
            import_plan(s, plan, WorkCalendar(), date(2026, 1, 6), "rb")
        result = {"render_500": render_500(), "stored_plan": stored_plan_feed(factory),
                  "serving": serve_rps(work, args.requests),
                  "national": national(args.plans, work)}
    print(json.dumps(result, indent=1))
    args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
