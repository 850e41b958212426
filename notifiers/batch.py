"""The dispatcher's bookkeeping, many rows per statement (issue 21).

A batch is claimed in one transaction: its rows go ``pending`` → ``sending`` with
``claimed_at`` set, and get their attempt rows. Just before a row's message goes out,
one small transaction clears its ``claimed_at`` (the send *began*; committed before
anything reaches the wire) and marks the row before it ``sent``. The rest of the
batch's results (attempt rows, failures) are written in one transaction at its end.
So, when a dispatcher is killed mid-batch:

- a row whose send began (``claimed_at`` cleared) may have arrived: after the lease it
  becomes ``uncertain``, never resent automatically;
- a row still carrying ``claimed_at`` was never attempted: after the lease it is
  ``pending`` again (its attempt row removed, its attempt count given back).

Both the marker and the release are conditional UPDATEs of the outbox row itself, so
they exclude each other (row lock on PostgreSQL, the one writer on SQLite): a row is
either released or sent, never both.

The provider's ids of a sent message (Cloud API ``wamid``, Telegram chat:message, issue
23) go into ``sent_message`` in the transaction that marks the row ``sent`` — the
"send begun" commit of the next row, or the batch's end — so a reply to that message
finds the items it named whenever the row reads as sent."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, DateTime, Dialect, Integer, TextClause, bindparam, text

from monev.store.outbox import retry_delay

BATCH_SIZE = 100  # rows claimed per statement, results written per commit
BATCH_SECONDS = 60.0  # a batch starts no send later than this after its claim: unstarted
# rows go back at its end, so a live dispatcher's claim never comes near the lease


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
    claimed_at: datetime | None = None


# ("sent" | "error" | "uncertain", reason, the provider's ids of what was sent)
Result = tuple[str, str, tuple[str, ...]]


def _sql(sql: str) -> TextClause:
    """A statement with its lists expanded and its times typed (stored the way the ORM
    stores them, so that equality on ``claimed_at`` holds on SQLite too)."""
    params = [bindparam(name, type_=DateTime()) for name in ("at", "before", "later")
              if f":{name}" in sql]
    if ":ids" in sql:
        params.append(bindparam("ids", expanding=True))
    return text(sql).bindparams(*params)


_CLAIM = _sql("UPDATE outbox SET status = 'sending', attempts = attempts + 1, "
              "claimed_at = :at WHERE id IN :ids AND status = 'pending' "
              "RETURNING id, channel, address, subject, body, attempts, attachments")
_ATTEMPTS = _sql("INSERT INTO outbox_attempt (outbox_id, started_at, error) "
                 "SELECT id, :at, '' FROM outbox WHERE id IN :ids "
                 "RETURNING id, outbox_id")
_FINISHED = _sql("UPDATE outbox_attempt SET finished_at = :at, ok = :ok, error = :error "
                 "WHERE id = :attempt")
_SENT = _sql("UPDATE outbox SET status = 'sent', sent_at = :at, last_error = '' "
             "WHERE id IN :ids AND status = 'sending'")
_STOPPED = _sql("UPDATE outbox SET status = :status, last_error = :error WHERE id = :id")
_AGAIN = _sql("UPDATE outbox SET status = 'pending', last_error = :error, "
              "not_before = :later WHERE id = :id")
_RELEASE = _sql("UPDATE outbox SET status = 'pending', attempts = attempts - 1 "
                "WHERE id = :id AND status = 'sending' AND claimed_at = :at")
_UNSTARTED = _sql("DELETE FROM outbox_attempt "
                  "WHERE outbox_id = :id AND started_at = :at AND finished_at IS NULL")
_STALE_CLAIMS = _sql("UPDATE outbox SET status = 'pending', attempts = attempts - 1 "
                     "WHERE status = 'sending' AND claimed_at < :before "
                     "RETURNING id, claimed_at").columns(id=Integer, claimed_at=DateTime)


def claim_batch(conn: Connection, ids: Sequence[int], at: datetime) -> list[Claimed]:
    """Claim the rows of ``ids`` still pending, in the caller's transaction (which must
    commit before any of them is sent); returns them in the order of ``ids``. Rows
    another dispatcher holds or has sent are skipped."""
    rows = conn.execute(_CLAIM, {"ids": list(ids), "at": at}).all()
    if not rows:
        return []
    attempt_of = {outbox_id: attempt_id for attempt_id, outbox_id in conn.execute(
        _ATTEMPTS, {"ids": [r[0] for r in rows], "at": at})}
    claimed = {}
    for row_id, channel, address, subject, body, attempts, files in rows:
        if isinstance(files, str):  # a JSON column read by plain SQL (SQLite)
            files = json.loads(files)
        claimed[row_id] = Claimed(row_id, attempt_of[row_id], channel, address, subject,
                                  body, attempts, tuple(files or ()), at)
    return [claimed[i] for i in ids if i in claimed]


_BEGIN_RAW = ("UPDATE outbox SET claimed_at = NULL "
              "WHERE id = :id AND status = 'sending' AND claimed_at = :at")
_SENT_RAW = ("UPDATE outbox SET status = 'sent', sent_at = :now, last_error = '' "
             "WHERE id = :id AND status = 'sending'")
# once per (channel, id), whichever of the two transactions above writes it first
_PROVIDER_ID_RAW = ("INSERT INTO sent_message (channel, provider_id, outbox_id) "
                    "VALUES (:channel, :pid, :id) ON CONFLICT DO NOTHING")
_PROVIDER_ID = text(_PROVIDER_ID_RAW)


def _provider_ids(results: Iterable[tuple[Claimed, Result]]) -> list[dict[str, Any]]:
    return [{"channel": c.channel, "pid": pid[:200], "id": c.row_id}
            for c, (outcome, _, ids) in results if outcome == "sent" for pid in ids]


@functools.cache
def _time_processor(dialect: Dialect) -> Callable[[Any], Any] | None:
    return DateTime().dialect_impl(dialect).bind_processor(dialect)


def _driver_sql(dialect: Dialect, sql: str) -> str:
    return sql if dialect.name == "sqlite" else re.sub(r":(\w+)", r"%(\1)s", sql)


def begin_send(conn: Connection, claimed: Claimed,
               sent_before: tuple[Claimed, Result] | None, now: datetime) -> bool:
    """Mark the row's send as begun, and the row sent just before as ``sent`` (with its
    provider ids), and commit; False when the row is no longer ours (released by another
    dispatcher after the lease: then it must not be sent). Marking the previous row here
    keeps a crash to at most one ``uncertain`` row, at no extra commit.

    The one commit per message, so it goes straight to the driver (SQLAlchemy's
    per-statement work cost more than the write); ``conn`` must be outside a
    transaction."""
    dialect = conn.dialect
    raw = conn.connection.dbapi_connection
    assert raw is not None
    to_db = _time_processor(dialect) or (lambda v: v)
    cursor = raw.cursor()
    try:
        if dialect.name == "sqlite":  # autocommit driver: take the write lock first
            cursor.execute("BEGIN IMMEDIATE")
        if sent_before is not None:
            cursor.execute(_driver_sql(dialect, _SENT_RAW),
                           {"id": sent_before[0].row_id, "now": to_db(now)})
            for params in _provider_ids([sent_before]):
                cursor.execute(_driver_sql(dialect, _PROVIDER_ID_RAW), params)
        cursor.execute(_driver_sql(dialect, _BEGIN_RAW),
                       {"id": claimed.row_id, "at": to_db(claimed.claimed_at)})
        ours = cursor.rowcount == 1
        if dialect.name == "sqlite":
            cursor.execute("COMMIT")
        else:
            raw.commit()
    except BaseException:
        if dialect.name != "sqlite":
            raw.rollback()
        elif raw.in_transaction:
            cursor.execute("ROLLBACK")
        raise
    finally:
        cursor.close()
    return ours


@dataclass
class Outcomes:
    """What became of the rows of one batch (ids; errors beside them)."""

    sent: list[int]
    failed: list[tuple[int, str]]
    retrying: list[tuple[int, str]]
    uncertain: list[int]


def finish_batch(conn: Connection, results: Iterable[tuple[Claimed, Result]],
                 unstarted: Iterable[Claimed], at: datetime, max_attempts: int,
                 out: Outcomes) -> None:
    """Write the results of a batch (a statement per kind of outcome) and put rows
    whose send never began back to ``pending``, in the caller's transaction."""
    finished, sent, stopped, again = [], [], [], []
    results = list(results)
    for claimed, (outcome, error, _) in results:
        rid = claimed.row_id
        finished.append({"at": at, "ok": outcome == "sent", "error": error,
                         "attempt": claimed.attempt_id})
        if outcome == "sent":
            sent.append(rid)
        elif outcome == "uncertain":
            stopped.append({"status": "uncertain", "error": error, "id": rid})
            out.uncertain.append(rid)
        elif claimed.attempts >= max_attempts:
            stopped.append({"status": "failed", "error": error, "id": rid})
            out.failed.append((rid, error))
        else:
            again.append({"error": error, "later": at + retry_delay(claimed.attempts),
                          "id": rid})
            out.retrying.append((rid, error))
    if finished:
        conn.execute(_FINISHED, finished)
    if sent:
        conn.execute(_SENT, {"ids": sent, "at": at})
        out.sent += sent
        known = _provider_ids(results)
        if known:
            conn.execute(_PROVIDER_ID, known)
    for statement, params in ((_STOPPED, stopped), (_AGAIN, again)):
        if params:
            conn.execute(statement, params)
    back = [{"id": c.row_id, "at": c.claimed_at} for c in unstarted]
    if back:
        conn.execute(_RELEASE, back)
        conn.execute(_UNSTARTED, back)


def release_stale_claims(conn: Connection, before: datetime) -> list[int]:
    """Rows claimed before ``before`` whose send never began (their dispatcher was
    killed): ``pending`` again. Returns their ids."""
    rows = conn.execute(_STALE_CLAIMS, {"before": before}).all()
    if rows:
        conn.execute(_UNSTARTED, [{"id": i, "at": at} for i, at in rows])
    return [i for i, _ in rows]


