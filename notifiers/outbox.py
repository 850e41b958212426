"""What the notifiers add to the outbox (rows: ``monev.store.outbox``): one-time
sign-in links, admins told of uncertain rows, and rows withdrawn just before they are
sent (closed plans, expired links)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from monev.clock import today
from monev.config import MonevConfig, Person, SatkerConfig
from monev.store import models as m
from monev.store.outbox import Delivery, address_of, enqueue, render_again
from monev.store.plan_status import OPEN_STATUSES
from monev.store.queries import satker_of_plan
from notifiers.messages import render_sign_in

# What still goes out about a closed plan: its reports (the year-end report is how it
# closes). Everything else asks for work or counts what is late — a monthly summary
# decided before the close is superseded by the year-end report.
KEPT_WHEN_CLOSED = frozenset({"laporan", "tidak_pasti"})


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


def deciders(satker: SatkerConfig) -> list[Person]:
    """Who decides about a satker's uncertain messages: its admins, else its
    Sekretaris (the head of the secretariat the admin works for)."""
    admins = [p for p in satker.people if p.role == "admin" or p.admin]
    return admins or [p for p in satker.people if p.role == "sekretaris"]


def tell_admins(session: Session, cfg: MonevConfig, now: datetime) -> int:
    """Put every ``uncertain`` row nobody was told about yet into the digest of its
    satker's admins (role ``admin``, or the Sekretaris of a satker without one), each
    row named with the command that resends or closes it: a message that may not have
    arrived is a person's decision, never left silent. Returns how many rows were
    reported."""
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
        admins = [(sc, p) for sc in satkers if sc for p in deciders(sc)]
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
