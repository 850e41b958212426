"""Messages that are true when they arrive. A row's text is written when its items are
decided (a rejection, a sweep's reminders), but it goes out later — at the next
working hour, or after a retry. Just before a pass sends, every item that says
something about a checkpoint is checked against the checkpoint's state now: an item
whose claim no longer holds (a rejection the PIC already fixed, or that was accepted
after all; a reminder or escalation of evidence already sent) leaves the message, and
a rejection superseded by a later one of the same checkpoint gives way to it. A row
left with nothing is not sent: ``dismissed``, its reason in ``last_error`` (shown by
``monev outbox``). Items of any other kind (reports, the monev summary, admin notes,
sign-in links, kinds added later) pass through unchanged.

One read of the checkpoint states per pass (chunked IN lists), not one per item."""

from __future__ import annotations

import re
from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from monev.periods import Period
from monev.status import word
from monev.store import models as m
from monev.store.outbox import render_again
from monev.store.queries import WAITING

CHUNK = 500
_WORK = frozenset(WAITING)  # evidence still expected from the PIC
# The states in which an item of each kind is still true.
STILL_TRUE: dict[str, frozenset[str]] = {
    "ditolak": frozenset({"rejected"}),
    **{kind: _WORK for kind in ("terlambat", "eskalasi", "tenggat", "pengingat", "dibuka",
                                "tunggakan")},
}
_STEP = re.compile(r"^tolak-(\d+)$")

Key = tuple[int, str, str]  # satker id, item key, period
States = dict[Key, dict[str, str]]  # → plan label ("ZI 2025") → checkpoint status


def withdraw_stale(session: Session, ids: list[int]) -> list[int]:
    """Before rows are sent: drop the items whose claim about their checkpoint no longer
    holds and render the rest again; dismiss a row left with nothing. Returns the ids
    still to send."""
    if not ids:
        return ids
    rows: list[tuple[int, int, list[dict[str, str]]]] = []
    for start in range(0, len(ids), CHUNK):
        rows += session.execute(
            select(m.Outbox.id, m.Plan.satker_id, m.Outbox.items)
            .join(m.Plan, m.Outbox.plan_id == m.Plan.id)
            .where(m.Outbox.id.in_(ids[start:start + CHUNK]),
                   m.Outbox.status == "pending")).tuples().all()
    wanted: dict[int, set[str]] = defaultdict(set)  # satker id → item keys
    for _, satker_id, items in rows:
        keys = wanted[satker_id]
        for it in items:
            if it.get("kind") in STILL_TRUE and "@" in (it.get("ref") or ""):
                keys.add(it["ref"].partition("@")[0])
    if not any(wanted.values()):
        return ids
    states = _states(session, wanted)
    dropped: set[int] = set()
    for row_id, satker_id, items in rows:
        if not _any_stale(items, satker_id, states):
            continue
        row = session.get(m.Outbox, row_id, with_for_update=True)  # as merged now
        if row is None or row.status != "pending":
            continue
        kept = _kept(row.items, satker_id, states)
        if len(kept) == len(row.items):
            continue
        if kept:
            render_again(row, kept)
            continue
        row.status = "dismissed"
        row.last_error = _reason(row.items, satker_id, states)
        dropped.add(row_id)
    session.flush()
    return [i for i in ids if i not in dropped]


def _any_stale(items: list[dict[str, str]], satker_id: int, states: States) -> bool:
    """Whether any item is no longer true, or a rejection is superseded: the quick look
    every due row gets (:func:`_kept` then decides item by item)."""
    rejected: set[str] = set()
    for it in items:
        claim = STILL_TRUE.get(it.get("kind", ""))
        if claim is None:
            continue
        ref = it.get("ref") or ""
        by_plan = states.get((satker_id, *ref.partition("@")[::2]))
        if by_plan and _pick(by_plan, it.get("plan")) not in (None, *claim):
            return True
        if it["kind"] == "ditolak":
            if ref in rejected:
                return True
            rejected.add(ref)
    return False


def _checked(item: dict[str, str]) -> tuple[str, str] | None:
    """(item key, period) of an item whose claim depends on its checkpoint's state."""
    if item.get("kind") not in STILL_TRUE:
        return None
    key, _, period = (item.get("ref") or "").partition("@")
    return (key, period) if key and period else None


def _states(session: Session, wanted: dict[int, set[str]]) -> States:
    """The current status of every checkpoint of the wanted rows, by satker, key and
    period (one query per chunk of keys; a key names the row in every period)."""
    states: States = defaultdict(dict)
    keys = sorted({k for ks in wanted.values() for k in ks})
    for start in range(0, len(keys), CHUNK):
        for satker_id, kind, year, key, period, status in session.execute(
                select(m.Plan.satker_id, m.Plan.kind, m.Plan.year, m.Item.key,
                       m.Checkpoint.period, m.Checkpoint.status)
                .join(m.Item, m.Checkpoint.item_id == m.Item.id)
                .join(m.Plan, m.Item.plan_id == m.Plan.id)
                .where(m.Plan.satker_id.in_(list(wanted)),
                       m.Item.key.in_(keys[start:start + CHUNK]))).tuples():
            if key in wanted[satker_id]:
                states[(satker_id, key, period)][f"{kind} {year}"] = status
    return states


def _status(item: dict[str, str], satker_id: int, states: States) -> str | None:
    """The current status of the item's checkpoint; None when it cannot be told (not
    checked, or not found: the item is then kept as it is)."""
    found = _checked(item)
    by_plan = states.get((satker_id, *found)) if found else None
    return _pick(by_plan, item.get("plan")) if by_plan else None


def _pick(by_plan: dict[str, str], plan: str | None) -> str | None:
    """The status in the item's plan (``ZI 2025``); an item without one names the
    only plan of its satker that has its row, or nothing."""
    if plan:
        return by_plan.get(plan)
    return next(iter(by_plan.values())) if len(by_plan) == 1 else None


def _kept(items: list[dict[str, str]], satker_id: int,
          states: States) -> list[dict[str, str]]:
    """The items still true, each rejection only as its checkpoint's latest."""
    latest: dict[str, int] = {}
    for it in items:
        step = _STEP.match(it.get("step") or "")
        if it.get("kind") == "ditolak" and step:
            latest[it["ref"]] = max(latest.get(it["ref"], 0), int(step.group(1)))
    kept = []
    for it in items:
        status = _status(it, satker_id, states)
        if status is not None and status not in STILL_TRUE[it["kind"]]:
            continue
        step = _STEP.match(it.get("step") or "")
        if it.get("kind") == "ditolak" and step and int(step.group(1)) < latest[it["ref"]]:
            continue
        kept.append(it)
    return kept


def _period(code: str) -> str:
    """``Oktober 2025`` for a period code (other texts as they are)."""
    try:
        return Period.parse(code).label()
    except ValueError:
        return code


def _reason(items: list[dict[str, str]], satker_id: int, states: States) -> str:
    """Why a row was not sent, for ``monev outbox``: its checkpoints' states now."""
    now: dict[str, str] = {}
    for it in items:
        status = _status(it, satker_id, states)
        if status is not None:
            label = ", ".join(x for x in (it.get("plan", ""), _period(it.get("period", "")))
                              if x)
            now.setdefault(f"{it.get('bukti_fisik', '')[:40]} ({label})",
                           f"bukti {word(status)}")
    shown = "; ".join(f"{what}: {state}" for what, state in list(now.items())[:3])
    more = f"; dan {len(now) - 3} lainnya" if len(now) > 3 else ""
    return (f"isi pesan sudah tidak berlaku saat akan dikirim — {shown}{more}; "
            "pesan tidak dikirim")
