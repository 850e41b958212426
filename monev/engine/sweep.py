"""One idempotent sweep of one plan as of a date: read state, decide, record.

Used by the Prefect flows, by ``monev simulate`` (virtual clock, throwaway database)
and by the daily safety-net sweep. Everything a sweep changes is written in the
caller's transaction, together with the action log that makes a rerun a no-op."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from monev.config import Person, SatkerConfig
from monev.engine.people import holders
from monev.engine.rules import ActionKind, Decision, EngineSettings, decide, is_quarter_end
from monev.periods import Period
from monev.store import models as m
from monev.store.queries import CheckpointRow, area_progress, checkpoint_rows, to_state
from monev.workdays import WorkCalendar
from notifiers.outbox import Delivery, enqueue
from portal.links import attach_links

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
    area: str = ""
    due: str = ""  # ISO date of the checkpoint's due date
    status: str = ""  # the checkpoint's status after the sweep

    def as_json(self) -> dict[str, str | None]:
        return {"date": self.date, "action": self.action, "checkpoint": self.checkpoint,
                "period": self.period, "recipient_role": self.recipient_role,
                "recipient": self.recipient}


def sweep_plan(session: Session, plan_id: int, as_of: date, calendar: WorkCalendar,
               settings: EngineSettings, satker: SatkerConfig | None,
               actions: Collection[ActionKind] = ALL_ACTIONS,
               now: datetime | None = None) -> list[ActionRecord]:
    """Carry out everything due for the plan on ``as_of`` and not yet done.

    ``now`` (aware) is when this really happens: quiet hours are judged by it, so a
    run planned for 08:00 that runs at 21:00 holds its messages until the next working
    morning. Without it (the virtual clock of ``monev simulate``) the planned hour of
    ``as_of`` is used."""
    # --- plans that close (issue 13): a finished plan is never nagged again ---
    from monev.store.plan_status import advance

    if advance(session, plan_id, as_of, settings.closing_grace_months) == "selesai":
        return []
    # ---
    rows = checkpoint_rows(session, plan_id)
    by_id = {row[0].id: row for row in rows}
    states = [to_state(row) for row in rows]
    done = {(a.checkpoint_id, a.action, a.step) for a in session.scalars(
        select(m.ActionLog).where(m.ActionLog.plan_id == plan_id))}
    decided = decide(states, as_of, calendar, settings, done,
                     plan_periods=[s.period for s in states])
    people = satker.people if satker else []
    stamp = datetime.combine(as_of, time(settings.run_hour))
    planned = datetime.combine(as_of, time(settings.run_hour),
                               ZoneInfo(satker.tz if satker else "Asia/Jakarta"))
    moment = max(planned, now) if now is not None else planned
    changed_at = moment.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)
    records: list[ActionRecord] = []
    deliveries: dict[str, Delivery] = {}
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
                cp.touch(changed_at)
        found: list[tuple[str, Person]] = []  # each person once, in their first role
        for role in d.roles:
            found += [(role, p) for p in holders(role, area, komponen, people)
                      if all(p.name != q.name for _, q in found)]
        summary = (_cycle_summary(session, plan_id, d.period)
                   if d.action == "cycle" and found else "")  # only when someone hears
        if d.action != "digest":  # the backlog items themselves make up the digest
            for role, person in found:
                message = _item(d, role, ref, by_id.get(d.checkpoint_id or -1), people)
                if summary:
                    message["bukti_fisik"] = summary
                deliveries.setdefault(person.name, Delivery(person, role)).items.append(message)
        recipients = [(role, p.name) for role, p in found]
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
            row = by_id.get(d.checkpoint_id) if d.checkpoint_id is not None else None
            records.append(ActionRecord(
                as_of.isoformat(), d.action, ref, d.period, role, name, bukti, area,
                row[0].due.isoformat() if row else "", row[0].status if row else ""))
    if deliveries and satker is not None:
        attach_links(session, satker, plan_id, deliveries.values())  # each item's page
        ketua_tim = [p for p in people if p.role == "ketua_tim"]
        contact = (f"{ketua_tim[0].name} (Ketua Tim ZI)" if ketua_tim else "Tim ZI")
        enqueue(session, plan_id, satker.name, as_of, moment, satker.tz, calendar,
                list(deliveries.values()), contact)
    session.flush()
    return records


def _kind(d: Decision, role: str) -> str:
    if d.action == "open":
        return "dibuka"
    if d.action == "remind":
        return "tenggat" if d.step == "H-0" else "pengingat"
    if d.action == "escalate":
        return "terlambat" if role == "pic" else "eskalasi"
    if d.action == "backlog":
        return "tunggakan"
    return "monev"


def _item(d: Decision, role: str, ref: str | None, row: CheckpointRow | None,
          people: Sequence[Person]) -> dict[str, str]:
    """What a message says about one decision (stored on the outbox row)."""
    item = {"kind": _kind(d, role), "step": d.step, "ref": ref or "", "period": d.period,
            "due": "", "bukti_fisik": f"Laporan monev {d.period}", "indikator": "",
            "area": "", "pic": "", "subbagian": ""}
    if row is not None:
        cp, it, area = row
        pics = holders("pic", area, it.komponen, people)
        item.update(due=cp.due.isoformat(), bukti_fisik=it.bukti_fisik[:160],
                    indikator=it.indikator[:160], area=area,
                    pic=", ".join(p.name for p in pics),
                    subbagian=next((p.subbagian for p in pics if p.subbagian), ""))
    return item


def _cycle_summary(session: Session, plan_id: int, period: str) -> str:
    """One line of the month/quarter-end monev for the message (the full report is
    the flow run's markdown artifact)."""
    p = Period.parse(period)
    rows = area_progress(session, plan_id, p.end)
    due = sum(r.due for r in rows)
    done, sent, late = (sum(r.verified for r in rows), sum(r.submitted for r in rows),
                        sum(r.overdue for r in rows))
    kind = "triwulan" if is_quarter_end(p) else "bulan"
    percent = f"{100 * done / due:.0f}%" if due else "-"
    worst = sorted((r for r in rows if r.overdue), key=lambda r: -r.overdue)[:2]
    tail = "; terbanyak terlambat: " + ", ".join(f"{r.area} ({r.overdue})" for r in worst) \
        if worst else ""
    return (f"Monev akhir {kind} {period}: capaian {done}/{due} bukti terverifikasi "
            f"({percent}), {sent} menunggu verifikasi, {late} terlambat{tail}")
