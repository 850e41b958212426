"""PostgreSQL's word that a feed may have changed, for the feed front's 304s.

Migration 0021 makes every statement that writes the ``plan`` or ``feed`` table send
``NOTIFY monev_feeds`` (at commit; whatever process or machine wrote it). A thread of
each app process LISTENs on a connection of its own and counts what arrives: while the
count has not moved since a feed was checked against the database, the feed is as it
was checked, and its 304 needs no statement at all. Writes to other tables reach a
feed only through its plan's ``data_version`` — an update of ``plan`` too.

A notification arrives milliseconds after the commit; a calendar client asking within
those milliseconds gets the 304 it would have got a moment before. The count is trusted
only while the connection is known alive (a notification or a ping within
:data:`ALIVE_SECONDS`); a lost connection, a reconnect or a silent network all move
the count or stop the trust, and the front checks the database on every request as
it does on SQLite."""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Any

from sqlalchemy import Engine

from monev.store.db import detached_connection

CHANNEL = "monev_feeds"
PING_SECONDS = 5.0  # a quiet connection is pinged this often
ALIVE_SECONDS = 12.0  # trust lapses when nothing was heard for this long
RETRY_SECONDS = 2.0  # between attempts to listen again


class ChangeCount:
    """The number of change notifications heard, or None while it cannot be trusted."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._count = 0
        self._listening = False
        self._heard = 0.0  # monotonic time of the last notification or ping answered
        self._conn: Any = None
        self._started = False
        self._lock = threading.Lock()

    def current(self) -> int | None:
        """The count, when the listener is up and was heard from lately."""
        if not self._started:
            self._start()
        if not self._listening or time.monotonic() - self._heard > ALIVE_SECONDS:
            return None
        return self._count

    def _start(self) -> None:
        with self._lock:
            if not self._started:
                self._started = True
                threading.Thread(target=self._run, name="monev-feed-changes",
                                 daemon=True).start()

    def _run(self) -> None:
        while True:
            try:
                self._listen()
            except Exception:  # noqa: BLE001 - a lost connection: not trusted until back
                pass
            finally:
                self._listening = False
                self._count += 1
                self._close()
            time.sleep(RETRY_SECONDS)

    def _listen(self) -> None:
        conn = self._conn = detached_connection(self.engine)
        conn.execute(f"LISTEN {CHANNEL}")
        self._count += 1  # anything before LISTEN was not heard: check again
        self._heard, self._listening = time.monotonic(), True
        while True:
            for _ in conn.notifies(timeout=PING_SECONDS):
                self._count += 1
                self._heard = time.monotonic()
            conn.execute("SELECT 1")
            self._heard = time.monotonic()

    def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):  # already broken
                conn.close()
