"""The dispatcher: sends due outbox rows through Apprise, one message per row.

Rows are claimed in batches (``pending`` → ``sending``, atomic, so several dispatchers
can run side by side), each row's send is marked as begun *before* it goes out, and
the batch's results are written together (:mod:`notifiers.batch`). A row still
``sending`` past the lease was left by a killed process: if its send had begun its fate
is unknown, so it becomes ``uncertain`` (shown to the admin by ``monev outbox``), never
resent blindly; if not, it is pending again. Failures are retried with backoff up to
``max_attempts``, then ``failed`` with the error kept. Nothing is dropped."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Collection, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote

from sqlalchemy import Connection, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from monev.clock import utcnow
from monev.config import MonevConfig, load_config
from monev.errors import MonevError
from monev.inbound.mailtoken import reply_headers
from monev.store import models as m
from monev.tokens import server_secret
from notifiers import direct, gateway, transport
from notifiers.batch import (
    BATCH_SECONDS,
    BATCH_SIZE,
    Claimed,
    Outcomes,
    Result,
    begin_send,
    claim_batch,
    finish_batch,
    release_stale_claims,
)
from notifiers.channels import apprise_url, is_cloud_template, mask_secrets, redact, setting
from notifiers.messages import one_line
from notifiers.outbox import withdraw_closed, withdraw_expired
from notifiers.plugins import register
from notifiers.quiet import SendHours
from notifiers.smtp import answerable, close_sessions
from notifiers.smtp import recipient as smtp_recipient
from notifiers.stale import withdraw_stale


class Sender(Protocol):
    """Delivers (apprise url, subject, body[, attached files]); raises on failure.
    Returns the provider's ids of what it sent, where the provider gives them."""

    def __call__(self, url: str, subject: str, body: str,
                 attach: Sequence[str] = ()) -> Sequence[str] | None: ...


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


def apprise_send(url: str, subject: str, body: str,
                 attach: Sequence[str] = ()) -> tuple[str, ...]:
    """Deliver one message through Apprise; raise by cause when it was not a success
    (:mod:`notifiers.transport`). Error texts name the service without secrets. Cloud
    API and Telegram URLs are parsed by Apprise but sent by :mod:`notifiers.direct`,
    which returns the provider's message ids.

    An e-mail URL's recipient is passed to our SMTP plugin per message, so one plugin
    (and its open session) serves every recipient on that server; likewise the phone
    of a WhatsApp gateway URL (:func:`notifiers.gateway.template`)."""
    register()
    server, recipient = _split_recipient(url)
    plugin = _plugin(gateway.template(server))
    if plugin is None:
        raise SendError(f"URL Apprise tidak sah atau skemanya tidak dikenal "
                        f"('{url.split('://', 1)[0]}://')")
    ids: tuple[str, ...] = ()
    with transport.observe() as outcome, smtp_recipient(recipient):
        if not attach and direct.handles(server, plugin):
            ok, ids = direct.send(plugin, subject, body)
        else:
            # --- attachments (issue 13): report files go with the e-mail ---
            extra = {"attach": list(attach)} if attach else {}
            ok = plugin.notify(body=body, title=subject, **extra)
    if ok:
        return ids
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
                 attach: Sequence[str] = ()) -> tuple[str, ...]:
    """Send one message to one address; raises SendError/MonevError when not delivered.
    Returns the provider's ids of the message (Cloud API, Telegram), else ()."""
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
        with gateway.recipient(address if channel == "whatsapp" else None):
            if attach:
                ids = sender(url, subject, body, attach)
            else:
                ids = sender(url, "" if channel == "whatsapp" else subject, body)
    except (SendError, SendUncertain) as exc:  # belt and braces: no configured secret
        raise type(exc)(mask_secrets(str(exc), env)) from None  # in any reason, anywhere
    return tuple(ids or ())


@dataclass
class DispatchReport:
    sent: list[int] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)
    retrying: list[tuple[int, str]] = field(default_factory=list)
    uncertain: list[int] = field(default_factory=list)
    held: list[int] = field(default_factory=list)  # outside working hours: later


def mark_uncertain(session: Session, started_before: datetime) -> list[int]:
    """Rows a dispatcher claimed before ``started_before`` and never finished: those
    whose send had begun become ``uncertain``; those never attempted, ``pending``.

    A batch starts its last send within a minute and a send takes seconds (Apprise's
    timeouts are under a minute), so a row still ``sending`` after the lease was left
    by a killed process; a younger one may belong to a dispatcher running right now
    and is left alone."""
    release_stale_claims(session.connection(), started_before)
    stale = select(m.OutboxAttempt.outbox_id).group_by(m.OutboxAttempt.outbox_id).having(
        func.max(m.OutboxAttempt.started_at) < started_before)
    ids = list(session.scalars(select(m.Outbox.id).where(
        m.Outbox.status == "sending", m.Outbox.claimed_at.is_(None),
        m.Outbox.id.in_(stale))))
    if ids:
        session.execute(update(m.Outbox).where(m.Outbox.id.in_(ids)).values(
            status="uncertain", last_error="pengiriman terputus; tidak diketahui terkirim"))
    return ids


def _answerable(claimed: Claimed, env: dict[str, str] | None) -> AbstractContextManager[None]:
    """An e-mail carries the reply address and token of its row when replies are read
    (``MONEV_REPLY_ADDRESS``, docs/inbound.md)."""
    address = (env.get("MONEV_REPLY_ADDRESS", "") if env is not None
               else setting("MONEV_REPLY_ADDRESS"))
    if claimed.channel != "email" or "@" not in address:
        return nullcontext()
    return answerable(*reply_headers(claimed.row_id, address, server_secret()))


def _send(claimed: Claimed, env: dict[str, str] | None, sender: Sender) -> Result:
    try:
        with _answerable(claimed, env):
            ids = send_message(claimed.channel, claimed.address, claimed.subject,
                               claimed.body, env, sender, claimed.attachments)
    except (SendError, MonevError) as exc:
        return "error", str(exc) or exc.__class__.__name__, ()
    except SendUncertain as exc:
        return "uncertain", str(exc), ()
    except Exception as exc:  # noqa: BLE001 - unknown outcome: never resend blindly
        return ("uncertain", f"galat tak terduga ({type(exc).__name__}); tidak diketahui "
                             "terkirim", ())
    return "sent", "", ids


def dispatch(factory: sessionmaker[Session], now: Callable[[], datetime] = utcnow,
             sender: Sender = apprise_send, limit: int = 1000, max_attempts: int = 5,
             env: dict[str, str] | None = None, send_now: bool = False,
             lease: timedelta = SEND_LEASE,
             only: Collection[int] | None = None,
             batch_size: int = BATCH_SIZE, cfg: MonevConfig | None = None) -> DispatchReport:
    """Send every due pending row (at most ``limit``); ``send_now`` also sends rows held
    for quiet hours (the demo of ``make up``, or an admin's explicit decision);
    ``only`` limits the pass to those rows (the portal sending a sign-in link at once).
    Otherwise a row whose recipient is outside working hours when its turn comes waits
    for the next allowed moment (:mod:`notifiers.quiet`; ``cfg`` gives each satker's
    zone and days off, the configuration file when not given).

    Rows go in batches of ``batch_size`` (:mod:`notifiers.batch`): one transaction
    claims a batch and writes the results of the one before it; per message only the
    one-row "send begun" mark is committed before it goes out."""
    report = DispatchReport()
    hours = None if send_now else SendHours(cfg if cfg is not None else load_config())
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
        if hours is not None:
            hours.load(s, due)
    writer = getattr(factory, "writer", factory.kw["bind"])  # BEGIN IMMEDIATE on SQLite
    outcomes = Outcomes(report.sent, report.failed, report.retrying, report.uncertain)
    results: list[tuple[Claimed, Result]] = []
    unstarted: list[Claimed] = []
    try:
        with writer.connect() as conn:
            while due or results or unstarted:
                with conn.begin():
                    finish_batch(conn, results, unstarted, now(), max_attempts, outcomes)
                    due = [c.row_id for c in unstarted] + due
                    results, unstarted = [], []
                    ids, due = due[:batch_size], due[batch_size:]
                    if hours is not None:  # quiet hours judged when the batch is claimed
                        ids = hours.hold(conn, ids, now(), report.held)
                    batch = claim_batch(conn, ids, now()) if ids else []
                unstarted = _send_batch(conn, batch, results, env, sender, now,
                                        lambda r, u: finish_batch(conn, r, u, now(),
                                                                  max_attempts, outcomes),
                                        hours)
    finally:
        close_sessions()
    return report


def _send_batch(conn: Connection, batch: list[Claimed], results: list[tuple[Claimed, Result]],
                env: dict[str, str] | None, sender: Sender, now: Callable[[], datetime],
                finish: Callable[[list[tuple[Claimed, Result]], list[Claimed]], None],
                hours: SendHours | None = None) -> list[Claimed]:
    """Send the rows of a claimed batch in order, each after its "begun" mark; returns
    the rows not started within :data:`BATCH_SECONDS` or from the first whose working
    hours ended meanwhile (they go back to pending; the next claim holds that one). When
    interrupted (a cancelled run), what was done is still written before leaving."""
    deadline = time.monotonic() + BATCH_SECONDS
    i = 0
    try:
        for i, claimed in enumerate(batch):  # noqa: B007 - i is read when interrupted
            if time.monotonic() > deadline or (
                    hours is not None and hours.opens(claimed.row_id, now()) is not None):
                return batch[i:]  # claimed again (or held) by the next batch
            last = results[-1] if results else None
            sent_before = last if last and last[1][0] == "sent" else None
            if begin_send(conn, claimed, sent_before, now()):
                results.append((claimed, _send(claimed, env, sender)))
    except BaseException:
        conn.rollback()
        started = {c.row_id for c, _ in results} | {batch[i].row_id}  # the one in flight
        rest = [c for c in batch[i:] if c.row_id not in started]  # stays "sending"
        with conn.begin():
            finish(results, rest)
        raise
    return []
