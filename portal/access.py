"""Who is looking, and what their role lets them see and do (roles from the config).

- a PIC sees and submits the rows they hold; a koordinator also the rows of their
  areas; a kasubbag sees the rows whose PIC works in their subbagian;
- Ketua Tim ZI, Sekretaris, Ketua and admins (role ``admin`` or ``admin: true``) see the
  whole plan and the Papan;
- the LKE page: the Tim ZI (those and the koordinators) reads it and fills the unit's
  answers; the TPI (role ``tpi``, the Inspektorat) fills the TPI column and reads every
  row of the satker, changing nothing else; anyone else is refused (403);
- evidence is verified in tiers (``portal.review.tiers``, by default the koordinator of
  the area, then the Ketua Tim ZI; monev/engine/review.py says who stands in where a
  tier has nobody): a verifier acts on what waits for their tier; unless
  ``portal.self_verification`` is true nobody verifies rows they hold or evidence they
  sent themselves.
Anything else answers 404, as if it did not exist."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from monev.config import MonevConfig, Person, PortalConfig, SatkerConfig
from monev.engine.people import concerns, holders
from monev.engine.review import Tier, row_tiers
from monev.store import models as m
from monev.store.plan_status import closed_plan_ids

WIDE_ROLES = ("ketua_tim", "sekretaris", "ketua", "admin")
TPI_ROLE = "tpi"
Row = tuple[m.Checkpoint, m.Item, str, m.Plan]  # checkpoint, row, area name, plan


@dataclass(frozen=True, slots=True)
class CpView:
    id: int
    period: str
    due: date
    status: str


@dataclass(frozen=True, slots=True)
class ItemView:
    id: int
    key: str
    position: int
    komponen: str
    indikator: str
    langkah_aksi: str
    bukti_fisik: str


@dataclass(frozen=True, slots=True)
class PlanView:
    id: int
    kind: str
    year: int


# What list pages read of a checkpoint: plain columns, no ORM objects (a satker has
# hundreds of checkpoints and every list is built per request).
Light = tuple[CpView, ItemView, str, PlanView]
_LIGHT_COLUMNS = (m.Checkpoint.id, m.Checkpoint.period, m.Checkpoint.due, m.Checkpoint.status,
                  m.Item.id, m.Item.key, m.Item.position, m.Item.komponen, m.Item.indikator,
                  m.Item.langkah_aksi, m.Item.bukti_fisik, m.Area.name, m.Plan.id,
                  m.Plan.kind, m.Plan.year)


def light_of(row: Row) -> Light:
    cp, item, area, plan = row
    return (CpView(cp.id, cp.period, cp.due, cp.status),
            ItemView(item.id, item.key, item.position, item.komponen, item.indikator,
                     item.langkah_aksi, item.bukti_fisik), area,
            PlanView(plan.id, plan.kind, plan.year))


class People:
    """Holders of a satker's rows, each (role, area, komponen) worked out once."""

    def __init__(self, people: Sequence[Person], portal: PortalConfig | None = None) -> None:
        self.people = list(people)
        self.portal = portal or PortalConfig()
        self._memo: dict[tuple[str, str, str], list[Person]] = {}
        self._concerns: dict[tuple[str, str, str], bool] = {}
        self._tiers: dict[tuple[str, str, str | None], list[Tier]] = {}

    def holders(self, role: str, area: str, komponen: str) -> list[Person]:
        key = (role, area, komponen)
        if key not in self._memo:
            self._memo[key] = holders(role, area, komponen, self.people)
        return self._memo[key]

    def names(self, role: str, area: str, komponen: str) -> list[str]:
        return [p.name for p in self.holders(role, area, komponen)]

    def concerns(self, who: Person, area: str, komponen: str) -> bool:
        key = (who.name, area, komponen)
        if key not in self._concerns:
            self._concerns[key] = concerns(who, area, komponen, self.people)
        return self._concerns[key]

    def tiers(self, area: str, komponen: str, submitter: str | None = None) -> list[Tier]:
        """The row's review tiers (with ``submitter`` left out of them)."""
        key = (area, komponen, submitter)
        if key not in self._tiers:
            self._tiers[key] = row_tiers(self.portal, self.people, area, komponen, submitter)
        return self._tiers[key]


_PEOPLE: dict[int, tuple[SatkerConfig, People]] = {}


def people_of(satker: SatkerConfig) -> People:
    """One ``People`` per configured satker for the app's life: who holds which row
    is worked out once, not on every page."""
    hit = _PEOPLE.get(id(satker))
    if hit is None or hit[0] is not satker:
        hit = (satker, People(satker.people, satker.portal))
        _PEOPLE[id(satker)] = hit
    return hit[1]


@dataclass
class Viewer:
    """The person behind a live session, with their satker."""

    person: Person
    satker: SatkerConfig
    satker_row: m.Satker | None
    session_id: int
    cookie: str
    csrf: str
    people: People = field(init=False)

    def __post_init__(self) -> None:
        self.people = people_of(self.satker)

    @property
    def wide(self) -> bool:
        return self.person.role in WIDE_ROLES or self.person.admin

    @property
    def sees_board(self) -> bool:
        return self.wide

    @property
    def lke_unit(self) -> bool:
        """The Tim ZI: reads the LKE page and fills the unit's answers."""
        return self.wide or self.person.role == "koordinator"

    @property
    def lke_tpi(self) -> bool:
        """The Tim Penilai Internal: fills the TPI's answers."""
        return self.person.role == TPI_ROLE

    @property
    def sees_lke(self) -> bool:
        """The LKE page, its workbook and its evidence bundle."""
        return self.lke_unit or self.lke_tpi

    @property
    def verifier(self) -> bool:
        """A role that verifies in some tier, or stands in for one."""
        return self.person.role in self.satker.portal.chain()

    def mine(self, area: str, komponen: str) -> bool:
        """A row on this person's own task list."""
        return self.people.concerns(self.person, area, komponen)

    def can_view(self, area: str, komponen: str) -> bool:
        """The TPI reads every row (the evidence it judges), acting on none."""
        return self.wide or self.lke_tpi or self.mine(area, komponen) or \
            self.can_verify(area, komponen)

    def can_submit(self, area: str, komponen: str) -> bool:
        name = self.person.name
        return name in self.people.names("pic", area, komponen) or \
            name in self.people.names("koordinator", area, komponen)

    def can_verify(self, area: str, komponen: str, submitter: str | None = None) -> bool:
        """Verifies this row in one of its tiers."""
        return self.verifier and any(self.person.name in t.people
                                     for t in self.people.tiers(area, komponen, submitter))

    def may_verify_own(self) -> bool:
        return self.satker.portal.self_verification


def viewer_for(session: Session, cfg: MonevConfig, link: m.PortalLink, session_id: int,
               cookie: str, csrf: str) -> Viewer | None:
    """The configured person a link stands for (None when they left the config)."""
    sc = cfg.satker(link.satker)
    person = next((p for p in sc.people if p.name == link.person), None) if sc else None
    if sc is None or person is None:
        return None
    satker_row = session.scalar(select(m.Satker).where(m.Satker.name == sc.name)) or \
        next((s for s in session.scalars(select(m.Satker))
              if s.name.casefold() == sc.name.casefold()), None)
    return Viewer(person, sc, satker_row, session_id, cookie, csrf)


def satker_rows(session: Session, viewer: Viewer, plan_id: int | None = None,
                status: str | None = None,
                item_ids: Collection[int] | None = None) -> list[Light]:
    """Active checkpoints of the viewer's satker (one plan, one status, only the rows
    ``item_ids`` if given), by due date."""
    if viewer.satker_row is None or (item_ids is not None and not item_ids):
        return []
    query = (select(*_LIGHT_COLUMNS)
             .join(m.Checkpoint.item).join(m.Item.area).join(m.Item.plan)
             .where(m.Plan.satker_id == viewer.satker_row.id, m.Item.active)
             .order_by(m.Checkpoint.due, m.Item.position))
    if plan_id is not None:
        query = query.where(m.Plan.id == plan_id)
    if status is not None:
        query = query.where(m.Checkpoint.status == status)
    if item_ids is not None:
        query = query.where(m.Item.id.in_(sorted(item_ids)))
    return [(CpView(r[0], r[1], r[2], r[3]), ItemView(*r[4:11]), r[11],
             PlanView(r[12], r[13], r[14])) for r in session.execute(query)]


def own_items(session: Session, viewer: Viewer) -> dict[int, int]:
    """The viewer's own rows (their task list), ``{item id: plan id}``: the role rules
    (``Viewer.mine``) run once per row of the satker's plans, so the checkpoints are
    then read by these ids instead of all of the satker's being read and filtered."""
    if viewer.satker_row is None:
        return {}
    rows = session.execute(select(m.Item.id, m.Item.plan_id, m.Area.name, m.Item.komponen)
                           .join(m.Item.area).join(m.Item.plan)
                           .where(m.Plan.satker_id == viewer.satker_row.id, m.Item.active))
    return {item_id: plan_id for item_id, plan_id, area, komponen in rows
            if viewer.mine(area, komponen)}


def visible_checkpoint(session: Session, viewer: Viewer, cp_id: int) -> Row | None:
    """One checkpoint if the viewer may see it, else None (the caller answers 404)."""
    if viewer.satker_row is None:
        return None
    row = session.execute(
        select(m.Checkpoint, m.Item, m.Area.name, m.Plan)
        .join(m.Checkpoint.item).join(m.Item.area).join(m.Item.plan)
        .where(m.Checkpoint.id == cp_id, m.Plan.satker_id == viewer.satker_row.id,
               m.Item.active)).tuples().first()
    if row is None or not viewer.can_view(row[2], row[1].komponen):
        return None
    return row


def closed_plans(session: Session, viewer: Viewer, today: date,
                 plan_ids: Sequence[int] | None = None) -> set[int]:
    """The viewer's satker's plans (or those of ``plan_ids``) that are closed
    (*selesai*) on ``today``: nothing of them is open work any more."""
    if viewer.satker_row is None:
        return set()
    if plan_ids is None:
        plan_ids = list(session.scalars(select(m.Plan.id).where(
            m.Plan.satker_id == viewer.satker_row.id)))
    grace = viewer.satker.settings().closing_grace_months
    return closed_plan_ids(session, plan_ids, today, lambda _satker: grace)


def visible_file(session: Session, viewer: Viewer, evidence_id: int) -> m.Evidence | None:
    """An evidence file whose checkpoint the viewer may see, else None (404)."""
    ev = session.get(m.Evidence, evidence_id)
    if ev is None or ev.kind != "file" or \
            visible_checkpoint(session, viewer, ev.checkpoint_id) is None:
        return None
    return ev
