"""Where a plan's satker stands on its LKE: the version the plan is judged on, which
question each row serves (the admin's links, else the suggestion), the unit's answers,
and the projected and current scores as of a day."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from monev.engine.sweep import Left
from monev.errors import MonevError
from monev.lke.load import available_versions, load_lke
from monev.lke.model import Lke
from monev.lke.project import Projection, project, served_by, unserved
from monev.lke.score import (
    Answer,
    AnswerError,
    check_gates,
    parse_answer,
    rounded,
    summary,
)
from monev.lke.suggest import RowText, suggest
from monev.store import lke as store
from monev.store import models as m
from monev.store.queries import bump_plans


def version_for(plan: m.Plan, available: list[str]) -> str:
    """The plan's LKE version: the one it names, else its kind's for its year, else the
    newest of its kind not newer than its year, else its kind's oldest."""
    if plan.lke_version:
        if plan.lke_version not in available:
            raise MonevError(f"LKE {plan.lke_version} yang dipakai rencana ini tidak ada "
                             f"(tersedia: {', '.join(available) or 'tidak ada'})")
        return plan.lke_version
    mine = _of_kind(plan.kind, available)
    if not mine:
        raise MonevError(f"belum ada data LKE {plan.kind} (config/lke/"
                         f"{plan.kind.lower()}-{plan.year}.yaml)")
    older = [v for v in mine if int(v[3:7]) <= plan.year]
    return older[-1] if older else mine[0]


def _of_kind(kind: str, available: list[str]) -> list[str]:
    """The versions of a plan kind, oldest first."""
    prefix = f"{kind.lower()}-"
    return sorted((v for v in available if v.startswith(prefix) and v[3:7].isdigit()),
                  key=lambda v: int(v[3:7]))


def judged(kind: str, named: str | None, available: list[str]) -> bool:
    """Whether a plan of ``kind`` naming LKE version ``named`` (or None) has an LKE to
    be judged on: without one the sweep need not open a transaction to find out."""
    return bool(named) or bool(_of_kind(kind, available))


@dataclass(frozen=True)
class Standing:
    lke: Lke
    rows: list[RowText]
    links: dict[str, tuple[str, ...]]  # row key → the questions it serves
    chosen_by_admin: set[str]  # row keys whose links the admin set
    confidence: dict[str, float]  # row key → how well the suggestion matched
    answers: dict[str, tuple[str, str]]  # question code → (answer, note)
    projection: Projection
    unserved: list[str]  # scored questions no row serves


def effective_links(lke: Lke, rows: list[RowText], admin: dict[str, tuple[str, ...]]
                    ) -> tuple[dict[str, tuple[str, ...]], dict[str, float]]:
    """Row key → codes: the admin's where set (codes no longer in the LKE dropped),
    else the suggestion."""
    suggestions = {s.key: s for s in suggest(lke, [r for r in rows if r.key not in admin])}
    links: dict[str, tuple[str, ...]] = {}
    confidence: dict[str, float] = {}
    for row in rows:
        if row.key in admin:
            links[row.key] = tuple(c for c in admin[row.key] if c in lke.index)
        else:
            found = suggestions[row.key]
            links[row.key] = (found.code,) if found.code else ()
            confidence[row.key] = found.confidence
    return links, confidence


def typed_answers(lke: Lke, stored: dict[str, tuple[str, str]]) -> dict[str, Answer]:
    """Stored answers as the score reads them (ones the version no longer takes skipped)."""
    out: dict[str, Answer] = {}
    for code, (raw, _) in stored.items():
        question = lke.question(code)
        if question is None:
            continue
        try:
            out[code] = parse_answer(question, raw, lke.survey_max)
        except AnswerError:
            continue
    return out


def standing(session: Session, plan: m.Plan, as_of: date,
             lke_dir: Path | None = None) -> Standing:
    lke = load_lke(version_for(plan, available_versions(lke_dir)), lke_dir)
    return _standing(session, plan, lke, as_of, store.plan_rows(session, plan.id),
                     store.counted_checkpoints(session, plan.id))


def _standing(session: Session, plan: m.Plan, lke: Lke, as_of: date, rows: list[RowText],
              views: Sequence[store.CountedLike]) -> Standing:
    admin = store.admin_links(session, plan.id)
    links, confidence = effective_links(lke, rows, admin)
    stored = store.answers(session, plan.satker_id, lke.version)
    per_row, whole = store.progress_of_views(views, as_of)
    projection = project(lke, typed_answers(lke, stored), served_by(links, per_row), whole)
    return Standing(lke, rows, links, set(admin), confidence, stored, projection,
                    unserved(lke, links))


TARGET_GATE = "WBK"  # the predikat a unit works towards first
# Bump when the code computing a snapshot changes what it gives: kept snapshots are then
# recomputed (inputs_of).
SNAPSHOT_RULES = 1


def inputs_of(plan: m.Plan, lke: Lke, data_version: int, target: str) -> str:
    """What a snapshot is computed from, but the day: the plan's rows, checkpoints and
    statuses, its admin links and its satker's answers (every writer of these bumps
    ``data_version``), its revision, the LKE file, the gate and these rules."""
    text = json.dumps([SNAPSHOT_RULES, target, lke.version, lke.digest, plan.id,
                       plan.satker_id, plan.revision, data_version])
    return hashlib.sha256(text.encode()).hexdigest()


def stable_until(dues: Iterable[date], day: date) -> date | None:
    """The first day after ``day`` whose due and late counts may differ from ``day``'s
    (the only way the day enters a score): the next day when a checkpoint is due on
    ``day`` (it turns late), else the next due date (it turns due); None: never."""
    first = min((d for d in dues if d >= day), default=None)
    if first is None:
        return None
    return day + timedelta(days=1) if first == day else first


def record(session: Session, plan: m.Plan, day: date, lke_dir: Path | None = None,
           target: str = TARGET_GATE, left: Left | None = None) -> list[tuple[str, str]]:
    """Compute the plan's standing, keep it as its snapshot, and return the reasons the
    projection misses the ``target`` gate that the previous snapshot did not have, as
    (stable name, text): ("area:5", "Area Penguatan Pengawasan 58 % < 60 %") — each
    said once, the day it appears. The
    first snapshot of a plan (or of a new LKE version) announces nothing: everything is
    short before anyone answered; the Papan shows the gap.

    A snapshot whose inputs (:func:`inputs_of`) did not change, on a day before its
    ``valid_until``, is the one a recomputation would give: only its day moves. ``left``:
    what the plan's sweep read earlier in this transaction (read again when it cannot
    tell)."""
    lke = load_lke(version_for(plan, available_versions(lke_dir)), lke_dir)
    seen = left if left is not None and left.data_version is not None else None
    # read first (a later change moves it again), from the database: the session's copy
    # misses a bump made in this transaction
    data_version = (seen.data_version if seen is not None
                    else session.scalar(select(m.Plan.data_version)
                                        .where(m.Plan.id == plan.id))) or 0
    inputs = inputs_of(plan, lke, data_version, target)
    snap = session.get(m.LkeSnapshot, plan.id)
    if (snap is not None and snap.inputs == inputs
            and snap.day <= day and (snap.valid_until is None or day < snap.valid_until)):
        snap.day = day
        return []
    if seen is not None:
        views: Sequence[store.CountedLike] = [v for v in seen.views
                                              if v.status != "cancelled"]
    else:
        views = store.counted_checkpoints(session, plan.id)
    where = _standing(session, plan, lke, day, store.rows_with_checkpoints(views), views)
    now, ahead = where.projection.now, where.projection.projected
    checked = check_gates(ahead)
    result = checked.get(target)
    keys = list(result.keys) if result else []
    new: list[tuple[str, str]] = []
    if snap is not None and snap.version == lke.version and result is not None:
        before = set(snap.short_keys)
        new = [(key, text) for key, text in zip(result.keys, result.short, strict=True)
               if key not in before]
    data = {**summary(ahead, checked), "now": {"total": rounded(now.total),
                                               "pengungkit": rounded(now.pengungkit),
                                               "hasil": rounded(now.hasil)}}
    if snap is None:
        snap = m.LkeSnapshot(plan_id=plan.id)
        session.add(snap)
    elif snap.summary != data:  # the Papan shows it: its cached pages must see it
        bump_plans(session, [plan.id])
        inputs = inputs_of(plan, lke, data_version + 1, target)
    snap.version, snap.day = lke.version, day
    snap.now_total, snap.ahead_total = rounded(now.total), rounded(ahead.total)
    snap.summary, snap.short_keys = data, keys
    snap.inputs = inputs
    snap.valid_until = stable_until((v.due for v in views), day)
    return new


def stored_text(answer: Answer) -> str:
    """An answer as the database keeps it: an option key, or a number without noise
    (``12``, ``3.6``)."""
    if isinstance(answer, str):
        return answer
    return str(int(answer)) if answer == int(answer) else f"{answer:.12g}"


def record_answer(session: Session, plan: m.Plan, code: str, raw: str | None, note: str,
                  role: str, actor: str, at: datetime, lke_dir: Path | None = None
                  ) -> str | None:
    """Check and store one answer of the plan's satker (``role`` ``unit`` or ``tpi``;
    ``raw`` None clears it) — what ``monev lke answer`` and the portal's LKE page both
    do; returns the text stored. AnswerError: the answer does not fit the question;
    MonevError: no such question, or one monev answers itself. The caller commits."""
    lke = load_lke(version_for(plan, available_versions(lke_dir)), lke_dir)
    question = lke.question(code)
    if question is None:
        raise MonevError(f"butir {code} tidak ada di LKE {lke.version}")
    if question.from_capaian and role == "unit":
        raise MonevError(f"butir {code} dijawab monev dari capaian rencana aksi, "
                         "bukan oleh unit")
    stored = None if raw is None else stored_text(parse_answer(question, raw,
                                                               lke.survey_max))
    store.set_answer(session, plan.satker_id, lke.version, code, role, stored, note, actor,
                     at)
    return stored
