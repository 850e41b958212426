"""Replies read without a webhook: the IMAP reply mailbox (a real IMAP server in the
test, tests/imap_server.py; the digest answered sent through a real SMTP server) and
Telegram's getUpdates long poll (tests/inbound_providers.py), on the real database
(SQLite file and PostgreSQL) with the example plans swept to 28 Oct 2025."""

from __future__ import annotations

import hashlib
from datetime import date
from email import message_from_bytes
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from monev.clock import utcnow
from monev.config import load_config
from monev.engine import lifecycle
from monev.inbound.mail import read_mail
from monev.inbound.mailtoken import make_token
from monev.store import models as m
from monev.tokens import server_secret
from notifiers import imap, telegram_poll
from notifiers.dispatch import dispatch
from portal.webhooks import handle
from tests.conftest import ROOT, Sink, smtp_env
from tests.imap_server import PASSWORD, USER, imap_server
from tests.inbound_providers import BOT, provider
from tests.portal_app import CONFIG, TODAY, pdf, prepare
from tests.test_inbound import CHAT, _config, _telegram

PEGAWAI = "pegawai1@example.org"  # Pegawai Contoh Satu
REPLY = "bukti@example.org"


@pytest.fixture
def world(db_url: str, tmp_path: Path,
          monkeypatch: pytest.MonkeyPatch) -> tuple[sessionmaker[Session], Path]:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    for key, value in {"MONEV_HOME": str(home), "MONEV_TODAY": TODAY,
                       "MONEV_DATABASE_URL": db_url}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.delenv("MONEV_FEED_DIR", raising=False)
    monkeypatch.chdir(ROOT)
    return prepare(db_url, home), home


def _item(factory: sessionmaker[Session]) -> tuple[int, str, int]:
    """(plan id, ref, checkpoint id) of the item Pegawai Contoh Satu's digest showed as #1."""
    with factory() as s:
        plan_id, ref = s.execute(select(m.ShortCode.plan_id, m.ShortCode.ref).where(
            m.ShortCode.person == "Pegawai Contoh Satu", m.ShortCode.code == 1)
            .order_by(m.ShortCode.day.desc()).limit(1)).one()
        cp_id = s.scalars(select(m.Checkpoint.id).join(m.Checkpoint.item).where(
            m.Item.plan_id == plan_id, m.Item.key == ref.split("@")[0],
            m.Checkpoint.period == ref.split("@")[1])).one()
    return plan_id, ref, cp_id


def _digest(factory: sessionmaker[Session], plan_id: int, ref: str, port: int,
            sink: Sink) -> Any:
    """An e-mail naming one item, sent through the dispatcher: the message received."""
    with factory.begin() as s:
        row = m.Outbox(idem_key="uji|email|harian", plan_id=plan_id,
                       person="Pegawai Contoh Satu", role="pic", channel="email",
                       address=PEGAWAI, kind="harian", day=date(2025, 10, 28),
                       items=[{"ref": ref, "code": "#1"}], subject="[Monev] 1 tugas bukti",
                       body="#1 SK Tim\nBalas dengan berkasnya.", status="pending",
                       attempts=0, not_before=utcnow())
        s.add(row)
        s.flush()
        row_id = row.id
    report = dispatch(factory, env={**smtp_env(port), "MONEV_REPLY_ADDRESS": REPLY},
                      send_now=True, only=[row_id])
    assert report.sent, report
    return message_from_bytes(sink.messages[-1]["raw"])


def _reply(sender: str, to: str, subject: str, answered: str, ident: str,
           proof: bytes | None) -> bytes:
    """A reply as a mail client writes it: text with the quoted digest under it, an
    HTML twin showing a signature logo by cid:, the logo inline, the PDF attached."""
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = f"Pegawai <{sender}>", to, f"Re: {subject}"
    msg["Message-ID"], msg["In-Reply-To"], msg["References"] = ident, answered, answered
    msg.set_content("Terlampir SK-nya, Pak.\n\nSalam\n-- \nPegawai #2\n\n"
                    "On Tue, 28 Oct 2025 at 08:00, Monev <monev@example.org> wrote:\n"
                    "> #1 SK Tim\n> #2 d8d8600e9f7d@2025-01\n")
    msg.add_alternative('<p>Terlampir SK-nya, Pak.</p><img src="cid:logo1">'
                        '<div class="gmail_quote">#2 d8d8600e9f7d@2025-01</div>',
                        subtype="html")
    html = msg.get_payload()[1]
    html.add_related(b"\x89PNG\r\n\x1a\n" + b"\x00" * 3000, "image", "png", cid="<logo1>")
    if proof is not None:
        msg.add_attachment(proof, maintype="application", subtype="pdf",
                           filename="SK Tim.pdf")
    return msg.as_bytes()


def test_mail_replies(world: tuple[sessionmaker[Session], Path],
                      smtp: tuple[Sink, int]) -> None:
    factory, home = world
    cfg = load_config(CONFIG)
    secret = server_secret(home)
    plan_id, ref, cp_id = _item(factory)
    sent = _digest(factory, plan_id, ref, smtp[1], smtp[0])
    reply_to, answered = sent["Reply-To"], sent["Message-ID"]
    token = answered.removeprefix("<monev-").split("@")[0]
    assert reply_to == f"bukti+{token}@example.org" and sent["Auto-Submitted"]
    assert "Pegawai" not in token and token.split("-")[0].isdigit()

    # no plus-addressing (Exchange): the token still comes by In-Reply-To; a forged one
    # (another row's id with this MAC) is no token
    plain = read_mail(_reply(PEGAWAI, REPLY, "x", answered, "<p@x>", None), secret)
    assert plain.incoming.reply_to == token
    forged = answered.replace(token, f"9{token}")
    assert read_mail(_reply(PEGAWAI, REPLY, "x", forged, "<q@x>", None),
                     secret).incoming.reply_to == ""

    proof = pdf("balasan-email")
    with imap_server() as server:
        first = server.add(_reply(PEGAWAI, reply_to, sent["Subject"], answered,
                                  "<r1@mail.example.org>", proof))
        stranger = server.add(_reply("orang.asing@example.com", REPLY, "bukti", "",
                                     "<r2@example.com>", pdf("asing")))
        auto = EmailMessage()
        auto["From"], auto["To"], auto["Subject"] = PEGAWAI, reply_to, "Sedang cuti"
        auto["Auto-Submitted"], auto["Message-ID"] = "auto-replied", "<cuti@x>"
        auto.set_content("Saya sedang cuti.")
        robot = server.add(auto.as_bytes())
        settings = imap.ImapSettings("127.0.0.1", server.port, USER, PASSWORD,
                                     security="plain")

        # the process dies after the first message was committed, before it was marked
        class Crash(Exception):
            pass

        with pytest.raises(Crash), imap.mailbox(settings) as box:
            box.seen = lambda uid: (_ for _ in ()).throw(Crash())  # type: ignore[method-assign]
            imap.poll_mailbox(factory, cfg, home, box, secret)
        assert not server.seen(first)
        again = server.add(server.messages[0].raw)  # and the server delivers it twice
        with imap.mailbox(settings) as box:
            done = imap.poll_mailbox(factory, cfg, home, box, secret)
        assert done["counts"] == {"seen-before": 2, "refused": 1, "otomatis": 1}, done
        assert all(server.seen(uid) for uid in (first, stranger, robot, again))
        assert not [c for c in server.log if "RFC822" in c or "BODY[]" in c.upper()
                    and "PEEK" not in c.upper()]
        with imap.mailbox(settings) as box:  # nothing unseen is left
            assert imap.poll_mailbox(factory, cfg, home, box, secret)["counts"] == {}

    with factory() as s:
        rows = {r.provider_id: r for r in s.scalars(select(m.InboundMessage))}
        assert set(rows) == {"<r1@mail.example.org>", "<r2@example.com>"}
        mine = rows["<r1@mail.example.org>"]
        assert mine.status == "done" and mine.checkpoint_id == cp_id, mine.outcome
        cp = s.get(m.Checkpoint, cp_id)
        assert cp is not None and cp.status == "submitted"
        (ev,) = lifecycle.current_evidence(s, cp_id)  # the logo and quoted codes ignored
        assert ev.sha256 == hashlib.sha256(proof).hexdigest()
        assert (home / ev.location).read_bytes() == proof
        assert rows["<r2@example.com>"].status == "refused"
        replies = list(s.scalars(select(m.Outbox).where(m.Outbox.kind == "balasan")
                                 .order_by(m.Outbox.id)))
        assert [(r.channel, r.address) for r in replies] == [
            ("email", PEGAWAI), ("email", "orang.asing@example.com")]
        assert "Bukti diterima untuk" in replies[0].body
        assert "tidak terdaftar" in replies[1].body
        assert s.scalar(select(func.count(m.Evidence.id)).where(
            m.Evidence.sha256 == hashlib.sha256(pdf("asing")).hexdigest())) == 0


def test_mail_token_names_its_row() -> None:
    secret = b"s" * 32
    token = make_token(42, secret)
    assert read_mail(_reply(PEGAWAI, f"bukti+{token}@example.org", "x", "", "<a@x>", None),
                     secret).incoming.reply_to == token
    assert read_mail(_reply(PEGAWAI, f"bukti+{token}@example.org", "x", "", "<a@x>", None),
                     b"t" * 32).incoming.reply_to == ""


def test_telegram_long_poll(world: tuple[sessionmaker[Session], Path], tmp_path: Path,
                            monkeypatch: pytest.MonkeyPatch) -> None:
    factory, home = world
    config = _config(tmp_path)
    cfg = load_config(config)
    _, _, cp_id = _item(factory)
    with provider() as p, httpx.Client() as client:
        for key, value in {"MONEV_TELEGRAM_MODE": "poll", "MONEV_TELEGRAM_TOKEN": BOT,
                           "MONEV_TELEGRAM_API_URL": p.url}.items():
            monkeypatch.setenv(key, value)
        assert telegram_poll.polling()
        p.files["F1"] = pdf("telegram-poll")
        p.updates = [_telegram(41, 20, "#1", "F1")]
        handled: list[int] = []

        def boom(ids: list[int]) -> None:  # the process dies while handling
            raise RuntimeError("mati")

        with pytest.raises(RuntimeError):
            telegram_poll.poll_updates(factory, boom, client, timeout=0)
        assert telegram_poll.read_offset(factory) == 0  # nothing confirmed

        def real(ids: list[int]) -> None:
            handled.extend(ids)
            handle(factory, cfg, home, ids)

        for _ in range(2):  # fetched again: handled once; then confirmed, nothing comes
            telegram_poll.poll_updates(factory, real, client, timeout=0)
        assert p.offsets == [0, 0, 42] and telegram_poll.read_offset(factory) == 42
        assert len(handled) == 1
    with factory() as s:
        row = s.scalars(select(m.InboundMessage)).one()
        assert row.provider_id == f"{CHAT}:20" and row.status == "done", row.outcome
        (ev,) = lifecycle.current_evidence(s, cp_id)
        assert ev.sha256 == hashlib.sha256(pdf("telegram-poll")).hexdigest()
        assert s.scalar(select(func.count(m.Outbox.id)).where(
            m.Outbox.kind == "balasan")) == 1


def test_readers_deployed_only_when_configured(monkeypatch: pytest.MonkeyPatch,
                                              tmp_path: Path) -> None:
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from flows.deployments import inbound_deployments
    from monev.store.db import open_session_factory
    from portal.webhooks import router

    for key in ("MONEV_IMAP_HOST", "MONEV_TELEGRAM_MODE", "MONEV_TELEGRAM_TOKEN",
                "PREFECT_API_URL"):
        monkeypatch.delenv(key, raising=False)
    assert inbound_deployments() == []
    monkeypatch.setenv("MONEV_IMAP_HOST", "imap.example.org")
    monkeypatch.setenv("MONEV_TELEGRAM_TOKEN", BOT)
    monkeypatch.setenv("MONEV_TELEGRAM_WEBHOOK_SECRET", "rahasia")
    assert [d.flow_name for d in inbound_deployments()] == ["inbound_mail"]
    web = FastAPI()
    factory = open_session_factory(f"sqlite:///{tmp_path / 'monev.db'}")
    web.include_router(router(factory, None, tmp_path))  # type: ignore[arg-type]
    hook = {"X-Telegram-Bot-Api-Secret-Token": "rahasia"}
    assert TestClient(web).post("/masuk/telegram", json={}, headers=hook).status_code == 200
    monkeypatch.setenv("MONEV_TELEGRAM_MODE", "poll")  # a bot uses one or the other
    assert [d.flow_name for d in inbound_deployments()] == ["inbound_mail", "telegram_poll"]
    assert TestClient(web).post("/masuk/telegram", json={}, headers=hook).status_code == 404
