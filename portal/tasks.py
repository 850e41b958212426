"""What the portal's pages show, read from the store: the person's task list grouped by
what they must do (this week's work first), one checkpoint's history and evidence
(the verification queue is portal/review.py's)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import ColumnElement, case, func, select
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


def _live_items(session: Session, viewer: Viewer, today: date) -> tuple[list[int], int]:
    """The viewer's own rows of live plans (the role rules run on the satker's rows, not
    on its checkpoints), and how many checkpoints of theirs belong to closed plans."""
    closed = closed_plans(session, viewer, today)
    items = own_items(session, viewer)
    live = sorted(i for i, plan in items.items() if plan not in closed)
    archived = 0
    if len(live) < len(items):
        archived = session.scalar(select(func.count(m.Checkpoint.id)).where(
            m.Checkpoint.item_id.in_(sorted(set(items) - set(live))))) or 0
    return live, archived


def _week_end(today: date) -> date:
    return today + timedelta(days=6 - today.weekday())


def _filters(today: date) -> dict[str, ColumnElement[bool]]:
    """Each group of Tugas saya as a condition on the checkpoint, in SQL (indexed by
    ``ix_checkpoint_item_status_due``); a checkpoint is in the first group it matches,
    and the conditions below are written so that it matches only one."""
    cp = m.Checkpoint
    week_end = _week_end(today)
    return {
        "ditolak": cp.status == "rejected",
        "terlambat": cp.status.in_(("open", "backlog", "scheduled")) & (cp.due < today),
        "minggu_ini": cp.status.in_(("open", "scheduled")) & (cp.due >= today)
        & (cp.due <= week_end),
        "dibuka": (cp.status == "open") & (cp.due > week_end),
        "menunggu": cp.status == "submitted",
        "selesai": cp.status == "verified",
    }


# the most recently overdue and the newest finished first (what is overdue since the
# plan was imported — tunggakan — would otherwise fill the first page)
NEWEST_FIRST = ("terlambat", "selesai")


def _counts(session: Session, items: list[int], today: date) -> tuple[dict[str, int], int]:
    """How many checkpoints of ``items`` each group holds (one grouped query), and how
    many are in none (only scheduled)."""
    counts = dict.fromkeys(dict(GROUPS), 0)
    if not items:
        return counts, 0
    group = case(*((cond, key) for key, cond in _filters(today).items()), else_="")
    scheduled = 0
    for key, n in session.execute(select(group, func.count()).where(
            m.Checkpoint.item_id.in_(items)).group_by(group)).tuples():
        if key:
            counts[key] = n
        else:
            scheduled = n
    return counts, scheduled


def _group_rows(session: Session, viewer: Viewer, items: list[int], today: date, key: str,
                limit: int, offset: int = 0) -> list[Light]:
    return satker_rows(session, viewer, item_ids=items, where=_filters(today)[key],
                       newest_first=key in NEWEST_FIRST, limit=limit, offset=offset)


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
    items, archived = _live_items(session, viewer, today)
    counts, scheduled = _counts(session, items, today)
    top: list[Light] = []
    if sorot:
        found = {r[0].id: r for r in satker_rows(
            session, viewer, item_ids=items, where=m.Checkpoint.id.in_(list(sorot)))}
        top = [found[i] for i in sorot if i in found]
    on_top = {r[0].id for r in top}
    out = []
    for key, title in GROUPS:
        group = Group(key, title, total=counts[key])
        if group.leading and group.total:
            rows = _group_rows(session, viewer, items, today, key, FIRST + len(on_top))
            group.tasks = _tasks(session, viewer, today,
                                 [r for r in rows if r[0].id not in on_top][:FIRST])
        out.append(group)
    return TaskList(out, _tasks(session, viewer, today, top), scheduled, archived)


def task_group(session: Session, viewer: Viewer, today: date, key: str,
               page: int) -> Group:
    """All of one group of Tugas saya, PAGE items a page (``page`` kept in range)."""
    items, _ = _live_items(session, viewer, today)
    total = _counts(session, items, today)[0][key]
    pages = max(1, -(-total // PAGE))
    page = min(max(1, page), pages)
    shown = _group_rows(session, viewer, items, today, key, PAGE, (page - 1) * PAGE) \
        if total else []
    return Group(key, dict(GROUPS)[key], _tasks(session, viewer, today, shown),
                 total, page, pages)


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
