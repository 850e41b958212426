"""Evidence-task lifecycle: scheduled → open → submitted → verified, or rejected back
to the PIC with a reason. Every transition is an append-only audit record with the
person who made it; a rejection also goes into the PIC's next digest, with the reason,
in the same transaction. The portal and the CLI both act through here."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monev.config import MonevConfig
from monev.engine.blobs import Blob, store_file
from monev.errors import MonevError
from monev.store import models as m
from monev.store.queries import bump_plans

TRANSITIONS = {
    "submit": ({"open", "rejected", "backlog", "scheduled"}, "submitted"),
    "accept": ({"submitted"}, "verified"),
    "reject": ({"submitted", "verified"}, "rejected"),
}
VERBS = {"submit": "kirim", "accept": "terima", "reject": "tolak"}
LINK_RE = re.compile(r"^https?://[^\s<>\"']+$")


def find_checkpoint(session: Session, ref: str) -> m.Checkpoint:
    """A checkpoint by id (``123``) or by stable reference (``ITEMKEY@2025-10``)."""
    if ref.isdigit():
        cp = session.get(m.Checkpoint, int(ref))
    else:
        match = re.fullmatch(r"([0-9a-f]{12}(?:-\d+)?)@(\d{4}-\d{2}(?:-W[1-5])?)", ref)
        if not match:
            raise MonevError(f"checkpoint '{ref}' tidak sah: gunakan nomor atau KUNCI@PERIODE")
        cp = session.scalars(select(m.Checkpoint).join(m.Checkpoint.item).where(
            m.Item.key == match.group(1), m.Checkpoint.period == match.group(2))).first()
    if cp is None:
        raise MonevError(f"checkpoint '{ref}' tidak ditemukan")
    return cp


def moments(cp: m.Checkpoint, now: datetime | None) -> tuple[datetime, datetime]:
    """(local, utc) naive moments of an action: audit records keep the satker's wall
    clock (as the sweep does), calendars need UTC. A naive ``now`` is kept as given."""
    if now is not None and now.tzinfo is None:
        return now, now
    aware = now or datetime.now(UTC)
    local = aware.astimezone(ZoneInfo(cp.item.plan.satker.timezone or "Asia/Jakarta"))
    return local.replace(tzinfo=None), aware.astimezone(UTC).replace(tzinfo=None)


def transition(session: Session, cp: m.Checkpoint, verb: str, actor: str, note: str = "",
               now: datetime | None = None) -> m.Transition:
    allowed, target = TRANSITIONS[verb]
    if cp.status not in allowed:
        from monev.status import word

        raise MonevError(f"checkpoint berstatus '{word(cp.status)}'; tindakan "
                         f"'{VERBS[verb]}' hanya untuk status "
                         f"{', '.join(sorted(word(s) for s in allowed))}")
    if verb == "reject" and not note.strip():
        raise MonevError("penolakan wajib disertai alasan")
    at, utc = moments(cp, now)
    row = m.Transition(checkpoint_id=cp.id, at=at, actor=actor, from_status=cp.status,
                       to_status=target, note=note.strip())
    session.add(row)
    cp.status = target
    cp.touch(utc)  # feeds read this as UTC
    session.flush()
    bump_plans(session, [cp.item.plan_id])
    return row


def next_version(session: Session, cp: m.Checkpoint) -> int:
    return (session.scalar(select(func.max(m.Evidence.version)).where(
        m.Evidence.checkpoint_id == cp.id)) or 0) + 1


def submit(session: Session, cp: m.Checkpoint, by: str, blobs: Sequence[Blob] = (),
           links: Sequence[str] = (), note: str = "",
           now: datetime | None = None) -> list[m.Evidence]:
    """One submission (a new evidence version): any number of stored files and links,
    with a note. The checkpoint becomes ``submitted``: the ladder stops for it."""
    links = [u.strip() for u in links if u.strip()]
    if not blobs and not links:
        raise MonevError("kirim sedikitnya satu berkas atau satu tautan")
    for url in links:
        if not LINK_RE.match(url):
            raise MonevError(f"tautan bukti harus diawali http:// atau https://, bukan '{url}'")
    at = moments(cp, now)[0]
    version = next_version(session, cp)
    rows = [m.Evidence(checkpoint_id=cp.id, kind="file", location=b.relative(),
                       original_name=b.name, sha256=b.sha256, size=b.size, mime=b.mime,
                       note=note.strip(), version=version, submitted_by=by, submitted_at=at)
            for b in blobs]
    rows += [m.Evidence(checkpoint_id=cp.id, kind="link", location=url, note=note.strip(),
                        version=version, submitted_by=by, submitted_at=at) for url in links]
    session.add_all(rows)
    parts = [f"berkas {b.name} ({b.sha256[:12]})" for b in blobs] + \
        [f"tautan {u}" for u in links]
    summary = f"versi {version}: " + "; ".join(parts)
    transition(session, cp, "submit", by, f"{summary} — {note.strip()}" if note.strip()
               else summary, now)
    # the review thread: this submission opens a new round; from round 2 on its note is
    # the PIC's tanggapan to the verifier's catatan
    session.add(m.ReviewEntry(checkpoint_id=cp.id, round=rounds(session, [cp.id])[cp.id],
                              tier=0, kind="kirim", at=at, actor=by, role="",
                              reasons=[], note=note.strip(), version=version))
    return rows


def rounds(session: Session, ids: Iterable[int]) -> dict[int, int]:
    """How many times each checkpoint's evidence was submitted (its review round; 0
    before the first submission). Counted from the audit trail, so checkpoints that
    were reviewed before review rounds existed count right too."""
    ids = list(ids)
    out = dict.fromkeys(ids, 0)
    for start in range(0, len(ids), 500):
        out.update(session.execute(
            select(m.Transition.checkpoint_id, func.count(m.Transition.id))
            .where(m.Transition.checkpoint_id.in_(ids[start:start + 500]),
                   m.Transition.to_status == "submitted",
                   m.Transition.from_status != "submitted")
            .group_by(m.Transition.checkpoint_id)).tuples().all())
    return out


def submit_file(session: Session, cp: m.Checkpoint, path: Path, by: str, home: Path,
                now: datetime | None = None, note: str = "") -> m.Evidence:
    """Store a file from disk (same checks as an upload) and submit it."""
    return submit(session, cp, by, [store_file(home, path)], note=note, now=now)[0]


def submit_link(session: Session, cp: m.Checkpoint, url: str, by: str,
                now: datetime | None = None, note: str = "") -> m.Evidence:
    return submit(session, cp, by, links=[url], note=note, now=now)[0]


def rejection_reasons(session: Session, ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """The latest rejection (reason, who) of each checkpoint."""
    ids = list(ids)
    out: dict[int, tuple[str, str]] = {}
    for start in range(0, len(ids), 500):
        for cp_id, note, actor in session.execute(
                select(m.Transition.checkpoint_id, m.Transition.note, m.Transition.actor)
                .where(m.Transition.checkpoint_id.in_(ids[start:start + 500]),
                       m.Transition.to_status == "rejected",
                       # an escalation's marker (rejected → rejected) is no rejection
                       m.Transition.from_status != m.Transition.to_status)
                .order_by(m.Transition.id)).tuples():
            out[cp_id] = (note, actor)
    return out


def last_submitter(session: Session, cp_id: int) -> str | None:
    """Who sent the evidence now waiting (the latest submission)."""
    return session.scalar(select(m.Transition.actor).where(
        m.Transition.checkpoint_id == cp_id, m.Transition.to_status == "submitted")
        .order_by(m.Transition.id.desc()).limit(1))


def submitters(session: Session, ids: Iterable[int]) -> dict[int, str]:
    """``last_submitter`` of many checkpoints at once."""
    ids = list(ids)
    out: dict[int, str] = {}
    for start in range(0, len(ids), 500):
        for cp_id, actor in session.execute(
                select(m.Transition.checkpoint_id, m.Transition.actor)
                .where(m.Transition.checkpoint_id.in_(ids[start:start + 500]),
                       m.Transition.to_status == "submitted")
                .order_by(m.Transition.id)).tuples():
            out[cp_id] = actor
    return out


def reject(session: Session, cp: m.Checkpoint, by: str, reason: str,
           cfg: MonevConfig | None, now: datetime | None = None) -> m.Transition:
    """Reject with a reason; the PIC (and whoever submitted) hear it in their next
    digest, through the outbox, in this same transaction."""
    row = transition(session, cp, "reject", by, reason, now)
    if cfg is not None:
        _notify_rejection(session, cp, row, cfg, now)
    return row


def _notify_rejection(session: Session, cp: m.Checkpoint, row: m.Transition,
                      cfg: MonevConfig, now: datetime | None) -> None:
    from monev.engine.people import holders
    from notifiers.outbox import Delivery, enqueue
    from portal.links import LinkBook

    item, plan = cp.item, cp.item.plan
    sc = cfg.satker(plan.satker.name)
    if sc is None:
        return
    area = item.area.name
    pics = holders("pic", area, item.komponen, sc.people)
    submitter = last_submitter(session, cp.id)
    people = pics + [p for p in sc.people if p.name == submitter and p not in pics]
    if not people:
        return
    local, utc = moments(cp, now)
    day, moment = local.date(), utc.replace(tzinfo=UTC)
    book = LinkBook(session)
    base = {"kind": "ditolak", "step": f"tolak-{row.id}", "ref": f"{item.key}@{cp.period}",
            "period": cp.period, "due": cp.due.isoformat(), "bukti_fisik": item.bukti_fisik[:160],
            "indikator": item.indikator[:160], "area": area,
            "pic": ", ".join(p.name for p in pics),
            "subbagian": next((p.subbagian for p in pics if p.subbagian), ""),
            "reason": row.note, "by": row.actor}
    deliveries = [Delivery(p, "pic", [dict(base, link=book.url(sc.name, p.name,
                                                                  f"c/{cp.id}"))])
                  for p in people]
    ketua_tim = [p for p in sc.people if p.role == "ketua_tim"]
    contact = f"{ketua_tim[0].name} (Ketua Tim ZI)" if ketua_tim else "Tim ZI"
    enqueue(session, plan.id, sc.name, day, moment, sc.tz, sc.calendar(), deliveries, contact)
