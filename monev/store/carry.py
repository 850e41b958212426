"""Carrying open items into a new plan year — only when asked (``monev plan import
--carry-over``). Each row of the same satker's plan of the previous year (same kind)
that still has a checkpoint without verified or submitted evidence becomes a row of the
new plan: same area, komponen and texts, target "Lanjutan ZI 2025: …", one checkpoint
in the new plan's first month. Carried rows have keys made from the old ones, so a
second run adds nothing, and they are not part of the document (``source_line`` 0):
a revision of the new decree keeps them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monev.clock import utcnow
from monev.periods import Period
from monev.store import models as m
from monev.store.queries import bump_plans
from monev.workdays import WorkCalendar

UNFINISHED = ("scheduled", "open", "rejected", "backlog")


def carried_key(old_key: str) -> str:
    """A stable key of the same shape as a row key (12 hex digits)."""
    return hashlib.sha256(f"lanjutan:{old_key}".encode()).hexdigest()[:12]


@dataclass
class CarryResult:
    source: str  # "ZI 2025", or "" when there is no previous plan
    rows: int = 0
    checkpoints: int = 0


def carry_over(session: Session, plan_id: int, calendar: WorkCalendar, today: date,
               actor: str) -> CarryResult:
    """Bring the previous year's unfinished rows into plan ``plan_id`` (idempotent)."""
    plan = session.get(m.Plan, plan_id)
    assert plan is not None
    previous = session.scalar(select(m.Plan).where(
        m.Plan.satker_id == plan.satker_id, m.Plan.kind == plan.kind,
        m.Plan.year == plan.year - 1))
    if previous is None:
        return CarryResult("")
    result = CarryResult(f"{previous.kind} {previous.year}")
    first = session.scalar(select(func.min(m.Checkpoint.period)).join(m.Checkpoint.item)
                           .where(m.Item.plan_id == plan.id))
    period = Period.parse(first[:7]) if first else Period(plan.year, 1)
    open_rows = session.execute(
        select(m.Item, m.Area.name).join(m.Item.area).where(
            m.Item.plan_id == previous.id, m.Item.active,
            m.Item.id.in_(select(m.Checkpoint.item_id).where(
                m.Checkpoint.status.in_(UNFINISHED))))
        .order_by(m.Item.position)).tuples().all()
    existing = set(session.scalars(select(m.Item.key).where(m.Item.plan_id == plan.id)))
    areas = {a.name: a for a in session.scalars(select(m.Area).where(
        m.Area.plan_id == plan.id))}
    position = (session.scalar(select(func.max(m.Item.position)).where(
        m.Item.plan_id == plan.id)) or 0) + 1
    for old, area_name in open_rows:
        key = carried_key(old.key)
        if key in existing:
            continue
        area = areas.get(area_name)
        if area is None:
            area = m.Area(plan_id=plan.id, position=len(areas), name=area_name)
            session.add(area)
            session.flush()
            areas[area_name] = area
        item = m.Item(plan_id=plan.id, area_id=area.id, key=key, position=position,
                      komponen=old.komponen, indikator=old.indikator,
                      langkah_aksi=old.langkah_aksi, bukti_fisik=old.bukti_fisik,
                      target_text=f"Lanjutan {result.source}: {old.target_text}"[:500],
                      source_line=0, warnings=[], override=[str(period)], active=True)
        session.add(item)
        session.flush()
        session.add(m.Checkpoint(item_id=item.id, period=str(period),
                                 due=calendar.due_date(period), status="scheduled",
                                 imported_on=today))
        position += 1
        result.rows += 1
        result.checkpoints += 1
    if result.rows:
        bump_plans(session, [plan.id])  # pages and feeds show the carried rows
        session.add(m.PlanEvent(plan_id=plan.id, at=utcnow(), actor=actor,
                                from_status=plan.status, to_status=plan.status,
                                note=f"{result.rows} baris lanjutan dari {result.source} "
                                     f"(checkpoint {period})"))
    session.flush()
    return result
