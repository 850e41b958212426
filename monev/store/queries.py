"""Lookups shared by the CLI, the flows and the deployment compiler."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
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
    for plan, satker in all_plans(session):
        if plan_ref(satker.slug, plan.kind, plan.year) == ref:
            return plan, satker
    raise MonevError(f"rencana aksi '{ref}' tidak ada; lihat `monev plan list`")


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


def progress(session: Session, plan_id: int, as_of: date) -> tuple[int, int]:
    """(verified, due so far): the plan's capaian."""
    base = select(func.count(m.Checkpoint.id)).join(m.Checkpoint.item).where(
        m.Item.plan_id == plan_id, m.Item.active, m.Checkpoint.due <= as_of)
    due = session.scalar(base) or 0
    done = session.scalar(base.where(m.Checkpoint.status == "verified")) or 0
    return done, due


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


def overdue(session: Session, plan_id: int, as_of: date) -> list[CheckpointRow]:
    return [r for r in checkpoint_rows(session, plan_id)
            if r[0].due < as_of and r[0].status in ("open", "rejected", "scheduled", "backlog")]
