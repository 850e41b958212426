"""The dispatcher: sends due outbox rows through Apprise, one message per row.

Per row: claim it (``pending`` → ``sending``, atomic, so several dispatchers can run
side by side) and record the attempt *before* sending (own commit), send, then record
the result. A row still ``sending`` past the lease was left by a killed process: its
fate is unknown, so it becomes ``uncertain`` (shown to the admin by ``monev outbox``),
never resent blindly. Failures are retried with backoff
up to ``max_attempts``, then ``failed`` with the error kept. Nothing is dropped."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote

from sqlalchemy import Connection, func, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from monev.clock import utcnow
from monev.errors import MonevError
from monev.store import models as m
from monev.store.outbox import retry_delay
from notifiers import transport
from notifiers.channels import apprise_url, is_cloud_template, mask_secrets, redact
from notifiers.messages import one_line
from notifiers.outbox import withdraw_closed, withdraw_expired
from notifiers.plugins import register
from notifiers.smtp import close_sessions
from notifiers.smtp import recipient as smtp_recipient
from notifiers.stale import withdraw_stale


class Sender(Protocol):
    """Delivers (apprise url, subject, body[, attached files]); raises on failure."""

    def __call__(self, url: str, subject: str, body: str,
                 attach: Sequence[str] = ()) -> None: ...


SEND_LEASE = timedelta(minutes=10)  # a row "sending" longer than this was left by a crash


class SendError(Exception):
    """A definite failure: the message was not delivered (safe to retry)."""


class SendUncertain(Exception):
    """The request went out but no answer came: the message may have arrived."""


def _split_recipient(url: str) -> tuple[str, str | None]:
    """``smtp(s)://…?…&to=ADDR&…`` → (the URL without ``to``, ADDR); others as they are."""
    if not url.startswith(("smtp://", "smtps://")) or "?" not in url:
        return url, None
    base, query = url.split("?", 1)
    pairs = [p for p in query.split("&") if not p.startswith("to=")]
    found = [unquote(p[3:]) for p in query.split("&") if p.startswith("to=")]
    if len(found) != 1:
        return url, None
    return f"{base}?{'&'.join(pairs)}", found[0]


@functools.lru_cache(maxsize=1024)
def _plugin(url: str) -> Any:
    """The Apprise plugin for ``url``, built once per process (not an Apprise object
    and a URL parse per message)."""
    import apprise

    return apprise.Apprise.instantiate(url)


def apprise_send(url: str, subject: str, body: str, attach: Sequence[str] = ()) -> None:
    """Deliver one message through Apprise; raise by cause when it was not a success
    (:mod:`notifiers.transport`). Error texts name the service without secrets.

    An e-mail URL's recipient is passed to our SMTP plugin per message, so one plugin
    (and its open session) serves every recipient on that server."""
    register()
    server, recipient = _split_recipient(url)
    plugin = _plugin(server)
    if plugin is None:
        raise SendError(f"URL Apprise tidak sah atau skemanya tidak dikenal "
                        f"('{url.split('://', 1)[0]}://')")
    with transport.observe() as outcome, smtp_recipient(recipient):
        # --- attachments (issue 13): report files go with the e-mail ---
        extra = {"attach": list(attach)} if attach else {}
        ok = plugin.notify(body=body, title=subject, **extra)
    if ok:
        return
    where = redact(url)
    if outcome.kind == "unknown":
        raise SendUncertain(f"{outcome.detail} — {where}")
    if outcome.kind in ("connect", "refused"):
        raise SendError(f"{outcome.detail} — {where}")
    if outcome.kind == "ok":
        raise SendError(f"layanan menjawab HTTP {outcome.status} tetapi menolak pesan — {where}")
    raise SendError(f"pesan tidak terkirim: layanan tidak dihubungi; periksa pengaturan kanal "
                    f"— {where}")


def send_message(channel: str, address: str, subject: str, body: str,
                 env: dict[str, str] | None = None, sender: Sender = apprise_send,
                 attach: Sequence[str] = ()) -> None:
    """Send one message to one address; raises SendError/MonevError when not delivered."""
    # --- attachments (issue 13): e-mail only; a missing file is a definite failure ---
    attach = list(attach) if channel == "email" else []
    missing = [a for a in attach if not Path(a).is_file()]
    if missing:
        raise SendError(f"lampiran tidak ada: {', '.join(Path(a).name for a in missing)}")
    url = apprise_url(channel, address, env)
    if channel == "whatsapp" and is_cloud_template(url):
        body = one_line(body)  # template parameters may not hold line breaks
    # WhatsApp bodies already start with the subject (the plugins would prepend it again)
    try:
        if attach:
            sender(url, subject, body, attach)
        else:
            sender(url, "" if channel == "whatsapp" else subject, body)
    except (SendError, SendUncertain) as exc:  # belt and braces: no configured secret
        raise type(exc)(mask_secrets(str(exc), env)) from None  # in any reason, anywhere


@dataclass
class DispatchReport:
    sent: list[int] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)
    retrying: list[tuple[int, str]] = field(default_factory=list)
    uncertain: list[int] = field(default_factory=list)


def mark_uncertain(session: Session, started_before: datetime) -> list[int]:
    """Rows a dispatcher started before ``started_before`` and never finished.

    A send takes seconds (Apprise's timeouts are under a minute), so a row still
    ``sending`` after the lease was left by a killed process; a younger one may belong
    to a dispatcher running right now and is left alone."""
    stale = select(m.OutboxAttempt.outbox_id).group_by(m.OutboxAttempt.outbox_id).having(
        func.max(m.OutboxAttempt.started_at) < started_before)
    ids = list(session.scalars(select(m.Outbox.id).where(
        m.Outbox.status == "sending", m.Outbox.id.in_(stale))))
    if ids:
        session.execute(update(m.Outbox).where(m.Outbox.id.in_(ids)).values(
            status="uncertain", last_error="pengiriman terputus; tidak diketahui terkirim"))
    return ids


@dataclass(frozen=True)
class Claimed:
    """A row this dispatcher owns: what to send, and the attempt being made."""

    row_id: int
    attempt_id: int
    channel: str
    address: str
    subject: str
    body: str
    attempts: int
    attachments: tuple[str, ...] = ()  # issue 13: files sent with an e-mail


# The dispatcher's own statements, as text: compiled once, run for every message (the
# ORM's per-statement work cost more than the SQLite write itself).
_CLAIM = text("UPDATE outbox SET status = 'sending', attempts = attempts + 1 "
              "WHERE id = :id AND status = 'pending' "
              "RETURNING channel, address, subject, body, attempts, attachments")
_ATTEMPT = text("INSERT INTO outbox_attempt (outbox_id, started_at, error) "
                "VALUES (:id, :at, '') RETURNING id")
_FINISHED = text("UPDATE outbox_attempt SET finished_at = :at, ok = :ok, error = :error "
                 "WHERE id = :attempt")
_SENT = text("UPDATE outbox SET status = 'sent', sent_at = :at, last_error = '' "
             "WHERE id = :id")
_STOPPED = text("UPDATE outbox SET status = :status, last_error = :error WHERE id = :id")
_AGAIN = text("UPDATE outbox SET status = 'pending', last_error = :error, "
              "not_before = :later WHERE id = :id")


def claim(conn: Session | Connection, row_id: int, at: datetime) -> Claimed | None:
    """``pending`` → ``sending`` and an attempt row, in the caller's transaction (which
    must commit before the message goes out). Only a row still pending is ours: the
    conditional UPDATE waits for, and loses to, any transaction holding the row."""
    row = conn.execute(_CLAIM, {"id": row_id}).first()
    if row is None:
        return None
    attempt_id = conn.execute(_ATTEMPT, {"id": row_id, "at": at}).scalar_one()
    channel, address, subject, body, attempts, files = row
    if isinstance(files, str):  # a JSON column read by plain SQL (SQLite)
        files = json.loads(files)
    return Claimed(row_id, attempt_id, channel, address, subject, body, attempts,
                   tuple(files or ()))


Result = tuple[str, str]  # ("sent" | "error" | "uncertain", reason)


def _send(claimed: Claimed, env: dict[str, str] | None, sender: Sender) -> Result:
    try:
        send_message(claimed.channel, claimed.address, claimed.subject, claimed.body, env,
                     sender, claimed.attachments)
    except (SendError, MonevError) as exc:
        return "error", str(exc) or exc.__class__.__name__
    except SendUncertain as exc:
        return "uncertain", str(exc)
    except Exception as exc:  # noqa: BLE001 - unknown outcome: never resend blindly
        return "uncertain", f"galat tak terduga ({type(exc).__name__}); tidak diketahui terkirim"
    return "sent", ""


def _record(conn: Connection, claimed: Claimed, result: Result, at: datetime,
            max_attempts: int, report: DispatchReport) -> None:
    outcome, error = result
    conn.execute(_FINISHED, {"at": at, "ok": outcome == "sent", "error": error,
                             "attempt": claimed.attempt_id})
    rid = claimed.row_id
    if outcome == "sent":
        conn.execute(_SENT, {"at": at, "id": rid})
        report.sent.append(rid)
    elif outcome == "uncertain":
        conn.execute(_STOPPED, {"status": "uncertain", "error": error, "id": rid})
        report.uncertain.append(rid)
    elif claimed.attempts >= max_attempts:
        conn.execute(_STOPPED, {"status": "failed", "error": error, "id": rid})
        report.failed.append((rid, error))
    else:
        conn.execute(_AGAIN, {"error": error, "later": at + retry_delay(claimed.attempts),
                              "id": rid})
        report.retrying.append((rid, error))


def dispatch(factory: sessionmaker[Session], now: Callable[[], datetime] = utcnow,
             sender: Sender = apprise_send, limit: int = 1000, max_attempts: int = 5,
             env: dict[str, str] | None = None, send_now: bool = False,
             lease: timedelta = SEND_LEASE,
             only: Collection[int] | None = None) -> DispatchReport:
    """Send every due pending row (at most ``limit``); ``send_now`` also sends rows held
    for quiet hours (the demo of ``make up``, or an admin's explicit decision);
    ``only`` limits the pass to those rows (the portal sending a sign-in link at once).

    One commit per message: the transaction that claims a row also records the result
    of the row sent before it. A row's claim is durable before it is sent, and until
    its result is, it stays ``sending`` — a crash in between leaves it for the lease to
    turn ``uncertain``, exactly as with a commit of its own."""
    report = DispatchReport()
    with factory.begin() as s:
        report.uncertain = mark_uncertain(s, now() - lease)
        query = select(m.Outbox.id).where(m.Outbox.status == "pending")
        if not send_now:
            query = query.where(m.Outbox.not_before <= now())
        if only is not None:
            query = query.where(m.Outbox.id.in_(list(only)))
        due = list(s.scalars(query.order_by(m.Outbox.not_before, m.Outbox.id).limit(limit)))
        due = withdraw_closed(s, due)  # nothing nags about a plan that closed meanwhile
        due = withdraw_expired(s, due, now())  # nor sends a sign-in link that expired
        due = withdraw_stale(s, due)  # nor about evidence sent or accepted meanwhile
    done: tuple[Claimed, Result] | None = None
    writer = getattr(factory, "writer", factory.kw["bind"])  # BEGIN IMMEDIATE on SQLite
    try:
        for row_id in due:
            with writer.begin() as conn:
                if done is not None:
                    _record(conn, *done, now(), max_attempts, report)
                    done = None
                claimed = claim(conn, row_id, now())
            if claimed is not None:
                done = (claimed, _send(claimed, env, sender))
        if done is not None:
            with writer.begin() as conn:
                _record(conn, *done, now(), max_attempts, report)
    finally:
        close_sessions()
    return report
