"""Portal benchmark (figures for the closing note, not a test).

National synthetic set (``bench_plans.generate``: 1,100 plans, 550 satkers) imported
into PostgreSQL, statuses spread as in a lived-in year, a configuration with the
example people in every satker, and the real app under uvicorn (one process, as
``monev up`` runs it). Then, interleaved in every round (order rotated):

1. ``/health`` (the floor: one tiny query), *Tugas saya* of a PIC (50 PIC sessions)
   and of a koordinator (50 koordinator sessions), and the *Papan* (50 Ketua Tim ZI
   sessions), each as N requests from 50 concurrent sessions — p50/p95 per round; the
   medians over the rounds, as ratios to /health, each with the median 1-minute load
   average measured right after it (a shared machine: a busy neighbour shows there).
   Pages are fetched as a browser does (``Accept-Encoding: gzip``); their size, plain
   and compressed, is reported too.
2. Uploading a 20 MB file through the portal (streamed, hashed, typed, stored,
   submitted) vs ``shutil.copyfile`` of the same file onto the same disk.

Run: ``MONEV_BENCH_POSTGRES_URL=postgresql://… .venv/bin/python bench/bench_portal.py``
(e.g. inside ``tests/with_postgres.sh``, which sets MONEV_TEST_POSTGRES_URL). The
database's schema ``public`` is dropped first. Results: bench/results-portal.json."""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import psycopg
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_plans import generate  # noqa: E402

from monev.links import ensure_link  # noqa: E402
from monev.store.db import open_session_factory  # noqa: E402
from monev.tokens import server_secret  # noqa: E402

TODAY = "2026-06-15"
PIC, KOORD, KETUA = "Pegawai Contoh Dua", "Koordinator Pengawasan", "Ketua Tim ZI Contoh"
# A lived-in year: due checkpoints mostly verified or submitted, some late or rejected.
STATUS_SQL = """
UPDATE checkpoint SET status = CASE
  WHEN due > DATE '{today}' + 30 THEN 'scheduled'
  WHEN due > DATE '{today}' THEN 'open'
  WHEN id % 10 < 5 THEN 'verified'
  WHEN id % 10 < 7 THEN 'submitted'
  WHEN id % 10 = 7 THEN 'rejected'
  ELSE 'open' END"""


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def national_config(files: list[Path], path: Path) -> list[str]:
    """The example satker's people and settings in every synthetic satker."""
    example = yaml.safe_load((ROOT / "config" / "monev.yaml").read_text("utf-8"))
    template = dict(example["satkers"][0])
    names = [f"KPU {'Kota' if i % 2 else 'Kabupaten'} Sintetis {i:04d}"  # as generated
             for i in range((len(files) + 1) // 2)]
    satkers = [dict(copy.deepcopy(template), name=n, province="Jambi") for n in names]
    path.write_text(yaml.safe_dump({"satkers": satkers}, allow_unicode=True), "utf-8")
    return names


def prepare(url: str, home: Path, n_plans: int, work: Path) -> tuple[Path, list[str]]:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
    files = generate(n_plans, work)
    config = work / "monev.yaml"
    print("config for the satkers …")
    names = national_config(files, config)
    env = {**os.environ, "MONEV_DATABASE_URL": url, "MONEV_HOME": str(home),
           "MONEV_CONFIG": str(config), "PYTHONPATH": str(ROOT)}
    print(f"importing {len(files)} plans into PostgreSQL …")
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "app", "plan", "import", "-q",
                    *map(str, files)], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    print(f"  {time.perf_counter() - t0:.0f} s")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(STATUS_SQL.format(today=TODAY))
        conn.execute("ANALYZE")
    return config, names


def start_app(url: str, home: Path, config: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "MONEV_DATABASE_URL": url, "MONEV_HOME": str(home),
           "MONEV_CONFIG": str(config), "MONEV_TODAY": TODAY, "MONEV_HTTP_PORT": str(port),
           "PYTHONPATH": str(ROOT)}  # this checkout's code, also from a git worktree
    env.pop("PREFECT_API_URL", None)
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "app.web:create_app",
                             "--factory", "--host", "127.0.0.1", "--port", str(port),
                             "--log-level", "warning", "--no-access-log",
                             # a session's connection idles while the other pages are
                             # measured: uvicorn's 5 s would close it under a request
                             "--timeout-keep-alive", "600"],
                            cwd=ROOT, env=env)
    for _ in range(600):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise SystemExit("app did not start")


def sessions(url: str, home: Path, base: str, satkers: list[str], person: str,
             n: int) -> list[httpx.AsyncClient]:
    """``n`` logged-in clients (one personal link each, opened like a browser)."""
    secret = server_secret(home)
    factory = open_session_factory(url)
    links = []
    with factory.begin() as s:
        for name in satkers[:n]:
            made = ensure_link(s, name, person, secret)
            assert made is not None
            links.append(f"{base}/p/{made[1]}")
    factory.kw["bind"].dispose()
    clients = []
    for link in links:
        client = httpx.AsyncClient(base_url=base, timeout=120,
                                   limits=httpx.Limits(max_connections=1))
        with httpx.Client(base_url=base, timeout=60) as browser:  # the link, then "Masuk"
            assert browser.get(link).status_code == 303
            opened = browser.post("/portal/masuk")
            assert opened.status_code == 303, opened.text
            client.cookies.set("monev_sesi", browser.cookies["monev_sesi"])
        clients.append(client)
    return clients


async def load(clients: list[httpx.AsyncClient], path: str, total: int) -> list[float]:
    """``total`` GETs of ``path``, one worker per session (all at once); latencies."""
    times: list[float] = []
    per = max(1, total // len(clients))

    async def worker(client: httpx.AsyncClient) -> None:
        for _ in range(per):
            t0 = time.perf_counter()
            resp = await client.get(path)
            times.append(time.perf_counter() - t0)
            if resp.status_code != 200:
                raise SystemExit(f"{path}: HTTP {resp.status_code}")

    await asyncio.gather(*(worker(c) for c in clients))
    return times


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def page_size(client: httpx.AsyncClient, path: str) -> dict[str, int]:
    """Bytes of one page as sent compressed and as HTML."""
    resp = await client.get(path)
    sent = int(resp.headers.get("content-length") or len(resp.content))
    return {"html_bytes": len(resp.content), "sent_bytes": sent}


async def bench_pages(sessions_of: dict[str, list[httpx.AsyncClient]], rounds: int,
                      total: int) -> dict[str, Any]:
    pics, koords, ketuas = sessions_of["pic"], sessions_of["koordinator"], \
        sessions_of["ketua"]
    plan = [("health", pics, "/health"), ("tugas_saya", pics, "/portal/"),
            ("tugas_saya_koordinator", koords, "/portal/"), ("papan", ketuas, "/portal/papan")]
    for _, clients, path in plan:  # warm up (imports, template compile)
        await load(clients, path, len(clients))
    per_round: dict[str, list[tuple[float, float, float]]] = {name: [] for name, _, _ in plan}
    for r in range(rounds):
        order = plan[r % len(plan):] + plan[: r % len(plan)]
        for name, clients, path in order:
            times = await load(clients, path, total)
            load_1m = os.getloadavg()[0]
            per_round[name].append((pct(times, 0.5), pct(times, 0.95), load_1m))
            print(f"  round {r + 1} {name:<22} p50 {pct(times, .5) * 1000:7.1f} ms  "
                  f"p95 {pct(times, .95) * 1000:7.1f} ms  load {load_1m:4.1f}  "
                  f"({len(times)} requests)")
    out: dict[str, Any] = {}
    for name, values in per_round.items():
        out[name] = {"p50_ms": round(statistics.median(v[0] for v in values) * 1000, 1),
                     "p95_ms": round(statistics.median(v[1] for v in values) * 1000, 1),
                     "load_1m": round(statistics.median(v[2] for v in values), 2)}
    for name, clients, path in plan[1:]:
        out[name].update(await page_size(clients[0], path))
    for name in ("tugas_saya", "tugas_saya_koordinator", "papan"):
        out[name]["p50_ratio_to_health"] = round(out[name]["p50_ms"] /
                                                 out["health"]["p50_ms"], 1)
        out[name]["p95_ratio_to_health"] = round(out[name]["p95_ms"] /
                                                 out["health"]["p95_ms"], 1)
    return out


def bench_upload(base: str, client: httpx.Client, home: Path, rounds: int,
                 size_mb: int = 20) -> dict[str, Any]:
    """Upload vs plain copy of the same 20 MB file onto the same disk, interleaved."""
    page = client.get("/portal/").text
    ids = list(dict.fromkeys(int(i) for i in re.findall(r'href="/portal/c/(\d+)"', page)))
    src_dir = Path(tempfile.mkdtemp(dir=home, prefix="bench-"))
    copies, uploads = [], []
    used = 0
    for r in range(rounds):
        src = src_dir / f"laporan-{r}.pdf"
        src.write_bytes(b"%PDF-1.4\n" + os.urandom(size_mb * 1024 * 1024 - 9))
        t0 = time.perf_counter()
        shutil.copyfile(src, src_dir / f"copy-{r}.pdf")
        copies.append(time.perf_counter() - t0)
        while True:
            cp_id = ids[used]
            used += 1
            csrf = re.search(r'name="csrf" value="([0-9a-f]+)"',
                             client.get(f"/portal/c/{cp_id}").text)
            if csrf and 'action="/portal/c/' in client.get(f"/portal/c/{cp_id}").text:
                break
        with src.open("rb") as f:
            t0 = time.perf_counter()
            resp = client.post(f"/portal/c/{cp_id}/kirim", data={"csrf": csrf.group(1)},
                               files={"berkas": (src.name, f, "application/pdf")})
            uploads.append(time.perf_counter() - t0)
        if resp.status_code != 303:
            raise SystemExit(f"upload: HTTP {resp.status_code} {resp.text[:300]}")
        print(f"  round {r + 1} copy {copies[-1] * 1000:7.1f} ms  upload "
              f"{uploads[-1] * 1000:7.1f} ms")
    shutil.rmtree(src_dir)
    copy, upload = statistics.median(copies), statistics.median(uploads)
    return {"size_mb": size_mb, "copy_ms_median": round(copy * 1000, 1),
            "upload_ms_median": round(upload * 1000, 1),
            "ratio_upload_to_copy": round(upload / copy, 1),
            "upload_mb_per_s": round(size_mb / upload, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--plans", type=int, default=1100)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--requests", type=int, default=150, help="per endpoint per round")
    args = ap.parse_args()
    url = os.environ.get("MONEV_BENCH_POSTGRES_URL") or \
        os.environ.get("MONEV_TEST_POSTGRES_URL")
    if not url:
        raise SystemExit("set MONEV_BENCH_POSTGRES_URL (PostgreSQL; its schema is dropped)")
    res: dict[str, Any] = {"plans": args.plans, "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                           "cores": os.cpu_count(), "sessions": 50, "today": TODAY}
    with tempfile.TemporaryDirectory(prefix="monev-bench-portal-") as tmp:
        work, home = Path(tmp) / "plans", Path(tmp) / "home"
        work.mkdir()
        home.mkdir(mode=0o700)  # as `monev up` makes it: the app refuses a missing home
        config, satkers = prepare(url, home, args.plans, work)
        res["satkers"] = len(satkers)
        port = free_port()
        proc = start_app(url, home, config, port)
        base = f"http://127.0.0.1:{port}"
        try:
            pics = sessions(url, home, base, satkers, PIC, 50)
            koords = sessions(url, home, base, satkers[100:], KOORD, 50)
            ketuas = sessions(url, home, base, satkers[50:], KETUA, 50)
            print(f"pages, {args.rounds} rounds × {args.requests} requests, 50 sessions:")
            res["pages"] = asyncio.run(bench_pages(
                {"pic": pics, "koordinator": koords, "ketua": ketuas}, args.rounds,
                args.requests))
            print("upload 20 MB vs copy:")
            with httpx.Client(base_url=base, timeout=120, cookies=pics[0].cookies) as c:
                res["upload"] = bench_upload(base, c, home, args.rounds)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    out = ROOT / "bench" / "results-portal.json"
    if out.exists():  # the figures this run is compared with
        before = json.loads(out.read_text("utf-8"))
        res["previous"] = {"date": before.get("date"), "pages": before.get("pages"),
                           "upload": before.get("upload")}
    print(json.dumps(res, indent=1))
    out.write_text(json.dumps(res, indent=1) + "\n", encoding="utf-8")
    print(f"written: {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
