"""An inbound message from its webhook (or poll) to its evidence and its reply.

``record`` stores the message once (unique by channel and provider id) — a webhook
delivered twice finds it there and does nothing more. ``process`` then, usually in the
background after the provider was answered: who sent it, which checkpoint it is for,
the media downloaded into ``BlobWriter``s (size limit while streaming, SHA-256), and in
one transaction the message marked ``done`` with the submission made through the one
evidence service and the confirmation queued in the outbox. A refusal (a stranger, an
unknown code, a file too large or not allowed) marks it ``refused`` with its reply in
one transaction as well. A download that fails leaves it ``received`` for the next try
(:func:`process_pending`, run by a Prefect flow); after the last try it is ``failed``
and the sender is asked to send again. Nothing is lost, nothing is stored twice."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from monev.clock import today, utcnow
from monev.config import MonevConfig
from monev.engine.blobs import BlobWriter, EvidenceRefused, EvidenceTooLarge, safe_name
from monev.engine.evidence import Intake, locked
from monev.errors import MonevError
from monev.inbound import codes
from monev.inbound.match import Match, Sender, match, senders
from monev.inbound.replies import enqueue_reply
from monev.store import models as m
from monev.store.db import retry_busy

MAX_ATTEMPTS = 5
MAX_MEDIA = 10
BUSY_WAITS = (0.05, 0.2, 1.0)  # seconds before matching again after "database is locked"
LINK_RE = re.compile(r"https?://[^\s<>\"']+")
CHANNEL_WORDS = {"whatsapp": "WhatsApp", "telegram": "Telegram", "email": "e-mail"}


@dataclass(frozen=True)
class Media:
    """One attachment as the provider announced it: ``ref`` is what its fetcher needs
    (a URL, a Cloud API media id, a Telegram file id)."""

    ref: str
    name: str = ""
    mime: str = ""
    size: int | None = None


@dataclass(frozen=True)
class Incoming:
    channel: str  # whatsapp | telegram | email
    provider: str  # cloud | waha | telegram | imap
    provider_id: str
    sender: str
    text: str = ""
    reply_to: str = ""
    media: tuple[Media, ...] = field(default_factory=tuple)


class FetchError(Exception):
    """A media download that failed for now (the provider, the network): try again."""


# (provider, media) → bytes written into the writer; raises FetchError, or
# EvidenceTooLarge from the writer
Fetch = Callable[[str, Media, BlobWriter], None]


def record(session: Session, msg: Incoming, now: datetime | None = None) -> int | None:
    """Store a message once; None when this provider id was seen before."""
    row = m.InboundMessage(channel=msg.channel, provider=msg.provider,
                           provider_id=msg.provider_id[:200], sender=msg.sender[:200],
                           received_at=now or utcnow(), text=msg.text[:4000],
                           reply_to=msg.reply_to[:200],
                           media=[asdict(x) for x in msg.media[:MAX_MEDIA]],
                           status="received", attempts=0, last_error="", person="",
                           outcome="")
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return None
    return row.id


def record_all(factory: sessionmaker[Session], messages: Sequence[Incoming]) -> list[int]:
    """Record a webhook's messages in one transaction; the ids of the new ones."""
    return record_groups(factory, [messages])[0]


def record_groups(factory: sessionmaker[Session], groups: Sequence[Sequence[Incoming]],
                  ) -> list[list[int]]:
    """Several webhooks' messages in one transaction (webhooks arriving together share
    one turn at the writer); the ids of the new ones, per webhook."""
    with factory.begin() as s:
        return [[i for msg in group if (i := record(s, msg)) is not None]
                for group in groups]


def record_or_resume(factory: sessionmaker[Session], messages: Sequence[Incoming]) -> list[int]:
    """For a poll that reads its messages again until it confirms them (IMAP, Telegram
    ``getUpdates``): the ids of the messages new now, and of those an earlier poll
    recorded but stopped before handling; ones already handled are left out."""
    ids = record_all(factory, messages)
    known = {(msg.channel, msg.provider_id[:200]) for msg in messages}
    with factory() as s:
        again = s.scalars(select(m.InboundMessage.id).where(
            m.InboundMessage.status == "received",
            m.InboundMessage.channel.in_(sorted({c for c, _ in known})),
            m.InboundMessage.provider_id.in_(sorted(p for _, p in known)),
            m.InboundMessage.id.not_in(ids or [0])))
        ids += list(again)
    return ids


def process(factory: sessionmaker[Session], cfg: MonevConfig, home: Path, inbound_id: int,
            fetch: Fetch, max_attempts: int = MAX_ATTEMPTS) -> tuple[str, list[int]]:
    """Handle one recorded message (see the module); returns its status and the plans
    whose feeds changed. Safe to run twice or concurrently: only one finishes it."""
    with factory() as s:
        row = s.get(m.InboundMessage, inbound_id)
        if row is None or row.status != "received":
            return (row.status if row else "gone"), []
        channel, sender, text = row.channel, row.sender, row.text
        media = [Media(**x) for x in row.media]
        provider = row.provider
    found = senders(cfg, channel, sender)
    if not found:
        return _refuse(factory, inbound_id, STRANGER, None)
    tz = found[0][0].tz

    def matched() -> tuple[int | None, Sender | None, str]:
        """(checkpoint id, sender, refusal). An ambiguous reply's candidates get short
        codes, committed here: a write after reads, which SQLite refuses at once
        ("database is locked") when another writer committed meanwhile — tried again."""
        with factory() as s:
            row = s.get(m.InboundMessage, inbound_id)
            assert row is not None
            hit = match(s, found, text, row.reply_to, channel, today(tz))
            refusal = "" if hit.checkpoint is not None else _refusal_text(hit)
            s.commit()
            return (hit.checkpoint.id if hit.checkpoint else None), hit.who, refusal

    cp_id, who, refusal = retry_busy(matched, BUSY_WAITS)
    if cp_id is None:
        return _refuse(factory, inbound_id, refusal, None)
    assert who is not None
    links = LINK_RE.findall(text)
    if not media and not links:
        return _refuse(factory, inbound_id, NOTHING, None, person=who[1].name)
    writers: list[BlobWriter] = []
    try:
        for item in media:
            writer = BlobWriter(home, safe_name(item.name or "berkas"))
            writers.append(writer)
            fetch(provider, item, writer)
    except (EvidenceTooLarge, EvidenceRefused) as exc:
        _discard(writers)
        return _refuse(factory, inbound_id, f"Berkas tidak diterima: {exc}. Kirim ulang "
                                            "berkas yang benar.", None, person=who[1].name)
    except FetchError as exc:
        _discard(writers)
        return _retry_later(factory, inbound_id, str(exc), max_attempts, who[1].name)
    except BaseException:
        _discard(writers)
        raise
    return _store(factory, home, inbound_id, cp_id, who[1].name, writers, links, text)


STRANGER = ("Mohon maaf, nomor/akun ini tidak terdaftar sebagai PIC di Sistem Monev, "
            "sehingga kiriman tidak dicatat. Hubungi Tim ZI bila Anda seharusnya terdaftar.")
NOTHING = ("Pesan Anda diterima, tetapi tidak ada berkas atau tautan bukti di dalamnya. "
           "Balas dengan foto/PDF bukti (atau tautan Google Drive) dan kode barisnya.")


def _refusal_text(hit: Match) -> str:
    if not hit.candidates:
        return hit.refusal
    lines = [f"{code} {cp.item.bukti_fisik[:70]} ({cp.period})" for code, cp in hit.candidates]
    return ("Kiriman ini cocok dengan beberapa tugas, jadi belum dicatat. Kirim ulang "
            "berkasnya dengan salah satu kode berikut:\n" + "\n".join(lines))


def _discard(writers: list[BlobWriter]) -> None:
    for w in writers:
        w.discard()


def _locked(s: Session, inbound_id: int) -> m.InboundMessage | None:
    """The message, locked, while it is still to be handled."""
    row = s.get(m.InboundMessage, inbound_id, with_for_update=True)
    return row if row is not None and row.status == "received" else None


def _refuse(factory: sessionmaker[Session], inbound_id: int, text: str, hit: Match | None,
            person: str = "", status: str = "refused") -> tuple[str, list[int]]:
    """Mark the message refused with its reply, in one transaction."""
    with factory.begin() as s:
        row = _locked(s, inbound_id)
        if row is None:
            return "done-elsewhere", []
        row.status, row.outcome, row.person = status, text[:2000], person
        enqueue_reply(s, row, text, utcnow(), today(), person)
    return status, []


def _retry_later(factory: sessionmaker[Session], inbound_id: int, error: str,
                 max_attempts: int, person: str) -> tuple[str, list[int]]:
    with factory.begin() as s:
        row = _locked(s, inbound_id)
        if row is None:
            return "done-elsewhere", []
        row.attempts += 1
        row.last_error = error[:2000]
        if row.attempts < max_attempts:
            return "received", []
    return _refuse(factory, inbound_id, "Berkas Anda tidak dapat diambil dari layanan "
                   "pesan setelah beberapa kali mencoba. Mohon kirim ulang berkasnya.", None,
                   person, status="failed")


def _store(factory: sessionmaker[Session], home: Path, inbound_id: int, cp_id: int,
           person: str, writers: list[BlobWriter], links: list[str],
           text: str) -> tuple[str, list[int]]:
    intake = Intake(home)
    try:
        with factory.begin() as s:
            row = _locked(s, inbound_id)
            cp = s.get(m.Checkpoint, cp_id)
            if row is None or cp is None:
                _discard(writers)
                return "done-elsewhere", []
            word = CHANNEL_WORDS.get(row.channel, row.channel)
            caption = " ".join(codes.SHORT_RE.sub("", codes.REF_RE.sub("", text)).split())
            for url in links:
                caption = caption.replace(url, "").strip()
            note = f"via {word} dari {row.sender}, pesan {row.provider_id}"
            note = f"{note} — {caption[:500]}" if caption else note
            adding = locked(s, cp).status == "submitted"  # a reply just before counts
            rows = intake.submit(s, cp, person, writers, links, note, adding=adding)
            row.status, row.person, row.checkpoint_id = "done", person, cp.id
            row.evidence_version = rows[0].version if rows else None
            item = cp.item
            names = ", ".join(e.original_name or e.location for e in rows)
            row.outcome = f"{'ditambahkan' if adding else 'dikirim'}: {names}"[:2000]
            enqueue_reply(s, row, f"Bukti diterima untuk \"{item.bukti_fisik[:120]}\" "
                                  f"({item.key}@{cp.period}): {names} — menunggu "
                                  "verifikasi.", utcnow(), today(), person, item.plan_id,
                          f"{item.key}@{cp.period}")
            plan_id = item.plan_id
    except EvidenceRefused as exc:
        intake.forget(factory)
        return _refuse(factory, inbound_id, f"Berkas tidak diterima: {exc}.", None, person)
    except MonevError as exc:
        intake.forget(factory)
        return _refuse(factory, inbound_id, f"Bukti tidak dicatat: {exc}.", None, person)
    except BaseException:
        _discard(writers)
        intake.forget(factory)
        raise
    return "done", [plan_id]


def pending(factory: sessionmaker[Session], older_than: timedelta = timedelta(0),
            limit: int = 200) -> list[int]:
    """Messages still ``received`` (a download failed, or the process stopped before
    handling them), oldest first. E-mails are not among them: their files are in the
    mailbox, and the poll that reads it again finishes them (``notifiers.imap``)."""
    with factory() as s:
        return list(s.scalars(select(m.InboundMessage.id).where(
            m.InboundMessage.status == "received", m.InboundMessage.provider != "imap",
            m.InboundMessage.received_at <= utcnow() - older_than)
            .order_by(m.InboundMessage.id).limit(limit)))


def process_pending(factory: sessionmaker[Session], cfg: MonevConfig, home: Path,
                    fetch: Fetch, older_than: timedelta = timedelta(minutes=1),
                    ) -> dict[str, Any]:
    """Every message left ``received``, handled again (the retry of a failed download);
    returns counts by outcome and the plans whose feeds changed."""
    counts: dict[str, int] = {}
    plans: set[int] = set()
    for inbound_id in pending(factory, older_than):
        status, changed = process(factory, cfg, home, inbound_id, fetch)
        counts[status] = counts.get(status, 0) + 1
        plans.update(changed)
    return {"counts": counts, "plans": sorted(plans)}
