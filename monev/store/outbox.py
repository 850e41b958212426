"""The outbox table's rows: decided messages written in the caller's (the sweep's)
transaction, the admin's resend/dismiss, when the next row may go out. Delivering
them is the notifiers' job (``notifiers.dispatch``).

One row per person, channel and day: a later sweep of the same day adds its items to
the row while it is still pending; once a row is being sent or was sent, further items
go to a new row (key ``…#2``), so no key is ever sent twice."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from monev.clock import utcnow
from monev.config import Person
from monev.digest import render_digest
from monev.inbound import codes
from monev.store import models as m
from monev.workdays import WorkCalendar

SEND_FROM, SEND_UNTIL = time(7, 0), time(17, 0)  # working hours in the person's zone


@dataclass
class Delivery:
    """Items one person is to hear about today, with the role they hear them in."""

    person: Person
    role: str
    items: list[dict[str, str]] = field(default_factory=list)


def address_of(person: Person, channel: str) -> str | None:
    return {"email": person.email, "whatsapp": person.whatsapp,
            "telegram": person.telegram}.get(channel)


def next_send_time(moment: datetime, timezone: str, calendar: WorkCalendar) -> datetime:
    """Now if inside working hours on a working day, else the next working morning (UTC)."""
    local = moment.astimezone(ZoneInfo(timezone))
    day, clock = local.date(), local.time()
    if calendar.is_working_day(day) and SEND_FROM <= clock < SEND_UNTIL:
        return moment.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)
    if calendar.is_working_day(day) and clock < SEND_FROM:
        target = day
    else:
        target = calendar.add_working_days(day, 1)
    start = datetime.combine(target, SEND_FROM, ZoneInfo(timezone))
    return start.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def enqueue(session: Session, plan_id: int | None, satker: str, day: date,
            decided_at: datetime, timezone: str, calendar: WorkCalendar,
            deliveries: list[Delivery], contact: str) -> list[m.Outbox]:
    """Add today's items of each person to their pending digest row per channel.

    The pending row is locked while it is merged into (``FOR UPDATE``; SQLite writers
    are serialised anyway): a dispatcher claiming it either waits for this transaction
    and sends the merged text, or has claimed it first — then it is no longer pending
    and the items go into a new row. A claimed row is never changed.

    In bulk: the day's rows of the satker are read and locked in two queries and the
    new rows inserted together; should a concurrent sweep insert one of those keys
    first, each of them is done again one by one (:func:`_merge_one`), as before."""
    label = plan_label(session, plan_id)
    codes.assign(session, satker, day, plan_id, [(d.person.name, d.items) for d in deliveries])
    wanted: list[tuple[Delivery, str, str, str]] = []  # delivery, channel, address, key
    for d in deliveries:
        for it in d.items:  # every item names its plan (ZI 2025 / RB 2026)
            if label and not it.get("plan"):
                it["plan"] = label
        for channel in d.person.channels:
            address = address_of(d.person, channel)
            if address:
                wanted.append((d, channel, address,
                               f"{day.isoformat()}|{satker}|{d.person.name}|{channel}"))
    if not wanted:
        session.flush()
        return []
    send_at = next_send_time(decided_at, timezone, calendar)
    pending, counts = _day_rows(session, [base for *_, base in wanted])
    rows: list[m.Outbox] = []
    made: list[tuple[int, m.Outbox]] = []  # (position in rows, a row not yet inserted)
    for d, way, address, base in wanted:
        row = pending.get(base)
        if row is None:
            n = counts.get(base, 0) + 1
            row = m.Outbox(idem_key=base if n == 1 else f"{base}#{n}", plan_id=plan_id,
                           person=d.person.name, role=d.role, channel=way,
                           address=address, kind="harian", day=day, items=[],
                           status="pending", attempts=0, not_before=send_at)
            made.append((len(rows), row))
        _merge(row, d, way, satker, day, contact, send_at)
        rows.append(row)
    if made:
        try:
            with session.begin_nested():
                session.add_all([row for _, row in made])
        except IntegrityError:  # a concurrent sweep took a key: one by one, as before
            for i, _ in made:
                d, way, address, base = wanted[i]
                rows[i] = _merge_one(session, plan_id, satker, day, contact, send_at, d,
                                     way, address, base)
    session.flush()
    return rows


PROBE = 4  # further keys (``#2`` … ``#5``) looked up at once for a person seen today


def _day_rows(session: Session, bases: list[str]) -> tuple[dict[str, m.Outbox], dict[str, int]]:
    """Of each key ``base``: its still-pending row, locked (if any), and how many rows
    (``base``, ``base#2`` …) it has. Looked up by whole keys (the unique index, in any
    collation; a ``LIKE`` prefix would read the whole outbox on PostgreSQL): the bases,
    then the next few numbers of those that have rows — keys are numbered without gaps,
    rows are never deleted."""
    counts: dict[str, int] = {}
    newest: dict[str, int] = {}
    probe = {base: base for base in bases}  # key → its base
    while probe:
        found = session.execute(select(m.Outbox.id, m.Outbox.idem_key, m.Outbox.status,
                                       m.Outbox.attempts)
                                .where(m.Outbox.idem_key.in_(sorted(probe)))).all()
        for row_id, key, status, attempts in found:
            base = probe[key]
            counts[base] = counts.get(base, 0) + 1
            if status == "pending" and attempts == 0 and row_id > newest.get(base, 0):
                newest[base] = row_id
        more = [b for b in dict.fromkeys(probe.values()) if counts.get(b, 0) and
                counts[b] == _numbered(b, probe)]  # every key asked for exists: ask on
        probe = {f"{b}#{n}": b for b in more
                 for n in range(counts[b] + 1, counts[b] + 1 + PROBE)}
    if not newest:
        return {}, counts
    locked = {r.id: r for r in session.scalars(select(m.Outbox).where(
        m.Outbox.id.in_(newest.values()), m.Outbox.status == "pending",
        m.Outbox.attempts == 0).with_for_update())}
    pending = {base: locked[i] for base, i in newest.items() if i in locked}
    for base in newest.keys() - pending.keys():  # claimed meanwhile: ask again, one by one
        found_row = _open_row(session, base)
        if found_row is not None:
            pending[base] = found_row
        counts[base] = session.scalar(select(func.count()).select_from(m.Outbox)
                                      .where(_keys_like(base))) or 0
    return pending, counts


def _numbered(base: str, probe: dict[str, str]) -> int:
    """The highest key number of ``base`` asked for in this round (1 for ``base``)."""
    return max(int(k.rsplit("#", 1)[1]) if k != base else 1
               for k, b in probe.items() if b == base)


def _merge(row: m.Outbox, d: Delivery, channel: str, satker: str, day: date, contact: str,
           send_at: datetime) -> None:
    """The delivery's new items into the row, and the row's text from all of them."""
    row.not_before = min(row.not_before, send_at)  # new items go out as soon
    known = {(i["kind"], i.get("ref", ""), i.get("step", "")) for i in row.items}
    fresh = [i for i in d.items
             if (i["kind"], i.get("ref", ""), i.get("step", "")) not in known]
    row.items = row.items + fresh
    if channel == "email":  # report files travel with the e-mail (item "attach")
        row.attachments = attachments_of(row.items)
    row.subject, row.body = render_digest(d.person.name, row.role, satker, day,
                                          row.items, contact, channel)


def _merge_one(session: Session, plan_id: int | None, satker: str, day: date, contact: str,
               send_at: datetime, d: Delivery, channel: str, address: str,
               base: str) -> m.Outbox:
    """One person's channel the careful way: the pending row locked, else a new row
    under a free key."""
    row = _open_row(session, base) or _new_row(
        session, base, plan_id=plan_id, person=d.person.name, role=d.role,
        channel=channel, address=address, kind="harian", day=day, items=[],
        status="pending", attempts=0, not_before=send_at)
    _merge(row, d, channel, satker, day, contact, send_at)
    return row


def attachments_of(items: list[dict[str, str]]) -> list[str] | None:
    """The report files the items of an e-mail carry (item ``attach``)."""
    files = sorted({f for i in items for f in i.get("attach", "").split("\n") if f})
    return files or None


_CONTACT = re.compile(r"^Pertanyaan: hubungi (.+)\.$", re.M)


def render_again(row: m.Outbox, items: list[dict[str, str]]) -> None:
    """The row's text from fewer items (satker from its key, contact from its text)."""
    satker = row.idem_key.split("|")[1]
    contact = _CONTACT.search(row.body)
    row.items = items
    if row.channel == "email":
        row.attachments = attachments_of(items)
    row.subject, row.body = render_digest(row.person, row.role, satker, row.day, items,
                                          contact.group(1) if contact else "", row.channel)


def plan_label(session: Session, plan_id: int | None) -> str:
    """``RB 2026``: how a message names the plan an item belongs to."""
    if plan_id is None:
        return ""
    plan = session.get(m.Plan, plan_id)  # the sweep has it already: no query then
    return f"{plan.kind} {plan.year}" if plan else ""


def _keys_like(base: str) -> Any:
    escaped = base.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return (m.Outbox.idem_key == base) | m.Outbox.idem_key.like(f"{escaped}#%", escape="\\")


def _open_row(session: Session, base: str) -> m.Outbox | None:
    """The still-pending row of this person/channel/day, locked, if any."""
    return session.scalars(select(m.Outbox).where(
        _keys_like(base), m.Outbox.status == "pending", m.Outbox.attempts == 0)
        .order_by(m.Outbox.id.desc()).with_for_update()).first()


def _new_row(session: Session, base: str, **values: Any) -> m.Outbox:
    """A new row ``base`` or ``base#n``; a concurrent sweep inserting the same key first
    makes us merge into its row instead (retry)."""
    for _ in range(20):
        n = 1 + (session.scalar(select(func.count()).select_from(m.Outbox)
                                .where(_keys_like(base))) or 0)
        row = m.Outbox(idem_key=base if n == 1 else f"{base}#{n}", **values)
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:
            found = _open_row(session, base)
            if found is not None:
                return found
            continue
        return row
    raise RuntimeError(f"outbox: no free key for {base}")


def retry_delay(attempt: int) -> timedelta:
    """Backoff between attempts: 1, 2, 4, 8 … minutes, at most an hour."""
    return timedelta(minutes=min(60, 2 ** max(0, attempt - 1)))


ADMIN_DECIDES = ("failed", "uncertain")  # rows only an admin moves on


def resend_rows(session: Session, ids: list[int]) -> list[int]:
    """Put failed/uncertain rows back in the queue (the admin judged them not arrived)."""
    changed = session.execute(update(m.Outbox).where(
        m.Outbox.id.in_(ids), m.Outbox.status.in_(ADMIN_DECIDES))
        .values(status="pending", not_before=utcnow(), last_error="")
        .returning(m.Outbox.id)).scalars().all()
    return list(changed)


def dismiss_rows(session: Session, ids: list[int]) -> list[int]:
    """Close failed/uncertain rows without sending (arrived after all, or obsolete)."""
    changed = session.execute(update(m.Outbox).where(
        m.Outbox.id.in_(ids), m.Outbox.status.in_(ADMIN_DECIDES))
        .values(status="dismissed").returning(m.Outbox.id)).scalars().all()
    return list(changed)


def next_due(session: Session) -> datetime | None:
    """When the earliest still-pending row may be sent (naive UTC), if any."""
    return session.scalar(select(func.min(m.Outbox.not_before)).where(
        m.Outbox.status == "pending"))
