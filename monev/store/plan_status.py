"""Moving a stored plan along its life (:mod:`monev.engine.closing`), with an audit
record for every change: by the sweeps as the dates pass, or by an admin
(``monev plan close|reopen``), whose decision holds until an admin changes it."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monev.clock import utcnow
from monev.engine.closing import PlanStatus, closing_day, grace_end, phase
from monev.errors import MonevError
from monev.store import models as m


def last_due(session: Session, plan_id: int) -> date | None:
    """Due date of the plan's last checkpoint (active rows)."""
    return session.scalar(select(func.max(m.Checkpoint.due)).join(m.Checkpoint.item)
                          .where(m.Item.plan_id == plan_id, m.Item.active))


def status_on(plan: m.Plan, last: date | None, as_of: date, grace_months: int) -> str:
    """The plan's status on ``as_of``: the admin's when they decided, else by the dates."""
    if plan.status_manual:
        return plan.status
    return phase(last, as_of, grace_months)


def _record(session: Session, plan: m.Plan, to: str, actor: str, note: str,
            at: datetime) -> None:
    session.add(m.PlanEvent(plan_id=plan.id, at=at, actor=actor, from_status=plan.status,
                            to_status=to, note=note))
    plan.status = to


def advance(session: Session, plan_id: int, as_of: date, grace_months: int) -> str:
    """Bring the stored status up to ``as_of`` (the sweeps call this first); returns it.
    A plan only moves forward by the dates: an admin's reopening holds."""
    plan = session.get(m.Plan, plan_id)
    if plan is None:
        raise MonevError(f"rencana aksi #{plan_id} tidak ada")
    if plan.status_manual:
        return plan.status
    last = last_due(session, plan_id)
    wanted: PlanStatus = phase(last, as_of, grace_months)
    order = ("aktif", "penutupan", "selesai")
    if order.index(wanted) > order.index(plan.status if plan.status in order else "aktif"):
        assert last is not None
        closes = closing_day(last, grace_months)
        note = (f"checkpoint terakhir jatuh tempo {last:%d-%m-%Y}; masa penutupan sampai "
                f"{grace_end(last, grace_months):%d-%m-%Y}")
        _record(session, plan, wanted, "monev", note, datetime.combine(as_of, time()))
        if wanted == "selesai":
            plan.closed_on = closes
    return plan.status


def close(session: Session, plan: m.Plan, actor: str, reason: str, on: date) -> None:
    """An admin closes the plan now (``monev plan close``)."""
    if plan.status == "selesai":
        raise MonevError("rencana aksi ini sudah selesai (ditutup)")
    _record(session, plan, "selesai", actor, reason or "ditutup oleh admin", utcnow())
    plan.status_manual, plan.closed_on = True, on


def reopen(session: Session, plan: m.Plan, actor: str, reason: str) -> None:
    """An admin reopens a closed plan (``monev plan reopen``): reminders and deployments
    come back, and it stays open until an admin closes it again."""
    if plan.status != "selesai":
        raise MonevError(f"rencana aksi ini berstatus '{plan.status}', bukan selesai")
    _record(session, plan, "aktif", actor, reason or "dibuka kembali oleh admin", utcnow())
    plan.status_manual, plan.closed_on = True, None
