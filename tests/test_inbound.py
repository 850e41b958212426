"""Evidence answered where the reminder arrived: provider-shaped webhooks (WhatsApp
Cloud API, WAHA, Telegram) posted to the real app, media served by a local stand-in for
the providers' APIs (tests/inbound_providers.py), the database real (SQLite file and
PostgreSQL)."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from monev.config import load_config
from monev.engine import lifecycle
from monev.inbound.receive import process_pending
from monev.inbound.replies import reply_key
from monev.store import models as m
from notifiers import providers
from notifiers.dispatch import dispatch
from tests.inbound_providers import BOT, PHONE, SECRET, TOKEN, WAHA_KEY, Provider, provider
from tests.inbound_providers import cloud_webhook as _cloud
from tests.inbound_providers import signed as _signed
from tests.portal_app import CONFIG, App, pdf

WAHA_HOOK = "uji-kunci-webhook-waha"
TG_HOOK = "uji-rahasia-telegram"
CHAT = "987654321"


def _env(p: Provider) -> dict[str, str]:
    return {"MONEV_WHATSAPP_APP_SECRET": SECRET, "MONEV_WHATSAPP_VERIFY_TOKEN": "verif",
            "MONEV_WHATSAPP_TOKEN": TOKEN, "MONEV_WHATSAPP_GRAPH_URL": f"{p.url}/v21.0",
            "MONEV_WAHA_WEBHOOK_KEY": WAHA_HOOK, "MONEV_WAHA_URL": p.url,
            "MONEV_WAHA_API_KEY": WAHA_KEY, "MONEV_TELEGRAM_WEBHOOK_SECRET": TG_HOOK,
            "MONEV_TELEGRAM_TOKEN": BOT, "MONEV_TELEGRAM_API_URL": p.url}


def _config(tmp: Path) -> Path:
    text = CONFIG.read_text(encoding="utf-8").replace(
        'whatsapp: "+6281200000011", channels: [whatsapp],',
        f'whatsapp: "+6281200000011", telegram: "{CHAT}", channels: [whatsapp],')
    path = tmp / "monev.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _waha(msg_id: str, sender: str, body: str, url: str = "") -> dict[str, Any]:
    """A WAHA ``message`` event (its documented payload)."""
    payload: dict[str, Any] = {
        "id": msg_id, "timestamp": 1761620000, "from": f"{sender}@c.us", "fromMe": False,
        "to": "6281299999999@c.us", "body": body, "hasMedia": bool(url), "ack": 1,
        "media": {"url": url, "mimetype": "application/pdf", "filename": "bukti.pdf",
                  "error": None} if url else None}
    return {"id": f"evt_{msg_id}", "timestamp": 1761620000000, "event": "message",
            "session": "default", "me": {"id": "6281299999999@c.us"}, "payload": payload}


def _telegram(update_id: int, message_id: int, caption: str, file_id: str | None,
              reply_to: int | None = None, photo: bool = False) -> dict[str, Any]:
    """A Telegram ``Update`` with a document (or photo) in a private chat."""
    msg: dict[str, Any] = {"message_id": message_id, "date": 1761620000,
                           "from": {"id": int(CHAT), "is_bot": False, "first_name": "Pegawai"},
                           "chat": {"id": int(CHAT), "type": "private", "first_name": "Pegawai"}}
    if file_id and photo:
        msg["photo"] = [{"file_id": f"{file_id}s", "file_unique_id": "a", "file_size": 10,
                         "width": 90, "height": 90},
                        {"file_id": file_id, "file_unique_id": "b", "file_size": 900,
                         "width": 800, "height": 800}]
    elif file_id:
        msg["document"] = {"file_name": "notulen.pdf", "mime_type": "application/pdf",
                           "file_id": file_id, "file_unique_id": "u" + file_id,
                           "file_size": 900}
    msg["caption" if file_id else "text"] = caption
    if reply_to:
        msg["reply_to_message"] = {"message_id": reply_to, "date": 1761600000,
                                   "chat": msg["chat"], "text": "pengingat"}
    return {"update_id": update_id, "message": msg}


def _settled(app: App, provider_id: str, timeout: float = 20) -> m.InboundMessage:
    """The message once its background processing is over."""
    deadline = time.monotonic() + timeout
    while True:
        with app.sessions() as s:
            row = s.scalars(select(m.InboundMessage).where(
                m.InboundMessage.provider_id == provider_id)).first()
            if row is not None and row.status != "received":
                return row
        if time.monotonic() > deadline:
            with app.sessions() as s:
                rows = [(r.provider_id, r.status, r.last_error) for r in
                        s.scalars(select(m.InboundMessage))]
            raise AssertionError(f"{provider_id} not processed: {rows}")
        time.sleep(0.05)


def _replies(app: App) -> list[m.Outbox]:
    with app.sessions() as s:
        return list(s.scalars(select(m.Outbox).where(m.Outbox.kind == "balasan")
                              .order_by(m.Outbox.id)))


def _ref(app: App, cp_id: int) -> str:
    with app.sessions() as s:
        cp = s.get(m.Checkpoint, cp_id)
        assert cp is not None
        return f"{cp.item.key}@{cp.period}"


def test_whatsapp_replies(portal_app: Callable[..., App], tmp_path: Path) -> None:
    with provider() as p:
        app = portal_app(**_env(p))
        cp_id = app.checkpoints_of("open", bukti_fisik="nominatif")[0]
        ref = _ref(app, cp_id)
        web = httpx.Client(base_url=app.url, timeout=30)
        hand = {"hub.mode": "subscribe", "hub.verify_token": "verif", "hub.challenge": "42"}
        assert web.get("/masuk/whatsapp", params=hand).text == "42"
        assert web.get("/masuk/whatsapp",
                       params={**hand, "hub.verify_token": "salah"}).status_code == 403
        proof = pdf("balasan-wa")
        p.files["MEDIA1"] = proof
        body = _cloud("wamid.HBgLNjI4MTIwMDAwMDAxMRUCABIYFjNFQjA", "MEDIA1",
                      f"ini SK-nya {ref}")
        forged = web.post("/masuk/whatsapp", content=body, headers=_signed(body, "bukan"))
        assert forged.status_code == 401
        with app.sessions() as s:
            assert s.scalar(select(func.count(m.InboundMessage.id))) == 0
        for _ in range(2):  # the provider delivers it twice: stored once, confirmed once
            assert web.post("/masuk/whatsapp", content=body,
                            headers=_signed(body)).status_code == 200
            row = _settled(app, "wamid.HBgLNjI4MTIwMDAwMDAxMRUCABIYFjNFQjA")
        assert row.status == "done", row.outcome
        with app.sessions() as s:
            cp = s.get(m.Checkpoint, cp_id)
            assert cp is not None and cp.status == "submitted"
            (ev,) = lifecycle.current_evidence(s, cp_id)
            assert ev.sha256 == hashlib.sha256(proof).hexdigest()
            assert (app.home / ev.location).read_bytes() == proof
            trail = s.scalars(select(m.Transition.note).where(
                m.Transition.checkpoint_id == cp_id)).all()
            assert any("WhatsApp" in t and "+6281200000011" in t and "wamid.HBgL" in t
                       for t in trail), trail
            assert s.scalar(select(func.count(m.InboundMessage.id))) == 1
        (reply,) = _replies(app)
        assert reply.channel == "whatsapp" and reply.address == "+6281200000011"
        assert "Bukti diterima untuk" in reply.body and "menunggu verifikasi" in reply.body

        # WAHA: its API key; a stranger's number; a 30 MB file; the digest's short code
        waha = {"X-Api-Key": WAHA_HOOK}
        assert web.post("/masuk/waha", json=_waha("false_1", PHONE, "x"),
                        headers={"X-Api-Key": "salah"}).status_code == 401
        p.files["besar.pdf"] = b"%PDF-1.4\n" + b"0" * (30 * 1024 * 1024)
        p.files["kecil.pdf"] = pdf("balasan-waha")
        with app.sessions() as s:
            code = s.scalar(select(m.ShortCode.code).where(
                m.ShortCode.person == "Pegawai Contoh Dua").order_by(m.ShortCode.day.desc()))
        sent = [("false_2", "6289999999999", "#1", "kecil.pdf"),
                ("false_3", PHONE, f"{ref}", "besar.pdf")]
        for msg_id, sender, text, name in sent:
            assert web.post("/masuk/waha", json=_waha(msg_id, sender, text,
                                                      f"{p.url}/api/files/default/{name}"),
                            headers=waha).status_code == 200
        stranger, large = _settled(app, "false_2"), _settled(app, "false_3")
        assert stranger.status == "refused" and "tidak terdaftar" in stranger.outcome
        assert large.status == "refused" and "melebihi batas" in large.outcome
        assert code is None or code >= 1
        with app.sessions() as s:
            assert len(lifecycle.current_evidence(s, cp_id)) == 1  # nothing more stored
        replies = {r.idem_key: r.body for r in _replies(app)}  # handled side by side:
        assert len(replies) == 3  # one reply each, in whichever order they finished
        assert "tidak terdaftar" in replies[reply_key("whatsapp", "false_2")]
        assert "melebihi batas 25 MB" in replies[reply_key("whatsapp", "false_3")]
        assert not [f for f in (app.home / "evidence").rglob("*.part")]


def test_acknowledged_while_downloads_wait(portal_app: Callable[..., App]) -> None:
    """Media downloads that hang must not hold the app's threads: with two request
    threads and three deliveries whose files the provider holds back, each is still
    acknowledged at once (and the portal's /health answers); released, each is stored
    once."""
    with provider() as p:
        p.hold = threading.Event()
        app = portal_app(**_env(p), MONEV_HTTP_THREADS="2", MONEV_INBOUND_WORKERS="1")
        cps = [cp for status in ("open", "backlog", "scheduled")
               for komponen in ("Tim Kerja", "Kepegawaian")
               for cp in app.checkpoints_of(status, komponen=komponen)][:3]
        assert len(cps) == 3
        web = httpx.Client(base_url=app.url, timeout=5)
        try:
            for i, cp_id in enumerate(cps):
                p.files[f"TAHAN{i}"] = pdf(f"tahan-{i}")
                body = _cloud(f"wamid.tahan{i}", f"TAHAN{i}", f"bukti {_ref(app, cp_id)}")
                assert web.post("/masuk/whatsapp", content=body,
                                headers=_signed(body)).status_code == 200
            assert web.get("/health").status_code == 200
            deadline = time.monotonic() + 10
            while not p.seen and time.monotonic() < deadline:
                time.sleep(0.02)
            time.sleep(0.3)
            assert len(p.seen) == 1  # one worker: one download under way, two queued
        finally:
            p.hold.set()
        for i, cp_id in enumerate(cps):
            assert _settled(app, f"wamid.tahan{i}").status == "done"
            with app.sessions() as s:
                assert len(lifecycle.current_evidence(s, cp_id)) == 1


def test_deliveries_together_recorded_once(portal_app: Callable[..., App]) -> None:
    """Twelve deliveries at once, four of them a message delivered again (on SQLite
    they share one transaction, portal/webhooks.py ``Recorder``): every one answered
    200, each message recorded and answered once."""
    with provider() as p:
        app = portal_app(**_env(p))
        bodies = [_cloud(f"wamid.bersama{i % 8}", None, f"halo {i % 8}") for i in range(12)]
        with httpx.Client(base_url=app.url, timeout=30) as web, \
                ThreadPoolExecutor(12) as pool:
            answers = list(pool.map(lambda b: web.post("/masuk/whatsapp", content=b,
                                                       headers=_signed(b)).status_code,
                                    bodies))
        assert answers == [200] * 12
        for i in range(8):
            assert _settled(app, f"wamid.bersama{i}").status == "refused"
        with app.sessions() as s:
            assert s.scalar(select(func.count(m.InboundMessage.id))) == 8
        assert sorted(r.idem_key for r in _replies(app)) == [
            f"balasan|whatsapp|wamid.bersama{i}" for i in range(8)]


def test_telegram_replies(portal_app: Callable[..., App], tmp_path: Path) -> None:
    with provider() as p:
        config = _config(tmp_path)
        app = portal_app(config=config, **_env(p))
        web = httpx.Client(base_url=app.url, timeout=30)
        hook = {"X-Telegram-Bot-Api-Secret-Token": TG_HOOK}
        # the digest of 28 Oct showed Pegawai Contoh Satu's one item as #1
        with app.sessions() as s:
            plan_id, ref = s.execute(select(m.ShortCode.plan_id, m.ShortCode.ref).where(
                m.ShortCode.person == "Pegawai Contoh Satu", m.ShortCode.code == 1)
                .order_by(m.ShortCode.day.desc()).limit(1)).one()
        assert web.post("/masuk/telegram", json=_telegram(1, 10, "#1", "F1"),
                        headers={"X-Telegram-Bot-Api-Secret-Token": "x"}).status_code == 401
        # no code, several open items: nothing stored, the candidates listed with codes
        p.files["F0"] = pdf("tanpa-kode")
        assert web.post("/masuk/telegram", json=_telegram(2, 11, "ini buktinya", "F0"),
                        headers=hook).status_code == 200
        vague = _settled(app, f"{CHAT}:11")
        assert vague.status == "refused" and vague.outcome.count("\n#") >= 2, vague.outcome
        # the provider fails: the message waits and the retry flow takes it up
        p.files["F1"] = pdf("telegram-1")
        p.fail = 1
        assert web.post("/masuk/telegram", json=_telegram(3, 12, "#1", "F1"),
                        headers=hook).status_code == 200
        deadline = time.monotonic() + 20
        while True:
            with app.sessions() as s:
                row = s.scalars(select(m.InboundMessage).where(
                    m.InboundMessage.provider_id == f"{CHAT}:12")).one()
            if row.attempts or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert row.status == "received" and row.attempts == 1 and "HTTP 500" in row.last_error
        cfg = load_config(config)
        done = process_pending(app.sessions, cfg, app.home, providers.fetch,
                               older_than=__import__("datetime").timedelta(0))
        assert done["counts"] == {"done": 1}
        row = _settled(app, f"{CHAT}:12")
        with app.sessions() as s:
            cp = s.scalars(select(m.Checkpoint).join(m.Checkpoint.item).where(
                m.Item.plan_id == plan_id, m.Item.key == ref.split("@")[0],
                m.Checkpoint.period == ref.split("@")[1])).one()
            assert row.checkpoint_id == cp.id and cp.status == "submitted"
            confirm = s.scalars(select(m.Outbox).where(
                m.Outbox.kind == "balasan", m.Outbox.address == CHAT)
                .order_by(m.Outbox.id.desc())).first()
            assert confirm is not None and "Bukti diterima" in confirm.body
        # the bot's confirmation goes out by the Bot API (its message id stored); a photo
        # answering it (no code) is added to that item's waiting submission
        assert dispatch(app.sessions, send_now=True, only=[confirm.id], cfg=cfg).sent == \
            [confirm.id]
        (wire,) = p.sent
        assert wire["path"] == f"/bot{BOT}/sendMessage" and wire["json"] == {
            "chat_id": int(CHAT), "text": f"{confirm.subject}\n\n{confirm.body}",
            "link_preview_options": {"is_disabled": True}}
        with app.sessions() as s:
            assert s.scalars(select(m.SentMessage.provider_id).where(
                m.SentMessage.outbox_id == confirm.id)).all() == [f"{CHAT}:{wire['id']}"]
        p.files["F2"] = b"\xff\xd8\xff\xe0" + b"\x00" * 900
        assert web.post("/masuk/telegram", json=_telegram(4, 13, "", "F2", int(wire["id"]),
                                                          photo=True),
                        headers=hook).status_code == 200
        photo = _settled(app, f"{CHAT}:13")
        assert photo.status == "done" and photo.checkpoint_id == cp.id, photo.outcome
        with app.sessions.begin() as s:
            cp = s.get(m.Checkpoint, cp.id)
            assert cp is not None and len(lifecycle.current_evidence(s, cp.id)) == 2
            lifecycle.reject(s, cp, "Koordinator SDM", "Belum ditandatangani", cfg)
        back = _replies(app)[-1]
        assert back.channel == "telegram" and back.address == CHAT
        assert "ditolak" in back.body and "Belum ditandatangani" in back.body
