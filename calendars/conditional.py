"""Conditional feed requests: the RFC 9110 comparison, and an ASGI front that answers an
unchanged feed's 304 from memory before the web framework, the ORM or a thread.

Calendar clients poll: nearly every request is a revalidation of a feed that did not
change. The front keeps nothing of its own; it reads the entries of the app's
:class:`~calendars.service.FeedCache` (per token hash: the feed's id, its plans and
their data versions as rendered, the ETag) and checks them against the database with
one indexed statement on a connection of its own — the token still active, each plan's
``data_version`` and ``revision``, the newest plan id. Every process sees another's
writes: a changed plan, a rotated or revoked token never get a 304 here (on SQLite at
once; on PostgreSQL the statement is skipped while no write to ``plan`` or ``feed``
was notified since the feed was last checked, :mod:`calendars.changes`, so within the
milliseconds a notification takes). Anything else (no entry, another day, a stale
entry, no condition met, any error) goes on to the app, which answers as before."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from sqlalchemy import Engine
from starlette.types import ASGIApp, Receive, Scope, Send

from calendars.changes import ChangeCount
from calendars.service import FeedCache
from calendars.tokens import looks_like_token, token_hash
from monev.clock import today
from monev.store.db import detached_connection


def not_modified(inm: str | None, ims: str | None, etag: str, modified: datetime) -> bool:
    """RFC 9110 §13.2.2: If-None-Match (weak comparison) wins over If-Modified-Since."""
    if inm is not None:
        tags = {t.strip().removeprefix("W/") for t in inm.split(",")}
        return "*" in tags or etag in tags
    if ims:
        try:
            since = parsedate_to_datetime(ims)
        except (TypeError, ValueError):
            return False
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        if since > datetime.now(UTC):  # RFC 9110 §13.1.3: a date in the future is invalid
            return False
        return modified <= since
    return False


def _validity_sql(n_plans: int, mark: str) -> str:
    """The token's feed row (active) joined to its plans' versions: no row means the
    token is dead; the rest is compared with what the cached feed was rendered from."""
    plans = f"p.id IN ({', '.join([mark] * n_plans)})" if n_plans else "1 = 0"
    return ("SELECT f.id, (SELECT max(id) FROM plan), p.id, p.data_version, p.revision "
            f"FROM feed f LEFT JOIN plan p ON {plans} "
            f"WHERE f.token_hash = {mark} AND f.revoked_at IS NULL")


class FeedFront:
    """The ASGI app uvicorn serves: the 304 described above, or else the wrapped app."""

    def __init__(self, app: ASGIApp, cache: FeedCache, engine: Engine) -> None:
        self.app, self.cache, self.engine = app, cache, engine
        self.mark = "?" if engine.dialect.paramstyle in ("qmark", "numeric") else "%s"
        self._sql: dict[int, str] = {}
        self._conn: Any = None  # a DBAPI connection of its own, out of the pool
        self._lock = threading.Lock()
        self.changes = ChangeCount(engine) if engine.dialect.name == "postgresql" else None
        self._checked: dict[str, object] = {}  # token hash → entry key, as of _checked_at
        self._checked_at: int | None = None  # the change count they were checked at

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD"):
            path: str = scope["path"]
            root = scope.get("root_path", "")
            if root and path.startswith(root):
                path = path[len(root):]
            if path.startswith("/feeds/") and path.endswith(".ics"):
                headers = self._answer(path[7:-4], scope["headers"])
                if headers is not None:
                    await send({"type": "http.response.start", "status": 304,
                                "headers": headers})
                    await send({"type": "http.response.body", "body": b""})
                    return
        await self.app(scope, receive, send)

    def _answer(self, token: str, raw: Iterable[tuple[bytes, bytes]]
                ) -> list[tuple[bytes, bytes]] | None:
        inm = ims = None
        for name, value in raw:
            if name == b"if-none-match":
                inm = value.decode("latin-1")
            elif name == b"if-modified-since":
                ims = value.decode("latin-1")
        if (inm is None and ims is None) or not looks_like_token(token):
            return None
        digest = token_hash(token)
        entry = self.cache.entry(digest)
        if entry is None or entry.key[1] != today():
            return None
        rendered = entry.rendered
        if not not_modified(inm, ims, rendered.etag, rendered.modified):
            return None
        if not self._unchanged(digest, entry.feed_id, entry.scope.plan_ids, entry.key):
            return None
        self.cache.front_304 += 1
        return rendered.headers_304

    def _unchanged(self, digest: str, feed_id: int, plan_ids: tuple[int, ...],
                   key: tuple[object, ...]) -> bool:
        """The cached feed is what the database holds now: checked by one statement,
        or known without one when no change was notified since it was checked."""
        count = self.changes.current() if self.changes is not None else None
        if count is not None and count == self._checked_at \
                and self._checked.get(digest) == key:
            return True
        if self._versions(digest, feed_id, plan_ids) != key[2]:
            return False
        if count is not None:
            if count != self._checked_at:
                self._checked, self._checked_at = {}, count
            self._checked[digest] = key
        return True

    def _versions(self, digest: str, feed_id: int, plan_ids: tuple[int, ...]
                  ) -> tuple[object, ...] | None:
        """What :func:`monev.store.queries.plan_versions` gives, if the token is still
        this feed's and active; None otherwise or on any database error."""
        if not self._lock.acquire(blocking=False):  # used by one event loop; never wait
            return None
        try:
            sql = self._sql.get(len(plan_ids))
            if sql is None:
                sql = self._sql[len(plan_ids)] = _validity_sql(len(plan_ids), self.mark)
            conn = self._conn or self._connect()
            cur = conn.cursor()
            try:
                cur.execute(sql, (*plan_ids, digest))
                rows = cur.fetchall()
            finally:
                cur.close()
        except Exception:  # noqa: BLE001 - a broken connection: the app answers instead
            self._drop()
            return None
        finally:
            self._lock.release()
        if not rows or rows[0][0] != feed_id:
            return None
        return (rows[0][1], *sorted((r[2], r[3], r[4]) for r in rows if r[2] is not None))

    def _connect(self) -> Any:
        """A connection of the front's own (:func:`detached_connection`)."""
        self._conn = detached_connection(self.engine)
        return self._conn

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):  # already broken
                conn.close()
