"""The LKE page: where the satker stands on the LKE its ZI plan is judged on — totals
now and projected, the WBK/WBBM gates with their reasons — then every area, sub-area
and question with its answers (the unit's, the TPI's), the plan rows serving it and
their checkpoints, and its points. Built from one ``standing()`` and one read of the
plan's checkpoints per request."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from monev.engine.lke import Standing, standing, version_for
from monev.errors import MonevError
from monev.lke.load import available_versions
from monev.lke.model import Node, Option, Question, Ratio
from monev.lke.score import check_gate, rounded
from monev.periods import Period
from monev.store import lke as store
from monev.store import models as m
from portal.access import Viewer, closed_plans, satker_rows
from portal.format import SHOWN, shown_state

PARTS = {"P": "A. Pengungkit — Pemenuhan", "R": "A. Pengungkit — Reform",
         "B": "B. Hasil"}
ROW_TEXT = 160  # characters of a row's indikator shown under a question


@dataclass(frozen=True)
class CpLink:
    id: int
    label: str  # "Okt 2025"
    css: str  # the state's class (selesai, terlambat …)
    mark: str
    word: str
    linked: bool  # the viewer may open the checkpoint's page


@dataclass(frozen=True)
class RowLink:
    """A plan row serving a question, with its checkpoints."""

    key: str
    text: str
    checkpoints: tuple[CpLink, ...]

    @property
    def verified(self) -> int:
        return sum(1 for c in self.checkpoints if c.css == SHOWN["verified"][0])


@dataclass(frozen=True)
class Answered:
    answer: str
    note: str
    option: Option | None  # the option chosen (scale questions)


@dataclass(frozen=True)
class QuestionView:
    q: Question
    unit: Answered | None
    tpi: Answered | None
    rows: tuple[RowLink, ...]
    weight: float  # the points it can earn (0: a number feeding a ratio)
    now: float
    projected: float
    monev_now: Option | None = None  # 1.iii.a: the option monev reads from capaian
    monev_projected: Option | None = None

    @property
    def served(self) -> bool:
        return bool(self.rows)

    @property
    def criteria(self) -> str:
        """The criteria, unless the options' own words already say them."""
        if any(o.label and o.label != o.key for o in self.q.options):
            return ""
        return self.q.criteria


@dataclass(frozen=True)
class RatioView:
    ratio: Ratio
    weight: float
    now: float
    projected: float


@dataclass
class NodeView:
    node: Node
    now: float
    projected: float
    questions: list[QuestionView] = field(default_factory=list)
    ratios: list[RatioView] = field(default_factory=list)
    children: list[NodeView] = field(default_factory=list)

    def holds(self, code: str) -> bool:
        return code.startswith(f"{self.node.code}.")


@dataclass(frozen=True)
class Line:
    name: str
    weight: float
    now: float
    projected: float


@dataclass(frozen=True)
class GateView:
    name: str
    met_now: bool
    met_projected: bool
    short: tuple[str, ...]  # what the projection misses


@dataclass(frozen=True)
class Part:
    title: str  # Pemenuhan, Reform, Hasil
    areas: list[NodeView]


@dataclass
class LkePage:
    plans: list[PlanChoice]
    plan_id: int | None
    plan_label: str = ""
    version: str = ""
    title: str = ""
    lines: list[Line] = field(default_factory=list)  # areas, pengungkit, hasil, total
    gates: list[GateView] = field(default_factory=list)
    parts: list[Part] = field(default_factory=list)
    unanswered: int = 0  # questions no row serves and the unit has not answered
    missing: str = ""  # why no LKE can be shown

    @property
    def total(self) -> Line:
        return self.lines[-1]


@dataclass(frozen=True)
class PlanChoice:
    id: int
    kind: str
    year: int
    closed: bool

    @property
    def label(self) -> str:
        return f"{self.kind} {self.year}" + (" (selesai)" if self.closed else "")


def lke_plans(session: Session, viewer: Viewer, today: date) -> list[PlanChoice]:
    """The satker's plans judged on an LKE: open ones first, newest first."""
    if viewer.satker_row is None:
        return []
    plans = list(session.scalars(select(m.Plan).where(m.Plan.satker_id == viewer.satker_row.id)
                                 .order_by(m.Plan.year.desc(), m.Plan.kind.desc())))
    versions = available_versions()
    judged = []
    for plan in plans:
        try:
            version_for(plan, versions)
        except MonevError:
            continue
        judged.append(plan)
    closed = closed_plans(session, viewer, today, [p.id for p in judged])
    return sorted((PlanChoice(p.id, p.kind, p.year, p.id in closed) for p in judged),
                  key=lambda c: c.closed)  # stable: newest first within each


def _option_of(question: Question, value: float) -> Option | None:
    return next((o for o in question.options if abs(o.value - value) < 1e-9), None)


def _answered(question: Question, stored: tuple[str, str] | None) -> Answered | None:
    if stored is None:
        return None
    return Answered(stored[0], stored[1], question.option(stored[0]))


def _rows(session: Session, viewer: Viewer, plan_id: int, today: date, closed: bool
          ) -> dict[str, RowLink]:
    """Row key → the row with its checkpoints, in the states the viewer's pages show."""
    found: dict[str, tuple[str, list[CpLink]]] = {}
    linked: dict[tuple[str, str], bool] = {}
    for cp, item, area, _ in sorted(satker_rows(session, viewer, plan_id),
                                    key=lambda r: (r[1].position, r[0].due)):
        if cp.status == "cancelled":
            continue
        if (area, item.komponen) not in linked:
            linked[(area, item.komponen)] = viewer.can_view(area, item.komponen)
        css, mark, word = SHOWN[shown_state(cp.status, cp.due, today, closed)]
        try:
            label = Period.parse(cp.period).label()
        except ValueError:
            label = cp.period
        text = item.indikator or item.langkah_aksi or item.komponen
        if len(text) > ROW_TEXT:
            text = text[:ROW_TEXT - 1].rstrip() + "…"
        found.setdefault(item.key, (text, []))[1].append(
            CpLink(cp.id, label, css, mark, word, linked[(area, item.komponen)]))
    return {key: RowLink(key, text, tuple(cps)) for key, (text, cps) in found.items()}


def _node(node: Node, where: Standing, tpi: dict[str, tuple[str, str]],
          serving: dict[str, list[RowLink]]) -> NodeView:
    now, ahead = where.projection.now, where.projection.projected
    view = NodeView(node, rounded(now.points[node.code]), rounded(ahead.points[node.code]))
    units = node.units
    for q in node.questions:
        weight = 0.0
        if q.scored:  # as score() shares a node's points out
            weight = q.weight or node.weight / len(units)
        view.questions.append(QuestionView(
            q, _answered(q, where.answers.get(q.code)), _answered(q, tpi.get(q.code)),
            tuple(serving.get(q.code, ())), weight,
            rounded(now.points.get(q.code, 0.0)), rounded(ahead.points.get(q.code, 0.0)),
            _option_of(q, now.values[q.code]) if q.from_capaian else None,
            _option_of(q, ahead.values[q.code]) if q.from_capaian else None))
    for r in node.ratios:
        view.ratios.append(RatioView(r, node.weight / len(units),
                                     rounded(now.points[r.code]),
                                     rounded(ahead.points[r.code])))
    view.children = [_node(c, where, tpi, serving) for c in node.children]
    return view


def build_lke(session: Session, viewer: Viewer, today: date, plan_id: int | None) -> LkePage:
    """The page for one of the satker's plans (the newest open one unless asked)."""
    plans = lke_plans(session, viewer, today)
    if not plans:
        return LkePage([], None, missing="Belum ada rencana aksi yang dinilai dengan LKE "
                                         "untuk satker ini.")
    choice = next((c for c in plans if c.id == plan_id), plans[0])
    plan = session.get(m.Plan, choice.id)
    assert plan is not None
    page = LkePage(plans, choice.id, choice.label)
    try:
        where = standing(session, plan, today)
    except MonevError as exc:  # the LKE file went missing or broke since the list
        page.missing = str(exc)
        return page
    lke = where.lke
    page.version, page.title = lke.version, lke.title
    now, ahead = where.projection.now, where.projection.projected
    page.lines = [Line(a.area.name, a.area.weight, rounded(a.points), rounded(b.points))
                  for a, b in zip(now.areas(), ahead.areas(), strict=True)]
    page.lines += [
        Line("Pengungkit", lke.pengungkit.weight, rounded(now.pengungkit),
             rounded(ahead.pengungkit)),
        Line("Hasil", lke.hasil.weight, rounded(now.hasil), rounded(ahead.hasil)),
        Line("Total", 100.0, rounded(now.total), rounded(ahead.total))]
    for gate in lke.gates:
        projected = check_gate(ahead, gate)
        page.gates.append(GateView(gate.name, check_gate(now, gate).met, projected.met,
                                   projected.short))
    rows = _rows(session, viewer, plan.id, today, choice.closed)
    serving: dict[str, list[RowLink]] = {}
    for key, codes in where.links.items():
        for code in codes:
            if key in rows:
                serving.setdefault(code, []).append(rows[key])
    tpi = store.answers(session, plan.satker_id, lke.version, "tpi")
    for top in lke.tree:
        parts = top.children if top is lke.pengungkit else (top,)
        for part in parts:
            areas = part.children
            page.parts.append(Part(PARTS.get(part.code, part.name),
                                   [_node(a, where, tpi, serving) for a in areas]))
    served = {c for codes in where.links.values() for c in codes}
    page.unanswered = sum(1 for q in lke.questions() if q.scored and not q.from_capaian
                          and q.code not in served and q.code not in where.answers)
    return page
