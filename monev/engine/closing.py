"""A plan's life, pure: *aktif* from its decree until its last checkpoint is due,
*penutupan* (late evidence still chased) for a grace of whole months after that, then
*selesai*: no reminders, no escalations, no deployments; its year-end report once and
every unfinished item reported as *tidak tercapai*.

The default grace (one month) closes a plan whose last checkpoint falls in December at
the end of January of the next year. An admin's ``monev plan close|reopen`` overrides
the dates (:mod:`monev.store.plan_status`)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

PlanStatus = Literal["aktif", "penutupan", "selesai"]
PLAN_STATUSES: tuple[PlanStatus, ...] = ("aktif", "penutupan", "selesai")
STATUS_LABELS = {"aktif": "aktif", "penutupan": "penutupan (masa tenggang)",
                 "selesai": "selesai"}


def closing_day(last_due: date, grace_months: int) -> date:
    """The first day of *selesai*: the day after the end of the month that lies
    ``grace_months`` after the month of the last due date."""
    index = last_due.year * 12 + last_due.month - 1 + grace_months + 1
    return date(index // 12, index % 12 + 1, 1)


def phase(last_due: date | None, as_of: date, grace_months: int) -> PlanStatus:
    """Where a plan stands on ``as_of`` by its dates alone."""
    if last_due is None or as_of <= last_due:
        return "aktif"
    if as_of < closing_day(last_due, grace_months):
        return "penutupan"
    return "selesai"


def grace_end(last_due: date, grace_months: int) -> date:
    """The last day of *penutupan*."""
    return closing_day(last_due, grace_months) - timedelta(days=1)
