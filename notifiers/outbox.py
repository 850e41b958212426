"""Writing decided messages into the outbox, in the caller's (the sweep's) transaction.

One row per person, channel and day: a later sweep of the same day adds its items to
the row while it is still pending; once a row is being sent or was sent, further items
go to a new row (key ``…#2``), so no key is ever sent twice."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from monev.config import Person
from monev.store import models as m
from monev.workdays import WorkCalendar
from notifiers.messages import render_digest

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
    """Add today's items of each person to their pending digest row per channel."""
    rows: list[m.Outbox] = []
    for d in deliveries:
        for channel in d.person.channels:
            address = address_of(d.person, channel)
            if not address:
                continue
            base = f"{day.isoformat()}|{satker}|{d.person.name}|{channel}"
            row = _open_row(session, base)
            if row is None:
                n = 1 + len(session.scalars(select(m.Outbox.id).where(
                    m.Outbox.idem_key.like(f"{base}%"))).all())
                row = m.Outbox(idem_key=base if n == 1 else f"{base}#{n}", plan_id=plan_id,
                               person=d.person.name, role=d.role, channel=channel,
                               address=address, kind="harian", day=day, items=[],
                               status="pending", attempts=0,
                               not_before=next_send_time(decided_at, timezone, calendar))
                session.add(row)
            known = {(i["kind"], i.get("ref", ""), i.get("step", "")) for i in row.items}
            fresh = [i for i in d.items
                     if (i["kind"], i.get("ref", ""), i.get("step", "")) not in known]
            row.items = row.items + fresh
            row.subject, row.body = render_digest(d.person.name, row.role, satker, day,
                                                  row.items, contact, channel)
            rows.append(row)
    session.flush()
    return rows


def _open_row(session: Session, base: str) -> m.Outbox | None:
    """The still-pending row of this person/channel/day, if any."""
    return session.scalars(select(m.Outbox).where(
        m.Outbox.idem_key.like(f"{base}%"), m.Outbox.status == "pending",
        m.Outbox.attempts == 0).order_by(m.Outbox.id.desc())).first()


def retry_delay(attempt: int) -> timedelta:
    """Backoff between attempts: 1, 2, 4, 8 … minutes, at most an hour."""
    return timedelta(minutes=min(60, 2 ** max(0, attempt - 1)))
