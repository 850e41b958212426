"""One idempotent sweep of one plan as of a date: read state, decide, record.

Used by the Prefect flows, by ``monev simulate`` (virtual clock, throwaway database)
and by the daily safety-net sweep. Everything a sweep changes is written in the
caller's transaction, together with the action log that makes a rerun a no-op."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from monev.config import SatkerConfig
from monev.engine.people import holders
from monev.engine.rules import ActionKind, EngineSettings, decide
from monev.store import models as m
from monev.store.queries import checkpoint_rows, to_state
from monev.workdays import WorkCalendar

ALL_ACTIONS: tuple[ActionKind, ...] = ("open", "backlog", "digest", "remind", "escalate",
                                       "cycle")
FLOW_ACTIONS: dict[str, tuple[ActionKind, ...]] = {
    "open_checkpoints": ("open", "backlog", "digest"),
    "remind": ("open", "backlog", "digest", "remind"),
    "escalate": ("open", "backlog", "digest", "escalate"),
    "monev_cycle": ("open", "backlog", "digest", "cycle"),
    "sweep": ALL_ACTIONS,
}


@dataclass(frozen=True)
class ActionRecord:
    """One line of what a sweep did (the ``monev simulate --json`` row)."""

    date: str
    action: str
    checkpoint: str | None
    period: str
    recipient_role: str
    recipient: str
    bukti_fisik: str = ""

    def as_json(self) -> dict[str, str | None]:
        return {"date": self.date, "action": self.action, "checkpoint": self.checkpoint,
                "period": self.period, "recipient_role": self.recipient_role,
                "recipient": self.recipient}


def sweep_plan(session: Session, plan_id: int, as_of: date, calendar: WorkCalendar,
               settings: EngineSettings, satker: SatkerConfig | None,
               actions: Collection[ActionKind] = ALL_ACTIONS) -> list[ActionRecord]:
    """Carry out everything due for the plan on ``as_of`` and not yet done."""
    rows = checkpoint_rows(session, plan_id)
    by_id = {row[0].id: row for row in rows}
    states = [to_state(row) for row in rows]
    done = {(a.checkpoint_id, a.action, a.step) for a in session.scalars(
        select(m.ActionLog).where(m.ActionLog.plan_id == plan_id))}
    decided = decide(states, as_of, calendar, settings, done,
                     plan_periods=[s.period for s in states])
    people = satker.people if satker else []
    stamp = datetime.combine(as_of, time(settings.run_hour))
    records: list[ActionRecord] = []
    for d in decided.decisions:
        if d.action not in actions:
            continue
        area = komponen = bukti = ""
        ref = None
        if d.checkpoint_id is not None:
            cp, item, area = by_id[d.checkpoint_id]
            komponen, bukti = item.komponen, item.bukti_fisik
            ref = f"{item.key}@{cp.period}"
            if d.new_status and cp.status != d.new_status:
                session.add(m.Transition(checkpoint_id=cp.id, at=stamp, actor="monev",
                                         from_status=cp.status, to_status=d.new_status,
                                         note=f"sweep {as_of.isoformat()}"))
                cp.status = d.new_status
        recipients = [(role, p.name) for role in d.roles
                      for p in holders(role, area, komponen, people)]
        recipients = recipients or [(role, "") for role in d.roles] or [("", "")]
        session.add(m.ActionLog(
            plan_id=plan_id, checkpoint_id=d.checkpoint_id,
            checkpoint_key=d.checkpoint_id or 0, action=d.action, step=d.step,
            period=d.period, on_date=as_of,
            recipient_role=",".join(sorted({r for r, _ in recipients})),
            recipient="; ".join(n for _, n in recipients if n)))
        if d.action == "escalate" and d.checkpoint_id is not None:
            session.add(m.Transition(checkpoint_id=d.checkpoint_id, at=stamp, actor="monev",
                                     from_status=by_id[d.checkpoint_id][0].status,
                                     to_status=by_id[d.checkpoint_id][0].status,
                                     note=f"eskalasi {d.step} ke {', '.join(d.roles)}"))
        for role, name in recipients:
            records.append(ActionRecord(as_of.isoformat(), d.action, ref, d.period, role,
                                        name, bukti))
    session.flush()
    return records
