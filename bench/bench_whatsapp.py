"""WhatsApp gateway benchmark (issue 21): dispatcher → ``wajson://`` → a local
keep-alive HTTP sink, against the floor of a keep-alive ``httpx`` loop posting the same
JSON with the same headers to the same sink. Interleaved rounds, medians, the load
average beside each figure. The sink is a raw asyncio HTTP/1.1 keep-alive responder in
its own process (it frames requests by Content-Length and answers ``{"status": true}``),
so it is not the bottleneck.

Three figures per round: the dispatcher (outbox bookkeeping included, issue 21 item 1),
``send_message`` alone (the sending path, no database: one Apprise plugin for every
phone, :func:`notifiers.gateway.template`), and the floor."""

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
from datetime import date, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from monev.digest import render_digest  # noqa: E402
from monev.store import models as m  # noqa: E402
from monev.store.db import open_session_factory  # noqa: E402
from notifiers.dispatch import dispatch, send_message  # noqa: E402

SINK = r'''
import asyncio, sys

REPLY = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
         b"Content-Length: 16\r\n\r\n{\"status\": true}")


class Sink(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport, self.buf = transport, b""

    def data_received(self, data):
        self.buf += data
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buf[:end].lower()
            at = head.find(b"content-length:")
            length = int(head[at + 15:head.find(b"\r\n", at) if head.find(b"\r\n", at) > 0
                              else None]) if at >= 0 else 0
            if len(self.buf) < end + 4 + length:
                return
            self.buf = self.buf[end + 4 + length:]
            self.transport.write(REPLY)


async def main():
    server = await asyncio.get_running_loop().create_server(Sink, "127.0.0.1",
                                                            int(sys.argv[1]))
    await server.serve_forever()

asyncio.run(main())
'''
# Tuesday 10:00 WIB: the bench runs at any hour, its rows inside working hours
WORKING_HOURS = lambda: datetime(2026, 10, 27, 3)  # noqa: E731


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def load() -> float:
    return os.getloadavg()[0]


def start_sink(port: int, folder: Path) -> subprocess.Popen[bytes]:
    (folder / "wa_sink.py").write_text(SINK, encoding="utf-8")
    proc = subprocess.Popen([sys.executable, str(folder / "wa_sink.py"), str(port)])
    for _ in range(200):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return proc
        time.sleep(0.05)
    raise RuntimeError("HTTP sink did not start")


def messages(n: int) -> list[tuple[str, str]]:
    """(phone, body) of ``n`` realistic WhatsApp digests."""
    out = []
    for i in range(n):
        items = [{"kind": kind, "ref": f"{i:012x}@2026-10", "step": "H-3",
                  "period": "2026-10", "due": "2026-10-30",
                  "bukti_fisik": f"Notulen rapat evaluasi pembangunan ZI nomor {i}",
                  "indikator": "Pelaksanaan monitoring dan evaluasi pembangunan ZI",
                  "area": "Manajemen Perubahan", "pic": "Pegawai", "subbagian": "Umum"}
                 for kind in ("pengingat", "terlambat", "dibuka")]
        _, body = render_digest(f"Pegawai {i}", "pic", "KPU Kabupaten Contoh",
                                date(2026, 10, 27), items, "Ketua Tim ZI", "whatsapp")
        out.append((f"+6281{i:08d}", body))
    return out


def fill(url: str, msgs: list[tuple[str, str]]) -> None:
    factory = open_session_factory(url)
    with factory.begin() as s:
        s.add_all(m.Outbox(idem_key=f"2026-10-27|bench|{i}|wa", person=f"P{i}", role="pic",
                           channel="whatsapp", address=phone, kind="harian",
                           day=date(2026, 10, 27), items=[], subject="", body=body,
                           status="pending", attempts=0, not_before=datetime(2026, 1, 1))
                  for i, (phone, body) in enumerate(msgs))
    factory.kw["bind"].dispose()


def floor(port: int, msgs: list[tuple[str, str]]) -> float:
    """Seconds for one keep-alive httpx client to post the same requests."""
    headers = {"User-Agent": "Apprise", "X-Api-Key": "rahasia-bench",
               "Content-Type": "application/json"}
    t0 = time.perf_counter()
    with httpx.Client() as client:
        for phone, body in msgs:
            payload = {"target": phone.lstrip("+"), "message": body}
            reply = client.post(f"http://127.0.0.1:{port}/send", headers=headers,
                                content=json.dumps(payload))
            assert reply.json()["status"] is True
    return time.perf_counter() - t0


def run(n: int, rounds: int) -> dict[str, object]:
    port = free_port()
    env = {"MONEV_WHATSAPP_TOKEN": "rahasia-bench",
           "MONEV_WHATSAPP_URL": f"wajson://127.0.0.1:{port}/send?+X-Api-Key={{token}}"
                                 "&:target={phone_digits}&:title=&:version=&:type="}
    msgs = messages(n)
    figures: dict[str, list[tuple[float, float]]] = {"dispatcher": [], "plugin": [],
                                                     "floor": []}
    with tempfile.TemporaryDirectory() as tmp:
        sink = start_sink(port, Path(tmp))
        try:
            floor(port, msgs[:50])  # warm both sides up
            for r in range(rounds):
                url = f"sqlite:///{Path(tmp) / f'bench{r}.db'}"
                fill(url, msgs)
                factory = open_session_factory(url)
                la = load()
                t0 = time.perf_counter()
                report = dispatch(factory, env=env, limit=n, now=WORKING_HOURS)
                figures["dispatcher"].append((time.perf_counter() - t0, la))
                factory.kw["bind"].dispose()
                assert len(report.sent) == n, (len(report.sent), report.failed[:3])
                la = load()
                t0 = time.perf_counter()
                for phone, body in msgs:
                    send_message("whatsapp", phone, "", body, env)
                figures["plugin"].append((time.perf_counter() - t0, la))
                la = load()
                figures["floor"].append((floor(port, msgs), la))
        finally:
            sink.terminate()
            sink.wait()
    med = {k: statistics.median(s for s, _ in v) for k, v in figures.items()}
    return {
        "messages_per_round": n, "rounds": rounds, "cores": os.cpu_count(),
        "dispatcher_msgs_per_s": round(n / med["dispatcher"], 1),
        "plugin_only_msgs_per_s": round(n / med["plugin"], 1),
        "httpx_keepalive_floor_msgs_per_s": round(n / med["floor"], 1),
        "ratio_dispatcher_to_floor": round(med["floor"] / med["dispatcher"], 3),
        "ratio_plugin_to_floor": round(med["floor"] / med["plugin"], 3),
        "rounds_msgs_per_s_and_load1": {
            k: [(round(n / s, 1), round(la, 2)) for s, la in v] for k, v in figures.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results-whatsapp.json")
    args = parser.parse_args()
    os.environ.setdefault("MONEV_HOME", tempfile.mkdtemp())
    result = run(args.n, args.rounds)
    print(json.dumps(result, indent=1))
    args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
