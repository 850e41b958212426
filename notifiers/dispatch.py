"""The dispatcher: sends due outbox rows through Apprise, one message per row.

Per row: claim it (``pending`` → ``sending``, atomic, so several dispatchers can run
side by side) and record the attempt *before* sending (own commit), send, then record
the result. A row still ``sending`` past the lease was left by a killed process: its
fate is unknown, so it becomes ``uncertain`` (shown to the admin by ``monev outbox``),
never resent blindly. Failures are retried with backoff
up to ``max_attempts``, then ``failed`` with the error kept. Nothing is dropped."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from monev.errors import MonevError
from monev.store import models as m
from notifiers.channels import apprise_url, is_cloud_template, redact
from notifiers.messages import one_line
from notifiers.outbox import retry_delay

Sender = Callable[[str, str, str], None]  # (apprise url, subject, body); raises on failure
SEND_LEASE = timedelta(minutes=10)  # a row "sending" longer than this was left by a crash


class SendError(Exception):
    """A definite failure: the message was not delivered."""


def apprise_send(url: str, subject: str, body: str) -> None:
    import apprise

    from notifiers.gateway import register

    register()
    app = apprise.Apprise()
    if not app.add(url):
        raise SendError(f"URL Apprise tidak sah: {redact(url)}")
    with apprise.LogCapture(level=apprise.logging.WARNING) as logs:  # type: ignore[no-untyped-call]
        ok = app.notify(body=body, title=subject)
        detail = logs.getvalue().strip()
    if not ok:
        raise SendError(detail.splitlines()[-1] if detail else "gagal terkirim")


def send_message(channel: str, address: str, subject: str, body: str,
                 env: dict[str, str] | None = None, sender: Sender = apprise_send) -> None:
    """Send one message to one address; raises SendError/MonevError when not delivered."""
    url = apprise_url(channel, address, env)
    if channel == "whatsapp" and is_cloud_template(url):
        body = one_line(body)  # template parameters may not hold line breaks
    # WhatsApp bodies already start with the subject (the plugins would prepend it again)
    sender(url, "" if channel == "whatsapp" else subject, body)


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


def dispatch(factory: sessionmaker[Session], now: Callable[[], datetime] = datetime.utcnow,
             sender: Sender = apprise_send, limit: int = 1000, max_attempts: int = 5,
             env: dict[str, str] | None = None, send_now: bool = False,
             lease: timedelta = SEND_LEASE) -> DispatchReport:
    """Send every due pending row (at most ``limit``); ``send_now`` also sends rows held
    for quiet hours (the demo of ``make up``, or an admin's explicit decision)."""
    report = DispatchReport()
    with factory.begin() as s:
        report.uncertain = mark_uncertain(s, now() - lease)
        query = select(m.Outbox.id).where(m.Outbox.status == "pending")
        if not send_now:
            query = query.where(m.Outbox.not_before <= now())
        due = list(s.scalars(query.order_by(m.Outbox.not_before, m.Outbox.id).limit(limit)))
    for row_id in due:
        with factory.begin() as s:  # claim: only a still-pending row is ours
            claimed = s.execute(update(m.Outbox).where(
                m.Outbox.id == row_id, m.Outbox.status == "pending").values(
                status="sending", attempts=m.Outbox.attempts + 1)
                .returning(m.Outbox.id)).first()
            if claimed is None:
                continue
            row = s.get(m.Outbox, row_id)
            assert row is not None
            attempt = m.OutboxAttempt(outbox_id=row_id, started_at=now())
            s.add(attempt)
            s.flush()
            attempt_id, channel, address = attempt.id, row.channel, row.address
            subject, body, attempts = row.subject, row.body, row.attempts
        error = ""
        try:
            send_message(channel, address, subject, body, env, sender)
        except (SendError, MonevError) as exc:
            error = str(exc) or exc.__class__.__name__
        except Exception as exc:  # noqa: BLE001 - unknown outcome: never resend blindly
            with factory.begin() as s:
                s.execute(update(m.Outbox).where(m.Outbox.id == row_id).values(
                    status="uncertain", last_error=f"galat tak terduga: {exc!r}"))
            report.uncertain.append(row_id)
            continue
        with factory.begin() as s:
            row = s.get(m.Outbox, row_id)
            attempt_row = s.get(m.OutboxAttempt, attempt_id)
            assert row is not None and attempt_row is not None
            attempt_row.finished_at, attempt_row.ok, attempt_row.error = now(), not error, error
            if not error:
                row.status, row.sent_at, row.last_error = "sent", now(), ""
                report.sent.append(row_id)
            elif attempts >= max_attempts:
                row.status, row.last_error = "failed", error
                report.failed.append((row_id, error))
            else:
                row.status, row.last_error = "pending", error
                row.not_before = now() + retry_delay(attempts)
                report.retrying.append((row_id, error))
    return report
