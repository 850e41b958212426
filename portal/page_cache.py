"""Rendered portal pages (Tugas saya, the Papan) kept per session, so that an unchanged
page costs one indexed plain-SQL query and a dictionary lookup instead of reading the
satker's checkpoints, rendering and compressing again.

An entry is found by the session cookie's hash (so it is only ever given back to the
browser that holds that session: a page carries its session's CSRF token and its
person's work) and the page with its query, and is served only while

- the session is still live (the same checks as ``portal.sessions.current``: not
  expired, its link neither revoked nor rotated),
- every plan of the viewer's satker has the ``data_version`` and ``revision`` it had
  when the page was built (every write a page shows bumps them: monev/store/queries.py
  ``bump_plans``; a new or removed plan changes the list),
- the satker's day is the same (what is late, due this week or closed moves with it),
- and the page's own extra (the Papan's Prefect links, looked up every 5 minutes).

The configuration (people, roles, review tiers) is read once per process, so a change
there comes with a new process and an empty cache. Entries live in the process that
built them (bounded, least recently used first out, by bytes); the versions are read
from the database on every request, so several app processes stay correct."""

from __future__ import annotations

import gzip
import os
import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import date, datetime

from fastapi.responses import Response
from sqlalchemy import Connection, DateTime, Engine, Integer, String, text

from monev.clock import today, utcnow
from monev.errors import MonevError
from monev.tokens import token_hash

DEFAULT_MB = 32
MINIMUM_GZIP = 1024  # as monev.compress: smaller answers go out as they are
HTML = "text/html; charset=utf-8"
# The session's state and the versions of its satker's plans, in one indexed query.
_STATE = text(
    "SELECT s.id AS s_id, s.expires_at AS expires, s.nonce AS s_nonce, l.nonce AS l_nonce, "
    "l.revoked_at AS revoked, p.id AS p_id, p.data_version AS version, "
    "p.revision AS revision FROM portal_session s JOIN portal_link l ON l.id = s.link_id "
    "LEFT JOIN plan p ON p.satker_id = :satker WHERE s.token_hash = :h ORDER BY p.id"
).columns(s_id=Integer, expires=DateTime, s_nonce=String, l_nonce=String,
          revoked=DateTime, p_id=Integer, version=Integer, revision=Integer)


def cache_bytes() -> int:
    """``MONEV_PORTAL_CACHE_MB`` (default 32; 0 turns the cache off)."""
    raw = os.environ.get("MONEV_PORTAL_CACHE_MB", str(DEFAULT_MB))
    if not raw.isdigit() or int(raw) > 100_000:
        raise MonevError(f"MONEV_PORTAL_CACHE_MB={raw!r} bukan ukuran dalam MB (0–100000)")
    return int(raw) * 1024 * 1024


@dataclass(frozen=True, slots=True)
class State:
    """What an entry is valid for: the session, its satker's plans' versions, the day."""

    session_id: int
    versions: tuple[tuple[int, int, int], ...]
    day: date
    extra: Hashable


@dataclass(frozen=True, slots=True)
class Entry:
    state: State
    satker_id: int
    tz: str
    body: bytes  # gzip'd when ``gzipped``
    gzipped: bool
    size: int  # bytes it holds, its key's included

    def response(self, accepts_gzip: bool, headers: dict[str, str]) -> Response:
        if not self.gzipped:
            return Response(self.body, headers=headers, media_type=HTML)
        if accepts_gzip:  # the compression middleware leaves an encoded answer alone
            return Response(self.body, media_type=HTML, headers={
                **headers, "Content-Encoding": "gzip", "Vary": "Accept-Encoding"})
        return Response(gzip.decompress(self.body), headers=headers, media_type=HTML)


def read_state(conn: Connection, session_hash: str, satker_id: int, day: date,
               extra: Hashable, now: datetime | None = None) -> State | None:
    """The session's state now, or None when it is no longer live."""
    rows = conn.execute(_STATE, {"h": session_hash, "satker": satker_id}).all()
    if not rows:
        return None
    s_id, expires, s_nonce, l_nonce, revoked = rows[0][:5]
    if expires <= (now or utcnow()) or revoked is not None or s_nonce != l_nonce:
        return None
    return State(s_id, tuple((r[5], r[6], r[7]) for r in rows if r[5] is not None), day,
                 extra)


class PageCache:
    """Pages by (session cookie hash, page, query), least recently used out first."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.used = 0
        self._entries: OrderedDict[tuple[Hashable, ...], Entry] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def key(cookie: str, page: Hashable) -> tuple[Hashable, ...]:
        return (token_hash(cookie), page)

    def fresh(self, engine: Engine, key: tuple[Hashable, ...],
              extra: Hashable) -> Entry | None:
        """The entry of ``key`` if nothing it shows has changed since it was built."""
        with self._lock:
            hit = self._entries.get(key)
        if hit is None:
            return None
        with engine.connect() as conn:
            now = read_state(conn, str(key[0]), hit.satker_id, today(hit.tz), extra)
        if now != hit.state:
            return None
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
        return hit

    def store(self, key: tuple[Hashable, ...], state: State, satker_id: int, tz: str,
              html: bytes) -> Entry:
        gzipped = len(html) >= MINIMUM_GZIP
        body = gzip.compress(html, compresslevel=6, mtime=0) if gzipped else html
        # the key (a query string may be long), the state and the objects around them
        size = len(body) + len(repr(key)) + 64 * len(state.versions) + 400
        entry = Entry(state, satker_id, tz, body, gzipped, size)
        if entry.size > self.max_bytes:
            return entry
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self.used -= old.size
            self._entries[key] = entry
            self.used += entry.size
            while self.used > self.max_bytes:
                _, dropped = self._entries.popitem(last=False)
                self.used -= dropped.size
        return entry

    def __len__(self) -> int:
        return len(self._entries)
