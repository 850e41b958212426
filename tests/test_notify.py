"""Reminders delivered for real: an SMTP server (aiosmtpd) and a WhatsApp gateway (HTTP)
on 127.0.0.1, faults included. Nothing leaves this machine."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from monev.config import load_config
from monev.digest import WHATSAPP_LIMIT
from monev.engine.sweep import sweep_plan
from monev.links import link_by_token
from monev.plans import load_plan
from monev.store import models as m
from monev.store.imports import import_plan
from notifiers.dispatch import dispatch
from tests.conftest import ROOT, ZI_MUARO, Sink, free_port, smtp_env

CFG = load_config(ROOT / "config" / "monev.yaml")
MUARO = CFG.satker("KPU Kabupaten Muaro Jambi")


def _swept(sessions: sessionmaker[Session], day: date) -> None:
    assert MUARO is not None
    with sessions.begin() as s:
        import_plan(s, load_plan(ZI_MUARO), MUARO.calendar(), date(2025, 7, 7), "v1")
    for d in (date(2025, 10, 1), day):
        with sessions.begin() as s:
            sweep_plan(s, 1, d, MUARO.calendar(), MUARO.settings(), MUARO)


def test_digest_emails_arrive_once(sessions: sessionmaker[Session],
                                   smtp: tuple[Sink, int]) -> None:
    sink, port = smtp
    _swept(sessions, date(2025, 10, 28))  # H-3 for October, and the 1 Oct openings
    later = lambda: datetime(2025, 10, 28, 3, 0)  # noqa: E731 - 10:00 WIB
    report = dispatch(sessions, now=later, env=smtp_env(port))
    with sessions() as s:
        rows = s.scalars(select(m.Outbox).where(m.Outbox.channel == "email")).all()
    assert report.sent and not report.failed
    assert sorted(x["to"][0] for x in sink.messages) == sorted(r.address for r in rows
                                                               if r.status == "sent")
    per_person = [x["to"][0] for x in sink.messages]
    days = {(r.day, r.address) for r in rows}
    assert len(per_person) == len(days), "one digest per person per channel per day"
    reminder = [x for x in sink.messages if "jatuh tempo 31 Okt" in x["subject"]]
    assert reminder and "Segera jatuh tempo" in reminder[0]["body"]
    body = reminder[0]["body"]
    assert "monev evidence" not in body and "monev tasks" not in body, "no command for staff"
    found = re.findall(r"Buka: http://\S+/p/([A-Za-z0-9_-]{43})/c/(\d+)", body)
    assert found, body
    assert MUARO is not None
    recipient = next(p for p in MUARO.people if p.email == reminder[0]["to"][0])
    with sessions() as s:
        for token, cp_id in found:  # each item through the recipient's own link
            link = link_by_token(s, token)
            assert link is not None and link.person == recipient.name
            assert s.get(m.Checkpoint, int(cp_id)) is not None
    assert "Semua tugas Anda: http://" in body
    # a second dispatcher run and a re-run of the same sweep send nothing new
    assert not dispatch(sessions, now=later, env=smtp_env(port)).sent
    with sessions.begin() as s:
        assert MUARO is not None
        sweep_plan(s, 1, date(2025, 10, 28), MUARO.calendar(), MUARO.settings(), MUARO)
    assert not dispatch(sessions, now=later, env=smtp_env(port)).sent
    assert len(sink.messages) == len(per_person)


def test_quiet_hours_and_days_off_hold_messages(sessions: sessionmaker[Session]) -> None:
    _swept(sessions, date(2025, 10, 25))  # a Saturday: H-7 of October is due
    with sessions() as s:
        times = set(s.scalars(select(m.Outbox.not_before).where(
            m.Outbox.day == date(2025, 10, 25))))
    assert times == {datetime(2025, 10, 27, 0, 0)}  # Monday 07:00 WIB


def test_smtp_down_then_up_delivers_everything(sessions: sessionmaker[Session]) -> None:
    _swept(sessions, date(2025, 10, 28))
    port = free_port()
    clock = [datetime(2025, 10, 28, 3, 0)]
    first = dispatch(sessions, now=lambda: clock[0], env=smtp_env(port))
    assert not first.sent and first.retrying
    sink = Sink()
    ctl = Controller(sink, hostname="127.0.0.1", port=port)
    ctl.start()
    try:
        clock[0] += timedelta(minutes=5)
        second = dispatch(sessions, now=lambda: clock[0], env=smtp_env(port))
    finally:
        ctl.stop()
    with sessions() as s:
        emails = set(s.scalars(select(m.Outbox.id).where(m.Outbox.channel == "email")))
    assert emails <= {i for i, _ in first.retrying}
    assert set(second.sent) == emails
    assert len(sink.messages) == len(emails)
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(m.Outbox).where(
            m.Outbox.channel == "email", m.Outbox.status != "sent")) == 0
        attempts = s.scalar(select(func.count()).select_from(m.OutboxAttempt).where(
            m.OutboxAttempt.outbox_id.in_(emails))) or 0
    assert attempts == 2 * len(emails)


class Gateway(BaseHTTPRequestHandler):
    posts: list[dict[str, Any]] = []
    status = 200

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers["Content-Length"])
        Gateway.posts.append({"path": self.path, "token": self.headers.get("X-Api-Key"),
                              "json": json.loads(self.rfile.read(length))})
        self.send_response(Gateway.status)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def http_server(handler: type[BaseHTTPRequestHandler], port: int = 0) -> Iterator[int]:
    """A real HTTP server on 127.0.0.1 in a thread; yields its port."""
    server = ThreadingHTTPServer(("127.0.0.1", port or free_port()), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()


@pytest.fixture
def gateway() -> Iterator[int]:
    Gateway.posts, Gateway.status = [], 200
    with http_server(Gateway) as port:
        yield port


def waha_env(port: int, scheme: str = "json") -> dict[str, str]:
    return {"MONEV_WHATSAPP_TOKEN": "rahasia-uji",
            "MONEV_WHATSAPP_URL": f"{scheme}://127.0.0.1:{port}/api/sendText?+X-Api-Key={{token}}"
                                  "&:chatId={phone_digits}@c.us&:session=default"
                                  "&:message=text&:title=&:version=&:attachments=&:type="}


@pytest.mark.parametrize("scheme", ["json", "wajson"])
def test_whatsapp_gateway_gets_exact_json(sessions: sessionmaker[Session], gateway: int,
                                          scheme: str) -> None:
    _swept(sessions, date(2025, 10, 28))
    env = {**waha_env(gateway, scheme), **smtp_env(free_port())}
    dispatch(sessions, now=lambda: datetime(2025, 10, 28, 3), env=env)
    with sessions() as s:
        wa = s.scalars(select(m.Outbox).where(m.Outbox.channel == "whatsapp")).all()
    assert wa and all(r.status == "sent" for r in wa)
    assert len(Gateway.posts) == len(wa)
    post = Gateway.posts[0]
    assert post["path"] == "/api/sendText" and post["token"] == "rahasia-uji"
    assert set(post["json"]) == {"chatId", "session", "text"}
    assert post["json"]["chatId"] in {f"{r.address.lstrip('+')}@c.us" for r in wa}
    assert post["json"]["session"] == "default"
    assert len(post["json"]["text"]) <= WHATSAPP_LIMIT and "[Monev]" in post["json"]["text"]


def test_gateway_errors_are_retried_then_reported(sessions: sessionmaker[Session],
                                                  gateway: int) -> None:
    _swept(sessions, date(2025, 10, 28))
    Gateway.status = 500
    env = {**waha_env(gateway), **smtp_env(free_port())}
    clock = [datetime(2025, 10, 28, 3)]
    for _ in range(5):
        dispatch(sessions, now=lambda: clock[0], env=env, max_attempts=3)
        clock[0] += timedelta(hours=1)
    with sessions() as s:
        wa = s.scalars(select(m.Outbox).where(m.Outbox.channel == "whatsapp")).all()
    assert wa and all(r.status == "failed" and r.attempts == 3 for r in wa)
    assert all("500" in r.last_error or r.last_error for r in wa)
    assert len(Gateway.posts) == 3 * len(wa)


def _settled(sink: Sink, quiet: float = 1.5) -> int:
    """The sink's message count once nothing has arrived for ``quiet`` seconds."""
    count, since = len(sink.messages), time.monotonic()
    while time.monotonic() - since < quiet:
        time.sleep(0.05)
        if len(sink.messages) != count:
            count, since = len(sink.messages), time.monotonic()
    return count


def test_killed_dispatcher_never_sends_twice(db_url: str) -> None:
    """A real dispatcher process killed with SIGKILL mid-batch, then restarted: the row
    whose send had begun becomes uncertain (never resent); the rows of the batch not
    yet attempted go back to pending after the lease and are sent once."""
    from monev.store.db import open_session_factory

    url = db_url
    factory = open_session_factory(url)
    with factory.begin() as s:
        for i in range(12):
            s.add(m.Outbox(idem_key=f"k{i}", person=f"P{i}", channel="email",
                           address=f"p{i}@example.org", kind="harian", day=date(2025, 10, 1),
                           items=[], subject=f"s{i}", body="isi", status="pending",
                           not_before=datetime(2025, 1, 1)))
    sink, port = Sink(delay=0.4), free_port()
    ctl = Controller(sink, hostname="127.0.0.1", port=port)
    ctl.start()
    try:
        code = ("from monev.store.db import open_session_factory\n"
                "from notifiers.dispatch import dispatch\n"
                f"dispatch(open_session_factory({url!r}))\n")
        env = {**os.environ, **smtp_env(port)}
        proc = subprocess.Popen([sys.executable, "-c", code], env=env, cwd=ROOT)
        deadline = time.monotonic() + 60
        while len(sink.messages) < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.2)  # most likely inside the next send
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        before = _settled(sink)  # a message whose DATA was sent still arrives (sink delay)
        assert 4 <= before < 12
        with factory() as s:  # one batch: every row claimed, the tail never attempted
            left = {r.address: (r.status, r.claimed_at, r.attempts)
                    for r in s.scalars(select(m.Outbox))}
        unstarted = {a for a, (st, claimed_at, _) in left.items()
                     if st == "sending" and claimed_at is not None}
        assert unstarted and all(a not in {x["to"][0] for x in sink.messages}
                                 for a in unstarted)
        assert sum(1 for st, c, _ in left.values() if st == "sending" and c is None) <= 1
        # restarted at once: the interrupted batch is left alone while its lease runs …
        assert dispatch(factory, env=smtp_env(port)).uncertain == []
        assert len(sink.messages) == before
        # … and once the lease is over, the row whose send began is marked uncertain,
        # never resent, and the rows never attempted are sent, once
        later = datetime.utcnow() + timedelta(minutes=11)
        report = dispatch(factory, env=smtp_env(port), now=lambda: later)
    finally:
        ctl.stop()
    assert unstarted <= {x["to"][0] for x in sink.messages[before:]}
    with factory() as s:
        tries = {r.address: r.attempts for r in s.scalars(select(m.Outbox))}
        attempt_rows = s.scalar(select(func.count()).select_from(m.OutboxAttempt))
    assert all(tries[a] == 1 for a in unstarted), "an unattempted claim is no attempt"
    assert attempt_rows == 12
    received = [x["to"][0] for x in sink.messages]
    assert len(received) == len(set(received)), "no message was sent twice"
    with factory() as s:
        rows = {r.address: r.status for r in s.scalars(select(m.Outbox))}
    assert set(rows.values()) <= {"sent", "uncertain"}
    assert {a for a, st in rows.items() if st == "sent"} <= set(received)
    assert len(report.uncertain) <= 1
    assert len([st for st in rows.values() if st == "sent"]) + len(report.uncertain) == 12
    # The admin sees the uncertain row and decides: resend it, or dismiss it.
    from typer.testing import CliRunner

    from app.cli import app

    shown = CliRunner().invoke(app, ["outbox", "--status", "uncertain", "--json"],
                               env={"MONEV_DATABASE_URL": url, "COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    listed = json.loads(shown.stdout)
    assert {r["id"] for r in listed} == set(report.uncertain)
    assert all(r["status_label"] == "tidak pasti" for r in listed)
    done = CliRunner().invoke(app, ["outbox", "--dismiss", "1", "--dismiss", "999"],
                              env={"MONEV_DATABASE_URL": url, "COLUMNS": "200"})
    assert done.exit_code == 1, "refusing a sent row is an error"
    assert "bukan: 1, 999" in done.output
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(m.Outbox).where(
            m.Outbox.status == "sent")) == 12 - len(report.uncertain)
    factory.kw["bind"].dispose()


def test_batched_dispatch_writes_apprise_s_message(sessions: sessionmaker[Session]) -> None:
    """On the wire, a batched dispatch sends what Apprise's e-mail plugin builds: the same
    headers in the same order, the same body (Message-ID and Date differ per message)."""
    from apprise.plugins.email.base import NotifyEmail

    class Raw:
        def __init__(self) -> None:
            self.data: list[bytes] = []

        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            self.data.append(envelope.content)
            return "250 OK"

    with sessions.begin() as s:
        for i in range(3):
            s.add(m.Outbox(idem_key=f"w{i}", person=f"P{i}", channel="email",
                           address=f"p{i}@example.org", kind="harian", day=date(2025, 10, 1),
                           items=[], subject=f"[Monev] {i} tugas — jatuh tempo 31 Okt",
                           body=f"Yth. P{i},\n\nisi pesan {i}\n", status="pending",
                           not_before=datetime(2025, 1, 1)))
    raw, port = Raw(), free_port()
    ctl = Controller(raw, hostname="127.0.0.1", port=port)
    ctl.start()
    try:
        assert len(dispatch(sessions, env=smtp_env(port), batch_size=2).sent) == 3
    finally:
        ctl.stop()

    def head(text: str) -> list[str]:
        lines = text.replace("\r\n", "\n").split("\n\n", 1)[0].split("\n")
        return [x for x in lines if not x.startswith(("Message-ID:", "Date:"))]

    for i, got in enumerate(raw.data):
        made = next(NotifyEmail.prepare_emails(
            subject=f"[Monev] {i} tugas — jatuh tempo 31 Okt",
            body=f"Yth. P{i},\n\nisi pesan {i}\n", notify_format="text",
            from_addr=("Monev", "monev@example.org"), to=[(False, f"p{i}@example.org")],
            smtp_host="127.0.0.1", headers={"X-Application": "Apprise"})).body
        text = got.decode()
        assert head(text) == head(made)
        assert text.replace("\r\n", "\n").split("\n\n", 1)[1].strip() == \
            made.split("\n\n", 1)[1].strip()
        assert re.search(r"^Message-ID: <[^>]+@127\.0\.0\.1>\r?$", text, re.M)


class Fonnte(BaseHTTPRequestHandler):
    """A Fonnte-like gateway: form posts, answers 200 with ``status`` in the body."""

    posts: list[dict[str, Any]] = []
    reply: bytes = b'{"status": true, "detail": "success! message in queue"}'
    delay = 0.0

    def do_POST(self) -> None:  # noqa: N802
        from urllib.parse import parse_qs

        length = int(self.headers["Content-Length"])
        fields = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        Fonnte.posts.append({"auth": self.headers.get("Authorization"), "form": fields})
        time.sleep(Fonnte.delay)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(Fonnte.reply)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def fonnte() -> Iterator[int]:
    Fonnte.posts, Fonnte.delay = [], 0.0
    Fonnte.reply = b'{"status": true, "detail": "success! message in queue"}'
    with http_server(Fonnte) as port:
        yield port


def fonnte_env(port: int, scheme: str = "waform") -> dict[str, str]:
    return {"MONEV_WHATSAPP_TOKEN": "token-uji",
            "MONEV_WHATSAPP_URL": f"{scheme}://127.0.0.1:{port}/send?+Authorization={{token}}"
                                  "&:target={phone_digits}&:title=&:version=&:type="
                                  "&rto=1&cto=1"}


def test_fonnte_form_gateway_and_failure_in_a_200_reply(sessions: sessionmaker[Session],
                                                        fonnte: int) -> None:
    _swept(sessions, date(2025, 10, 28))
    env = {**fonnte_env(fonnte), **smtp_env(free_port())}
    at = datetime(2025, 10, 28, 3)
    report = dispatch(sessions, now=lambda: at, env=env)
    with sessions() as s:
        wa = s.scalars(select(m.Outbox).where(m.Outbox.channel == "whatsapp")).all()
    assert wa and {r.id for r in wa} <= set(report.sent)
    assert len(Fonnte.posts) == len(wa)
    assert all(p["auth"] == "token-uji" for p in Fonnte.posts)
    assert all(set(p["form"]) == {"target", "message"} for p in Fonnte.posts)
    assert {p["form"]["target"] for p in Fonnte.posts} == {r.address[1:] for r in wa}
    # A bad token: HTTP 200 but {"status": false} — a failure with the gateway's reason.
    _swept(sessions, date(2025, 10, 30))
    Fonnte.reply = b'{"status": false, "reason": "invalid token"}'
    dispatch(sessions, now=lambda: datetime(2025, 10, 30, 3), env=env, max_attempts=1)
    with sessions() as s:
        bad = s.scalars(select(m.Outbox).where(m.Outbox.channel == "whatsapp",
                                               m.Outbox.day == date(2025, 10, 30))).all()
    assert bad and all(r.status == "failed" and "invalid token" in r.last_error for r in bad)
    # Plain form:// cannot see the body: the same reply counts as sent (documented).
    plain = {**fonnte_env(fonnte, "form"), **smtp_env(free_port())}
    _swept(sessions, date(2025, 10, 31))
    report = dispatch(sessions, now=lambda: datetime(2025, 10, 31, 3), env=plain)
    with sessions() as s:
        wa_sent = s.scalars(select(m.Outbox.id).where(
            m.Outbox.channel == "whatsapp", m.Outbox.day == date(2025, 10, 31))).all()
    assert set(wa_sent) <= set(report.sent)


def test_gateway_late_answer_is_uncertain_never_resent(sessions: sessionmaker[Session],
                                                       fonnte: int) -> None:
    """A gateway that takes the message and answers after the read timeout: the outcome
    is unknown, so the row is "uncertain" for the admin — never sent a second time."""
    _swept(sessions, date(2025, 10, 28))
    Fonnte.delay = 2.5  # longer than the URL's rto=1
    Fonnte.posts = []
    env = {**fonnte_env(fonnte), **smtp_env(free_port())}
    clock = [datetime(2025, 10, 28, 3)]
    for _ in range(3):
        dispatch(sessions, now=lambda: clock[0], env=env, max_attempts=2)
        clock[0] += timedelta(hours=1)
    with sessions() as s:
        wa = s.scalars(select(m.Outbox).where(m.Outbox.channel == "whatsapp")).all()
    assert wa and all(r.status == "uncertain" and r.attempts == 1 for r in wa)
    assert all("tidak menjawab" in r.last_error for r in wa)
    assert all("token-uji" not in r.last_error for r in wa)
    assert len(Fonnte.posts) == len(wa), "each message reached the gateway exactly once"


def test_smtp_late_answer_is_uncertain_never_resent(sessions: sessionmaker[Session]) -> None:
    """The SMTP server stores the message but answers the final dot after our timeout."""

    class LateSink(Sink):
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            import asyncio

            answer = await super().handle_DATA(server, session, envelope)  # stored …
            await asyncio.sleep(2.5)  # … answered late (responsive to others meanwhile)
            return answer

    _swept(sessions, date(2025, 10, 28))
    sink, port = LateSink(), free_port()
    env = {**smtp_env(port), "MONEV_SMTP_TIMEOUT": "1"}
    ctl = Controller(sink, hostname="127.0.0.1", port=port)
    ctl.start()
    clock = [datetime(2025, 10, 28, 3)]
    try:
        for _ in range(2):
            dispatch(sessions, now=lambda: clock[0], env=env, limit=2)
            clock[0] += timedelta(hours=1)
        time.sleep(3)  # let the slow server finish storing
    finally:
        ctl.stop()
    with sessions() as s:
        rows = s.scalars(select(m.Outbox).where(m.Outbox.channel == "email",
                                                m.Outbox.attempts > 0)).all()
    assert rows and all(r.status == "uncertain" and r.attempts == 1 for r in rows), \
        [(r.status, r.attempts, r.last_error) for r in rows]
    assert all("jawabannya tidak datang" in r.last_error for r in rows)
    assert len(sink.messages) == len(rows), "stored once, never resent"


def test_refused_connection_is_retried_not_uncertain(sessions: sessionmaker[Session],
                                                     fonnte: int) -> None:
    """Nobody listens: nothing can have arrived, so the row is retried later."""
    _swept(sessions, date(2025, 10, 28))
    env = {**fonnte_env(free_port()), **smtp_env(free_port())}
    report = dispatch(sessions, now=lambda: datetime(2025, 10, 28, 3), env=env)
    assert not report.uncertain and not report.sent and report.retrying
    assert all("tidak terjangkau" in e or "menolak sambungan" in e for _, e in report.retrying)


class Graph(BaseHTTPRequestHandler):
    """Stands in for graph.facebook.com (Cloud API) and api.telegram.org."""

    posts: list[dict[str, Any]] = []

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers["Content-Length"])
        Graph.posts.append({"path": self.path, "auth": self.headers.get("Authorization"),
                            "json": json.loads(self.rfile.read(length))})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"ok": true, "result": {}, "messages": [{"id": "wamid.1"}]}')

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def graph(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    from apprise.plugins.telegram import NotifyTelegram
    from apprise.plugins.whatsapp import NotifyWhatsApp

    Graph.posts = []
    port = free_port()
    monkeypatch.setattr(NotifyWhatsApp, "notify_url",
                        f"http://127.0.0.1:{port}/{{fb_ver}}/{{phone_id}}/messages")
    monkeypatch.setattr(NotifyTelegram, "notify_url", f"http://127.0.0.1:{port}/bot")
    # both are sent directly (notifiers.direct), to these base URLs
    monkeypatch.setenv("MONEV_WHATSAPP_GRAPH_URL", f"http://127.0.0.1:{port}/v21.0")
    monkeypatch.setenv("MONEV_TELEGRAM_API_URL", f"http://127.0.0.1:{port}")
    with http_server(Graph, port):
        yield port


def test_whatsapp_cloud_api_gets_exact_json(sessions: sessionmaker[Session],
                                            graph: int) -> None:
    _swept(sessions, date(2025, 10, 28))
    env = {"MONEV_WHATSAPP_URL": "whatsapp://{token}@1234567890/{phone}",
           "MONEV_WHATSAPP_TOKEN": "EAAtoken", **smtp_env(free_port())}
    report = dispatch(sessions, now=lambda: datetime(2025, 10, 28, 3), env=env)
    with sessions() as s:
        wa = {r.id: r for r in s.scalars(select(m.Outbox).where(
            m.Outbox.channel == "whatsapp"))}
    assert wa and set(wa) <= set(report.sent) and len(Graph.posts) == len(wa)
    post = Graph.posts[0]
    assert post["path"].endswith("/1234567890/messages") and post["auth"] == "Bearer EAAtoken"
    body = post["json"]
    assert set(body) == {"messaging_product", "recipient_type", "to", "type", "text"}
    assert body["messaging_product"] == "whatsapp" and body["type"] == "text"
    assert body["to"] in {r.address for r in wa.values()}
    assert body["text"]["body"] in {r.body for r in wa.values()}
    assert len(body["text"]["body"]) <= WHATSAPP_LIMIT


def test_whatsapp_cloud_api_template_outside_the_24h_window(sessions: sessionmaker[Session],
                                                            graph: int) -> None:
    _swept(sessions, date(2025, 10, 28))
    env = {"MONEV_WHATSAPP_URL": "whatsapp://monev_pengingat:{token}@1234567890/{phone}"
                                 "?lang=id&:body=1",
           "MONEV_WHATSAPP_TOKEN": "EAAtoken", **smtp_env(free_port())}
    report = dispatch(sessions, now=lambda: datetime(2025, 10, 28, 3), env=env)
    assert Graph.posts and len(Graph.posts) <= len(report.sent)
    body = Graph.posts[0]["json"]
    assert body["type"] == "template"
    assert body["template"]["name"] == "monev_pengingat"
    assert body["template"]["language"] == {"code": "id"}
    text = body["template"]["components"][0]["parameters"][0]["text"]
    assert "[Monev]" in text and "\n" not in text and "    " not in text


def test_notify_test_sends_one_message_per_channel(tmp_path: Path, smtp: tuple[Sink, int],
                                                   graph: int) -> None:
    from typer.testing import CliRunner

    from app.cli import app

    sink, port = smtp
    cfg = tmp_path / "monev.yaml"
    cfg.write_text(
        "satkers:\n  - name: KPU Kabupaten Contoh\n    province: Jambi\n    people:\n"
        "      - {name: Rina Uji, role: pic, email: rina@example.org,\n"
        "         whatsapp: '+6281200000099', telegram: '123456789',\n"
        "         channels: [email, whatsapp, telegram]}\n", encoding="utf-8")
    env = {**smtp_env(port), "MONEV_WHATSAPP_URL": "whatsapp://{token}@99/{phone}",
           "MONEV_WHATSAPP_TOKEN": "EAA", "MONEV_TELEGRAM_TOKEN": "123:abc"}
    result = CliRunner().invoke(app, ["notify", "test", "rina uji", "--config", str(cfg)],
                                env=env)
    assert result.exit_code == 0, result.output
    assert [x["to"] for x in sink.messages] == [["rina@example.org"]]
    assert "Pesan uji" in sink.messages[0]["subject"]
    paths = sorted(p["path"] for p in Graph.posts)
    assert len(paths) == 2 and paths[0] == "/bot123:abc/sendMessage", paths
    assert paths[1].endswith("/99/messages"), paths
    tg = next(p for p in Graph.posts if p["path"].startswith("/bot"))
    assert str(tg["json"]["chat_id"]) == "123456789" and "pesan uji" in tg["json"]["text"]
    # no token: a clear error naming the variable, non-zero exit
    bad = CliRunner().invoke(app, ["notify", "test", "Rina Uji", "--config", str(cfg)],
                             env={**env, "MONEV_TELEGRAM_TOKEN": ""})
    assert bad.exit_code == 1 and "MONEV_TELEGRAM_TOKEN" in bad.output


def test_month_end_monev_summary_reaches_ketua_tim(sessions: sessionmaker[Session]) -> None:
    _swept(sessions, date(2025, 9, 30))  # a quarter end
    with sessions() as s:
        rows = s.scalars(select(m.Outbox).where(
            m.Outbox.person == "Ketua Tim ZI Contoh", m.Outbox.channel == "email")).all()
    lines = [i["bukti_fisik"] for r in rows for i in r.items if i["kind"] == "monev"]
    quarter = [x for x in lines if x.startswith("Monev akhir triwulan 2025-09: capaian ")]
    assert quarter and "bukti terverifikasi" in quarter[0] and "terlambat" in quarter[0]
    assert any(x.startswith("Monev akhir bulan 2025-08") for x in lines)
    assert any("laporan monev" in r.subject and "Monev akhir triwulan" in r.body for r in rows)


class KeepAlive(BaseHTTPRequestHandler):
    """A keep-alive (HTTP/1.1) gateway that counts the connections it accepts and, like
    real servers, closes connections left idle — when the test says so
    (:meth:`drop_idle`), not after a timeout a slow machine could reach between two
    messages of one dispatch."""

    protocol_version = "HTTP/1.1"
    posts: list[dict[str, Any]] = []
    connections = 0
    sockets: list[socket.socket] = []

    def setup(self) -> None:
        KeepAlive.connections += 1
        super().setup()
        KeepAlive.sockets.append(self.connection)

    @classmethod
    def reset(cls) -> None:
        cls.drop_idle()
        cls.posts, cls.connections = [], 0

    @classmethod
    def drop_idle(cls) -> None:
        """Close every connection the gateway holds (a FIN to the client, at once)."""
        for sock in cls.sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        cls.sockets = []

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers["Content-Length"])
        KeepAlive.posts.append({"path": self.path, "body": self.rfile.read(length).decode(),
                                "headers": {k: v for k, v in self.headers.items()
                                            if k != "Host"}})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "16")
        self.end_headers()
        self.wfile.write(b'{"status": true}')

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def keepalive() -> Iterator[int]:
    KeepAlive.reset()
    with http_server(KeepAlive) as port:
        yield port
    KeepAlive.drop_idle()


def test_gateway_posts_what_the_requests_path_posted(keepalive: int) -> None:
    """The pooled httpx path puts the same request on the wire as Apprise's requests
    path did (captured from it before the change), for JSON and for form gateways."""
    from notifiers.dispatch import apprise_send

    text = "Halo *dunia* é\nbaris 2 & a=b"
    apprise_send(f"wajson://127.0.0.1:{keepalive}/api/sendText?+X-Api-Key=rahasia"
                 "&:chatId=628123@c.us&:session=default&:message=text&:title=&:version="
                 "&:attachments=&:type=&-q=1", "", text)
    apprise_send(f"waform://user:pw@127.0.0.1:{keepalive}/send?+Authorization=tok"
                 "&:target=628123&:title=&:version=&:type=", "", text)
    common = {"User-Agent": "Apprise", "Accept-Encoding": "gzip, deflate", "Accept": "*/*",
              "Connection": "keep-alive"}
    assert KeepAlive.posts == [
        {"path": "/api/sendText?q=1",
         "body": '{"chatId": "628123@c.us", "session": "default", '
                 '"text": "Halo *dunia* \\u00e9\\nbaris 2 & a=b"}',
         "headers": {**common, "X-Api-Key": "rahasia", "Content-Type": "application/json",
                     "Content-Length": "93"}},
        {"path": "/send", "body": "message=Halo+%2Adunia%2A+%C3%A9%0Abaris+2+%26+a%3Db"
                                  "&target=628123",
         "headers": {**common, "Authorization": "Basic dXNlcjpwdw==", "Content-Length": "65",
                     "Content-Type": "application/x-www-form-urlencoded"}}]
    assert KeepAlive.connections == 1, "both messages over one kept-alive connection"


@pytest.mark.parametrize("template", [
    "wajson://127.0.0.1:{port}/send/{phone}?+X-Api-Key={token}&+X-To={phone_digits}"
    "&:chatId={phone_digits}@c.us&:title=&:version=&:type=&-to={phone}",
    "waform://{phone_digits}:pw@127.0.0.1:{port}/kirim?:target={phone}&:title=&-n={phone_digits}",
])
def test_one_gateway_plugin_serves_every_phone(keepalive: int, template: str) -> None:
    """The phone sits in the path, a header, a field, a query parameter or the user
    name: the one plugin built for the URL template puts, for each phone, exactly the
    request on the wire that a plugin built for that phone's own URL does."""
    from notifiers import gateway
    from notifiers.channels import apprise_url
    from notifiers.dispatch import _plugin, apprise_send, send_message

    env = {"MONEV_WHATSAPP_TOKEN": "token-uji",
           "MONEV_WHATSAPP_URL": template.replace("{port}", str(keepalive))}
    phones = ["+6281200000001", "+6285711112222", "+628123456789"]
    for phone in phones:  # one plugin per URL: Apprise parses each phone's URL
        apprise_send(apprise_url("whatsapp", phone, env), "", f"Halo {phone}")
    own = list(KeepAlive.posts)
    KeepAlive.posts.clear()
    _plugin.cache_clear()
    for phone in phones:
        send_message("whatsapp", phone, "", f"Halo {phone}", env)
    assert KeepAlive.posts == own and len(own) == 3
    assert all(p[1:].replace("+", "") in str(post)  # each went to its own phone
               for p, post in zip(phones, own, strict=True))
    assert _plugin.cache_info().currsize == 1, "one plugin for every phone"
    with gateway.recipient("+6281200000001"):  # the phone in the host: not shared
        url = "wajson://6281200000001.gw.test/send"
        assert gateway.template(url) == url
    with gateway.recipient("+62812"):  # too short to be told from a port or an address
        assert gateway.template("wajson://127.0.0.1:62812/62812") == \
            "wajson://127.0.0.1:62812/62812"


def test_gateway_keeps_one_connection_and_survives_idle_closes(
        sessions: sessionmaker[Session], keepalive: int) -> None:
    """All messages of a dispatch go over one connection; the gateway closes it while
    idle; the next dispatch opens a new one and every message arrives exactly once."""
    from notifiers.http_pool import close_all

    close_all()  # no connection left over from an earlier test
    env = {"MONEV_WHATSAPP_TOKEN": "token-uji", **smtp_env(free_port()),
           "MONEV_WHATSAPP_URL": f"wajson://127.0.0.1:{keepalive}/send?+X-Api-Key={{token}}"
                                 "&:target={phone_digits}&:title=&:version=&:type="}
    _swept(sessions, date(2025, 10, 28))
    first = dispatch(sessions, now=lambda: datetime(2025, 10, 28, 3), env=env)
    with sessions() as s:
        wa = s.scalars(select(m.Outbox.id).where(m.Outbox.channel == "whatsapp")).all()
    assert len(wa) > 1 and set(wa) <= set(first.sent)
    assert len(KeepAlive.posts) == len(wa) and KeepAlive.connections == 1
    KeepAlive.drop_idle()  # the gateway drops the idle connection
    _swept(sessions, date(2025, 10, 30))
    second = dispatch(sessions, now=lambda: datetime(2025, 10, 30, 3), env=env)
    with sessions() as s:
        wa = s.scalars(select(m.Outbox.id).where(m.Outbox.channel == "whatsapp")).all()
    assert set(wa) <= set(first.sent) | set(second.sent)  # none uncertain, none retried
    assert len(KeepAlive.posts) == len(wa), "every message exactly once"
    assert KeepAlive.connections == 2


def test_gateway_down_then_up_sends_each_message_once(sessions: sessionmaker[Session]) -> None:
    """Nobody listens (connect error, tried twice at once, then left for the
    dispatcher's retry); once the gateway is up, each message is sent exactly once."""
    KeepAlive.reset()
    port = free_port()
    env = {"MONEV_WHATSAPP_TOKEN": "token-uji", **smtp_env(free_port()),
           "MONEV_WHATSAPP_URL": f"wajson://127.0.0.1:{port}/send?+X-Api-Key={{token}}"
                                 "&:target={phone_digits}&:title=&:version=&:type=&cto=1"}
    _swept(sessions, date(2025, 10, 28))
    down = dispatch(sessions, now=lambda: datetime(2025, 10, 28, 3), env=env)
    wa = {i for i, e in down.retrying if "tidak terjangkau" in e}
    assert wa and not down.uncertain and not down.sent
    with http_server(KeepAlive, port):
        up = dispatch(sessions, now=lambda: datetime(2025, 10, 28, 5), env=env)
    assert wa <= set(up.sent) and not up.uncertain
    assert len(KeepAlive.posts) == len(wa)
    with sessions() as s:
        assert {s.get_one(m.Outbox, i).attempts for i in wa} == {2}
