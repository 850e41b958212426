"""One idempotent sweep of one plan as of a date: read state, decide, record.

Used by the Prefect flows, by ``monev simulate`` (virtual clock, throwaway database)
and by the daily safety-net sweep. Everything a sweep changes is written in the
caller's transaction, together with the action log that makes a rerun a no-op."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from monev.clock import DEFAULT_TZ
from monev.config import Person, SatkerConfig
from monev.engine.people import PeopleIndex
from monev.engine.rules import ActionKind, Decision, EngineSettings, decide, is_quarter_end
from monev.links import attach_links
from monev.periods import Period
from monev.store import models as m
from monev.store.bulk import insert_rows
from monev.store.outbox import Delivery, enqueue
from monev.store.plan_status import advance
from monev.store.queries import (
    WAITING,
    Capaian,
    CheckpointView,
    bump_plans,
    checkpoint_views,
    progress_of,
)
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
    area: str = ""
    due: str = ""  # ISO date of the checkpoint's due date
    status: str = ""  # the checkpoint's status after the sweep

    def as_json(self) -> dict[str, str | None]:
        return {"date": self.date, "action": self.action, "checkpoint": self.checkpoint,
                "period": self.period, "recipient_role": self.recipient_role,
                "recipient": self.recipient}


@dataclass
class Left:
    """What a sweep read of a plan and left behind, for a step after it in the same
    transaction (the LKE snapshot): its checkpoints with the statuses it wrote, and the
    plan's data version after its writes. None: the sweep cannot tell (it changed the
    plan itself); read again."""

    data_version: int | None = None
    views: list[CheckpointView] = field(default_factory=list)


def sweep_plan(session: Session, plan_id: int, as_of: date, calendar: WorkCalendar,
               settings: EngineSettings, satker: SatkerConfig | None,
               actions: Collection[ActionKind] = ALL_ACTIONS,
               now: datetime | None = None, links: bool = True) -> list[ActionRecord]:
    """Carry out everything due for the plan on ``as_of`` and not yet done
    (:func:`sweep_and_count`, without the capaian)."""
    return sweep_and_count(session, plan_id, as_of, calendar, settings, satker, actions,
                           now, links)[0]


def sweep_and_count(session: Session, plan_id: int, as_of: date, calendar: WorkCalendar,
                    settings: EngineSettings, satker: SatkerConfig | None,
                    actions: Collection[ActionKind] = ALL_ACTIONS,
                    now: datetime | None = None, links: bool = True,
                    left: Left | None = None) -> tuple[list[ActionRecord], Capaian | None]:
    """Carry out everything due for the plan on ``as_of`` and not yet done.

    ``now`` (aware) is when this really happens: audit records and changes are stamped
    with it (never with a planned hour still ahead), and quiet hours are judged by it,
    so a run planned for 08:00 that runs at 21:00 holds its messages until the next
    working morning. Without it (the virtual clock of ``monev simulate``) the planned hour of
    ``as_of`` is used. ``links`` puts each recipient's portal link on every item (not
    in a preview). ``left``, when given, is filled with what the sweep left (:class:`Left`).

    Reads plain columns in two queries, decides in memory, and writes its status
    changes, audit records and action log in a few bulk statements. Returns what it
    did and the plan's capaian after it, counted from the checkpoints it read (None
    for a closed plan, which it does not read)."""
    # --- plans that close (issue 13): a finished plan is never nagged again ---

    if advance(session, plan_id, as_of, settings.closing_grace_months) == "selesai":
        return [], None
    # ---
    plan = session.get(m.Plan, plan_id)  # advance's: no query
    # its data version, read before the checkpoints: a change committed after it moves it
    version = None if plan is None or session.is_modified(plan) else plan.data_version
    views = checkpoint_views(session, plan_id)
    by_id = {v.id: v for v in views}
    done = set(session.execute(select(m.ActionLog.checkpoint_id, m.ActionLog.action,
                                      m.ActionLog.step)
                               .where(m.ActionLog.plan_id == plan_id)).tuples())
    parsed: dict[str, Period] = {}  # a plan has a few dozen distinct periods
    states = [v.state(parsed.get(v.period) or parsed.setdefault(v.period,
                                                                Period.parse(v.period)))
              for v in views]
    decided = decide(states, as_of, calendar, settings, done,
                     plan_periods=[s.period for s in states])
    people = PeopleIndex(satker.people if satker else [])
    zone = ZoneInfo(satker.tz if satker else DEFAULT_TZ)
    moment = now if now is not None else datetime.combine(as_of, time(settings.run_hour), zone)
    stamp = moment.astimezone(zone).replace(tzinfo=None)  # audit: the satker's wall clock
    changed_at = moment.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)
    records: list[ActionRecord] = []
    deliveries: dict[str, Delivery] = {}
    log: list[dict[str, object]] = []
    audit: list[dict[str, object]] = []
    moved: dict[str, list[int]] = {}  # new status → checkpoint ids
    summaries: dict[str, str] = {}
    reached: dict[tuple[tuple[str, ...], str, str], list[tuple[str, Person]]] = {}
    pics = PicNames(people)
    for d in decided.decisions:
        if d.action not in actions:
            continue
        view = by_id.get(d.checkpoint_id) if d.checkpoint_id is not None else None
        if view is not None and d.new_status and view.status != d.new_status:
            audit.append({"checkpoint_id": view.id, "at": stamp, "actor": "monev",
                          "from_status": view.status, "to_status": d.new_status,
                          "note": f"sweep {as_of.isoformat()}"})
            moved.setdefault(d.new_status, []).append(view.id)
            view = by_id[view.id] = replace(view, status=d.new_status)
        area, komponen = (view.area, view.komponen) if view else ("", "")
        found = reached.get((d.roles, area, komponen))
        if found is None:
            found = reached[d.roles, area, komponen] = _recipients(people, d.roles, area,
                                                                   komponen)
        if d.action == "cycle" and found and d.period not in summaries:  # someone hears
            summaries[d.period] = _cycle_summary(list(by_id.values()), d.period)
        if d.action != "digest":  # the backlog items themselves make up the digest
            for role, person in found:
                message = _item(d, role, view, pics)
                if d.action == "cycle":
                    message["bukti_fisik"] = summaries[d.period]
                deliveries.setdefault(person.name, Delivery(person, role)).items.append(message)
        recipients = [(role, p.name) for role, p in found]
        recipients = recipients or [(role, "") for role in d.roles] or [("", "")]
        log.append({"plan_id": plan_id, "checkpoint_id": d.checkpoint_id,
                    "checkpoint_key": d.checkpoint_id or 0, "action": d.action,
                    "step": d.step, "period": d.period, "on_date": as_of,
                    "recipient_role": ",".join(sorted({r for r, _ in recipients})),
                    "recipient": "; ".join(n for _, n in recipients if n)})
        if d.action == "escalate" and view is not None:
            audit.append({"checkpoint_id": view.id, "at": stamp, "actor": "monev",
                          "from_status": view.status, "to_status": view.status,
                          "note": f"eskalasi {d.step} ke {', '.join(d.roles)}"})
        for role, name in recipients:
            records.append(ActionRecord(
                as_of.isoformat(), d.action, view.ref if view else None, d.period, role, name,
                view.bukti_fisik if view else "", area,
                view.due.isoformat() if view else "", view.status if view else ""))
    _write(session, moved, audit, log, changed_at)
    bumped = bool(moved) or any(e["action"] == "escalate" for e in log)
    if bumped:  # the Papan counts these
        bump_plans(session, [plan_id])
    if left is not None and version is not None:
        left.data_version, left.views = version + bumped, list(by_id.values())
    if deliveries and satker is not None:
        if links:  # each item's page
            attach_links(session, satker, plan_id, deliveries.values(),
                         ids={v.ref: v.id for v in views})
        ketua_tim = [p for p in people.people if p.role == "ketua_tim"]
        contact = (f"{ketua_tim[0].name} (Ketua Tim ZI)" if ketua_tim else "Tim ZI")
        enqueue(session, plan_id, satker.name, as_of, moment, satker.tz, calendar,
                list(deliveries.values()), contact)
    session.flush()
    return records, progress_of(list(by_id.values()), as_of)


CHUNK = 900  # ids per IN (…) list, under SQLite's bound-parameter limit


def _write(session: Session, moved: dict[str, list[int]], audit: list[dict[str, object]],
           log: list[dict[str, object]], changed_at: datetime) -> None:
    """The sweep's changes in bulk: statuses (with the calendar's SEQUENCE and
    LAST-MODIFIED bumped, as ``Checkpoint.touch`` does), audit records, action log."""
    cp = m.Checkpoint
    for status, ids in moved.items():
        for i in range(0, len(ids), CHUNK):
            session.execute(update(cp).where(cp.id.in_(ids[i:i + CHUNK])).values(
                status=status, sequence=func.coalesce(cp.sequence, 0) + 1,
                updated_at=case((cp.updated_at > changed_at, cp.updated_at),
                                else_=changed_at)).execution_options(
                synchronize_session=False))
    insert_rows(session, m.Transition, audit)
    insert_rows(session, m.ActionLog, log)


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


def _recipients(people: PeopleIndex, roles: tuple[str, ...], area: str,
                komponen: str) -> list[tuple[str, Person]]:
    """Who hears of a decision: each person once, in their first role."""
    found: list[tuple[str, Person]] = []
    for role in roles:
        found += [(role, p) for p in people.holders(role, area, komponen)
                  if all(p.name != q.name for _, q in found)]
    return found


class PicNames:
    """A row's PIC names and subbagian as a message shows them, once per
    (area, komponen)."""

    def __init__(self, people: PeopleIndex) -> None:
        self.people = people
        self._found: dict[tuple[str, str], tuple[str, str]] = {}

    def of(self, area: str, komponen: str) -> tuple[str, str]:
        found = self._found.get((area, komponen))
        if found is None:
            pics = self.people.holders("pic", area, komponen)
            found = self._found[area, komponen] = (
                ", ".join(p.name for p in pics),
                next((p.subbagian for p in pics if p.subbagian), ""))
        return found


def _item(d: Decision, role: str, view: CheckpointView | None,
          pics: PicNames) -> dict[str, str]:
    """What a message says about one decision (stored on the outbox row)."""
    if view is None:
        return {"kind": _kind(d, role), "step": d.step, "ref": "", "period": d.period,
                "due": "", "bukti_fisik": f"Laporan monev {d.period}", "indikator": "",
                "area": "", "pic": "", "subbagian": ""}
    pic, subbagian = pics.of(view.area, view.komponen)
    return {"kind": _kind(d, role), "step": d.step, "ref": view.ref, "period": d.period,
            "due": view.due.isoformat(), "bukti_fisik": view.bukti_fisik[:160],
            "indikator": view.indikator[:160], "area": view.area, "pic": pic,
            "subbagian": subbagian}


def _cycle_summary(views: list[CheckpointView], period: str) -> str:
    """One line of the month/quarter-end monev for the message (the full report is
    the flow run's markdown artifact), from the checkpoints as this sweep leaves them."""
    p = Period.parse(period)
    rows: dict[str, list[int]] = {}
    for v in views:
        if v.due > p.end:
            continue
        counts = rows.setdefault(v.area, [0, 0, 0, 0])
        counts[0] += 1
        counts[1] += v.status == "verified"
        counts[2] += v.status == "submitted"
        counts[3] += v.status in WAITING
    due = sum(c[0] for c in rows.values())
    done, sent, late = (sum(c[1] for c in rows.values()), sum(c[2] for c in rows.values()),
                        sum(c[3] for c in rows.values()))
    kind = "triwulan" if is_quarter_end(p) else "bulan"
    percent = f"{100 * done / due:.0f}%" if due else "-"
    worst = sorted(((a, c[3]) for a, c in rows.items() if c[3]), key=lambda x: -x[1])[:2]
    tail = "; terbanyak terlambat: " + ", ".join(f"{a} ({n})" for a, n in worst) \
        if worst else ""
    return (f"Monev akhir {kind} {period}: capaian {done}/{due} bukti terverifikasi "
            f"({percent}), {sent} menunggu verifikasi, {late} terlambat{tail}")
