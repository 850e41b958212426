"""The points a set of answers earns on an LKE, and whether they pass the WBK/WBBM gates.

Rules (docs/lke.md): a scale answer is worth its option's value (Ya 1, B of A–D 0.67 …),
a survey value its share of ``survey_max``, a ratio its percentage capped at 1; a
sub-area earns its weight × the plain mean of its items (or the sum of weight × value
where every item carries its own weight); every level above is the sum of its parts.
An item with no answer is worth 0. Points keep full precision; what is reported is
rounded half-up to two decimals, and the gates read the reported values."""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from monev.lke.model import Area, Gate, Lke, Question, Ratio

Answer = str | float  # an option key ("Ya", "B") or a number


class AnswerError(ValueError):
    """An answer the question cannot take (message in Bahasa Indonesia)."""


@functools.lru_cache(maxsize=4096)
def rounded(points: float) -> float:
    """Two decimals, half up (the workbook's rounding), as reported (remembered: a
    score's totals and the gates' minimums are rounded again by every check)."""
    return float(Decimal(repr(points)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def parse_answer(question: Question, raw: str | float, survey_max: float = 4) -> Answer:
    """``raw`` as ``question`` takes it (an option key, or a number), or AnswerError."""
    if question.answer in ("number", "survey"):
        try:
            value = float(str(raw).strip().replace(",", ".")) if isinstance(raw, str) \
                else float(raw)
        except ValueError:
            raise AnswerError(f"{question.code}: jawaban harus angka, bukan {raw!r}") from None
        if not math.isfinite(value) or value < 0:
            raise AnswerError(f"{question.code}: angka harus 0 atau lebih")
        if question.answer == "survey" and value > survey_max:
            top = f"{survey_max:g}".replace(".", ",")
            raise AnswerError(f"{question.code}: nilai survei 0 sampai {top}")
        if question.answer == "number" and value != int(value):
            raise AnswerError(f"{question.code}: jumlah harus bilangan bulat")
        return value
    option = question.option(str(raw))
    if option is None:
        keys = "/".join(o.key for o in question.options)
        raise AnswerError(f"{question.code}: jawaban harus salah satu dari {keys}, "
                          f"bukan {raw!r}")
    return option.key


def question_value(question: Question, answer: Answer | None, survey_max: float) -> float:
    """A scored question's value in [0, 1]; 0 when unanswered."""
    if answer is None:
        return 0.0
    if question.answer == "survey":
        return min(max(float(answer) / survey_max, 0.0), 1.0)
    option = question.option(str(answer))
    return option.value if option else 0.0


def ratio_value(ratio: Ratio, answers: Mapping[str, Answer]) -> float:
    """A ratio's value in [0, 1]; 0 while any of its numbers is missing."""
    numbers = [answers.get(code) for code in ratio.inputs]
    if any(n is None for n in numbers):
        return 0.0
    values = [float(n) for n in numbers if n is not None]
    if ratio.decrease:
        before, after = values
        if before == 0:
            return ratio.if_zero if after == 0 else 0.0
        share = (before - after) / before
    else:
        top = sum(values[:len(ratio.numerator)])
        bottom = sum(values[len(ratio.numerator):])
        if bottom == 0:
            return ratio.if_zero
        share = top / bottom
    return min(max(share, 0.0), 1.0)


@dataclass(frozen=True)
class AreaScore:
    area: Area
    points: float

    @property
    def share(self) -> float:
        return self.points / self.area.weight


@dataclass(frozen=True)
class Score:
    """Points per node and item code (full precision) for one set of answers."""

    lke: Lke
    points: dict[str, float]
    values: dict[str, float]
    answered: int

    @property
    def total(self) -> float:
        return sum(self.points[n.code] for n in self.lke.tree)

    @property
    def pengungkit(self) -> float:
        return self.points[self.lke.pengungkit.code]

    @property
    def hasil(self) -> float:
        return self.points[self.lke.hasil.code]

    def areas(self) -> list[AreaScore]:
        return [AreaScore(a, sum(self.points[p.code] for p in a.parts))
                for a in self.lke.areas()]


def score(lke: Lke, answers: Mapping[str, Answer],
          fixed: Mapping[str, float] | None = None) -> Score:
    """The points ``answers`` (item code → answer) earn on ``lke``; ``fixed`` gives some
    questions their value directly (a projection: what planned rows will earn)."""
    fixed = fixed or {}
    points: dict[str, float] = {}
    values: dict[str, float] = {}
    for node in lke.bottom_up:  # children first: a parent adds up their points
        if node.children:
            total = sum(points[c.code] for c in node.children)
        else:
            units = node.units
            for unit in units:
                values[unit.code] = (
                    ratio_value(unit, answers) if isinstance(unit, Ratio)
                    else fixed[unit.code] if unit.code in fixed
                    else question_value(unit, answers.get(unit.code), lke.survey_max))
            if node.weighted:
                total = sum((u.weight or 0) * values[u.code] for u in units
                            if isinstance(u, Question))
            else:
                total = node.weight * sum(values[u.code] for u in units) / len(units)
            for unit, share in zip(units, node.shares, strict=True):
                points[unit.code] = share * values[unit.code]
        points[node.code] = total
    answered = sum(1 for q in lke.questions() if q.code in answers)
    return Score(lke, points, values, answered)


@dataclass(frozen=True)
class GateResult:
    met: bool
    short: tuple[str, ...]  # each minimum missed, as people read it
    keys: tuple[str, ...] = ()  # the same, as a stable name ("area:5", "total", "min:H.I")


def points_text(value: float) -> str:
    """``23,03``: points as the LKE shows them, two decimals, decimal comma."""
    return f"{value:.2f}".replace(".", ",")


def _percent(share: float) -> str:
    """Rounded down to a tenth, so 59.96 % never reads "60 % < 60 %"."""
    text = f"{math.floor(share * 1000 + 1e-9) / 10:.1f}".replace(".", ",")
    return text.removesuffix(",0")


def check_gate(result: Score, gate: Gate) -> GateResult:
    """Whether ``result`` meets ``gate``, with a reason for every minimum it misses."""
    short: list[tuple[str, str]] = []
    if rounded(result.total) < gate.total:
        short.append(("total", f"nilai total {points_text(rounded(result.total))} < "
                               f"{points_text(gate.total)}"))
    if rounded(result.pengungkit) < gate.pengungkit:
        short.append(("pengungkit", f"pengungkit {points_text(rounded(result.pengungkit))} < "
                                    f"{points_text(gate.pengungkit)}"))
    for area in result.areas():
        if rounded(area.points) < rounded(gate.area_share * area.area.weight):
            short.append((f"area:{area.area.number}",
                          f"Area {area.area.name} {_percent(area.share)} % < "
                          f"{_percent(gate.area_share)} %"))
    for minimum in gate.minimums:
        got = rounded(result.points[minimum.code])
        if got < minimum.points:
            item = result.lke.index[minimum.code]
            name = item.text if isinstance(item, Question) else item.name
            short.append((f"min:{minimum.code}",
                          f"{name} ({minimum.code}) {points_text(got)} < "
                          f"{points_text(minimum.points)}"))
    return GateResult(not short, tuple(t for _, t in short), tuple(k for k, _ in short))


def check_gates(result: Score) -> dict[str, GateResult]:
    """Every gate of the LKE checked, by name."""
    return {g.name: check_gate(result, g) for g in result.lke.gates}


def summary(result: Score, checked: Mapping[str, GateResult] | None = None
            ) -> dict[str, object]:
    """The JSON contract of ``monev lke score`` (DOMAIN.md §4): points, two decimals
    (``checked``: :func:`check_gates` of ``result``, when already done)."""
    checked = checked if checked is not None else check_gates(result)
    return {
        "version": result.lke.version,
        "total": rounded(result.total),
        "pengungkit": rounded(result.pengungkit),
        "hasil": rounded(result.hasil),
        "areas": [{"name": a.area.name, "score": rounded(a.points),
                   "weight": rounded(a.area.weight)} for a in result.areas()],
        "gates": {name: {"met": r.met, "short": list(r.short)} for name, r in checked.items()},
    }
