"""Inbound webhook benchmark (issue 23): acknowledgement latency of ``/masuk/whatsapp``
under 50 concurrent deliveries, against an empty 200 route on the same server.

The real app (``app.web.create_app``) under uvicorn as ``monev up`` runs it (a thread,
no access log, ``MONEV_HTTP_THREADS`` threads and pooled connections), the example ZI
plans in a real database (``tests.portal_app.prepare``: a SQLite file, then
PostgreSQL), and a local stand-in for the Cloud API (``tests.inbound_providers``)
serving a distinct ~200 kB PDF per media id. Every delivery is a correctly signed Cloud
API webhook with its own message id, from the real PIC of the checkpoint its caption
names (a bench copy of ``config/monev.yaml`` gives every such PIC a WhatsApp number),
with one document. ``wrk -t2 -c50`` posts a fixed number of prepared bodies per round
(each once; a thread that has sent its share re-sends earlier ones — a provider's
retry — until its share is answered). The floor: the same bodies, the same signed
headers, posted to ``POST /bench/kosong`` — an async route that reads the body and
answers an empty 200, mounted by this script's app wrapper only.

Rounds interleave webhook and floor (order alternating); after each webhook round the
script waits until every message of the round is handled (downloaded, stored,
submitted, reply queued) and records that time from the round's start. At the end it
checks every delivered message was stored exactly once: one ``inbound_message`` row
``done``, one evidence row naming it, one queued reply, one blob.

Run: ``tests/with_postgres.sh env PYTHONPATH=$PWD .venv/bin/python bench/bench_inbound.py``
(without MONEV_TEST_POSTGRES_URL only the SQLite arm runs).
Results: bench/results-inbound.json."""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import yaml
from fastapi import FastAPI, Request, Response

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_memory import wait_http  # noqa: E402
from sqlalchemy import select, text  # noqa: E402

from monev.config import load_config  # noqa: E402
from monev.engine.lifecycle import TRANSITIONS  # noqa: E402
from monev.engine.people import holders  # noqa: E402
from monev.store import models as m  # noqa: E402
from monev.store.db import make_engine  # noqa: E402
from tests.conftest import free_port  # noqa: E402
from tests.inbound_providers import SECRET, TOKEN, cloud_webhook, provider, signed  # noqa: E402
from tests.portal_app import CONFIG, PDF, TODAY, prepare  # noqa: E402

FLOOR = "/bench/kosong"
HOOK = "/masuk/whatsapp"
PDF_BYTES = 200 * 1024
SUBMITTABLE = TRANSITIONS["submit"][0] | TRANSITIONS["add"][0]


class MediaFiles(dict[str, bytes]):
    """Media ids ``B…`` → a distinct ~200 kB PDF made on request (no memory held)."""

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.startswith("B")

    def __getitem__(self, key: str) -> bytes:
        head = PDF.replace(b"<<>> endobj", f"<< /Title ({key}) >> endobj".encode())
        return head + b"%" + b"0" * (PDF_BYTES - len(head) - 2) + b"\n"


# --- the server: the app as `monev up` serves it, plus the floor route ------------------

def serve(port: int) -> None:
    """``create_app()`` under uvicorn in a thread, as ``app/cli/up.py`` starts it, with
    the floor route added to the FastAPI app behind ``FeedFront``."""
    import uvicorn

    from app.web import create_app

    front = create_app()
    api = front.app  # the FastAPI app behind FeedFront, as `monev up` mounts its sink
    assert isinstance(api, FastAPI)

    @api.post(FLOOR)
    async def empty(request: Request) -> Response:
        await request.body()
        return Response()

    web = uvicorn.Server(uvicorn.Config(front, host="127.0.0.1", port=port,
                                        log_level="error", access_log=False))
    thread = threading.Thread(target=web.run, name="monev-web", daemon=True)
    thread.start()
    thread.join()


def start_server(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([sys.executable, __file__, "serve", "--port", str(port)],
                            cwd=ROOT, env=env)
    try:
        wait_http(f"http://127.0.0.1:{port}/health", proc)
    except SystemExit:
        proc.kill()
        raise
    return proc


# --- the data: PICs with numbers, checkpoints they may answer -------------------------

def bench_config(url: str, work: Path) -> tuple[Path, list[tuple[str, str]]]:
    """A copy of the example configuration where every PIC of a submittable checkpoint
    has a WhatsApp number; returns it and (sender digits, "key@period") per checkpoint."""
    raw = yaml.safe_load(CONFIG.read_text("utf-8"))
    numbers: dict[tuple[str, str], str] = {}
    for i, sc in enumerate(raw["satkers"]):
        for j, person in enumerate(sc["people"]):
            person.setdefault("whatsapp", f"+628129{i:02d}{j:04d}")
            numbers[(sc["name"], person["name"])] = person["whatsapp"].lstrip("+")
    path = work / "monev.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), "utf-8")
    cfg = load_config(path)
    engine = make_engine(url)
    targets = []
    with engine.connect() as conn:
        rows = conn.execute(
            select(m.Satker.name, m.Area.name, m.Item.komponen, m.Item.key,
                   m.Checkpoint.period)
            .select_from(m.Checkpoint).join(m.Item).join(m.Area).join(m.Plan).join(m.Satker)
            .where(m.Checkpoint.status.in_(SUBMITTABLE), m.Item.active.is_(True))
            .order_by(m.Checkpoint.id)).all()
    engine.dispose()
    for satker, area, komponen, key, period in rows:
        sc = cfg.satker(satker)
        assert sc is not None
        pic = holders("pic", area, komponen, sc.people)[0]
        targets.append((numbers[(satker, pic.name)], f"{key}@{period}"))
    return path, targets


def write_bodies(path: Path, tag: str, targets: list[tuple[str, str]], n: int) -> list[str]:
    """``n`` signed deliveries (one per line: signature TAB body); their message ids."""
    ids, lines = [], []
    for i in range(n):
        sender, ref = targets[i % len(targets)]
        msg_id = f"wamid.bench-{tag}-{i:05d}"
        body = cloud_webhook(msg_id, f"B{tag}{i:05d}", f"bukti {ref}", sender)
        lines.append(signed(body, SECRET)["X-Hub-Signature-256"] + "\t" + body.decode())
        ids.append(msg_id)
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return ids


# --- the load: wrk with a fixed number of deliveries ------------------------------------

WRK_LUA = r"""
local counter = 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end
function init(args)
  local file, nthreads = args[1], tonumber(args[2])
  args_file = file
  reqs, sent, answered = {}, 0, 0
  local i = 0
  for line in io.lines(file) do
    if i % nthreads == id then
      local sig, body = line:match("^([^\t]+)\t(.*)$")
      reqs[#reqs + 1] = wrk.format("POST", nil, {["Content-Type"] = "application/json",
        ["X-Hub-Signature-256"] = sig}, body)
    end
    i = i + 1
  end
end
function request()
  sent = sent + 1
  return reqs[(sent - 1) % #reqs + 1]
end
function response(status, headers, body)
  answered = answered + 1
  if answered == #reqs then  -- this thread's share answered: tell the driver, stop
    io.open(args_file .. ".done" .. id, "w"):close()
    wrk.thread:stop()
  end
end
function done(summary, latency, requests)
  io.write(string.format("WRKJSON {\"p50\": %d, \"p95\": %d, \"p99\": %d, "
    .. "\"max\": %d, \"requests\": %d, \"duration_us\": %d, \"non2xx\": %d, "
    .. "\"errors\": %d}\n", latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, summary.requests, summary.duration,
    summary.errors.status, summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout))
end
"""


def wrk(url: str, bodies: Path, script: Path) -> dict[str, float]:
    """Every body of ``bodies`` posted once by ``wrk -t2 -c50``. wrk's main thread sleeps
    for the whole ``-d`` even when its threads stopped: each thread leaves a marker
    when its share is answered, and SIGINT (wrk's own way to end early) follows."""
    markers = [Path(f"{bodies}.done{i}") for i in range(2)]
    for marker in markers:
        marker.unlink(missing_ok=True)
    proc = subprocess.Popen(["/usr/bin/wrk", "-t2", "-c50", "-d300s", "--timeout", "30s",
                             "-s", str(script), url, "--", str(bodies), "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    while proc.poll() is None and not all(x.exists() for x in markers):
        time.sleep(0.005)
    proc.send_signal(signal.SIGINT)
    stdout, _ = proc.communicate(timeout=60)
    line = next(x for x in stdout.splitlines() if x.startswith("WRKJSON "))
    got = json.loads(line[len("WRKJSON "):])
    if got["non2xx"] or got["errors"]:
        raise SystemExit(f"{url}: {got}\n{stdout}")
    return {"p50_ms": got["p50"] / 1e3, "p95_ms": got["p95"] / 1e3,
            "p99_ms": got["p99"] / 1e3, "max_ms": got["max"] / 1e3,
            "answered": got["requests"],
            "req_per_s": got["requests"] / (got["duration_us"] / 1e6)}


def settled(url: str, ids: list[str], t0: float, timeout: float = 600) -> float:
    """Seconds from ``t0`` until every message in ``ids`` has left ``received``."""
    engine = make_engine(url)
    try:
        while True:
            with engine.connect() as conn:
                left = conn.execute(select(m.InboundMessage.provider_id).where(
                    m.InboundMessage.provider_id.in_(ids),
                    m.InboundMessage.status != "received")).all()
            if len(left) == len(ids):
                return time.perf_counter() - t0
            if time.perf_counter() - t0 > timeout:
                raise SystemExit(f"only {len(left)} of {len(ids)} handled")
            time.sleep(0.1)
    finally:
        engine.dispose()


def exactly_once(url: str, home: Path, ids: list[str]) -> dict[str, Any]:
    """Every delivered message: one ``done`` row, one evidence row, one reply, one blob."""
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(select(m.InboundMessage.provider_id, m.InboundMessage.status,
                                   m.InboundMessage.outcome)).all()
        notes = conn.execute(select(m.Evidence.note)).scalars().all()
        replies = conn.execute(select(m.Outbox.idem_key).where(m.Outbox.kind == "balasan")
                               ).scalars().all()
        statuses = Counter(r.status for r in rows)
        evidence = Counter(x.group(0) for n in notes
                           if (x := re.search(r"wamid\.bench-[\w-]+", n or "")))
        sample = [r.outcome for r in rows if r.status != "done"][:3]
        evidence_rows = conn.execute(text("SELECT count(*) FROM evidence")).scalar()
    engine.dispose()
    blobs = sum(1 for p in (home / "evidence").rglob("*") if p.is_file())
    wanted = set(ids)
    result = {
        "delivered": len(ids), "inbound_rows": len(rows), "statuses": dict(statuses),
        "evidence_rows": evidence_rows, "evidence_per_message": dict(Counter(
            evidence.get(i, 0) for i in ids)),
        "replies": sum(1 for k in replies if k.rsplit("|", 1)[-1] in wanted),
        "blobs": blobs, "not_done_sample": sample}
    result["ok"] = (len(rows) == len(ids) == statuses.get("done", 0)
                    and {r.provider_id for r in rows} == wanted
                    and result["evidence_per_message"] == {1: len(ids)}
                    and result["replies"] == len(ids) == blobs)
    return result


# --- one arm: a database, its server, the interleaved rounds -----------------------------

def run_arm(name: str, url: str, p_url: str, rounds: int, n: int, threads: int,
            work: Path) -> dict[str, Any]:
    home = work / name / "home"
    home.mkdir(parents=True, mode=0o700)
    os.environ.update(MONEV_TODAY=TODAY, MONEV_HOME=str(home))
    print(f"[{name}] preparing the example plans …", flush=True)
    prepare(url, home).kw["bind"].dispose()
    config, targets = bench_config(url, work / name)
    print(f"[{name}] {len(targets)} submittable checkpoints", flush=True)
    port = free_port()
    env = {**os.environ, "MONEV_DATABASE_URL": url, "MONEV_HOME": str(home),
           "MONEV_CONFIG": str(config), "MONEV_TODAY": TODAY,
           "MONEV_HTTP_PORT": str(port), "MONEV_HTTP_THREADS": str(threads),
           "MONEV_WHATSAPP_APP_SECRET": SECRET, "MONEV_WHATSAPP_VERIFY_TOKEN": "verif",
           "MONEV_WHATSAPP_TOKEN": TOKEN, "MONEV_WHATSAPP_GRAPH_URL": f"{p_url}/v21.0",
           "PYTHONPATH": str(ROOT)}
    for key in ("PREFECT_API_URL", "MONEV_FEED_DIR", "MONEV_PUBLIC_URL"):
        env.pop(key, None)
    script = work / "deliver.lua"
    script.write_text(WRK_LUA, "utf-8")
    base = f"http://127.0.0.1:{port}"
    proc = start_server(env, port)
    out: dict[str, Any] = {"rounds": []}
    delivered: list[str] = []
    try:
        floor_bodies = work / name / "floor.txt"
        write_bodies(floor_bodies, f"{name[0]}f", targets, n)
        for r in range(rounds):
            bodies = work / name / f"round{r}.txt"
            ids = write_bodies(bodies, f"{name[0]}{r}", targets[:n] if n <= len(targets)
                               else targets, n)
            got: dict[str, Any] = {}
            for kind in (("hook", "floor") if r % 2 == 0 else ("floor", "hook")):
                if kind == "floor":
                    got["floor"] = wrk(base + FLOOR, floor_bodies, script)
                    got["floor"]["load1"] = os.getloadavg()[0]
                    continue
                t0 = time.perf_counter()
                got["hook"] = wrk(base + HOOK, bodies, script)
                got["hook"]["load1"] = os.getloadavg()[0]
                got["hook"]["all_stored_s"] = settled(url, ids, t0)
                got["hook"]["stored_per_s"] = n / got["hook"]["all_stored_s"]
                got["hook"]["load1_stored"] = os.getloadavg()[0]
                delivered += ids
            got["p95_ratio"] = got["hook"]["p95_ms"] / got["floor"]["p95_ms"]
            print(f"[{name}] round {r + 1}: " + json.dumps(got), flush=True)
            out["rounds"].append(got)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    out["exactly_once"] = exactly_once(url, home, delivered)
    out["median"] = {
        kind: {k: statistics.median(rd[kind][k] for rd in out["rounds"])
               for k in out["rounds"][0][kind]} for kind in ("hook", "floor")}
    out["median"]["p95_ratio"] = statistics.median(rd["p95_ratio"] for rd in out["rounds"])
    print(f"[{name}] exactly once: {out['exactly_once']}", flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd")
    sv = sub.add_parser("serve")
    sv.add_argument("--port", type=int, required=True)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--deliveries", type=int, default=300, help="per round")
    ap.add_argument("--threads", type=int, default=40, help="MONEV_HTTP_THREADS")
    ap.add_argument("--arms", default="sqlite,postgresql")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results-inbound.json"))
    args = ap.parse_args()
    if args.cmd == "serve":
        return serve(args.port)
    work = Path(tempfile.mkdtemp(prefix="monev-bench-inbound-"))
    results: dict[str, Any] = {
        "what": "Cloud API webhook acknowledgement under wrk -t2 -c50 (each delivery "
                "signed, distinct, one ~200 kB PDF fetched in the background) vs an empty "
                "200 route on the same server; interleaved rounds, medians",
        "deliveries_per_round": args.deliveries, "http_threads": args.threads,
        "cpus": os.cpu_count(), "arms": {}}
    pg = os.environ.get("MONEV_BENCH_POSTGRES_URL") or os.environ.get(
        "MONEV_TEST_POSTGRES_URL")
    try:
        with provider() as p:
            p.files = MediaFiles()
            for arm in args.arms.split(","):
                if arm == "postgresql" and not pg:
                    print("no PostgreSQL (MONEV_TEST_POSTGRES_URL): arm skipped")
                    continue
                if arm == "postgresql":
                    assert pg is not None
                    engine = make_engine(pg)
                    with engine.begin() as conn:
                        conn.execute(text("DROP SCHEMA public CASCADE"))
                        conn.execute(text("CREATE SCHEMA public"))
                    engine.dispose()
                url = pg if arm == "postgresql" else f"sqlite:///{work / 'monev.db'}"
                assert url is not None
                results["arms"][arm] = run_arm(arm, url, p.url, args.rounds,
                                               args.deliveries, args.threads, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n", "utf-8")
    print(json.dumps({a: r["median"] for a, r in results["arms"].items()}, indent=2))


if __name__ == "__main__":
    main()
