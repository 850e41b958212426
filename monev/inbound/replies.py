"""Replies to inbound messages, through the outbox like every message: one row per
inbound message (key ``balasan|CHANNEL|ID``: never sent twice, never dropped), due at
once — the person is waiting for it, and on WhatsApp's Cloud API a free-form reply is
allowed inside the 24 hours after their message. A verifier's rejection of evidence
that came by a reply goes back on that channel too (:func:`rejection_back`)."""

from __future__ import annotations

import hashlib
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monev.store import models as m

REPLY_KIND = "balasan"
SUBJECT = "[Monev] Balasan kiriman bukti"
REJECTED = "[Monev] Bukti ditolak"


def address_for(channel: str, sender: str) -> str:
    """The outbox address of a sender: WhatsApp numbers as ``+62…``."""
    if channel == "whatsapp":
        return "+" + "".join(c for c in sender if c.isdigit())
    return sender


def _key(prefix: str, channel: str, ident: str) -> str:
    key = f"{prefix}|{channel}|{ident}"
    return key if len(key) <= 200 else \
        f"{prefix}|{channel}|{hashlib.sha256(ident.encode()).hexdigest()}"


def reply_key(channel: str, provider_id: str) -> str:
    """The outbox key of the one reply to an inbound message."""
    return _key(REPLY_KIND, channel, provider_id)


def enqueue_reply(session: Session, msg: m.InboundMessage, text: str, now: datetime,
                  day: date, person: str = "", plan_id: int | None = None,
                  ref: str = "") -> m.Outbox:
    """The reply to ``msg`` (in the caller's transaction, with what it answers)."""
    row = m.Outbox(idem_key=reply_key(msg.channel, msg.provider_id),
                   plan_id=plan_id, person=person or "(pengirim tidak dikenal)",
                   role="", channel=msg.channel,
                   address=address_for(msg.channel, msg.sender), kind=REPLY_KIND, day=day,
                   items=[{"kind": REPLY_KIND, "ref": ref, "inbound": str(msg.id)}],
                   subject=SUBJECT, body=_body(msg.channel, SUBJECT, text), status="pending",
                   attempts=0, not_before=now)
    session.add(row)
    session.flush()
    return row


def _body(channel: str, subject: str, text: str) -> str:
    """WhatsApp bodies carry their subject (as the digests do)."""
    return f"{subject}\n\n{text}" if channel == "whatsapp" else text


def rejection_back(session: Session, cp: m.Checkpoint, transition: m.Transition,
                   covered: set[tuple[str, str]], now: datetime, day: date) -> None:
    """A rejection of evidence that came by a reply, sent back on that channel to its
    sender — unless the rejection digest already goes there (``covered``: (channel,
    address) pairs of the people told)."""
    version = session.scalar(select(func.max(m.Evidence.version)).where(
        m.Evidence.checkpoint_id == cp.id))
    came = session.scalars(select(m.InboundMessage).where(
        m.InboundMessage.checkpoint_id == cp.id, m.InboundMessage.status == "done",
        m.InboundMessage.evidence_version == version)
        .order_by(m.InboundMessage.id.desc())).first()
    if came is None:
        return
    address = address_for(came.channel, came.sender)
    if (came.channel, address) in covered:
        return
    item = cp.item
    text = (f"Bukti untuk \"{item.bukti_fisik[:120]}\" ({item.key}@{cp.period}) ditolak "
            f"oleh {transition.actor}.\nAlasan: {transition.note}\n\nPerbaiki lalu balas "
            f"pesan ini dengan berkas perbaikannya dan kode {item.key}@{cp.period}.")
    session.add(m.Outbox(
        idem_key=_key("tolak", came.channel, f"{transition.id}"), plan_id=item.plan_id,
        person=came.person, role="pic", channel=came.channel, address=address,
        kind=REPLY_KIND, day=day,
        items=[{"kind": REPLY_KIND, "ref": f"{item.key}@{cp.period}"}],
        subject=REJECTED, body=_body(came.channel, REJECTED, text), status="pending",
        attempts=0, not_before=now))
    session.flush()
