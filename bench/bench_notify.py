"""Delivery benchmark (figures for the closing note, not a test).

Rounds of N digests (rendered by the real templates) in the outbox of a fresh SQLite
file; the dispatcher sends them through Apprise (our pooled ``smtp://`` plugin) to
postfix's C ``smtp-sink`` (its own process, never the bottleneck). The floor does the
same work without the outbox: a plain ``smtplib`` loop on one connection building each
message with the e-mail package exactly as Apprise does (the same headers, checked
against Apprise's own builder before the run). Interleaved round by round, medians;
beside each figure the client's CPU per message and the 1-minute load average. RSS is
sampled during the last dispatcher round to show memory stays flat.
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
from email.header import Header
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr, make_msgid
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
    """postfix's ``smtp-sink`` (C, accepts and discards; root must name a user)."""
    user = ["-u", "nobody"] if os.geteuid() == 0 else []
    proc = subprocess.Popen(["/usr/sbin/smtp-sink", *user, f"127.0.0.1:{port}", "1000"],
                            stdout=subprocess.DEVNULL)
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
        code = ("from datetime import datetime\n"
                "from monev.store.db import open_session_factory\n"
                "from notifiers.dispatch import dispatch\n"
                f"r = dispatch(open_session_factory({url!r}), limit={len(messages)}, "
                "now=lambda: datetime(2026, 10, 27, 3))\n"
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


FROM = ("Monev", "monev@example.org")
# Tuesday 10:00 WIB: the bench runs at any hour, its rows inside working hours
WORKING_HOURS = lambda: datetime(2026, 10, 27, 3)  # noqa: E731


def charset(value: str) -> str | None:
    return None if value.isascii() else "utf-8"


def floor_message(subject: str, body: str, to: str) -> str:
    """The message as Apprise's e-mail plugin writes it (same headers, same order)."""
    msg = MIMEText(body, "plain", "utf-8")
    msg["X-Application"] = Header("Apprise", charset("Apprise"))
    msg["Subject"] = Header(subject, charset(subject))
    msg["From"] = formataddr(FROM, charset="utf-8")
    msg["To"] = formataddr((False, to), charset="utf-8")  # type: ignore[arg-type]
    msg["Message-ID"] = make_msgid(domain="127.0.0.1")
    msg["Date"] = format_datetime(datetime.now().astimezone())
    return msg.as_string()


def same_headers_as_apprise(messages: list[tuple[str, str, str]]) -> None:
    """The floor's headers are Apprise's, name for name and value for value."""
    from apprise.plugins.email.base import NotifyEmail

    address, subject, body = messages[0]
    made = next(NotifyEmail.prepare_emails(
        subject=subject, body=body, notify_format="text", from_addr=FROM,
        to=[(False, address)], smtp_host="127.0.0.1", headers={"X-Application": "Apprise"}))
    ours = floor_message(subject, body, address)
    skip = ("Message-ID", "Date")

    def head(text: str) -> list[str]:
        lines = text.split("\n\n", 1)[0].split("\n")
        return [x for x in lines if not x.startswith(skip)]

    assert head(made.body) == head(ours), (head(made.body), head(ours))
    assert made.body.split("\n\n", 1)[1] == ours.split("\n\n", 1)[1]


def floor(port: int, messages: list[tuple[str, str, str]]) -> tuple[float, float]:
    """(seconds, CPU seconds) for plain ``smtplib`` to build and send ``messages`` over
    one reused connection."""
    t0, c0 = time.perf_counter(), time.process_time()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for address, subject, body in messages:
            smtp.sendmail(FROM[1], [address], floor_message(subject, body, address))
    return time.perf_counter() - t0, time.process_time() - c0


def dispatcher_round(messages: list[tuple[str, str, str]], env: dict[str, str],
                     sample_rss: list[tuple[float, float]] | None) -> tuple[float, float]:
    """(seconds, CPU seconds) for the dispatcher to send ``messages`` from a fresh outbox."""
    n = len(messages)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        fill(url, messages)
        factory = open_session_factory(url)
        done = threading.Event()

        def sample() -> None:
            t0 = time.perf_counter()
            while not done.wait(0.5) and sample_rss is not None:
                sample_rss.append((round(time.perf_counter() - t0, 1), round(rss_mb(), 1)))

        if sample_rss is not None:
            threading.Thread(target=sample, daemon=True).start()
        t0, c0 = time.perf_counter(), time.process_time()
        report = dispatch(factory, env=env, limit=n, now=WORKING_HOURS)
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
        done.set()
        factory.kw["bind"].dispose()
    assert len(report.sent) == n, (len(report.sent), report.failed[:3])
    return elapsed, cpu


def run(n: int, rounds: int) -> dict[str, object]:
    """``rounds`` × (dispatcher, floor) interleaved on ``n`` messages each; medians."""
    port = free_port()
    sink = start_sink(port)
    env = {"MONEV_SMTP_HOST": "127.0.0.1", "MONEV_SMTP_PORT": str(port),
           "MONEV_SMTP_MODE": "plain", "MONEV_SMTP_FROM": FROM[1]}
    messages = digests(n)
    same_headers_as_apprise(messages)
    figures: dict[str, list[dict[str, float]]] = {"dispatcher": [], "floor": []}
    samples: list[tuple[float, float]] = []
    rss_start = rss_mb()
    floor(port, messages[:100])  # warm both paths (imports, first connection)
    dispatcher_round(messages[:100], env, None)
    try:
        for r in range(rounds):
            for name in ("dispatcher", "floor") if r % 2 == 0 else ("floor", "dispatcher"):
                if name == "dispatcher":
                    wall, cpu = dispatcher_round(messages, env,
                                                 samples if r == rounds - 1 else None)
                else:
                    wall, cpu = floor(port, messages)
                figures[name].append({"msgs_per_s": round(n / wall, 1),
                                      "cpu_ms_per_msg": round(cpu / n * 1000, 3),
                                      "load_1min": round(os.getloadavg()[0], 2)})
        parallel = side_by_side(messages[: max(1, n // 2)], port, env, 2)
    finally:
        sink.terminate()
        sink.wait()

    def median(name: str, key: str) -> float:
        return round(statistics.median(x[key] for x in figures[name]), 3)

    d, f = median("dispatcher", "msgs_per_s"), median("floor", "msgs_per_s")
    return {
        "messages_per_round": n, "rounds": rounds, "sink": "postfix smtp-sink",
        "dispatcher_msgs_per_s": d, "floor_msgs_per_s": f,
        "ratio_dispatcher_to_floor": round(d / f, 3),
        "ratio_per_round": [round(a["msgs_per_s"] / b["msgs_per_s"], 3)
                            for a, b in zip(figures["dispatcher"], figures["floor"],
                                            strict=True)],
        "dispatcher_cpu_ms_per_msg": median("dispatcher", "cpu_ms_per_msg"),
        "floor_cpu_ms_per_msg": median("floor", "cpu_ms_per_msg"),
        "rounds_detail": figures,
        "rss_mb_before": round(rss_start, 1),
        "rss_mb_max_during_last_round": max((r for _, r in samples), default=0.0),
        "two_dispatchers_half_the_messages": parallel,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results-notify.json")
    args = parser.parse_args()
    os.environ.setdefault("MONEV_HOME", tempfile.mkdtemp())
    result = run(args.n, args.rounds)
    print(json.dumps(result, indent=1))
    args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
