"""One way to submit evidence, several doors: the portal upload, a reply by WhatsApp,
Telegram or e-mail (``monev.inbound``). Files arrive in ``BlobWriter``s (size limit
while streaming, SHA-256 on the way); here they are typed by their content against the
allow-list, moved to their content address and recorded as a submission — or an
addition to the one waiting — in the caller's transaction (audit trail, ladder stops).
Blobs this submission created are removed again when that transaction fails
(:meth:`Intake.forget`); republishing feeds after the commit is the caller's
(``portal.effects.after_change``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from monev.engine import lifecycle
from monev.engine.blobs import Blob, BlobWriter, EvidenceRefused, Kind, blob_relative
from monev.store import models as m


def locked(session: Session, cp: m.Checkpoint) -> m.Checkpoint:
    """``cp`` read afresh and locked until the transaction ends (``FOR UPDATE`` on
    PostgreSQL; a SQLite writer holds the database lock already), so a decision on its
    status — submit, or add to the waiting submission — sees every earlier commit."""
    session.refresh(cp, with_for_update=True)
    return cp


class Intake:
    """One submission's files on their way in; remembers the blobs it created."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.created: list[str] = []

    def store(self, writers: Sequence[BlobWriter]) -> list[Blob]:
        """Type every file by its content, then store them all (or none: a refused
        file discards every one and raises ``EvidenceRefused``)."""
        kinds: list[Kind] = []
        try:
            for w in writers:
                kinds.append(w.check())
        except EvidenceRefused:
            for w in writers:
                w.discard()
            raise
        stored = [w.commit(k) for w, k in zip(writers, kinds, strict=True)]
        self.created += [b.sha256 for b, new in stored if new]
        return [b for b, _ in stored]

    def submit(self, session: Session, cp: m.Checkpoint, by: str,
               writers: Sequence[BlobWriter] = (), links: Sequence[str] = (),
               note: str = "", key: str = "", adding: bool = False,
               now: datetime | None = None) -> list[m.Evidence]:
        """Store the files and record them as a new submission (``adding``: joined to
        the submission waiting for verification). The checkpoint is read again, locked
        (:func:`locked`): two doors submitting to it at once take turns."""
        blobs = self.store(writers)
        locked(session, cp)
        act = lifecycle.add if adding else lifecycle.submit
        return act(session, cp, by, blobs, links, note, now=now, key=key)

    def forget(self, factory: sessionmaker[Session]) -> None:
        """After the transaction failed: the blobs it created that nothing uses."""
        for digest in self.created:
            with factory() as s:
                used = s.scalar(select(func.count(m.Evidence.id)).where(
                    m.Evidence.sha256 == digest)) or 0
            if not used:
                (self.home / blob_relative(digest)).unlink(missing_ok=True)
        self.created = []
