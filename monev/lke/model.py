"""The LKE as the regulation publishes it: a weighted tree (komponen → sub-komponen → area
→ sub-area) whose leaves are questions with an answer scale, plus the ratio items the
workbook computes from number answers, and the WBK/WBBM gates. Weights are points (the
whole instrument is 100); a question's value is a multiplier between 0 and 1."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Literal

AnswerKind = Literal["ya_tidak", "abc", "abcd", "abcde", "number", "survey"]
SCALES: dict[str, tuple[str, ...]] = {
    "ya_tidak": ("Ya", "Tidak"), "abc": ("A", "B", "C"), "abcd": ("A", "B", "C", "D"),
    "abcde": ("A", "B", "C", "D", "E")}


@dataclass(frozen=True)
class Option:
    key: str
    label: str
    value: float


@dataclass(frozen=True)
class Question:
    """One row of the workbook. ``number`` answers only feed ratios; ``survey`` answers
    are a value from 0 to the instrument's ``survey_max``."""

    code: str
    text: str
    answer: AnswerKind
    row: int
    criteria: str = ""
    options: tuple[Option, ...] = ()
    weight: float | None = None
    from_capaian: tuple[tuple[str, float], ...] = ()  # (option, least share) best first

    @property
    def scored(self) -> bool:
        return self.answer != "number"

    def option(self, key: str) -> Option | None:
        wanted = key.strip().casefold()
        return next((o for o in self.options if o.key.casefold() == wanted), None)

    def option_for_share(self, share: float) -> Option:
        """The option a plan earns with ``share`` of its checkpoints done as planned."""
        for key, least in self.from_capaian:
            if share >= least:
                return self.option(key) or self.options[-1]
        return self.options[-1]


@dataclass(frozen=True)
class Ratio:
    """A percentage the workbook computes from number answers, capped at 1: the sum of
    ``numerator`` over the sum of ``denominator``, or the fall from ``decrease[0]`` to
    ``decrease[1]``; ``if_zero`` is what a zero denominator scores ("no cases")."""

    code: str
    name: str
    numerator: tuple[str, ...] = ()
    denominator: tuple[str, ...] = ()
    decrease: tuple[str, str] | None = None
    if_zero: float = 0.0

    @property
    def inputs(self) -> tuple[str, ...]:
        return self.decrease or (*self.numerator, *self.denominator)


@dataclass(frozen=True)
class Node:
    code: str
    name: str
    weight: float
    children: tuple[Node, ...] = ()
    questions: tuple[Question, ...] = ()
    ratios: tuple[Ratio, ...] = ()

    @functools.cached_property
    def units(self) -> tuple[Question | Ratio, ...]:
        """What this node's score averages: its scored questions and its ratios (once
        per node: every score of every plan reads them)."""
        return (*(q for q in self.questions if q.scored), *self.ratios)

    @functools.cached_property
    def weighted(self) -> bool:
        """Every unit carries its own weight: the node earns their weighted sum, not its
        weight × their mean."""
        return all(isinstance(u, Question) and u.weight for u in self.units)

    @functools.cached_property
    def shares(self) -> tuple[float, ...]:
        """Each unit's weight in points: its own, or an equal share of the node's."""
        return tuple(u.weight if isinstance(u, Question) and u.weight
                     else self.weight / len(self.units) for u in self.units)

    def walk(self) -> list[Node]:
        found = [self]
        for child in self.children:
            found.extend(child.walk())
        return found


@dataclass(frozen=True)
class Minimum:
    code: str
    points: float


@dataclass(frozen=True)
class Gate:
    """A predicate's minimums: total, pengungkit, every area's share of its weight, and
    points on named nodes or questions (the hasil surveys)."""

    name: str
    total: float
    pengungkit: float
    area_share: float
    minimums: tuple[Minimum, ...] = ()


@dataclass(frozen=True)
class Area:
    """An area of change as the gates read it: its Pemenuhan and Reform parts together."""

    number: str
    name: str
    parts: tuple[Node, ...]

    @property
    def weight(self) -> float:
        return sum(p.weight for p in self.parts)


@dataclass(frozen=True)
class Lke:
    version: str
    kind: str
    title: str
    regulation: str
    survey_max: float
    workbook: dict[str, str]
    gates: tuple[Gate, ...]
    tree: tuple[Node, ...]
    index: dict[str, Node | Question | Ratio] = field(default_factory=dict, compare=False)
    digest: str = field(default="", compare=False)  # SHA-256 of the YAML it was read from

    def question(self, code: str) -> Question | None:
        found = self.index.get(code)
        return found if isinstance(found, Question) else None

    def questions(self) -> list[Question]:
        return list(self._questions)

    @functools.cached_property
    def _questions(self) -> tuple[Question, ...]:
        """In the tree's order, walked once (each plan's score asks several times)."""
        return tuple(q for top in self.tree for n in top.walk() for q in n.questions)

    @functools.cached_property
    def bottom_up(self) -> tuple[Node, ...]:
        """Every node after its children: the order a score adds up in, without
        recursion (each plan of a national sweep is scored twice)."""
        def after(node: Node) -> list[Node]:
            return [n for child in node.children for n in after(child)] + [node]
        return tuple(n for top in self.tree for n in after(top))

    @property
    def pengungkit(self) -> Node:
        return self.tree[0]

    @property
    def hasil(self) -> Node:
        return self.tree[1]

    def areas(self) -> list[Area]:
        """Areas by number, Pemenuhan and Reform parts together, in the document's order."""
        return list(self._areas)

    @functools.cached_property
    def _areas(self) -> tuple[Area, ...]:
        by_number: dict[str, list[Node]] = {}
        for part in self.pengungkit.children:
            for area in part.children:
                by_number.setdefault(area.code.rsplit(".", 1)[-1], []).append(area)
        return tuple(Area(number, parts[0].name, tuple(parts))
                     for number, parts in by_number.items())
