"""Portal benchmark (figures for the closing note, not a test).

National synthetic set (``bench_plans.generate``: 1,100 plans, 550 satkers) imported
into PostgreSQL, statuses spread as in a lived-in year, a configuration with the
example people in every satker, and the real app under uvicorn (one process, as
``monev up`` runs it). Then, interleaved in every round (order rotated):

1. ``/health`` (the floor: one tiny query), *Tugas saya* of a PIC (50 PIC sessions)
   and of a koordinator (50 koordinator sessions), and the *Papan* (50 Ketua Tim ZI
   sessions), each as ``wrk -t2 -c50`` for a few seconds with the 50 sessions' cookies
   round robin — wrk's p50/p95 per round; the
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
import contextlib
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
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_memory import wait_http  # noqa: E402
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
    try:
        wait_http(f"http://127.0.0.1:{port}/health", proc)
    except SystemExit:
        proc.kill()
        raise
    return proc


def sessions(url: str, home: Path, base: str, satkers: list[str], person: str,
             n: int) -> list[str]:
    """``n`` session cookies (one personal link each, opened like a browser)."""
    secret = server_secret(home)
    factory = open_session_factory(url)
    links = []
    with factory.begin() as s:
        for name in satkers[:n]:
            made = ensure_link(s, name, person, secret)
            assert made is not None
            links.append(f"{base}/p/{made[1]}")
    factory.kw["bind"].dispose()
    cookies = []
    for link in links:
        with httpx.Client(base_url=base, timeout=60) as browser:  # the link, then "Masuk"
            assert browser.get(link).status_code == 303
            opened = browser.post("/portal/masuk")
            assert opened.status_code == 303, opened.text
            cookies.append(browser.cookies["monev_sesi"])
    return cookies


WRK_LUA = """
local cookies = {%s}
local n = 0
request = function()
  n = n + 1
  local h = {["Accept-Encoding"] = "gzip", ["Cookie"] = "monev_sesi=" .. cookies[n %% #cookies + 1]}
  return wrk.format("GET", nil, h)
end
done = function(summary, latency, requests)
  io.write(string.format("WRKJSON {\\"p50\\": %%d, \\"p95\\": %%d, \\"requests\\": %%d, "
    .. "\\"non2xx\\": %%d, \\"errors\\": %%d}\\n", latency:percentile(50),
    latency:percentile(95), summary.requests, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout))
end
"""


def wrk(base: str, path: str, cookies: list[str], seconds: int,
        script_dir: Path) -> dict[str, float]:
    """``wrk`` with 50 connections for ``seconds`` against ``path``, each request with the
    next session's cookie (50 sessions round robin); p50/p95 in seconds."""
    script = script_dir / "sessions.lua"
    script.write_text(WRK_LUA % ", ".join(f'"{c}"' for c in cookies), "utf-8")
    done = subprocess.run(["/usr/bin/wrk", "-t2", "-c50", f"-d{seconds}s", "--timeout", "30s",
                           "-s", str(script), base + path],
                          capture_output=True, text=True, check=True)
    line = next(x for x in done.stdout.splitlines() if x.startswith("WRKJSON "))
    found = json.loads(line[len("WRKJSON "):])
    if found["non2xx"] or found["errors"]:
        raise SystemExit(f"{path}: {found} {done.stdout}")
    return {"p50": found["p50"] / 1e6, "p95": found["p95"] / 1e6,
            "requests": found["requests"]}


def page_size(base: str, cookie: str, path: str) -> dict[str, int]:
    """Bytes of one page as sent compressed and as HTML."""
    with httpx.Client(base_url=base, cookies={"monev_sesi": cookie}, timeout=60,
                      headers={"Accept-Encoding": "gzip"}) as client:
        resp = client.get(path)
    sent = int(resp.headers.get("content-length") or len(resp.content))
    return {"html_bytes": len(resp.content), "sent_bytes": sent}


def bench_pages(base: str, sessions_of: dict[str, list[str]], rounds: int, seconds: int,
                work: Path) -> dict[str, Any]:
    pics, koords, ketuas = sessions_of["pic"], sessions_of["koordinator"], \
        sessions_of["ketua"]
    plan = [("health", pics, "/health"), ("tugas_saya", pics, "/portal/"),
            ("tugas_saya_koordinator", koords, "/portal/"), ("papan", ketuas, "/portal/papan")]
    for _, cookies, path in plan:  # warm up (imports, template compile, caches)
        wrk(base, path, cookies, 2, work)
    per_round: dict[str, list[tuple[float, float, float, int]]] = {n: [] for n, _, _ in plan}
    for r in range(rounds):
        order = plan[r % len(plan):] + plan[: r % len(plan)]
        for name, cookies, path in order:
            got = wrk(base, path, cookies, seconds, work)
            load_1m = os.getloadavg()[0]
            per_round[name].append((got["p50"], got["p95"], load_1m, int(got["requests"])))
            print(f"  round {r + 1} {name:<22} p50 {got['p50'] * 1000:7.1f} ms  "
                  f"p95 {got['p95'] * 1000:7.1f} ms  load {load_1m:4.1f}  "
                  f"({got['requests']} requests)")
    out: dict[str, Any] = {}
    for name, values in per_round.items():
        out[name] = {"p50_ms": round(statistics.median(v[0] for v in values) * 1000, 1),
                     "p95_ms": round(statistics.median(v[1] for v in values) * 1000, 1),
                     "load_1m": round(statistics.median(v[2] for v in values), 2),
                     "req_per_s": round(statistics.median(v[3] for v in values) / seconds, 1),
                     "rounds": [{"p50_ms": round(v[0] * 1000, 1), "p95_ms": round(v[1] * 1000, 1),
                                 "load_1m": round(v[2], 2)} for v in values]}
    for name, cookies, path in plan[1:]:
        out[name].update(page_size(base, cookies[0], path))
    for name in ("tugas_saya", "tugas_saya_koordinator", "papan"):
        out[name]["p50_ratio_to_health"] = round(out[name]["p50_ms"] /
                                                 out["health"]["p50_ms"], 1)
        out[name]["p95_ratio_to_health"] = round(out[name]["p95_ms"] /
                                                 out["health"]["p95_ms"], 1)
    return out


def open_checkpoints(client: httpx.Client) -> Iterator[tuple[int, str]]:
    """(checkpoint id, CSRF token) of the session's checkpoints with an upload form."""
    pages = "".join(client.get(p).text for p in (
        "/portal/", "/portal/?lihat=terlambat", "/portal/?lihat=dibuka"))
    for cp_id in dict.fromkeys(int(i) for i in re.findall(r'href="/portal/c/(\d+)"', pages)):
        page = client.get(f"/portal/c/{cp_id}").text
        csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
        if csrf and f'action="/portal/c/{cp_id}/kirim"' in page:
            yield cp_id, csrf.group(1)


def bench_upload(base: str, cookies: list[str], home: Path, rounds: int,
                 size_mb: int = 20) -> dict[str, Any]:
    """Upload vs plain copy of the same 20 MB file onto the same disk, interleaved (each
    run with the same --dir uses a few checkpoints up: the next PIC's when one has none
    left)."""
    def targets() -> Generator[tuple[httpx.Client, int, str], None, None]:
        for cookie in cookies:
            with httpx.Client(base_url=base, timeout=120,
                              cookies={"monev_sesi": cookie}) as client:
                for cp_id, csrf in open_checkpoints(client):
                    yield client, cp_id, csrf

    found = targets()
    src_dir = Path(tempfile.mkdtemp(dir=home, prefix="bench-"))
    copies, uploads = [], []
    for r in range(rounds):
        src = src_dir / f"laporan-{r}.pdf"
        src.write_bytes(b"%PDF-1.4\n" + os.urandom(size_mb * 1024 * 1024 - 9))
        t0 = time.perf_counter()
        shutil.copyfile(src, src_dir / f"copy-{r}.pdf")
        copies.append(time.perf_counter() - t0)
        client, cp_id, csrf = next(found)
        with src.open("rb") as f:
            t0 = time.perf_counter()
            resp = client.post(f"/portal/c/{cp_id}/kirim", data={"csrf": csrf},
                               files={"berkas": (src.name, f, "application/pdf")})
            uploads.append(time.perf_counter() - t0)
        if resp.status_code != 303:
            raise SystemExit(f"upload: HTTP {resp.status_code} {resp.text[:300]}")
        print(f"  round {r + 1} copy {copies[-1] * 1000:7.1f} ms  upload "
              f"{uploads[-1] * 1000:7.1f} ms")
    found.close()
    shutil.rmtree(src_dir)
    copy, upload = statistics.median(copies), statistics.median(uploads)
    return {"size_mb": size_mb, "copy_ms_median": round(copy * 1000, 1),
            "upload_ms_median": round(upload * 1000, 1),
            "ratio_upload_to_copy": round(upload / copy, 1),
            "upload_mb_per_s": round(size_mb / upload, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--plans", type=int, default=1100)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=8, help="of wrk per page per round")
    ap.add_argument("--dir", type=Path, help="keep the plans, home and config here; a "
                    "second run with the same --dir reuses the imported database")
    args = ap.parse_args()
    url = os.environ.get("MONEV_BENCH_POSTGRES_URL") or \
        os.environ.get("MONEV_TEST_POSTGRES_URL")
    if not url:
        raise SystemExit("set MONEV_BENCH_POSTGRES_URL (PostgreSQL; its schema is dropped)")
    res: dict[str, Any] = {"plans": args.plans, "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                           "cores": os.cpu_count(), "sessions": 50, "today": TODAY,
                           "load": "wrk -t2 -c50, 50 session cookies round robin"}
    with contextlib.ExitStack() as stack:
        tmp = args.dir or Path(stack.enter_context(
            tempfile.TemporaryDirectory(prefix="monev-bench-portal-")))
        work, home = tmp / "plans", tmp / "home"
        if (work / "monev.yaml").exists():
            config = work / "monev.yaml"
            satkers = [s["name"] for s in yaml.safe_load(config.read_text("utf-8"))["satkers"]]
        else:
            work.mkdir(parents=True)
            home.mkdir(mode=0o700)  # as `monev up` makes it: the app refuses a missing home
            config, satkers = prepare(url, home, args.plans, work)
        res["satkers"] = len(satkers)
        port = free_port()
        proc = start_app(url, home, config, port)
        with psycopg.connect(url, autocommit=True) as conn:  # after this code's migrations
            conn.execute("ANALYZE")
        base = f"http://127.0.0.1:{port}"
        try:
            pics = sessions(url, home, base, satkers, PIC, 50)
            koords = sessions(url, home, base, satkers[100:], KOORD, 50)
            ketuas = sessions(url, home, base, satkers[50:], KETUA, 50)
            print(f"pages, {args.rounds} rounds × {args.seconds} s of wrk, 50 sessions:")
            res["pages"] = bench_pages(base, {"pic": pics, "koordinator": koords,
                                              "ketua": ketuas}, args.rounds, args.seconds, tmp)
            print("upload 20 MB vs copy:")
            res["upload"] = bench_upload(base, pics, home, args.rounds)
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
