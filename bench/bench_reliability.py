"""Kill and slow-server trials of the dispatcher (figures for the closing note).

- kills: a dispatcher process sending to a local SMTP sink is SIGKILLed at random
  moments and restarted until the outbox is done; the sink (its own process) logs
  every arrival. Counted: messages that arrived twice (duplicates), rows marked sent
  that never arrived (silent losses), rows left ``uncertain`` and how many of those
  never arrived (the admin must resend them; they are reported to the admin).
- slow servers: an SMTP server and a WhatsApp gateway that store each message and
  answer after the client's timeout; the dispatcher runs several passes. Counted:
  duplicates (must be 0), uncertain rows.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from collections import Counter
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from monev.store import models as m  # noqa: E402
from monev.store.db import open_session_factory  # noqa: E402

SMTP_SINK = textwrap.dedent("""
    import asyncio, sys
    from email import message_from_bytes
    from aiosmtpd.controller import Controller
    log, port, delay = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    class H:
        async def handle_DATA(self, server, session, envelope):
            subject = message_from_bytes(envelope.content)["Subject"]
            with open(log, "a") as f:
                f.write(subject + "\\n"); f.flush()
            if delay:
                await asyncio.sleep(delay)
            return "250 OK"
    Controller(H(), hostname="127.0.0.1", port=port).start()
    import time
    while True: time.sleep(3600)
    """)
GATEWAY = textwrap.dedent("""
    import json, sys, time
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    log, port, delay = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    class H(BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with open(log, "a") as f:
                f.write(body["text"].split("\\n")[0] + "\\n"); f.flush()
            time.sleep(delay)
            self.send_response(200); self.end_headers(); self.wfile.write(b'{"status": true}')
        def log_message(self, *a): pass
    ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
    """)
DISPATCHER = textwrap.dedent("""
    import sys
    from datetime import timedelta
    from monev.store.db import open_session_factory
    from notifiers.dispatch import dispatch
    dispatch(open_session_factory(sys.argv[1]), lease=timedelta(seconds=0), limit=10000)
    """)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int) -> None:
    for _ in range(200):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"port {port} did not open")


def fill(url: str, n: int, channel: str, address: str) -> None:
    factory = open_session_factory(url)
    with factory.begin() as s:
        s.add_all(m.Outbox(idem_key=f"b-{i}", person=f"P{i}", role="pic", channel=channel,
                           address=address, kind="harian", day=date(2026, 11, 2), items=[],
                           subject=f"baris {i}", body=f"baris {i}\n\nisi pesan {i}",
                           status="pending", attempts=0, not_before=datetime(2026, 1, 1))
                  for i in range(n))
    factory.kw["bind"].dispose()


def tally(url: str, log: Path) -> dict[str, int]:
    arrived = Counter(line.strip() for line in log.read_text().splitlines() if line.strip())
    factory = open_session_factory(url)
    with factory() as s:
        rows = [(r.subject, r.status) for r in s.scalars(select(m.Outbox))]
    factory.kw["bind"].dispose()
    statuses = Counter(status for _, status in rows)
    return {"rows": len(rows), "arrived": sum(arrived.values()),
            "duplicates": sum(1 for subject, _ in rows if arrived[subject] > 1),
            "silent_losses": sum(1 for subject, st in rows
                                 if arrived[subject] == 0 and st not in ("uncertain", "failed",
                                                                         "pending")),
            "uncertain": statuses["uncertain"],
            "uncertain_never_arrived": sum(1 for subject, st in rows
                                           if st == "uncertain" and arrived[subject] == 0),
            "sent": statuses["sent"], "pending_left": statuses["pending"]}


def kills(tmp: Path, rows: int, trials: int, seed: int) -> dict[str, object]:
    rng = random.Random(seed)
    port, log = free_port(), tmp / "kill.log"
    log.touch()
    sink = subprocess.Popen([sys.executable, "-c", SMTP_SINK, str(log), str(port), "0"])
    url = f"sqlite:///{tmp / 'kill.db'}"
    env = {**os.environ, "MONEV_HOME": str(tmp), "MONEV_SMTP_HOST": "127.0.0.1",
           "MONEV_SMTP_PORT": str(port), "MONEV_SMTP_MODE": "plain",
           "MONEV_SMTP_FROM": "monev@example.org"}
    killed = 0
    try:
        wait_port(port)
        fill(url, rows, "email", "pegawai@example.org")
        for _ in range(trials):
            proc = subprocess.Popen([sys.executable, "-c", DISPATCHER, url], cwd=ROOT, env=env)
            time.sleep(rng.uniform(0.6, 1.6))  # start-up ~0.5 s, then sending
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                killed += 1
            proc.wait()
        subprocess.run([sys.executable, "-c", DISPATCHER, url], cwd=ROOT, env=env, check=True)
    finally:
        sink.terminate()
        sink.wait()
    return {"kills": killed, **tally(url, log)}


def slow(tmp: Path, kind: str, rows: int, passes: int) -> dict[str, object]:
    port, log = free_port(), tmp / f"slow-{kind}.log"
    log.touch()
    script = SMTP_SINK if kind == "smtp" else GATEWAY
    server = subprocess.Popen([sys.executable, "-c", script, str(log), str(port), "3"])
    url = f"sqlite:///{tmp / f'slow-{kind}.db'}"
    env = {**os.environ, "MONEV_HOME": str(tmp), "MONEV_SMTP_HOST": "127.0.0.1",
           "MONEV_SMTP_PORT": str(port), "MONEV_SMTP_MODE": "plain",
           "MONEV_SMTP_FROM": "monev@example.org", "MONEV_SMTP_TIMEOUT": "1",
           "MONEV_WHATSAPP_TOKEN": "t",
           "MONEV_WHATSAPP_URL": f"wajson://127.0.0.1:{port}/send?+X-Api-Key={{token}}"
                                 "&:chatId={phone_digits}&:message=text&:title=&:version="
                                 "&:attachments=&:type=&rto=1"}
    channel, address = ("email", "pegawai@example.org") if kind == "smtp" else \
        ("whatsapp", "+6281200000011")
    try:
        wait_port(port)
        fill(url, rows, channel, address)
        for _ in range(passes):
            subprocess.run([sys.executable, "-c", DISPATCHER, url], cwd=ROOT, env=env,
                           check=True)
        time.sleep(4)  # the last answers are still on their way
    finally:
        server.terminate()
        server.wait()
    return {"server": kind, "passes": passes, **tally(url, log)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=60)
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results-reliability.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        result = {"kills": kills(Path(tmp), args.rows * 10, args.trials, seed=7),
                  "slow_smtp": slow(Path(tmp), "smtp", 10, 3),
                  "slow_gateway": slow(Path(tmp), "gateway", 10, 3)}
    print(json.dumps(result, indent=1))
    args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
