"""Lookups shared by the CLI, the flows and the deployment compiler."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, bindparam, case, func, select, text, update
from sqlalchemy.orm import Session, defer

from monev.engine.rules import CheckpointState
from monev.errors import MonevError
from monev.periods import Period
from monev.store import models as m


def plan_ref(satker_slug: str, kind: str, year: int) -> str:
    """``kpu-kabupaten-muaro-jambi/zi-2025`` — how flows and people name a plan."""
    return f"{satker_slug}/{kind.lower()}-{year}"


def plan_label(plan: str) -> str:
    """``kpu-kabupaten-muaro-jambi/rb-2026`` → ``kpu-kab-muaro-jambi rb-2026``: short
    enough to stay readable where the Prefect UI truncates (run names, artifacts)."""
    satker, _, rest = plan.partition("/")
    short = satker.replace("kabupaten", "kab").replace("provinsi", "prov")
    return f"{short} {rest}".strip()


def all_plans(session: Session, plan_ids: Collection[int] | None = None,
              ) -> Sequence[tuple[m.Plan, m.Satker]]:
    """Every plan (or those of ``plan_ids``) with its satker (the decree's text is
    loaded only if asked for)."""
    query = (select(m.Plan, m.Satker).join(m.Plan.satker)
             .options(defer(m.Plan.source), defer(m.Plan.warnings))
             .order_by(m.Satker.slug, m.Plan.kind, m.Plan.year))
    if plan_ids is not None:
        query = query.where(m.Plan.id.in_(sorted(plan_ids)))
    return session.execute(query).tuples().all()


def find_plan(session: Session, ref: str) -> tuple[m.Plan, m.Satker]:
    """A plan by its id ``satker-slug/zi-2025``: one lookup by key."""
    slug, _, rest = ref.partition("/")
    kind, _, year = rest.partition("-")
    found = None
    if year.isdigit() and len(year) == 4:
        found = session.execute(
            select(m.Plan, m.Satker).join(m.Plan.satker).where(
                m.Satker.slug == slug, m.Plan.kind == kind.upper(), m.Plan.year == int(year))
        ).tuples().first()
    if found is None:
        raise MonevError(f"rencana aksi '{ref}' tidak ada; lihat `monev plan list`")
    return found


def satker_of_plan(session: Session, plan_id: int) -> str | None:
    return session.scalar(select(m.Satker.name).join(m.Plan.satker).where(m.Plan.id == plan_id))


WAITING = ("open", "rejected", "scheduled", "backlog")  # due evidence not yet in


@dataclass(frozen=True, slots=True)
class CheckpointView:
    """A checkpoint with what the engine reads of its row: plain columns, no ORM
    objects (a sweep of thousands of checkpoints reads them all)."""

    id: int
    period: str
    due: date
    status: str
    imported_on: date | None
    key: str
    komponen: str
    indikator: str
    bukti_fisik: str
    area: str

    @property
    def ref(self) -> str:
        return f"{self.key}@{self.period}"

    def state(self, period: Period | None = None) -> CheckpointState:
        """The engine's view; ``period`` when the caller already parsed ours."""
        return CheckpointState(id=self.id, period=period or Period.parse(self.period),
                               due=self.due,
                               status=self.status, area=self.area, komponen=self.komponen,
                               bukti_fisik=self.bukti_fisik, imported_on=self.imported_on)


def checkpoint_views(session: Session, plan_id: int) -> list[CheckpointView]:
    """Active checkpoints of a plan, by due date, in one column query."""
    cp, it = m.Checkpoint, m.Item
    rows = session.execute(
        select(cp.id, cp.period, cp.due, cp.status, cp.imported_on, it.key, it.komponen,
               it.indikator, it.bukti_fisik, m.Area.name)
        .join(cp.item).join(it.area).where(it.plan_id == plan_id, it.active)
        .order_by(cp.due, it.position))
    return [CheckpointView(*row) for row in rows]


def progress_of(cps: Sequence[CheckpointView], as_of: date) -> Capaian:
    """The same counts as :func:`progress` from checkpoints already read."""
    due = [c for c in cps if c.due <= as_of]
    return Capaian(verified=sum(c.status == "verified" for c in cps), total=len(cps),
                   due=len(due), verified_due=sum(c.status == "verified" for c in due),
                   late=sum(c.due < as_of and c.status in WAITING for c in due))


@dataclass(frozen=True)
class Capaian:
    """A plan's progress as of a day, counted in SQL."""

    verified: int  # all verified checkpoints
    total: int  # every checkpoint of the plan's active rows
    due: int  # due on or before the day
    verified_due: int  # of those, verified
    late: int  # due before the day and still waiting for the PIC

    @property
    def percent(self) -> float:
        return 100.0 * self.verified / self.total if self.total else 0.0

    def sentence(self, as_of: date) -> str:
        """"12 dari 399 checkpoint terverifikasi (3 %)" and what is due and late."""
        return (f"{self.verified} dari {self.total} checkpoint terverifikasi "
                f"({self.percent:.0f} %); jatuh tempo s.d. {as_of:%d-%m-%Y}: {self.due}, "
                f"terverifikasi {self.verified_due}, terlambat {self.late}")


def progress(session: Session, plan_id: int, as_of: date) -> Capaian:
    """The plan's capaian as of ``as_of`` in one aggregate query."""
    cp = m.Checkpoint
    waiting = cp.status.in_(WAITING)
    row = session.execute(
        select(func.count(cp.id),
               func.sum(case((cp.status == "verified", 1), else_=0)),
               func.sum(case((cp.due <= as_of, 1), else_=0)),
               func.sum(case(((cp.due <= as_of) & (cp.status == "verified"), 1), else_=0)),
               func.sum(case(((cp.due < as_of) & waiting, 1), else_=0)))
        .join(cp.item).where(m.Item.plan_id == plan_id, m.Item.active)).one()
    total, verified, due, verified_due, late = (int(v or 0) for v in row)
    return Capaian(verified, total, due, verified_due, late)


@dataclass(frozen=True, slots=True)
class Due:
    """A period and its due date (what a schedule is compiled from)."""

    period: Period
    due: date


def due_dates(session: Session, plan_ids: Collection[int] | None = None,
              ) -> dict[int, list[Due]]:
    """Every plan's (or ``plan_ids``') distinct (period, due date) pairs of its active
    rows, in one query: a plan of 400 checkpoints has a few dozen."""
    query = (select(m.Item.plan_id, m.Checkpoint.period, m.Checkpoint.due).distinct()
             .join(m.Checkpoint.item).where(m.Item.active))
    if plan_ids is not None:
        query = query.where(m.Item.plan_id.in_(sorted(plan_ids)))
    rows = session.execute(query)
    out: dict[int, list[Due]] = {}
    parsed: dict[str, Period] = {}
    for plan_id, period, due in rows:
        p = parsed.get(period) or parsed.setdefault(period, Period.parse(period))
        out.setdefault(plan_id, []).append(Due(p, due))
    return out


def bump_plans(session: Session, plan_ids: Iterable[int]) -> None:
    """Record that what these plans show changed (feeds, pages and reports re-read)."""
    ids = sorted(set(plan_ids))
    if ids:
        session.execute(update(m.Plan).where(m.Plan.id.in_(ids)).values(
            data_version=m.Plan.data_version + 1).execution_options(synchronize_session=False))


_VERSIONS = text("SELECT (SELECT max(id) FROM plan), id, data_version, revision FROM plan "
                 "WHERE id IN :ids ORDER BY id").bindparams(bindparam("ids", expanding=True))
_NEWEST = text("SELECT max(id) FROM plan")


def plan_versions(conn: Session | Connection, plan_ids: Sequence[int]) -> tuple[object, ...]:
    """One cheap indexed query (plain SQL: it answers every unchanged feed request):
    the newest plan id (a new plan may join a satker or province) and each plan's data
    version and revision."""
    rows = conn.execute(_VERSIONS, {"ids": list(plan_ids)}).all() if plan_ids else []
    newest = rows[0][0] if rows else conn.execute(_NEWEST).scalar()
    return (newest, *((r[1], r[2], r[3]) for r in rows))
