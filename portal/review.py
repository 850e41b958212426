"""What the verifier's pages show, read from the store: the queue of evidence waiting
for the viewer's tier (newest evidence first to look at, with previews), and one
checkpoint's review — its round, the tier now waiting, and the thread of catatan and
tanggapan. The decisions themselves are monev/engine/review.py's."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from monev.engine import lifecycle
from monev.engine.preview import known_missing
from monev.engine.review import Round, State, Tier, entries_of, state_of, thread
from portal.access import Row, Viewer, closed_plans, satker_rows
from portal.tasks import Task, Version, task_of, versions

# Kinds of evidence a browser shows in an <img>: the file itself, or a PDF's first page.
IMAGES = ("image/jpeg", "image/png", "image/webp")


@dataclass(frozen=True, slots=True)
class Preview:
    evidence_id: int
    name: str
    url: str  # "" when there is none to show
    pdf: bool


def previews(home: Path, version: Version | None) -> list[Preview]:
    """A preview of each file of a submission a browser can show: images as they are,
    PDFs by their first page (none for a PDF known to have none)."""
    out = []
    for f in version.files if version else []:
        if f.mime in IMAGES:
            out.append(Preview(f.id, f.original_name, f"/portal/bukti/{f.id}", False))
        elif f.mime == "application/pdf":
            missing = not f.sha256 or known_missing(home, f.sha256)
            out.append(Preview(f.id, f.original_name,
                               "" if missing else f"/portal/bukti/{f.id}/pratinjau", True))
    return out


@dataclass
class Review:
    """One checkpoint's review as its page shows it."""

    state: State
    thread: list[Round]
    submitter: str | None
    can_act: bool  # the viewer's tier is waiting
    own: bool  # the viewer sent it and may not verify it
    latest: Version | None = None
    previews: list[Preview] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    @property
    def waiting(self) -> Tier | None:
        return self.state.waiting

    @property
    def tanggapan(self) -> str:
        """The PIC's answer to the last catatan (the latest submission's note)."""
        return self.latest.note if self.latest and self.state.round > 1 else ""


def checkpoint_review(session: Session, viewer: Viewer, row: Row, home: Path,
                      closed: bool) -> Review:
    cp, item, area, _plan = row
    submitter = lifecycle.last_submitter(session, cp.id)
    tiers = viewer.people.tiers(area, item.komponen, submitter)
    st = state_of(cp.status, lifecycle.rounds(session, [cp.id])[cp.id],
                  entries_of(session, [cp.id])[cp.id], tiers)
    own = submitter == viewer.person.name and viewer.verifier and \
        not viewer.may_verify_own() and cp.status == "submitted"
    waiting = st.waiting
    can_act = not closed and waiting is not None and viewer.person.name in waiting.people
    vs = versions(session, cp.id) if can_act else []
    latest = vs[0] if vs else None
    return Review(st, thread(session, cp.id), submitter, can_act, own, latest,
                  previews(home, latest), list(viewer.satker.portal.review.reasons))


@dataclass
class Waiting:
    task: Task
    version: Version | None
    state: State
    previews: list[Preview]

    @property
    def tanggapan(self) -> str:
        return self.version.note if self.version and self.state.round > 1 else ""


def verify_queue(session: Session, viewer: Viewer, today: date, home: Path) -> list[Waiting]:
    """Submitted evidence waiting for the viewer's tier, oldest due first; fixes sent
    after a rejection ("menunggu dicek ulang") are marked."""
    closed = closed_plans(session, viewer, today)
    rows = [r for r in satker_rows(session, viewer, status="submitted")
            if r[3].id not in closed and viewer.can_verify(r[2], r[1].komponen)]
    ids = [r[0].id for r in rows]
    sent_by = lifecycle.last_submitters(session, ids)
    rounds = lifecycle.rounds(session, ids)
    entries = entries_of(session, ids)
    out = []
    for row in rows:
        cp, item, area, _plan = row
        tiers = viewer.people.tiers(area, item.komponen, sent_by.get(cp.id))
        st = state_of(cp.status, rounds[cp.id], entries[cp.id], tiers)
        if st.waiting is None or viewer.person.name not in st.waiting.people:
            continue
        vs = versions(session, cp.id)
        latest = vs[0] if vs else None
        out.append(Waiting(task_of(row, viewer, today, {}), latest, st,
                           previews(home, latest)))
    return out
