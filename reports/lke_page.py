"""The report's LKE page: where the plan's satker stands on the LKE it is judged on (from
:mod:`monev.engine.lke`), rounded as the LKE reports, with the gates and the sub-areas
that hold the score back."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from monev.engine.lke import Standing, standing
from monev.errors import MonevError
from monev.lke.score import check_gate, rounded
from monev.store import models as m
from reports.model import LkeGate, LkeLine, LkePart

WORST = 5


def lke_part(session: Session, plan: m.Plan, as_of: date) -> LkePart | None:
    """The page, or None where no LKE of the plan's kind exists (an RB plan today)."""
    try:
        where = standing(session, plan, as_of)
    except MonevError:
        return None
    return part_of(where)


def part_of(where: Standing) -> LkePart:
    """The page of a standing already computed (also what ``monev lke score`` shows)."""
    now, ahead = where.projection.now, where.projection.projected
    lines = [LkeLine(a.area.name, a.area.weight, rounded(a.points), rounded(b.points))
             for a, b in zip(now.areas(), ahead.areas(), strict=True)]
    lke = where.lke
    lines += [LkeLine("Pengungkit", lke.pengungkit.weight, rounded(now.pengungkit),
                      rounded(ahead.pengungkit)),
              LkeLine("Hasil", lke.hasil.weight, rounded(now.hasil), rounded(ahead.hasil)),
              LkeLine("Total", 100.0, rounded(now.total), rounded(ahead.total))]
    gates = []
    for gate in lke.gates:
        projected = check_gate(ahead, gate)
        gates.append(LkeGate(gate.name, check_gate(now, gate).met, projected.met,
                             projected.short))
    leaves = [n for top in lke.tree[:1] for n in top.walk() if n.units]
    worst = sorted((LkeLine(f"{n.code} {n.name}", n.weight, rounded(now.points[n.code]),
                            rounded(ahead.points[n.code])) for n in leaves),
                   key=lambda line: (line.share, -line.weight))
    return LkePart(lke.version, lines, gates, [w for w in worst if w.share < 1][:WORST])
