"""Delivery benchmark (figures for the closing note, not a test).

Rounds of N digests (rendered by the real templates) in the outbox of a fresh SQLite
file; the dispatcher sends them through Apprise (our pooled ``smtp://`` plugin) to a
local SMTP sink (aiosmtpd in its own process, so the sink does not share our CPU
time). The floor is a plain ``smtplib`` loop sending the same messages over one
reused connection, measured in the same run, interleaved round by round; medians. RSS
is sampled during the last dispatcher round to show memory stays flat.
"""

from __future__ import annotations

import argparse
import json
import os
import smtplib
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, datetime
from email.mime.text import MIMEText
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from monev.digest import render_digest  # noqa: E402
from monev.store import models as m  # noqa: E402
from monev.store.db import open_session_factory  # noqa: E402
from notifiers.dispatch import dispatch  # noqa: E402


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_sink(port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-c",
                             "aiosmtpd.handlers.Sink", "-l", f"127.0.0.1:{port}"])
    for _ in range(100):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return proc
        time.sleep(0.05)
    raise RuntimeError("SMTP sink did not start")


def digests(n: int) -> list[tuple[str, str, str]]:
    """(address, subject, body) of ``n`` realistic daily digests."""
    out = []
    for i in range(n):
        items = [{"kind": kind, "ref": f"{i:012x}@2026-10", "step": "H-3",
                  "period": "2026-10", "due": "2026-10-30",
                  "bukti_fisik": f"Notulen rapat evaluasi pembangunan ZI nomor {i}",
                  "indikator": "Pelaksanaan monitoring dan evaluasi pembangunan ZI",
                  "area": "Manajemen Perubahan", "pic": "Pegawai", "subbagian": "Umum"}
                 for kind in ("pengingat", "terlambat", "dibuka")]
        subject, body = render_digest(f"Pegawai {i}", "pic", "KPU Kabupaten Contoh",
                                      date(2026, 10, 27), items, "Ketua Tim ZI", "email")
        out.append((f"pegawai{i}@example.org", subject, body))
    return out


def fill(url: str, messages: list[tuple[str, str, str]]) -> None:
    factory = open_session_factory(url)
    with factory.begin() as s:
        s.add_all(m.Outbox(idem_key=f"2026-10-27|bench|{i}|email", person=f"P{i}",
                           role="pic", channel="email", address=address, kind="harian",
                           day=date(2026, 10, 27), items=[], subject=subject, body=body,
                           status="pending", attempts=0, not_before=datetime(2026, 1, 1))
                  for i, (address, subject, body) in enumerate(messages))
    factory.kw["bind"].dispose()


def side_by_side(messages: list[tuple[str, str, str]], port: int, env: dict[str, str],
                 workers: int) -> dict[str, object]:
    """``workers`` dispatcher processes on one outbox: throughput, and proof that the
    atomic claim sends every row exactly once."""
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'side.db'}"
        fill(url, messages)
        code = ("from monev.store.db import open_session_factory\n"
                "from notifiers.dispatch import dispatch\n"
                f"r = dispatch(open_session_factory({url!r}), limit={len(messages)})\n"
                "print(len(r.sent))\n")
        t0 = time.perf_counter()
        procs = [subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, text=True,
                                  stdout=subprocess.PIPE, env={**os.environ, **env})
                 for _ in range(workers)]
        sent = [int((p.communicate()[0] or "0").strip() or 0) for p in procs]
        elapsed = time.perf_counter() - t0
        factory = open_session_factory(url)
        with factory() as s:
            statuses = {st: c for st, c in s.execute(
                select(m.Outbox.status, func.count()).group_by(m.Outbox.status))}
            attempts = s.scalar(select(func.count()).select_from(m.OutboxAttempt))
        factory.kw["bind"].dispose()
    assert sum(sent) == len(messages) == statuses.get("sent") == attempts, (sent, statuses)
    return {"workers": workers, "seconds": round(elapsed, 1),
            "msgs_per_s": round(len(messages) / elapsed, 1), "sent_per_worker": sent}


def floor(port: int, messages: list[tuple[str, str, str]]) -> float:
    """Seconds for plain ``smtplib`` to send ``messages`` over one reused connection."""
    t0 = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for address, subject, body in messages:
            msg = MIMEText(body, "plain", "utf-8")
            msg["Subject"], msg["From"], msg["To"] = subject, "monev@example.org", address
            smtp.send_message(msg)
    return time.perf_counter() - t0


def run(n: int, rounds: int) -> dict[str, object]:
    """``rounds`` × (dispatcher, floor) interleaved on ``n`` messages each; medians."""
    port = free_port()
    sink = start_sink(port)
    env = {"MONEV_SMTP_HOST": "127.0.0.1", "MONEV_SMTP_PORT": str(port),
           "MONEV_SMTP_MODE": "plain", "MONEV_SMTP_FROM": "monev@example.org"}
    messages = digests(n)
    dispatcher_s: list[float] = []
    floor_s: list[float] = []
    samples: list[tuple[float, float]] = []
    rss_start = rss_mb()
    try:
        for r in range(rounds):
            with tempfile.TemporaryDirectory() as tmp:
                url = f"sqlite:///{Path(tmp) / 'bench.db'}"
                fill(url, messages)
                factory = open_session_factory(url)
                done = threading.Event()

                def sample(done: threading.Event = done) -> None:
                    t0 = time.perf_counter()
                    while not done.wait(0.5):
                        samples.append((round(time.perf_counter() - t0, 1), round(rss_mb(), 1)))

                if r == rounds - 1:
                    threading.Thread(target=sample, daemon=True).start()
                t0 = time.perf_counter()
                report = dispatch(factory, env=env, limit=n)
                dispatcher_s.append(time.perf_counter() - t0)
                done.set()
                factory.kw["bind"].dispose()
            assert len(report.sent) == n, (len(report.sent), report.failed[:3])
            floor_s.append(floor(port, messages))
        parallel = side_by_side(messages[: max(1, n // 2)], port, env, 2)
    finally:
        sink.terminate()
        sink.wait()
    d, f = statistics.median(dispatcher_s), statistics.median(floor_s)
    return {
        "messages_per_round": n, "rounds": rounds,
        "dispatcher_msgs_per_s": round(n / d, 1),
        "smtplib_one_connection_msgs_per_s": round(n / f, 1),
        "ratio_dispatcher_to_floor": round(f / d, 3),
        "dispatcher_rounds_s": [round(x, 2) for x in dispatcher_s],
        "floor_rounds_s": [round(x, 2) for x in floor_s],
        "rss_mb_before": round(rss_start, 1),
        "rss_mb_max_during_last_round": max((r for _, r in samples), default=0.0),
        "two_dispatchers_half_the_messages": parallel,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results-notify.json")
    args = parser.parse_args()
    os.environ.setdefault("MONEV_HOME", tempfile.mkdtemp())
    result = run(args.n, args.rounds)
    print(json.dumps(result, indent=1))
    args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
