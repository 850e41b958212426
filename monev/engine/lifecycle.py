"""Evidence-task lifecycle: scheduled → open → submitted → verified, or rejected back
to the PIC with a reason. Every transition is an append-only audit record with the
person who made it; a rejection also goes into the PIC's next digest, with the reason,
in the same transaction. Until it is verified, a submission can take a forgotten file
(``add``) and lose a wrong one (``withdraw``: kept for the audit, no longer evidence;
withdrawing its last item returns the checkpoint to its state before the submission).
A form's idempotency key makes a repeated POST store nothing. The portal and the CLI
both act through here."""

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
from monev.engine.people import holders
from monev.errors import MonevError
from monev.inbound.replies import rejection_back
from monev.links import LinkBook
from monev.status import word
from monev.store import models as m
from monev.store.outbox import Delivery, address_of, enqueue
from monev.store.queries import bump_plans

TRANSITIONS = {
    "submit": ({"open", "rejected", "backlog", "scheduled"}, "submitted"),
    "accept": ({"submitted"}, "verified"),
    "reject": ({"submitted", "verified"}, "rejected"),
    "add": ({"submitted"}, "submitted"),
    "withdraw": ({"submitted"}, "submitted"),  # the last item: back to the state before
}
VERBS = {"submit": "kirim", "accept": "terima", "reject": "tolak", "add": "tambah bukti",
         "withdraw": "tarik bukti"}
EVENTS = {"add", "withdraw"}  # recorded in Transition.event
LINK_RE = re.compile(r"^https?://[^\s<>\"']+$")
KEY_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")  # a form's idempotency key


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
               now: datetime | None = None, to: str | None = None) -> m.Transition:
    allowed, target = TRANSITIONS[verb]
    target = to or target
    if cp.status not in allowed:
        raise MonevError(f"checkpoint berstatus '{word(cp.status)}'; tindakan "
                         f"'{VERBS[verb]}' hanya untuk status "
                         f"{', '.join(sorted(word(s) for s in allowed))}")
    if verb == "reject" and not note.strip():
        raise MonevError("penolakan wajib disertai alasan")
    at, utc = moments(cp, now)
    row = m.Transition(checkpoint_id=cp.id, at=at, actor=actor, from_status=cp.status,
                       to_status=target, note=note.strip(),
                       event=verb if verb in EVENTS else "")
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
           links: Sequence[str] = (), note: str = "", now: datetime | None = None,
           key: str = "") -> list[m.Evidence]:
    """One submission (a new evidence version): any number of stored files and links,
    with a note. The checkpoint becomes ``submitted``: the ladder stops for it.

    ``key`` (a form's idempotency key) is recorded first: the same key again raises
    the database's IntegrityError (after waiting for a concurrent first one)."""
    links = _checked_links(blobs, links)
    version = next_version(session, cp)
    _claim(session, cp, key, version, by, now)
    rows = _evidence(session, cp, by, blobs, links, note, version, now)
    transition(session, cp, "submit", by, _summary(f"versi {version}", blobs, links, note),
               now)
    # the review thread: this submission opens a new round; from round 2 on its note is
    # the PIC's tanggapan to the verifier's catatan
    session.add(m.ReviewEntry(checkpoint_id=cp.id, round=rounds(session, [cp.id])[cp.id],
                              tier=0, kind="kirim", at=moments(cp, now)[0], actor=by,
                              role="", reasons=[], note=note.strip(), version=version))
    return rows


def add(session: Session, cp: m.Checkpoint, by: str, blobs: Sequence[Blob] = (),
        links: Sequence[str] = (), note: str = "", now: datetime | None = None,
        key: str = "") -> list[m.Evidence]:
    """Files or links forgotten in the submission waiting for verification: they join
    its version; the checkpoint stays ``submitted`` (an ``add`` event in the trail)."""
    links = _checked_links(blobs, links)
    if cp.status not in TRANSITIONS["add"][0]:
        raise MonevError(_only_before_verification(cp))
    version = next_version(session, cp) - 1
    _claim(session, cp, key, version, by, now)
    rows = _evidence(session, cp, by, blobs, links, note, version, now)
    transition(session, cp, "add", by,
               _summary(f"bukti ditambahkan ke versi {version}", blobs, links, note), now)
    return rows


def withdraw(session: Session, cp: m.Checkpoint, evidence_id: int, by: str,
             reason: str = "", now: datetime | None = None) -> m.Transition:
    """Withdraw a wrong file or link of the submission waiting for verification. The
    row stays (marked, and in the trail) but is no longer evidence; withdrawing the
    last one returns the checkpoint to where it was before that submission (open,
    rejected, backlog or scheduled), so the reminders resume."""
    if cp.status not in TRANSITIONS["withdraw"][0]:
        raise MonevError(_only_before_verification(cp))
    current = current_evidence(session, cp.id)
    ev = next((e for e in current if e.id == evidence_id), None)
    if ev is None:
        raise MonevError("bukti itu bukan bagian kiriman yang sedang menunggu verifikasi "
                         "(atau sudah ditarik)")
    at = moments(cp, now)[0]
    ev.withdrawn_at, ev.withdrawn_by = at, by
    what = f"berkas {ev.original_name} ({(ev.sha256 or '')[:12]})" if ev.kind == "file" \
        else f"tautan {ev.location}"
    note = f"bukti ditarik dari versi {ev.version}: {what}"
    left = len(current) - 1
    back = None if left else status_before_submission(session, cp.id)
    if back:
        note += f"; tidak ada bukti tersisa, kembali ke status '{word(back)}'"
    return transition(session, cp, "withdraw", by,
                      f"{note} — {reason.strip()}" if reason.strip() else note, now, to=back)


def current_evidence(session: Session, cp_id: int) -> list[m.Evidence]:
    """The files and links of the latest submission not withdrawn."""
    latest = session.scalar(select(func.max(m.Evidence.version)).where(
        m.Evidence.checkpoint_id == cp_id))
    return list(session.scalars(select(m.Evidence).where(
        m.Evidence.checkpoint_id == cp_id, m.Evidence.version == latest,
        m.Evidence.withdrawn_at.is_(None)).order_by(m.Evidence.id)))


def submitters(session: Session, cp_id: int) -> set[str]:
    """Who sent items of the latest submission (they may add to or withdraw from it)."""
    latest = session.scalar(select(func.max(m.Evidence.version)).where(
        m.Evidence.checkpoint_id == cp_id))
    return set(session.scalars(select(m.Evidence.submitted_by).where(
        m.Evidence.checkpoint_id == cp_id, m.Evidence.version == latest)))


def status_before_submission(session: Session, cp_id: int) -> str:
    """The state the latest submission moved the checkpoint from."""
    before = session.scalar(select(m.Transition.from_status).where(
        m.Transition.checkpoint_id == cp_id, m.Transition.to_status == "submitted",
        m.Transition.from_status != "submitted").order_by(m.Transition.id.desc()).limit(1))
    return before if before in TRANSITIONS["submit"][0] else "open"


def key_seen(session: Session, cp_id: int, key: str) -> bool:
    """Was a form with this idempotency key already stored for this checkpoint?"""
    return bool(key) and session.scalar(select(m.SubmissionKey.id).where(
        m.SubmissionKey.checkpoint_id == cp_id, m.SubmissionKey.key == key)) is not None


def _claim(session: Session, cp: m.Checkpoint, key: str, version: int, by: str,
           now: datetime | None) -> None:
    """Record a form's key before anything else is written: a repeat (even one running
    concurrently) fails here on the unique constraint."""
    if not key:
        return
    if not KEY_RE.match(key):
        raise MonevError("kunci formulir tidak sah; muat ulang halaman lalu kirim lagi")
    session.add(m.SubmissionKey(checkpoint_id=cp.id, key=key, version=version,
                                submitted_by=by, at=moments(cp, now)[0]))
    session.flush()


def _checked_links(blobs: Sequence[Blob], links: Sequence[str]) -> list[str]:
    links = [u.strip() for u in links if u.strip()]
    if not blobs and not links:
        raise MonevError("kirim sedikitnya satu berkas atau satu tautan")
    for url in links:
        if not LINK_RE.match(url):
            raise MonevError(f"tautan bukti harus diawali http:// atau https://, bukan '{url}'")
    return links


def _evidence(session: Session, cp: m.Checkpoint, by: str, blobs: Sequence[Blob],
              links: Sequence[str], note: str, version: int,
              now: datetime | None) -> list[m.Evidence]:
    at = moments(cp, now)[0]
    rows = [m.Evidence(checkpoint_id=cp.id, kind="file", location=b.relative(),
                       original_name=b.name, sha256=b.sha256, size=b.size, mime=b.mime,
                       note=note.strip(), version=version, submitted_by=by, submitted_at=at)
            for b in blobs]
    rows += [m.Evidence(checkpoint_id=cp.id, kind="link", location=url, note=note.strip(),
                        version=version, submitted_by=by, submitted_at=at) for url in links]
    session.add_all(rows)
    return rows


def _summary(head: str, blobs: Sequence[Blob], links: Sequence[str], note: str) -> str:
    parts = [f"berkas {b.name} ({b.sha256[:12]})" for b in blobs] + \
        [f"tautan {u}" for u in links]
    summary = f"{head}: " + "; ".join(parts)
    return f"{summary} — {note.strip()}" if note.strip() else summary


def _only_before_verification(cp: m.Checkpoint) -> str:
    return (f"checkpoint berstatus '{word(cp.status)}': bukti hanya dapat ditambah atau "
            "ditarik selama kiriman menunggu verifikasi")




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
                       # an escalation's marker (rejected → rejected) is no rejection,
                       # nor a withdrawal back to the rejected state
                       m.Transition.from_status != m.Transition.to_status,
                       m.Transition.event != "withdraw")
                .order_by(m.Transition.id)).tuples():
            out[cp_id] = (note, actor)
    return out


def last_submitter(session: Session, cp_id: int) -> str | None:
    """Who sent the evidence now waiting (the latest submission, or an addition to
    it; withdrawing sends nothing)."""
    return last_submitters(session, [cp_id]).get(cp_id)


def last_submitters(session: Session, ids: Iterable[int]) -> dict[int, str]:
    """``last_submitter`` of many checkpoints at once (one rule for both: the tiers and
    the self-verification check must agree on who sent)."""
    ids = list(ids)
    out: dict[int, str] = {}
    for start in range(0, len(ids), 500):
        for cp_id, actor in session.execute(
                select(m.Transition.checkpoint_id, m.Transition.actor)
                .where(m.Transition.checkpoint_id.in_(ids[start:start + 500]),
                       m.Transition.to_status == "submitted",
                       m.Transition.event != "withdraw")
                .order_by(m.Transition.id)).tuples():
            out[cp_id] = actor
    return out


def reject(session: Session, cp: m.Checkpoint, by: str, reason: str,
           cfg: MonevConfig | None, now: datetime | None = None) -> m.Transition:
    """Reject with a reason; the PIC (and whoever submitted) hear it in their next
    digest, through the outbox, in this same transaction."""
    row = transition(session, cp, "reject", by, reason, now)
    covered = _notify_rejection(session, cp, row, cfg, now) if cfg is not None else set()
    local, utc = moments(cp, now)  # evidence that came by a reply: told on that channel
    rejection_back(session, cp, row, covered, utc, local.date())
    return row


def _notify_rejection(session: Session, cp: m.Checkpoint, row: m.Transition,
                      cfg: MonevConfig, now: datetime | None) -> set[tuple[str, str]]:
    """Queue the rejection into the digests; the (channel, address) pairs it goes to."""
    item, plan = cp.item, cp.item.plan
    sc = cfg.satker(plan.satker.name)
    if sc is None:
        return set()
    area = item.area.name
    pics = holders("pic", area, item.komponen, sc.people)
    submitter = last_submitter(session, cp.id)
    people = pics + [p for p in sc.people if p.name == submitter and p not in pics]
    if not people:
        return set()
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
    return {(c, a) for p in people for c in p.channels if (a := address_of(p, c))}
