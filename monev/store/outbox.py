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
    and the items go into a new row. A claimed row is never changed."""
    rows: list[m.Outbox] = []
    label = plan_label(session, plan_id)
    for d in deliveries:
        for it in d.items:  # every item names its plan (ZI 2025 / RB 2026)
            if label and not it.get("plan"):
                it["plan"] = label
        for channel in d.person.channels:
            address = address_of(d.person, channel)
            if not address:
                continue
            base = f"{day.isoformat()}|{satker}|{d.person.name}|{channel}"
            send_at = next_send_time(decided_at, timezone, calendar)
            row = _open_row(session, base) or _new_row(
                session, base, plan_id=plan_id, person=d.person.name, role=d.role,
                channel=channel, address=address, kind="harian", day=day, items=[],
                status="pending", attempts=0, not_before=send_at)
            row.not_before = min(row.not_before, send_at)  # new items go out as soon
            known = {(i["kind"], i.get("ref", ""), i.get("step", "")) for i in row.items}
            fresh = [i for i in d.items
                     if (i["kind"], i.get("ref", ""), i.get("step", "")) not in known]
            row.items = row.items + fresh
            if channel == "email":  # report files travel with the e-mail (item "attach")
                row.attachments = attachments_of(row.items)
            row.subject, row.body = render_digest(d.person.name, row.role, satker, day,
                                                  row.items, contact, channel)
            rows.append(row)
    session.flush()
    return rows


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
    found = session.execute(select(m.Plan.kind, m.Plan.year).where(m.Plan.id == plan_id)).first()
    return f"{found[0]} {found[1]}" if found else ""


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
