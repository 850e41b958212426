"""Idle memory of ``monev up --sink`` (figures for the closing note, not a test).

Starts ``monev up --sink`` in a fresh ``MONEV_HOME`` on free ports, waits until the app
answers and the process tree's memory has settled, then sums RSS and PSS
(``/proc/<pid>/smaps_rollup``) over the whole tree: supervisor (with the HTTP app and
the Prefect runner in threads) and Prefect server. The floor, in the same rounds (interleaved): a
bare Prefect server started the same way (``flows.server.start_server``) plus a
uvicorn process serving a minimal ASGI responder. Also lists, per process, the
heavy shared libraries it has mapped (PDF, charts, images, Pango…), which tells what
was imported at start-up.

Run: ``.venv/bin/python bench/bench_memory.py [--rounds 3]``.
Results: bench/results-memory.json."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
SETTLE_SECONDS = 20.0  # after the app answers: the runner compiles, the server starts services
HEAVY = ("pdfium", "matplotlib", "PIL", "pango", "cairo", "lxml", "openpyxl", "numpy",
         "fontTools", "pdfplumber", "weasyprint", "_imaging", "kiwisolver")
FLOOR_APP = ("async def app(scope, receive, send):\n"
             "    if scope['type'] != 'http':\n        return\n"
             "    await send({'type': 'http.response.start', 'status': 200,\n"
             "                'headers': [(b'content-type', b'application/json')]})\n"
             "    await send({'type': 'http.response.body', 'body': b'{\"status\": \"ok\"}'})\n")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def tree(root: int) -> list[int]:
    """``root`` and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError):
            stat = Path(f"/proc/{entry}/stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def memory(pid: int) -> dict[str, Any]:
    """RSS and PSS (MB) of one process, what it runs, and the heavy libraries it maps."""
    fields: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        key, value = line.split(":", 1)
        fields[key] = int(value.split()[0])
    cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    maps = Path(f"/proc/{pid}/maps").read_text()
    return {"pid": pid, "cmd": " ".join(cmd.split()[1:5])[:80],
            "rss_mb": round(fields["Rss"] / 1024, 1), "pss_mb": round(fields["Pss"] / 1024, 1),
            "heavy": sorted({h for h in HEAVY if h in maps})}


def measure(root: int) -> dict[str, Any]:
    procs = []
    for pid in tree(root):
        with contextlib.suppress(OSError, KeyError):
            procs.append(memory(pid))
    return {"rss_mb": round(sum(p["rss_mb"] for p in procs), 1),
            "pss_mb": round(sum(p["pss_mb"] for p in procs), 1), "processes": procs}


def settle(root: int) -> dict[str, Any]:
    """Wait SETTLE_SECONDS, then until two samples 5 s apart differ by < 2 %."""
    time.sleep(SETTLE_SECONDS)
    last = measure(root)
    for _ in range(12):
        time.sleep(5)
        now = measure(root)
        if abs(now["pss_mb"] - last["pss_mb"]) < 0.02 * last["pss_mb"]:
            return now
        last = now
    return last


def wait_http(url: str, proc: subprocess.Popen[bytes], seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"exited with {proc.returncode} before answering {url}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code < 500:
                return
        time.sleep(0.5)
    raise SystemExit(f"{url} did not answer")


def wait_started(log: Path, proc: subprocess.Popen[bytes], seconds: float = 900) -> None:
    """Until ``monev up`` says it is up ("Tekan Ctrl-C"): its start-up catch-up (a child
    process that may print year-end reports with Chromium) has ended by then."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"monev up exited with {proc.returncode} while starting")
        if b"Tekan Ctrl-C" in log.read_bytes():
            return
        time.sleep(1)
    raise SystemExit("monev up did not finish starting")


def stop(proc: subprocess.Popen[bytes]) -> None:
    """INT (``monev up`` stops its children itself), then KILL the group if needed."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=60)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def run_up(folder: Path) -> dict[str, Any]:
    home = folder / "home"
    http = free_port()
    env = {**os.environ, "MONEV_HOME": str(home), "PYTHONPATH": str(ROOT),
           "MONEV_HTTP_PORT": str(http), "MONEV_PREFECT_PORT": str(free_port()),
           "MONEV_SMTP_SINK_PORT": str(free_port())}
    for key in ("PREFECT_API_URL", "MONEV_DATABASE_URL", "MONEV_CONFIG", "PREFECT_HOME",
                "MONEV_TODAY"):  # today: closed plans get their year-end reports
        env.pop(key, None)
    with (folder / "up.log").open("wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "app", "up", "--sink"], cwd=ROOT,
                                env=env, stdout=log, stderr=subprocess.STDOUT,
                                process_group=0)
    try:
        wait_http(f"http://127.0.0.1:{http}/health", proc)
        wait_started(folder / "up.log", proc)
        return settle(proc.pid)
    finally:
        stop(proc)


def run_floor(folder: Path) -> dict[str, Any]:
    """A bare Prefect server and a uvicorn process with a minimal responder."""
    sys.path.insert(0, str(ROOT))
    from flows.server import start_server

    prefect_port, http = free_port(), free_port()
    (folder / "floor_app.py").write_text(FLOOR_APP, "utf-8")
    server = start_server(folder / "prefect", prefect_port)
    app = subprocess.Popen([sys.executable, "-m", "uvicorn", "floor_app:app", "--host",
                            "127.0.0.1", "--port", str(http), "--log-level", "warning"],
                           cwd=folder, process_group=0)
    try:
        wait_http(f"http://127.0.0.1:{prefect_port}/api/health", server)
        wait_http(f"http://127.0.0.1:{http}/", app)
        time.sleep(SETTLE_SECONDS)
        parts = [settle(server.pid), measure(app.pid)]
        return {"rss_mb": round(sum(p["rss_mb"] for p in parts), 1),
                "pss_mb": round(sum(p["pss_mb"] for p in parts), 1),
                "processes": [p for part in parts for p in part["processes"]]}
    finally:
        for proc in (app, server):
            stop(proc)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    rounds: dict[str, list[dict[str, Any]]] = {"up": [], "floor": []}
    for r in range(args.rounds):
        order = ("up", "floor") if r % 2 == 0 else ("floor", "up")
        for name in order:
            with tempfile.TemporaryDirectory(prefix="monev-bench-memory-") as tmp:
                got = (run_up if name == "up" else run_floor)(Path(tmp))
            got["load_1m"] = round(os.getloadavg()[0], 2)
            rounds[name].append(got)
            print(f"round {r + 1} {name:<5} RSS {got['rss_mb']:6.1f} MB  PSS "
                  f"{got['pss_mb']:6.1f} MB  load {got['load_1m']:4.1f}")
            for p in got["processes"]:
                print(f"    {p['pid']:>7} {p['rss_mb']:6.1f} {p['pss_mb']:6.1f}  {p['cmd']}  "
                      f"{','.join(p['heavy'])}")
    res: dict[str, Any] = {"date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                           "cores": os.cpu_count(), "settle_seconds": SETTLE_SECONDS}
    for name, values in rounds.items():
        res[name] = {"rss_mb": statistics.median(v["rss_mb"] for v in values),
                     "pss_mb": statistics.median(v["pss_mb"] for v in values),
                     "load_1m": statistics.median(v["load_1m"] for v in values),
                     "processes": values[-1]["processes"]}
    res["up_minus_floor_pss_mb"] = round(res["up"]["pss_mb"] - res["floor"]["pss_mb"], 1)
    out = ROOT / "bench" / "results-memory.json"
    out.write_text(json.dumps(res, indent=1) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in res.items() if k not in ("up", "floor")}))
    print(f"written: {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
