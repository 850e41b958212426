"""Evidence-task lifecycle: scheduled → open → submitted → verified, or rejected back
to the PIC with a reason. Every transition is an append-only audit record."""

from __future__ import annotations

import hashlib
import re
import shutil
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from monev.errors import MonevError
from monev.store import models as m

MAX_EVIDENCE_BYTES = 25 * 1024 * 1024
ALLOWED_SUFFIXES = {".pdf", ".jpg", ".jpeg", ".png", ".doc", ".docx", ".xls", ".xlsx",
                    ".ppt", ".pptx", ".odt", ".ods", ".zip", ".txt", ".csv", ".mp4"}
TRANSITIONS = {
    "submit": ({"open", "rejected", "backlog", "scheduled"}, "submitted"),
    "accept": ({"submitted"}, "verified"),
    "reject": ({"submitted", "verified"}, "rejected"),
}


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


def transition(session: Session, cp: m.Checkpoint, verb: str, actor: str, note: str = "",
               now: datetime | None = None) -> None:
    allowed, target = TRANSITIONS[verb]
    if cp.status not in allowed:
        raise MonevError(f"checkpoint {cp.id} berstatus '{cp.status}'; '{verb}' hanya dari "
                         f"{', '.join(sorted(allowed))}")
    if verb == "reject" and not note.strip():
        raise MonevError("penolakan wajib disertai alasan (--reason)")
    at = now or datetime.now()
    session.add(m.Transition(checkpoint_id=cp.id, at=at, actor=actor,
                             from_status=cp.status, to_status=target, note=note))
    cp.status = target
    cp.touch(now or datetime.utcnow())  # feeds read this as UTC


def submit_file(session: Session, cp: m.Checkpoint, path: Path, by: str, home: Path,
                now: datetime | None = None) -> m.Evidence:
    """Store a copy of the file under ``home/evidence`` with its SHA-256, then submit."""
    if not path.is_file():
        raise MonevError(f"berkas bukti tidak ada: {path}")
    if path.suffix.lower() not in ALLOWED_SUFFIXES:
        raise MonevError(f"jenis berkas {path.suffix or '(tanpa akhiran)'} tidak diizinkan; "
                         f"yang boleh: {', '.join(sorted(ALLOWED_SUFFIXES))}")
    size = path.stat().st_size
    if size > MAX_EVIDENCE_BYTES:
        raise MonevError(f"berkas bukti terlalu besar ({size} bait; batas {MAX_EVIDENCE_BYTES})")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    target = home / "evidence" / digest[:2] / f"{digest}{path.suffix.lower()}"
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        tmp = target.with_suffix(target.suffix + ".tmp")
        shutil.copyfile(path, tmp)
        tmp.replace(target)
    ev = m.Evidence(checkpoint_id=cp.id, kind="file", location=str(target),
                    original_name=path.name, sha256=digest, size=size, submitted_by=by,
                    submitted_at=now or datetime.now())
    session.add(ev)
    transition(session, cp, "submit", by, f"berkas {path.name} ({digest[:12]})", now)
    return ev


def submit_link(session: Session, cp: m.Checkpoint, url: str, by: str,
                now: datetime | None = None) -> m.Evidence:
    if not re.match(r"^https?://\S+$", url):
        raise MonevError(f"tautan bukti harus http(s)://…, bukan '{url}'")
    ev = m.Evidence(checkpoint_id=cp.id, kind="link", location=url, submitted_by=by,
                    submitted_at=now or datetime.now())
    session.add(ev)
    transition(session, cp, "submit", by, f"tautan {url}", now)
    return ev
