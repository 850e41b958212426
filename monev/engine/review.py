"""Review in rounds and tiers, as real ZI reviews go: the koordinator, then the Tim ZI
(then, where a satker configures it, more), each accepting in turn; a rejection at any
tier sends the evidence back to the PIC with the reviewer's *catatan*, and the PIC's
next submission (with its *tanggapan*) opens a new round that goes back to the tier
that rejected it.

The checkpoint keeps its lifecycle status (``submitted`` for the whole review, ``verified``
only when the last tier accepts, ``rejected`` after a rejection), so the sweep, ladder,
feeds and reports read what they always read. The rounds and the tier now waiting are
worked out from the ``review_entry`` thread and the audit trail.

Who verifies a row: for each configured tier, its role's people for the row (the
koordinator of the row's area; everyone of the role otherwise) other than the row's own
holders and the person who sent the evidence (unless ``self_verification``); when that
leaves nobody, the next role of the escalation chain stands in. Two tiers that end with
the same people are one. So a row whose PIC is the Ketua Tim ZI (the fallback holder) is
verified by the Sekretaris."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monev.config import MonevConfig, Person, PortalConfig
from monev.engine import lifecycle
from monev.engine.people import holders, koordinators
from monev.errors import MonevError
from monev.status import word
from monev.store import models as m
from monev.store.queries import bump_plans


@dataclass(frozen=True, slots=True)
class Tier:
    """One review tier of a row: the configured role, the role whose people act in it
    (another when they stand in), and those people (none: nobody can verify)."""

    role: str
    acting: str
    people: tuple[str, ...]


def role_people(role: str, area: str, pics: Sequence[Person],
                people: Sequence[Person]) -> list[Person]:
    """The people of ``role`` for a row, without fallbacks: the area's koordinators,
    the kasubbag of its PIC's subbagian, or everyone holding the role."""
    if role == "koordinator":
        return koordinators(area, people)
    if role == "kasubbag":
        subs = {p.subbagian for p in pics if p.subbagian}
        return [p for p in people if p.role == "kasubbag" and p.subbagian in subs]
    return [p for p in people if p.role == role]


def row_tiers(portal: PortalConfig, people: Sequence[Person], area: str, komponen: str,
              submitter: str | None = None) -> list[Tier]:
    """The review tiers of a row, lowest first (see the module's docstring)."""
    pics = holders("pic", area, komponen, people)
    excluded: set[str] = set()
    if not portal.self_verification:
        excluded = {p.name for p in pics} | ({submitter} if submitter else set())
    chain = portal.chain()
    out: list[Tier] = []
    for role in portal.tiers():
        tier = Tier(role, role, ())
        for acting in chain[chain.index(role):]:
            names = tuple(p.name for p in role_people(acting, area, pics, people)
                          if p.name not in excluded)
            if names:
                tier = Tier(role, acting, names)
                break
        if out and set(out[-1].people) == set(tier.people):
            continue  # the same people would accept twice
        out.append(tier)
    return out


def without_verifier(tiers: Sequence[Tier]) -> bool:
    return any(not t.people for t in tiers)


def rows_without_verifier(session: Session, cfg: MonevConfig) -> dict[str, int]:
    """How many active rows of each configured satker's plans (closed ones left out)
    nobody can verify: a tier of theirs has nobody, even after standing in."""
    out: dict[str, int] = {}
    for satker, area, komponen, n in session.execute(
            select(m.Satker.name, m.Area.name, m.Item.komponen, func.count(m.Item.id))
            .join(m.Item.area).join(m.Item.plan).join(m.Plan.satker)
            .where(m.Item.active, m.Plan.status != "selesai")
            .group_by(m.Satker.name, m.Area.name, m.Item.komponen)).tuples():
        sc = cfg.satker(satker)
        if sc is not None and without_verifier(row_tiers(sc.portal, sc.people, area,
                                                         komponen)):
            out[sc.name] = out.get(sc.name, 0) + n
    return out


@dataclass(frozen=True, slots=True)
class State:
    """Where a checkpoint's review stands."""

    round: int  # submissions so far (0: none yet); revisions = round - 1
    tiers: tuple[Tier, ...]
    tier: int  # 1-based tier that acts now (while submitted), else 0
    recheck: bool  # a fix sent after a rejection, not yet looked at: "menunggu dicek ulang"

    @property
    def waiting(self) -> Tier | None:
        return self.tiers[self.tier - 1] if self.tier else None

    @property
    def last(self) -> bool:
        """The tier now acting is the last: its acceptance verifies."""
        return self.tier >= len(self.tiers)


def state_of(status: str, round_no: int, entries: Sequence[m.ReviewEntry],
             tiers: Sequence[Tier]) -> State:
    """The review state from the thread: a round starts at the tier that rejected the
    previous one (the first tier after a rejection outside the tiers, or at first) and
    moves one tier up with each acceptance."""
    tiers = tuple(tiers)
    if status != "submitted" or not tiers:
        return State(round_no, tiers, 0, False)
    start = 1
    rejections = [e for e in entries if e.kind == "tolak" and e.round == round_no - 1]
    if rejections and rejections[-1].tier:
        start = rejections[-1].tier
    accepted = sum(e.kind == "terima" and e.round == round_no for e in entries)
    tier = min(start + accepted, len(tiers))
    return State(round_no, tiers, tier, round_no > 1 and accepted == 0)


def entries_of(session: Session, ids: Iterable[int]) -> dict[int, list[m.ReviewEntry]]:
    """Each checkpoint's thread, oldest first."""
    ids = list(ids)
    out: dict[int, list[m.ReviewEntry]] = {i: [] for i in ids}
    for start in range(0, len(ids), 500):
        for e in session.scalars(select(m.ReviewEntry).where(
                m.ReviewEntry.checkpoint_id.in_(ids[start:start + 500]))
                .order_by(m.ReviewEntry.id)):
            out[e.checkpoint_id].append(e)
    return out


def state(session: Session, cp: m.Checkpoint, portal: PortalConfig,
          people: Sequence[Person]) -> State:
    """One checkpoint's review state (its tiers with the latest submitter left out)."""
    item = cp.item
    submitter = lifecycle.last_submitter(session, cp.id)
    tiers = row_tiers(portal, people, item.area.name, item.komponen, submitter)
    return state_of(cp.status, lifecycle.rounds(session, [cp.id])[cp.id],
                    entries_of(session, [cp.id])[cp.id], tiers)


def _must_be_waiting_for(cp: m.Checkpoint, st: State, actor: str) -> None:
    """A verifier acts only on evidence waiting for their own tier."""
    if cp.status != "submitted":
        raise MonevError(f"checkpoint berstatus '{word(cp.status)}': tidak ada bukti yang "
                         "menunggu verifikasi")
    waiting = st.waiting
    if waiting is None or actor not in waiting.people:
        who = ", ".join(waiting.people) if waiting else ""
        raise MonevError(f"bukti ini menunggu verifikasi tingkat {st.tier}"
                         + (f" oleh {who}" if who else ""))


def _record(session: Session, cp: m.Checkpoint, st: State, kind: str, actor: str,
            tier: int, reasons: Sequence[str], note: str, now: datetime | None) -> None:
    role = st.tiers[tier - 1].acting if 0 < tier <= len(st.tiers) else ""
    session.add(m.ReviewEntry(checkpoint_id=cp.id, round=max(st.round, 1), tier=tier,
                              kind=kind, at=lifecycle.moments(cp, now)[0], actor=actor,
                              role=role, reasons=list(reasons), note=note))


def accept(session: Session, cp: m.Checkpoint, portal: PortalConfig,
           people: Sequence[Person], actor: str, note: str = "", now: datetime | None = None,
           admin: bool = False, final: bool = False) -> State:
    """Accept at the tier now waiting; the last tier's acceptance verifies. Only that
    tier's people may, unless ``admin`` (``monev evidence accept``: accepts the current
    tier, or with ``final`` every tier left at once). Returns the state after it."""
    if cp.status != "submitted":
        lifecycle.transition(session, cp, "accept", actor, note, now)  # raises: why not
    st = state(session, cp, portal, people)
    if not admin:
        _must_be_waiting_for(cp, st, actor)
    _record(session, cp, st, "terima", actor, st.tier, (), note.strip(), now)
    if st.last or final:
        lifecycle.transition(session, cp, "accept", actor, note.strip(), now)
        return State(st.round, st.tiers, 0, False)
    bump_plans(session, [cp.item.plan_id])
    session.flush()
    return State(st.round, st.tiers, st.tier + 1, False)


def catatan(reasons: Sequence[str], note: str) -> str:
    """The rejection's text as the PIC reads it (digest, page, calendar)."""
    chosen = "; ".join(r.strip() for r in reasons if r.strip())
    note = note.strip()
    return f"{chosen} — {note}" if chosen and note else chosen or note


def reject(session: Session, cp: m.Checkpoint, portal: PortalConfig,
           people: Sequence[Person], actor: str, reasons: Sequence[str], note: str,
           cfg: MonevConfig | None, now: datetime | None = None,
           admin: bool = False) -> m.Transition:
    """Send the evidence back to the PIC with the catatan (preset reasons and/or a
    note, at least one); the PIC hears it in the next digest. The next round starts at
    this tier (at the first after an ``admin`` rejection of verified evidence)."""
    text = catatan(reasons, note)
    if not text:
        raise MonevError("penolakan wajib disertai alasan")
    st = state(session, cp, portal, people)
    if not admin:
        _must_be_waiting_for(cp, st, actor)
    row = lifecycle.reject(session, cp, actor, text[:2000], cfg, now)
    _record(session, cp, st, "tolak", actor, st.tier, [r.strip() for r in reasons
                                                       if r.strip()], note.strip(), now)
    return row


@dataclass
class Round:
    """One round of the thread: the submission that opened it and what came of it."""

    number: int
    entries: list[m.ReviewEntry]


def thread(session: Session, cp_id: int) -> list[Round]:
    """The checkpoint's review thread by round, oldest first."""
    rounds: dict[int, Round] = {}
    for e in entries_of(session, [cp_id])[cp_id]:
        rounds.setdefault(e.round, Round(e.round, [])).entries.append(e)
    return [rounds[k] for k in sorted(rounds)]
