"""Outgoing messages' provider ids (issue 23): digests go to a local stand-in for the
Cloud API (tests/inbound_providers.py) as the Cloud API documents them, the returned
``wamid`` is stored with the items the digest named, and a reply to that message with
a file lands on that item; a late answer leaves the row uncertain, never resent."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from datetime import date

import httpx
from sqlalchemy import select

from monev.config import load_config
from monev.engine import lifecycle
from monev.store import models as m
from notifiers.dispatch import dispatch
from tests.inbound_providers import TOKEN, provider
from tests.portal_app import CONFIG, App, pdf
from tests.test_inbound import PHONE, _cloud, _env, _settled, _signed

PHONE_ID = "106540352242922"
CLOUD_URL = f"whatsapp://{{token}}@{PHONE_ID}/{{phone}}"


def _rows(app: App, person: str, channel: str) -> list[m.Outbox]:
    with app.sessions() as s:
        return list(s.scalars(select(m.Outbox).where(
            m.Outbox.person == person, m.Outbox.channel == channel,
            m.Outbox.status == "pending").order_by(m.Outbox.day)))


def _copy(app: App, row: m.Outbox, tag: str) -> int:
    """Another pending row like ``row`` (a second message to the same person)."""
    with app.sessions.begin() as s:
        copy = m.Outbox(**{c.name: getattr(row, c.name) for c in m.Outbox.__table__.columns
                           if c.name not in ("id", "idem_key")}, idem_key=f"{tag}|{row.id}")
        s.add(copy)
        s.flush()
        return copy.id


def test_cloud_digest_ids_and_reply(portal_app: Callable[..., App]) -> None:
    with provider() as p:
        app = portal_app(**_env(p), MONEV_WHATSAPP_URL=CLOUD_URL)
        cfg = load_config(CONFIG)
        older, digest = _rows(app, "Pegawai Contoh Satu", "whatsapp")
        assert digest.day == date(2025, 10, 28)
        (named,) = {it["ref"] for it in digest.items if "@" in it.get("ref", "")}
        late = _copy(app, digest, "uji-lambat")

        # two digests in one pass: the first's id is stored by the second's "begun"
        # commit, the second's at the batch's end
        report = dispatch(app.sessions, send_now=True, only=[older.id, digest.id], cfg=cfg)
        assert sorted(report.sent) == sorted([older.id, digest.id]), report
        assert [x["path"] for x in p.sent] == [f"/v21.0/{PHONE_ID}/messages"] * 2
        wire = p.sent[1]
        assert wire["headers"]["Authorization"] == f"Bearer {TOKEN}"
        assert wire["json"] == {"messaging_product": "whatsapp",
                                "recipient_type": "individual", "to": "+6281200000011",
                                "type": "text", "text": {"body": digest.body}}
        with app.sessions() as s:
            stored = {(r.provider_id, r.outbox_id) for r in s.scalars(select(m.SentMessage))}
        assert stored == {(p.sent[0]["id"], older.id), (p.sent[1]["id"], digest.id)}

        # a late answer: the message may have arrived, so the row is uncertain, no id is
        # stored and the next pass sends nothing
        p.late = 1.5
        slow = {**os.environ, "MONEV_WHATSAPP_URL": f"{CLOUD_URL}?rto=0.5"}
        report = dispatch(app.sessions, send_now=True, only=[late], cfg=cfg, env=slow)
        assert report.uncertain == [late] and len(p.sent) == 3
        p.late = 0
        again = dispatch(app.sessions, send_now=True, only=[late], cfg=cfg)
        assert again.sent == [] and len(p.sent) == 3
        with app.sessions() as s:
            assert s.scalar(select(m.SentMessage).where(
                m.SentMessage.outbox_id == late)) is None

        # the person answers the digest with a file and no code: it lands on the one
        # item that digest named (they have several open items)
        web = httpx.Client(base_url=app.url, timeout=30)
        p.files["M2"] = proof = pdf("jawab-digest")
        body = _cloud("wamid.JAWAB1", "M2", "ini buktinya", context=p.sent[1]["id"])
        assert web.post("/masuk/whatsapp", content=body,
                        headers=_signed(body)).status_code == 200
        row = _settled(app, "wamid.JAWAB1")
        assert row.status == "done", row.outcome
        with app.sessions() as s:
            cp = s.get(m.Checkpoint, row.checkpoint_id)
            assert cp is not None and f"{cp.item.key}@{cp.period}" == named
            (ev,) = lifecycle.current_evidence(s, cp.id)
            assert ev.sha256 == hashlib.sha256(proof).hexdigest()
        # the same without the reply context: several candidates, nothing stored
        body = _cloud("wamid.JAWAB2", "M2", "ini buktinya", sender=PHONE)
        web.post("/masuk/whatsapp", content=body, headers=_signed(body))
        assert _settled(app, "wamid.JAWAB2").status == "refused"
