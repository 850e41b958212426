"""What the portal's pages show, read from the store: the person's task list grouped by
what they must do, one checkpoint's history and evidence (the verification queue is
portal/review.py's)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from monev.engine.lifecycle import rejection_reasons
from monev.store import models as m
from portal.access import Light, Viewer, closed_plans, satker_rows
from portal.format import SHOWN, periode, shown_state, tanggal

GROUPS = (
    ("ditolak", "Ditolak — perbaiki lalu kirim ulang"),
    ("terlambat", "Terlambat"),
    ("minggu_ini", "Jatuh tempo minggu ini"),
    ("dibuka", "Dibuka — menunggu bukti"),
    ("menunggu", "Menunggu verifikasi"),
    ("selesai", "Selesai"),
)
DONE_SHOWN = 20  # finished items listed (the newest); the rest counted


@dataclass
class Task:
    id: int
    plan: str  # "ZI 2025"
    period: str
    due: str  # full date with year
    due_date: date
    bukti_fisik: str
    row_text: str
    area: str
    pic: str
    state: str  # key of SHOWN
    reason: str = ""
    rejected_by: str = ""

    @property
    def label(self) -> str:
        return SHOWN[self.state][2]

    @property
    def css(self) -> str:
        return SHOWN[self.state][0]


@dataclass
class Group:
    key: str
    title: str
    tasks: list[Task] = field(default_factory=list)
    more: int = 0


def task_of(row: Light, viewer: Viewer, today: date, reasons: dict[int, tuple[str, str]],
            closed: bool = False) -> Task:
    """One checkpoint as a list shows it (``closed``: its plan is *selesai*)."""
    cp, item, area, plan = row
    reason, by = reasons.get(cp.id, ("", ""))
    return Task(id=cp.id, plan=f"{plan.kind} {plan.year}", period=periode(cp.period),
                due=tanggal(cp.due), due_date=cp.due,
                bukti_fisik=" ".join(item.bukti_fisik.split()),
                row_text=" ".join((item.langkah_aksi or item.indikator).split()), area=area,
                pic=", ".join(viewer.people.names("pic", area, item.komponen)) or "-",
                state=shown_state(cp.status, cp.due, today, closed), reason=reason,
                rejected_by=by)


def my_tasks(session: Session, viewer: Viewer, today: date) -> tuple[list[Group], int, int]:
    """The viewer's rows grouped by what to do; how many are still only scheduled; and
    how many belong to closed plans (no work any more: they are in the Arsip)."""
    closed = closed_plans(session, viewer, today)
    rows = [r for r in satker_rows(session, viewer) if viewer.mine(r[2], r[1].komponen)]
    archived = sum(r[3].id in closed for r in rows)
    rows = [r for r in rows if r[3].id not in closed]
    reasons = rejection_reasons(session, (r[0].id for r in rows if r[0].status == "rejected"))
    week_end = today + timedelta(days=6 - today.weekday())
    groups = {key: Group(key, title) for key, title in GROUPS}
    scheduled = 0
    for row in rows:
        cp = row[0]
        if cp.status == "rejected":
            key = "ditolak"
        elif cp.status in ("open", "backlog", "scheduled") and cp.due < today:
            key = "terlambat"
        elif cp.status in ("open", "scheduled") and cp.due <= week_end:
            key = "minggu_ini"
        elif cp.status == "open":
            key = "dibuka"
        elif cp.status == "submitted":
            key = "menunggu"
        elif cp.status == "verified":
            key = "selesai"
        else:
            scheduled += 1
            continue
        groups[key].tasks.append(task_of(row, viewer, today, reasons))
    done = groups["selesai"]
    done.tasks.sort(key=lambda t: t.due_date, reverse=True)
    done.more, done.tasks = max(0, len(done.tasks) - DONE_SHOWN), done.tasks[:DONE_SHOWN]
    return [g for g in groups.values()], scheduled, archived


@dataclass
class Archived:
    """A closed plan's checkpoints of the viewer, read-only."""

    plan: str  # "ZI 2025"
    missed: int  # not verified: tidak tercapai
    tasks: list[Task]


def archive(session: Session, viewer: Viewer, today: date) -> list[Archived]:
    """The viewer's rows of closed (*selesai*) plans, newest plan first."""
    closed = closed_plans(session, viewer, today)
    out: dict[int, Archived] = {}
    if not closed:
        return []
    for row in satker_rows(session, viewer):
        plan = row[3]
        if plan.id not in closed or not viewer.mine(row[2], row[1].komponen):
            continue
        task = task_of(row, viewer, today, {}, closed=True)
        part = out.setdefault(plan.id, Archived(f"{plan.kind} {plan.year}", 0, []))
        part.tasks.append(task)
        part.missed += task.state == "missed"
    return sorted(out.values(), key=lambda a: a.plan.split()[::-1], reverse=True)


@dataclass
class Entry:
    """One line of a checkpoint's history."""

    at: str
    actor: str
    what: str
    note: str


ACTIONS = {("scheduled", "open"): "dibuka", ("open", "submitted"): "bukti dikirim",
           ("submitted", "verified"): "diterima (terverifikasi)",
           ("submitted", "rejected"): "ditolak", ("verified", "rejected"): "ditolak",
           ("rejected", "submitted"): "bukti dikirim ulang",
           ("scheduled", "backlog"): "ditandai tunggakan"}
EVENT_WORDS = {"add": "bukti ditambahkan", "withdraw": "bukti ditarik"}


def history(session: Session, cp_id: int) -> list[Entry]:
    from portal.format import status_word, waktu

    out = []
    for t in session.scalars(select(m.Transition).where(m.Transition.checkpoint_id == cp_id)
                             .order_by(m.Transition.id)):
        if t.event in EVENT_WORDS:
            what = EVENT_WORDS[t.event]
        elif t.from_status == t.to_status:
            what = "eskalasi"
        else:
            what = ACTIONS.get((t.from_status, t.to_status)) or \
                f"{status_word(t.from_status)} → {status_word(t.to_status)}"
            if t.to_status == "submitted" and what not in ("bukti dikirim",
                                                           "bukti dikirim ulang"):
                what = "bukti dikirim"
        actor = "sistem monev" if t.actor == "monev" else t.actor
        out.append(Entry(waktu(t.at), actor, what, t.note))
    return out


@dataclass
class Version:
    number: int
    at: str
    by: str
    note: str
    files: list[m.Evidence]
    links: list[m.Evidence]
    # withdrawn before verification: shown apart, for the record, never as evidence
    withdrawn: list[m.Evidence] = field(default_factory=list)


def versions(session: Session, cp_id: int) -> list[Version]:
    """Every evidence submission, newest first (files and links sent together)."""
    from portal.format import waktu

    grouped: dict[int, Version] = {}
    for ev in session.scalars(select(m.Evidence).where(m.Evidence.checkpoint_id == cp_id)
                              .order_by(m.Evidence.id)):
        v = grouped.setdefault(ev.version, Version(ev.version, waktu(ev.submitted_at),
                                                   ev.submitted_by, ev.note, [], []))
        if ev.withdrawn_at is not None:
            v.withdrawn.append(ev)
        else:
            (v.files if ev.kind == "file" else v.links).append(ev)
    return sorted(grouped.values(), key=lambda v: -v.number)
