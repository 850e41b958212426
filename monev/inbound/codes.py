"""Short per-item codes (``#3``) a digest shows: easy to type on a phone, stable per
person and day. A later digest of the same day keeps the numbers it gave and numbers
new items after them; the next day starts again at 1. A reply naming ``#3`` means the
item the sender's most recent digest (up to that day) showed as 3."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from monev.store import models as m

SHORT_RE = re.compile(r"(?<![\w#])#(\d{1,3})\b")
REF_RE = re.compile(r"\b([0-9a-f]{12}(?:-\d+)?@\d{4}-\d{2}(?:-W[1-5])?)\b")


def assign(session: Session, satker: str, day: date, plan_id: int | None,
           batches: Iterable[tuple[str, list[dict[str, str]]]]) -> None:
    """Give every checkpoint item of these (person, items) batches its code (``it["code"] = "#3"``):
    the person's existing code of that day, else the next free number. One read and
    one insert for the whole batch (a sweep addresses hundreds of people)."""
    if plan_id is None:
        return
    wanted: dict[str, list[dict[str, str]]] = {}
    for name, all_items in batches:
        items = [it for it in all_items if "@" in (it.get("ref") or "")]
        if items:
            wanted.setdefault(name, []).extend(items)
    if not wanted:
        return
    known: dict[tuple[str, int, str], int] = {}
    top: dict[str, int] = {}
    for person, pid, ref, code in session.execute(
            select(m.ShortCode.person, m.ShortCode.plan_id, m.ShortCode.ref, m.ShortCode.code)
            .where(m.ShortCode.satker == satker, m.ShortCode.day == day,
                   m.ShortCode.person.in_(sorted(wanted)))).tuples():
        known[(person, pid, ref)] = code
        top[person] = max(top.get(person, 0), code)
    fresh: list[m.ShortCode] = []
    for person, items in wanted.items():
        for it in items:
            found = known.get((person, plan_id, it["ref"]))
            code = found if found is not None else 0
            if found is None:
                code = top[person] = top.get(person, 0) + 1
                known[(person, plan_id, it["ref"])] = code
                fresh.append(m.ShortCode(satker=satker, person=person, day=day, code=code,
                                         plan_id=plan_id, ref=it["ref"]))
            it["code"] = f"#{code}"
    if fresh:
        try:
            with session.begin_nested():
                session.add_all(fresh)
        except IntegrityError:  # a concurrent sweep numbered this person meanwhile
            for it in (i for items in wanted.values() for i in items):
                it.pop("code", None)  # no code is better than a wrong one


def for_today(session: Session, satker: str, person: str, day: date,
              targets: Iterable[tuple[int, str]]) -> dict[tuple[int, str], str]:
    """Codes of (plan id, ref) pairs for one person today, new ones numbered after
    those the day's digests gave (a reply listing candidates shows them)."""
    out: dict[tuple[int, str], str] = {}
    by_plan: dict[int, list[dict[str, str]]] = {}
    for plan_id, ref in targets:
        by_plan.setdefault(plan_id, []).append({"ref": ref})
    for plan_id, items in by_plan.items():
        assign(session, satker, day, plan_id, [(person, items)])
        out.update({(plan_id, it["ref"]): it.get("code", "") for it in items})
    return out


def lookup(session: Session, satker: str, person: str, code: int,
           day: date) -> tuple[int, str] | None:
    """(plan id, ref) of ``#code`` in the person's most recent digest up to ``day``."""
    found = session.execute(
        select(m.ShortCode.plan_id, m.ShortCode.ref).where(
            m.ShortCode.satker == satker, m.ShortCode.person == person,
            m.ShortCode.code == code, m.ShortCode.day <= day)
        .order_by(m.ShortCode.day.desc()).limit(1)).first()
    return (found[0], found[1]) if found else None
