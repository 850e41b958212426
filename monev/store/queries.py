"""Lookups shared by the CLI, the flows and the deployment compiler."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from monev.engine.rules import CheckpointState
from monev.errors import MonevError
from monev.periods import Period
from monev.store import models as m


def plan_ref(satker_slug: str, kind: str, year: int) -> str:
    """``kpu-kabupaten-muaro-jambi/zi-2025`` — how flows and people name a plan."""
    return f"{satker_slug}/{kind.lower()}-{year}"


def all_plans(session: Session) -> Sequence[tuple[m.Plan, m.Satker]]:
    return session.execute(select(m.Plan, m.Satker).join(m.Plan.satker)
                           .order_by(m.Satker.slug, m.Plan.kind, m.Plan.year)).tuples().all()


def find_plan(session: Session, ref: str) -> tuple[m.Plan, m.Satker]:
    """A plan by its id ``satker-slug/zi-2025``: one lookup by key."""
    slug, _, rest = ref.partition("/")
    kind, _, year = rest.partition("-")
    found = None
    if year.isdigit() and len(year) == 4:
        found = session.execute(
            select(m.Plan, m.Satker).join(m.Plan.satker).where(
                m.Satker.slug == slug, m.Plan.kind == kind.upper(), m.Plan.year == int(year))
        ).tuples().first()
    if found is None:
        raise MonevError(f"rencana aksi '{ref}' tidak ada; lihat `monev plan list`")
    return found


def satker_of_plan(session: Session, plan_id: int) -> str | None:
    return session.scalar(select(m.Satker.name).join(m.Plan.satker).where(m.Plan.id == plan_id))


CheckpointRow = tuple[m.Checkpoint, m.Item, str]


def checkpoint_rows(session: Session, plan_id: int) -> Sequence[CheckpointRow]:
    """Active checkpoints of a plan with their row and area name, by due date."""
    return session.execute(
        select(m.Checkpoint, m.Item, m.Area.name).join(m.Checkpoint.item).join(m.Item.area)
        .where(m.Item.plan_id == plan_id, m.Item.active)
        .order_by(m.Checkpoint.due, m.Item.position)).tuples().all()


def to_state(row: CheckpointRow) -> CheckpointState:
    cp, item, area = row
    return CheckpointState(id=cp.id, period=Period.parse(cp.period), due=cp.due,
                           status=cp.status, area=area, komponen=item.komponen,
                           bukti_fisik=item.bukti_fisik, imported_on=cp.imported_on)


@dataclass(frozen=True)
class Capaian:
    """A plan's progress as of a day, counted in SQL."""

    verified: int  # all verified checkpoints
    total: int  # every checkpoint of the plan's active rows
    due: int  # due on or before the day
    verified_due: int  # of those, verified
    late: int  # due before the day and still waiting for the PIC

    @property
    def percent(self) -> float:
        return 100.0 * self.verified / self.total if self.total else 0.0

    def sentence(self, as_of: date) -> str:
        """"12 dari 399 checkpoint terverifikasi (3 %)" and what is due and late."""
        return (f"{self.verified} dari {self.total} checkpoint terverifikasi "
                f"({self.percent:.0f} %); jatuh tempo s.d. {as_of:%d-%m-%Y}: {self.due}, "
                f"terverifikasi {self.verified_due}, terlambat {self.late}")


def progress(session: Session, plan_id: int, as_of: date) -> Capaian:
    """The plan's capaian as of ``as_of`` in one aggregate query."""
    cp = m.Checkpoint
    waiting = cp.status.in_(("open", "rejected", "scheduled", "backlog"))
    row = session.execute(
        select(func.count(cp.id),
               func.sum(case((cp.status == "verified", 1), else_=0)),
               func.sum(case((cp.due <= as_of, 1), else_=0)),
               func.sum(case(((cp.due <= as_of) & (cp.status == "verified"), 1), else_=0)),
               func.sum(case(((cp.due < as_of) & waiting, 1), else_=0)))
        .join(cp.item).where(m.Item.plan_id == plan_id, m.Item.active)).one()
    total, verified, due, verified_due, late = (int(v or 0) for v in row)
    return Capaian(verified, total, due, verified_due, late)


@dataclass(frozen=True)
class AreaProgress:
    area: str
    due: int  # checkpoints due on or before the day
    verified: int
    submitted: int
    overdue: int  # due, and neither submitted nor verified


def area_progress(session: Session, plan_id: int, as_of: date) -> list[AreaProgress]:
    """Capaian per area for the monthly/quarterly monev report."""
    out: dict[str, list[int]] = {}
    for cp, _item, area in checkpoint_rows(session, plan_id):
        row = out.setdefault(area, [0, 0, 0, 0])
        if cp.due > as_of:
            continue
        row[0] += 1
        row[1] += cp.status == "verified"
        row[2] += cp.status == "submitted"
        row[3] += cp.status in ("open", "rejected", "scheduled", "backlog")
    return [AreaProgress(a, *v) for a, v in out.items()]
