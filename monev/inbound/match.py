"""Who sent a reply and which checkpoint it is for. The sender is found by phone
number, Telegram chat id or e-mail in the configuration; the checkpoint, in this order:
a checkpoint code in the text or caption (``d8d8600e9f7d@2025-01``), a short code the
sender's digest showed (``#3``), the message the reply answers when that named exactly
one item, the sender's only open item. Only its PIC, or their kasubbag or koordinator,
may send evidence for it by reply."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from monev.config import MonevConfig, Person, SatkerConfig
from monev.engine.people import concerns, holders
from monev.inbound import codes
from monev.inbound.mailtoken import read_token
from monev.store import models as m
from monev.store.plan_status import OPEN_STATUSES
from monev.tokens import server_secret

OPEN_ITEM = ("open", "rejected", "backlog", "submitted")  # a reply may still be for it
LISTED = 8  # candidates a reply lists
Sender = tuple[SatkerConfig, Person]


def senders(cfg: MonevConfig, channel: str, sender: str) -> list[Sender]:
    """Every configured person this address belongs to (one per satker)."""
    def same(p: Person) -> bool:
        if channel == "whatsapp":
            digits = "".join(c for c in sender if c.isdigit())
            return bool(p.whatsapp) and (p.whatsapp or "").lstrip("+") == digits
        if channel == "telegram":
            return bool(p.telegram) and p.telegram == sender
        if channel == "email":
            return bool(p.email) and (p.email or "").casefold() == sender.casefold()
        return False
    return [(sc, p) for sc in cfg.satkers for p in sc.people if same(p)]


@dataclass
class Match:
    checkpoint: m.Checkpoint | None = None
    who: Sender | None = None
    refusal: str = ""  # why nothing is stored (told to the sender)
    candidates: list[tuple[str, m.Checkpoint]] = field(default_factory=list)  # (code, cp)


def match(session: Session, found: list[Sender], text: str, reply_to: str, channel: str,
          day: date) -> Match:
    """The checkpoint a reply is for, or the reason there is none."""
    names = [sc.name for sc, _ in found]
    refs = list(dict.fromkeys(codes.REF_RE.findall(text)))
    if refs:
        cps = [cp for ref in refs for cp in _by_ref(session, names, None, ref)]
        if not cps:
            return Match(refusal=f"Kode {', '.join(refs)} tidak ditemukan pada rencana aksi "
                                 "Anda. Periksa kodenya pada pesan pengingat.")
        return _one(session, found, cps, day)
    answered = _answered(session, channel, reply_to)
    shorts = list(dict.fromkeys(int(n) for n in codes.SHORT_RE.findall(text)))
    if shorts:
        cps = []
        # an e-mail's token names the digest answered: its day's codes, not today's
        code_day = answered.day if answered is not None and channel == "email" else day
        for sc, p in found:
            for n in shorts:
                hit = codes.lookup(session, sc.name, p.name, n, code_day)
                if hit is not None:
                    cps += _by_ref(session, [sc.name], hit[0], hit[1])
        if not cps:
            return Match(refusal=f"Kode {', '.join(f'#{n}' for n in shorts)} tidak ada di "
                                 "pesan pengingat Anda. Tulis kode yang tertera di "
                                 "pesan terakhir, mis. #1.")
        return _one(session, found, cps, day)
    if answered is not None:
        cps = _replied(session, answered, names)
        if len(cps) == 1:
            return _one(session, found, cps, day)
    return _only_open(session, found, day)


def _by_ref(session: Session, satkers: list[str], plan_id: int | None,
            ref: str) -> list[m.Checkpoint]:
    key, _, period = ref.partition("@")
    q = (select(m.Checkpoint).join(m.Checkpoint.item).join(m.Item.plan).join(m.Plan.satker)
         .where(m.Item.key == key, m.Checkpoint.period == period, m.Satker.name.in_(satkers)))
    if plan_id is not None:
        q = q.where(m.Item.plan_id == plan_id)
    return list(session.scalars(q))


def _answered(session: Session, channel: str, reply_to: str) -> m.Outbox | None:
    """The message a reply answers: by the provider's id of it, or (e-mail) by the
    token its Reply-To and Message-ID carried (``monev.inbound.mail``)."""
    if not reply_to:
        return None
    if channel == "email":
        outbox_id = read_token(reply_to, server_secret())
        row = session.get(m.Outbox, outbox_id) if outbox_id is not None else None
        return row if row is not None and row.channel == "email" else None
    return session.scalars(select(m.Outbox).join(m.SentMessage,
                                                 m.SentMessage.outbox_id == m.Outbox.id)
                           .where(m.SentMessage.channel == channel,
                                  m.SentMessage.provider_id == reply_to)).first()


def _replied(session: Session, row: m.Outbox, satkers: list[str]) -> list[m.Checkpoint]:
    """The checkpoints the answered message named."""
    if row.plan_id is None:
        return []
    refs = {it["ref"] for it in row.items if "@" in (it.get("ref") or "")}
    return [cp for ref in sorted(refs) for cp in _by_ref(session, satkers, row.plan_id, ref)]


def _allowed(who: Sender, cp: m.Checkpoint) -> bool:
    sc, p = who
    item = cp.item
    return concerns(p, item.area.name, item.komponen, sc.people)


def _one(session: Session, found: list[Sender], cps: list[m.Checkpoint], day: date) -> Match:
    cps = list({cp.id: cp for cp in cps}.values())
    if len(cps) > 1:
        return _ambiguous(session, found, cps, day)
    cp = cps[0]
    satker = cp.item.plan.satker.name
    who = next((w for w in found if w[0].name.casefold() == satker.casefold()
                and _allowed(w, cp)), None)
    if who is None:
        return Match(refusal=f"Anda bukan PIC, kasubbag, atau koordinator baris "
                             f"\"{cp.item.bukti_fisik[:80]}\"; bukti tidak dicatat. "
                             "Mohon kirim melalui PIC baris itu.")
    if cp.item.plan.status not in OPEN_STATUSES:
        return Match(refusal="Rencana aksi baris itu sudah ditutup; bukti tidak dapat "
                             "dikirim lagi.")
    return Match(checkpoint=cp, who=who)


def _only_open(session: Session, found: list[Sender], day: date) -> Match:
    """The sender's own open items (as PIC); exactly one is the answer."""
    mine: list[tuple[Sender, m.Checkpoint]] = []
    for sc, p in found:
        rows = session.scalars(
            select(m.Checkpoint).join(m.Checkpoint.item).join(m.Item.plan)
            .join(m.Plan.satker).where(m.Satker.name == sc.name, m.Item.active.is_(True),
                                       m.Plan.status.in_(OPEN_STATUSES),
                                       m.Checkpoint.status.in_(OPEN_ITEM),
                                       m.Checkpoint.due <= _horizon(day))
            .order_by(m.Checkpoint.due, m.Checkpoint.id))
        for cp in rows:
            pics = holders("pic", cp.item.area.name, cp.item.komponen, sc.people)
            if any(x.name == p.name for x in pics):
                mine.append(((sc, p), cp))
    if len(mine) == 1:
        return Match(checkpoint=mine[0][1], who=mine[0][0])
    if not mine:
        return Match(refusal="Tidak ada tugas bukti terbuka atas nama Anda, jadi kiriman "
                             "ini tidak dapat dicocokkan. Tulis kode baris (mis. "
                             "d8d8600e9f7d@2025-01) bersama berkasnya.")
    return _ambiguous(session, found, [cp for _, cp in mine], day)


def _horizon(day: date) -> date:
    """Open items are those due within the coming month (the rest are far ahead)."""
    return date.fromordinal(day.toordinal() + 31)


def _ambiguous(session: Session, found: list[Sender], cps: list[m.Checkpoint],
               day: date) -> Match:
    """Several candidates: listed with short codes of today (the sender answers one)."""
    sc, p = found[0]
    shown = cps[:LISTED]
    given = codes.for_today(session, sc.name, p.name, day,
                            [(cp.item.plan_id, f"{cp.item.key}@{cp.period}") for cp in shown])
    listed = [(given.get((cp.item.plan_id, f"{cp.item.key}@{cp.period}"), ""), cp)
              for cp in shown]
    return Match(candidates=listed, refusal="ambiguous")
