"""The score a unit stands at and the one it is heading for, from its answers and its
plan: a question the plan's rows serve earns, *saat ini*, its value times the share of
those rows' checkpoints already verified, and in the *proyeksi* its full value (the
rows finish as planned); a question monev answers from the plan's capaian (``1.iii.a``
"Seluruh kegiatan pembangunan sudah dilaksanakan sesuai dengan rencana") takes the
option of the share done as planned — verified of those due now, and in the projection
all but the checkpoints already late. Every other question counts the unit's answer."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from monev.lke.model import Lke
from monev.lke.score import Answer, Score, question_value, score


@dataclass(frozen=True)
class Progress:
    """Checkpoints of some plan rows (or of the whole plan)."""

    total: int = 0
    verified: int = 0
    due: int = 0  # due on or before the day
    verified_due: int = 0
    late: int = 0  # due before the day and still waiting for evidence

    def __add__(self, other: Progress) -> Progress:
        return Progress(self.total + other.total, self.verified + other.verified,
                        self.due + other.due, self.verified_due + other.verified_due,
                        self.late + other.late)


@dataclass(frozen=True)
class Projection:
    now: Score  # saat ini: verified evidence only
    projected: Score  # proyeksi: planned rows finish on time


def project(lke: Lke, answers: Mapping[str, Answer], served: Mapping[str, Progress],
            plan: Progress) -> Projection:
    """``served``: question code → the progress of the rows that serve it."""
    now: dict[str, float] = {}
    ahead: dict[str, float] = {}
    for question in lke.questions():
        if not question.scored:
            continue
        if question.from_capaian:
            done = plan.verified_due / plan.due if plan.due else 0.0
            reachable = 1 - plan.late / plan.total if plan.total else 0.0
            now[question.code] = question.option_for_share(done).value
            ahead[question.code] = question.option_for_share(reachable).value
            continue
        rows = served.get(question.code)
        if rows is None or not rows.total:
            continue  # the unit's answer, in both
        answer = answers.get(question.code)
        full = question_value(question, answer, lke.survey_max) if answer is not None \
            else 1.0
        now[question.code] = full * rows.verified / rows.total
        ahead[question.code] = 1.0
    return Projection(score(lke, answers, now), score(lke, answers, ahead))


def served_by(links: Mapping[str, Sequence[str]],
              rows: Mapping[str, Progress]) -> dict[str, Progress]:
    """Question code → the summed progress of the rows that serve it (``links``: row
    key → the codes it serves; a row serving two questions counts for each)."""
    out: dict[str, Progress] = {}
    for key, codes in links.items():
        row = rows.get(key)
        if row is None:
            continue
        for code in codes:
            found = out.get(code)
            out[code] = row if found is None else found + row
    return out


def unserved(lke: Lke, links: Mapping[str, Sequence[str]]) -> list[str]:
    """Scored questions no row serves (monev answers ``from_capaian`` ones itself;
    surveys are the public's)."""
    linked = {c for codes in links.values() for c in codes}
    return [q.code for q in lke.questions()
            if q.scored and not q.from_capaian and q.answer != "survey"
            and q.code not in linked]


def counted(views: Sequence[tuple[str, str, bool, bool]]) -> tuple[dict[str, Progress],
                                                                    Progress]:
    """Row key → progress, and the whole plan's, from (key, status, due, late) of each
    checkpoint (counted in plain lists: a national sweep counts ~200,000 checkpoints)."""
    counts: dict[str, list[int]] = {}
    for key, status, due, late in views:
        found = counts.get(key)
        if found is None:
            found = counts[key] = [0, 0, 0, 0, 0]
        verified = status == "verified"
        found[0] += 1
        found[1] += verified
        found[2] += due
        found[3] += due and verified
        found[4] += late
    whole = [sum(column) for column in zip(*counts.values(), strict=True)] or [0] * 5
    return {key: Progress(*found) for key, found in counts.items()}, Progress(*whole)
