"""Moving a stored plan along its life (:mod:`monev.engine.closing`), with an audit
record for every change: by the sweeps as the dates pass, or by an admin
(``monev plan close|reopen``), whose decision holds until an admin changes it.

Every change reads the status it changes from the plan row locked for the rest of the
transaction (:func:`locked`): a sweep and a close landing together run one after the
other, so neither undoes the other (issue 24)."""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import date, datetime, time
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, defer

from monev.clock import utcnow
from monev.engine.closing import PLAN_STATUSES, PlanStatus, closing_day, grace_end, phase
from monev.errors import MonevError
from monev.store import models as m

# Plans that still take work: evidence, verification, reminders. A *selesai* plan takes
# none anywhere (portal, verification, Papan, calendars, messages): its year-end report
# already counts every unverified checkpoint *tidak tercapai*.
OPEN_STATUSES: tuple[PlanStatus, ...] = ("aktif", "penutupan")


def is_closed(status: str) -> bool:
    """True for a plan that takes no more work (the one test every part uses)."""
    return status not in OPEN_STATUSES


def last_due(session: Session, plan_id: int) -> date | None:
    """Due date of the plan's last checkpoint (active rows)."""
    return session.scalar(select(func.max(m.Checkpoint.due)).join(m.Checkpoint.item)
                          .where(m.Item.plan_id == plan_id, m.Item.active))


def status_on(plan: m.Plan, last: date | None, as_of: date, grace_months: int) -> str:
    """The plan's status on ``as_of``: the admin's when they decided, else by the dates."""
    if plan.status_manual:
        return plan.status
    return phase(last, as_of, grace_months)


def current_status(stored: str, manual: bool, last: date | None, as_of: date | None,
                   grace_months: int) -> str:
    """The status that holds on ``as_of``: an admin's decision as stored; otherwise the
    stored status moved on by the dates (what the next sweep records, so a page never
    waits for it). Without ``as_of``, the stored status."""
    if manual or as_of is None:
        return stored
    kept = stored if stored in PLAN_STATUSES else "aktif"
    return max(kept, phase(last, as_of, grace_months), key=PLAN_STATUSES.index)


def plan_statuses(session: Session, plan_ids: Collection[int], as_of: date | None,
                  grace_of: Callable[[str], int]) -> dict[int, str]:
    """Each plan's :func:`current_status` in one query; ``grace_of(satker name)`` gives
    the satker's grace months."""
    if not plan_ids:
        return {}
    last = (select(m.Item.plan_id, func.max(m.Checkpoint.due).label("last"))
            .join(m.Checkpoint.item).where(m.Item.active, m.Item.plan_id.in_(plan_ids))
            .group_by(m.Item.plan_id).subquery())
    rows = session.execute(
        select(m.Plan.id, m.Plan.status, m.Plan.status_manual, m.Satker.name, last.c.last)
        .join(m.Plan.satker).outerjoin(last, last.c.plan_id == m.Plan.id)
        .where(m.Plan.id.in_(plan_ids))).tuples()
    return {pid: current_status(status, manual, due, as_of, grace_of(satker))
            for pid, status, manual, satker, due in rows}


def closed_plan_ids(session: Session, plan_ids: Collection[int], as_of: date | None,
                    grace_of: Callable[[str], int]) -> set[int]:
    """Those of ``plan_ids`` that are closed on ``as_of`` (:func:`is_closed`)."""
    return {pid for pid, status in plan_statuses(session, plan_ids, as_of, grace_of).items()
            if is_closed(status)}


def _record(session: Session, plan: m.Plan, to: str, actor: str, note: str,
            at: datetime) -> None:
    session.add(m.PlanEvent(plan_id=plan.id, at=at, actor=actor, from_status=plan.status,
                            to_status=to, note=note))
    plan.status = to
    # what its pages and feeds show changes (open work leaves or comes back)
    plan.data_version = (plan.data_version or 0) + 1
    now = utcnow()
    plan.updated_at = max(plan.updated_at, now) if plan.updated_at else now


def locked(session: Session, plan_id: int) -> m.Plan:
    """The plan row read afresh and locked until the transaction ends: ``FOR UPDATE`` on
    PostgreSQL (a concurrent status change waits, then reads what this one wrote); a
    SQLite writer (:class:`monev.store.db.Sessions`) holds the database lock already.
    Pending changes are flushed first, so none is lost by the re-read."""
    plan = session.get(m.Plan, plan_id, with_for_update=True, populate_existing=True,
                       # not the decree's text: every sweep comes here
                       options=[defer(m.Plan.source), defer(m.Plan.warnings)])
    if plan is None:
        raise MonevError(f"rencana aksi #{plan_id} tidak ada")
    return plan


def advance(session: Session, plan_id: int, as_of: date, grace_months: int) -> str:
    """Bring the stored status up to ``as_of`` (the sweeps call this first); returns it.
    A plan only moves forward by the dates: an admin's reopening holds."""
    plan = locked(session, plan_id)
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
    plan = locked(session, plan.id)
    if plan.status == "selesai":
        raise MonevError("rencana aksi ini sudah selesai (ditutup)")
    _record(session, plan, "selesai", actor, reason or "ditutup oleh admin", utcnow())
    plan.status_manual, plan.closed_on = True, on


def reopen(session: Session, plan: m.Plan, actor: str, reason: str) -> None:
    """An admin reopens a closed plan (``monev plan reopen``): reminders and deployments
    come back, and it stays open until an admin closes it again."""
    plan = locked(session, plan.id)
    if plan.status != "selesai":
        raise MonevError(f"rencana aksi ini berstatus '{plan.status}', bukan selesai")
    _record(session, plan, "aktif", actor, reason or "dibuka kembali oleh admin", utcnow())
    plan.status_manual, plan.closed_on = True, None


def change(session: Session, plan_id: int, verb: Literal["close", "reopen"], actor: str,
           reason: str, day: date, grace_months: int) -> str:
    """``monev plan close|reopen``: the stored status moved on by the dates first (what
    ``plan list`` shows: a plan closed by them can be reopened, and is not closed a
    second time), then the admin's decision; returns the new status."""
    advance(session, plan_id, day, grace_months)
    plan = locked(session, plan_id)
    if verb == "close":
        close(session, plan, actor, reason, day)
    else:
        reopen(session, plan, actor, reason)
    return plan.status
