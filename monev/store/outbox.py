"""Writing decided messages into the outbox, in the caller's (the sweep's) transaction.

One row per person, channel and day: a later sweep of the same day adds its items to
the row while it is still pending; once a row is being sent or was sent, further items
go to a new row (key ``…#2``), so no key is ever sent twice."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from monev.clock import today, utcnow
from monev.config import MonevConfig, Person
from monev.store import models as m
from monev.store.plan_status import OPEN_STATUSES
from monev.workdays import WorkCalendar
from notifiers.messages import render_digest, render_sign_in

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


# What still goes out about a closed plan: its reports (the year-end report is how it
# closes). Everything else asks for work or counts what is late — a monthly summary
# decided before the close is superseded by the year-end report.
KEPT_WHEN_CLOSED = frozenset({"laporan", "tidak_pasti"})
_CONTACT = re.compile(r"^Pertanyaan: hubungi (.+)\.$", re.M)


def withdraw_closed(session: Session, ids: list[int]) -> list[int]:
    """Before rows are sent: take out the items of plans closed (*selesai*) since they
    were queued (all but their reports), so a message decided while a plan was open
    never nags after it closed. A row left with nothing becomes ``dismissed`` (its reason in
    ``last_error``); another is rendered again without them. Goes by the stored status
    (the sweep records a plan closing on its closing day; ``monev plan close`` at once).
    Returns the ids still to send."""
    closed = session.execute(select(m.Plan.satker_id, m.Plan.kind, m.Plan.year,
                                    m.Plan.closed_on).where(
        m.Plan.status.not_in(OPEN_STATUSES))).tuples().all()
    if not closed or not ids:
        return ids
    labels: dict[int, set[str]] = {}
    latest: dict[int, date] = {}  # a row queued after its satker's last close has no item
    for satker_id, kind, year, closed_on in closed:  # of a closed plan (sweeps stop first)
        labels.setdefault(satker_id, set()).add(f"{kind} {year}")
        latest[satker_id] = max(latest.get(satker_id, date.min), closed_on or date.max)
    dropped: set[int] = set()
    for start in range(0, len(ids), 500):
        found = session.execute(
            select(m.Outbox.id, m.Outbox.day, m.Outbox.items, m.Plan.satker_id)
            .join(m.Plan, m.Outbox.plan_id == m.Plan.id)
            .where(m.Outbox.id.in_(ids[start:start + 500]), m.Outbox.status == "pending",
                   m.Outbox.day <= max(latest.values()),
                   m.Plan.satker_id.in_(labels))).tuples().all()
        for row_id, day, items, satker_id in found:
            gone = labels[satker_id]
            if day > latest[satker_id] or not any(_withdrawn(i, gone) for i in items):
                continue
            row = session.get(m.Outbox, row_id, with_for_update=True)  # as merged now
            if row is None or row.status != "pending":
                continue
            kept = [i for i in row.items if not _withdrawn(i, gone)]
            if kept:
                render_again(row, kept)
            else:
                row.status = "dismissed"
                row.last_error = (f"rencana aksi {', '.join(sorted(gone))} sudah ditutup "
                                  "(selesai); pesan tidak dikirim")
                dropped.add(row_id)
    session.flush()
    return [i for i in ids if i not in dropped]


def _withdrawn(item: dict[str, str], closed: set[str]) -> bool:
    return item.get("kind") not in KEPT_WHEN_CLOSED and item.get("plan") in closed


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


SIGN_IN_KIND = "masuk"  # row kind of a one-time sign-in link (message "tautan masuk")


def enqueue_sign_in(session: Session, satker: str, timezone: str, person: Person,
                    channel: str, link: str, ref: str, expires_at: datetime,
                    now: datetime) -> m.Outbox | None:
    """Queue a one-time sign-in link the person asked for, due at once (they are waiting
    for it, whatever the hour). ``ref`` names the link (unique key); ``expires_at`` and
    ``now`` are naive UTC. The row's item keeps the expiry, so a dispatcher never sends
    it late (:func:`withdraw_expired`)."""
    address = address_of(person, channel)
    if not address:
        return None
    until = expires_at.replace(tzinfo=UTC).astimezone(ZoneInfo(timezone))
    minutes = max(1, round((expires_at - now).total_seconds() / 60))
    subject, body = render_sign_in(person.name, satker, link, minutes,
                                   f"{until:%H.%M} {until.tzname()}", channel)
    row = m.Outbox(idem_key=f"{SIGN_IN_KIND}|{satker}|{person.name}|{channel}|{ref}",
                   plan_id=None, person=person.name, role=person.role, channel=channel,
                   address=address, kind=SIGN_IN_KIND, day=until.date(),
                   items=[{"kind": "tautan_masuk", "ref": ref,
                           "expires": expires_at.isoformat()}],
                   subject=subject, body=body, status="pending", attempts=0,
                   not_before=now)
    session.add(row)
    session.flush()
    return row


def withdraw_expired(session: Session, ids: list[int], now: datetime) -> list[int]:
    """Before rows are sent: a sign-in link past its expiry is no use to anyone — its
    row becomes ``dismissed`` instead (reason in ``last_error``). Returns the ids still
    to send."""
    if not ids:
        return ids
    wanted = set(ids)
    stale = [row_id for row_id, items in session.execute(
        select(m.Outbox.id, m.Outbox.items).where(m.Outbox.kind == SIGN_IN_KIND,
                                                  m.Outbox.status == "pending")).tuples()
             if row_id in wanted and any(datetime.fromisoformat(i["expires"]) <= now
                                         for i in items if i.get("expires"))]
    if stale:
        session.execute(update(m.Outbox).where(m.Outbox.id.in_(stale),
                                               m.Outbox.status == "pending")
                        .values(status="dismissed",
                                last_error="tautan masuk sudah kedaluwarsa; tidak dikirim"))
    return [i for i in ids if i not in stale]


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


def tell_admins(session: Session, cfg: MonevConfig, now: datetime) -> int:
    """Put every ``uncertain`` row nobody was told about yet into the digest of its
    satker's admins (role ``admin``), with the command that resends or closes it: a
    message that may not have arrived is a person's decision, never left silent.
    Returns how many rows were reported."""
    from monev.store.queries import satker_of_plan

    rows = session.scalars(select(m.Outbox).where(
        m.Outbox.status == "uncertain", m.Outbox.admin_told_at.is_(None))
        .order_by(m.Outbox.id)).all()
    by_satker: dict[str, list[m.Outbox]] = {}
    for row in rows:
        name = satker_of_plan(session, row.plan_id) if row.plan_id else None
        by_satker.setdefault(name or "", []).append(row)
    told = 0
    for name, group in by_satker.items():
        satkers = [cfg.satker(name)] if name else list(cfg.satkers)
        admins = [(sc, p) for sc in satkers if sc for p in sc.people
                  if p.role == "admin" or p.admin]
        if not admins:
            continue  # `monev outbox` and the Prefect artifact still show them
        items = [{"kind": "tidak_pasti", "ref": f"outbox-{r.id}", "step": "",
                  "period": "", "due": "", "indikator": "", "area": "", "pic": "",
                  "subbagian": "",
                  "bukti_fisik": f"Pesan #{r.id} untuk {r.person} ({r.channel}): "
                                 f"{r.subject[:80]} — sudah sampai? `monev outbox "
                                 f"--dismiss {r.id}`; belum? `monev outbox --resend {r.id}`"}
                 for r in group]
        for sc, admin in admins:
            enqueue(session, None, sc.name, today(sc.tz), now, sc.tz, sc.calendar(),
                    [Delivery(admin, "admin", list(items))], "admin monev")
        for r in group:
            r.admin_told_at = now.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)
        told += len(group)
    session.flush()
    return told
