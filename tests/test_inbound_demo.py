"""The "done when" of issue 23: in the demo the local WhatsApp sink answers a reminder
with a file (``monev notify reply`` → :func:`notifiers.sink.demo_reply`, a WAHA-shaped
webhook), and the evidence shows on the checkpoint, in the koordinator's queue and in
the calendar feed, with one confirmation back into the sink. The real app and the real
sink, each on 127.0.0.1, as ``monev up --sink`` serves them (there on one port)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from icalendar import Calendar
from sqlalchemy import select
from typer.testing import CliRunner

from calendars.service import create_feed
from monev.config import load_config
from monev.engine import lifecycle
from monev.engine.people import holders
from monev.store import models as m
from monev.tokens import server_secret
from notifiers.dispatch import dispatch
from notifiers.sink import demo_reply, sink_env
from tests.conftest import free_port
from tests.portal_app import CONFIG, MUARO, App, pdf
from tests.test_inbound import _settled


def test_demo_sink_replies_with_a_file(portal_app: Callable[..., App], tmp_path: Path,
                                       sink_app: tuple[str, str, list[str]]) -> None:
    sink_url, key, arrived = sink_app
    app = portal_app(**sink_env(free_port(), int(sink_url.rsplit(":", 1)[1]), key))
    cfg = load_config(CONFIG)
    proof = tmp_path / "SK Tim Kerja.pdf"
    proof.write_bytes(pdf("demo-balasan"))
    # Pegawai Contoh Satu answers the digest of 28 Oct, whose one item was #1
    msg_id = demo_reply(app.url, tmp_path, key, "+6281200000011", proof, "#1",
                        sink_url=sink_url)
    row = _settled(app, msg_id)
    assert row.status == "done", row.outcome
    with app.sessions() as s:
        cp = s.get(m.Checkpoint, row.checkpoint_id)
        assert cp is not None and cp.status == "submitted"
        ref, area, komponen = f"{cp.item.key}@{cp.period}", cp.item.area.name, cp.item.komponen
        (ev,) = lifecycle.current_evidence(s, cp.id)
        assert ev.sha256 == hashlib.sha256(proof.read_bytes()).hexdigest()
        reply = s.scalars(select(m.Outbox).where(m.Outbox.kind == "balasan")).one()
        _, token = create_feed(s, server_secret(app.home), "plan", "Tim ZI",
                               plan="kpu-kabupaten-muaro-jambi/zi-2025")
        s.commit()
    assert ref == "86105ab56d4e@2025-10"
    # the koordinator's queue
    sc = cfg.satker(MUARO)
    assert sc is not None
    (koord, *_) = holders("koordinator", area, komponen, sc.people)
    assert f'value="{cp.id}"' in app.browser(koord.name).get("/portal/verifikasi").text
    # the calendar feed: the event is marked "sent, waiting for verification"
    feed = Calendar.from_ical(httpx.get(f"{app.url}/feeds/{token}.ics").content)
    (event,) = [e for e in feed.walk("VEVENT")
                if str(e["UID"]).startswith(ref.replace("@", "-") + "-")]
    assert str(event["SUMMARY"]).startswith("📨"), event["SUMMARY"]
    # one confirmation back into the sink (never held for quiet hours: they wait for it)
    assert dispatch(app.sessions, only=[reply.id], cfg=cfg).sent == [reply.id]
    assert dispatch(app.sessions, only=[reply.id], cfg=cfg).sent == []
    assert arrived == ["[Monev] Balasan kiriman bukti"]
    (kept,) = tmp_path.glob("*-whatsapp.json")
    assert "Bukti diterima" in kept.read_text(encoding="utf-8") and ref in \
        kept.read_text(encoding="utf-8")


def test_reply_command_is_demo_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.cli import app as cli

    monkeypatch.setenv("MONEV_HOME", str(tmp_path))  # no `monev up --sink` runs from it
    proof = tmp_path / "bukti.pdf"
    proof.write_bytes(pdf("x"))
    done = CliRunner().invoke(cli, ["notify", "reply", "Pegawai Contoh Satu", str(proof)])
    assert done.exit_code == 2 and "hanya untuk demo" in done.output, done.output
