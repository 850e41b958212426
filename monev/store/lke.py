"""What the database keeps of the LKE: a plan's version, the admin's row ↔ question
links, and a satker's answers (its own and the TPI's)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple, Protocol

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.orm import Session

from monev.lke.project import Progress, counted
from monev.lke.suggest import RowText
from monev.store import models as m
from monev.store.queries import WAITING, bump_plans

ROLES = ("unit", "tpi")


# Built once: building a statement costs more than running it, and the sweep reads
# these for every plan it scores.
_LINKS = (select(m.LkeLink.item_key, m.LkeLink.code)
          .where(m.LkeLink.plan_id == bindparam("plan")).order_by(m.LkeLink.id))
_ANSWERS = select(m.LkeAnswer.code, m.LkeAnswer.answer, m.LkeAnswer.note).where(
    m.LkeAnswer.satker_id == bindparam("satker"), m.LkeAnswer.version == bindparam("version"),
    m.LkeAnswer.role == bindparam("role"))


def admin_links(session: Session, plan_id: int) -> dict[str, tuple[str, ...]]:
    """Row key → the codes the admin set ("" alone: serves none)."""
    out: dict[str, list[str]] = {}
    for key, code in session.execute(_LINKS, {"plan": plan_id}):
        out.setdefault(key, []).append(code)
    return {k: tuple(v) for k, v in out.items()}


def set_links(session: Session, plan_id: int, item_key: str, codes: Sequence[str],
              actor: str, at: datetime) -> None:
    """Replace the admin's links of one row (``[]``: back to the suggestion; ``[""]``:
    serves no question). The caller commits."""
    session.execute(delete(m.LkeLink).where(m.LkeLink.plan_id == plan_id,
                                            m.LkeLink.item_key == item_key))
    for code in dict.fromkeys(codes):
        session.add(m.LkeLink(plan_id=plan_id, item_key=item_key, code=code, actor=actor,
                              at=at))
    bump_plans(session, [plan_id])  # the sweep's LKE snapshot is then recomputed


def answers(session: Session, satker_id: int, version: str,
            role: str = "unit") -> dict[str, tuple[str, str]]:
    """Question code → (answer, note)."""
    rows = session.execute(_ANSWERS, {"satker": satker_id, "version": version, "role": role})
    return {code: (answer, note) for code, answer, note in rows}


def set_answer(session: Session, satker_id: int, version: str, code: str, role: str,
               answer: str | None, note: str, actor: str, at: datetime) -> None:
    """Set (``answer`` None: clear) one answer. The caller commits. Every plan of the
    satker is bumped: its LKE page shows the answer, and its snapshot is then recomputed."""
    bump_plans(session, session.scalars(select(m.Plan.id).where(
        m.Plan.satker_id == satker_id)))
    session.execute(delete(m.LkeAnswer).where(
        m.LkeAnswer.satker_id == satker_id, m.LkeAnswer.version == version,
        m.LkeAnswer.code == code, m.LkeAnswer.role == role))
    if answer is not None:
        session.add(m.LkeAnswer(satker_id=satker_id, version=version, code=code, role=role,
                                answer=answer, note=note, actor=actor, at=at))


def plan_rows(session: Session, plan_id: int) -> list[RowText]:
    """The plan's active rows, in document order, as the suggestions read them."""
    rows = session.execute(
        select(m.Item.key, m.Area.name, m.Item.komponen, m.Item.indikator)
        .join(m.Item.area).where(m.Item.plan_id == plan_id, m.Item.active)
        .order_by(m.Item.position))
    return [RowText(*row) for row in rows]


class Counted(NamedTuple):
    """A checkpoint as the score counts it, with its row's words."""

    key: str
    area: str
    komponen: str
    indikator: str
    status: str
    due: date


class CountedLike(Protocol):
    """What the score reads of a checkpoint: a :class:`Counted`, or the sweep's
    ``CheckpointView`` of it."""

    @property
    def key(self) -> str: ...
    @property
    def area(self) -> str: ...
    @property
    def komponen(self) -> str: ...
    @property
    def indikator(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def due(self) -> date: ...


def counted_checkpoints(session: Session, plan_id: int) -> list[Counted]:
    """The plan's active checkpoints the score counts (cancelled ones are expected of
    nobody and count nowhere), in one column query."""
    cp, it = m.Checkpoint, m.Item
    rows = session.execute(
        select(it.key, m.Area.name, it.komponen, it.indikator, cp.status, cp.due)
        .join(cp.item).join(it.area)
        .where(it.plan_id == plan_id, it.active, cp.status != "cancelled")
        .order_by(it.position, cp.due))
    return [Counted(*row) for row in rows]


def rows_with_checkpoints(views: Sequence[CountedLike]) -> list[RowText]:
    """The rows of ``views``, each once: the only rows whose links reach a score."""
    seen: dict[str, RowText] = {}
    for v in views:
        if v.key not in seen:
            seen[v.key] = RowText(v.key, v.area, v.komponen, v.indikator)
    return list(seen.values())


def progress_of_views(views: Sequence[CountedLike],
                      as_of: date) -> tuple[dict[str, Progress], Progress]:
    """Each row's checkpoints (by row key) and the whole plan's, as of a day."""
    return counted([(v.key, v.status, v.due <= as_of,
                     v.due < as_of and v.status in WAITING) for v in views])


@dataclass(frozen=True)
class RowEvidence:
    """One file or link of a checkpoint's current submission (its latest version, not
    withdrawn), of a checkpoint verified or waiting for verification."""

    key: str  # the plan row's key
    period: str
    status: str  # verified | submitted
    kind: str  # file | link
    location: str
    original_name: str
    sha256: str | None
    evidence_id: int


def row_evidence(session: Session, plan_id: int) -> dict[str, list[RowEvidence]]:
    """Row key → its checkpoints' current evidence, in document order: what a TPI is
    shown (rejected submissions and withdrawn files are not evidence)."""
    ev, cp, it = m.Evidence, m.Checkpoint, m.Item
    mine = select(cp.id).join(cp.item).where(it.plan_id == plan_id)
    latest = (select(ev.checkpoint_id, func.max(ev.version).label("v"))
              .where(ev.checkpoint_id.in_(mine)).group_by(ev.checkpoint_id).subquery())
    rows = session.execute(
        select(it.key, cp.period, cp.status, ev.kind, ev.location, ev.original_name,
               ev.sha256, ev.id)
        .join(cp, cp.item_id == it.id).join(ev, ev.checkpoint_id == cp.id)
        .join(latest, (latest.c.checkpoint_id == ev.checkpoint_id)
              & (latest.c.v == ev.version))
        .where(it.plan_id == plan_id, it.active, cp.status.in_(("verified", "submitted")),
               ev.withdrawn_at.is_(None))
        .order_by(it.position, cp.due, ev.id))
    out: dict[str, list[RowEvidence]] = {}
    for row in rows:
        out.setdefault(row[0], []).append(RowEvidence(*row))
    return out
