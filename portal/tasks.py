"""What the portal's pages show, read from the store: the person's task list grouped by
what they must do (this week's work first), one checkpoint's history and evidence
(the verification queue is portal/review.py's)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monev.engine.lifecycle import rejection_reasons
from monev.store import models as m
from portal.access import Light, Viewer, closed_plans, own_items, satker_rows
from portal.format import SHOWN, periode, shown_state, status_word, tanggal, waktu

# Tugas saya's order: what was refused, what is due this week, what is late — each
# with its first few items — then the rest as counts with links (issue 19: a list that
# opened on 80 overdue items buried the two the message announced).
LEADING = (
    ("ditolak", "Ditolak — perbaiki lalu kirim ulang"),
    ("minggu_ini", "Jatuh tempo minggu ini"),
    ("terlambat", "Terlambat"),
)
REST = (
    ("dibuka", "Dibuka — menunggu bukti"),
    ("menunggu", "Menunggu verifikasi"),
    ("selesai", "Selesai"),
)
GROUPS = LEADING + REST
FIRST = 5  # items of a leading group on Tugas saya; "lihat semua (N)" for all of them
PAGE = 20  # items per page of one group (/portal/?lihat=terlambat&hal=2)
SOROT_MAX = 5  # items a message puts on top (/portal/?sorot=12,34; notifiers.messages.SOROT)


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
    tasks: list[Task] = field(default_factory=list)  # the ones shown
    total: int = 0
    page: int = 1
    pages: int = 1

    @property
    def leading(self) -> bool:
        return self.key in dict(LEADING)

    @property
    def start(self) -> int:
        """Items before this page."""
        return (self.page - 1) * PAGE


@dataclass
class TaskList:
    """Tugas saya: the items a message pointed at (``sorot``), then the groups."""

    groups: list[Group]
    sorot: list[Task]
    scheduled: int  # still only scheduled (not open yet)
    archived: int  # of closed plans: no work any more, they are in the Arsip


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


def _own(session: Session, viewer: Viewer, today: date) -> tuple[list[Light], int]:
    """The viewer's checkpoints of live plans (read by their own rows, in SQL), and how
    many of theirs belong to closed plans."""
    closed = closed_plans(session, viewer, today)
    items = own_items(session, viewer)
    live = {i for i, plan in items.items() if plan not in closed}
    archived = 0
    if len(live) < len(items):
        archived = session.scalar(select(func.count(m.Checkpoint.id)).where(
            m.Checkpoint.item_id.in_(sorted(set(items) - live)))) or 0
    return satker_rows(session, viewer, item_ids=live), archived


def _group_of(status: str, due: date, today: date, week_end: date) -> str | None:
    """Which group of Tugas saya a checkpoint is in (None: only scheduled)."""
    if status == "rejected":
        return "ditolak"
    if status in ("open", "backlog", "scheduled") and due < today:
        return "terlambat"
    if status in ("open", "scheduled") and due <= week_end:
        return "minggu_ini"
    return {"open": "dibuka", "submitted": "menunggu", "verified": "selesai"}.get(status)


def _grouped(rows: list[Light], today: date) -> tuple[dict[str, list[Light]], int]:
    week_end = today + timedelta(days=6 - today.weekday())
    groups: dict[str, list[Light]] = {key: [] for key, _ in GROUPS}
    scheduled = 0
    for row in rows:
        key = _group_of(row[0].status, row[0].due, today, week_end)
        if key is None:
            scheduled += 1
        else:
            groups[key].append(row)
    # the most recently overdue and the newest finished first (what is overdue since the
    # plan was imported — tunggakan — would otherwise fill the first page)
    for key in ("terlambat", "selesai"):
        groups[key].sort(key=lambda r: r[0].due, reverse=True)
    return groups, scheduled


def _tasks(session: Session, viewer: Viewer, today: date, rows: list[Light]) -> list[Task]:
    reasons = rejection_reasons(session, [r[0].id for r in rows if r[0].status == "rejected"])
    return [task_of(row, viewer, today, reasons) for row in rows]


def sorot_ids(text: str) -> list[int]:
    """Checkpoint ids of ``?sorot=12,34`` (at most SOROT_MAX; anything else dropped)."""
    found = [int(x) for x in text.split(",") if re.fullmatch(r"[0-9]{1,12}", x)]
    return list(dict.fromkeys(found))[:SOROT_MAX]


def my_tasks(session: Session, viewer: Viewer, today: date,
             sorot: Sequence[int] = ()) -> TaskList:
    """Tugas saya: the leading groups with their first items, the rest as counts; the
    items of ``sorot`` on top when they are the viewer's own (others are ignored)."""
    rows, archived = _own(session, viewer, today)
    groups, scheduled = _grouped(rows, today)
    by_id = {r[0].id: r for r in rows}
    top = [by_id[i] for i in sorot if i in by_id]
    on_top = {r[0].id for r in top}
    out = []
    for key, title in GROUPS:
        group = Group(key, title, total=len(groups[key]))
        if group.leading:
            group.tasks = _tasks(session, viewer, today,
                                 [r for r in groups[key] if r[0].id not in on_top][:FIRST])
        out.append(group)
    return TaskList(out, _tasks(session, viewer, today, top), scheduled, archived)


def task_group(session: Session, viewer: Viewer, today: date, key: str,
               page: int) -> Group:
    """All of one group of Tugas saya, PAGE items a page (``page`` kept in range)."""
    rows, _ = _own(session, viewer, today)
    found = _grouped(rows, today)[0][key]
    pages = max(1, -(-len(found) // PAGE))
    page = min(max(1, page), pages)
    shown = found[(page - 1) * PAGE: page * PAGE]
    return Group(key, dict(GROUPS)[key], _tasks(session, viewer, today, shown),
                 len(found), page, pages)


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
    items = own_items(session, viewer)
    for row in satker_rows(session, viewer, item_ids=[
            i for i, plan in items.items() if plan in closed]):
        plan = row[3]
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
