"""Feed subscriptions (create, list, rotate, revoke) and the rendered-feed cache used by
the HTTP app and the publisher. Every feed is rendered from stored data only, so the
same data always gives the same bytes, the same strong ETag and the same
Last-Modified."""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import format_datetime
from functools import cached_property
from urllib.parse import quote

from sqlalchemy import Connection, func, select, text
from sqlalchemy.orm import Session

from calendars.events import FeedScope, render_scope, resolve
from calendars.tokens import new_nonce, token_for, token_hash
from monev.clock import utcnow
from monev.config import MonevConfig
from monev.errors import MonevError
from monev.store import models as m
from monev.store.queries import find_plan, plan_versions

SCOPES = ("plan", "area", "person", "province", "index")
CACHE_CONTROL = "private, max-age=300, must-revalidate"


def create_feed(session: Session, secret: bytes, scope: str, label: str,
                plan: str | None = None, value: str = "", satker: str | None = None,
                cfg: MonevConfig | None = None) -> tuple[m.Feed, str]:
    """A new subscription; returns the row and its token (shown once, stored hashed)."""
    if scope not in SCOPES:
        raise MonevError(f"cakupan '{scope}' tidak dikenal; pilih {', '.join(SCOPES)}")
    feed = m.Feed(scope=scope, label=label, value=value, created_at=datetime.utcnow())
    if scope in ("plan", "area"):
        if not plan:
            raise MonevError("--plan wajib untuk kalender rencana aksi atau area")
        row, sat = find_plan(session, plan)
        feed.plan_id, feed.satker_id = row.id, sat.id
        if scope == "area":
            areas = list(session.scalars(select(m.Area.name).where(m.Area.plan_id == row.id)))
            match = [a for a in areas if a.casefold() == value.casefold()] or \
                [a for a in areas if value.casefold() in a.casefold()]
            if len(match) != 1:
                raise MonevError(f"area '{value}' tidak jelas di {plan}; pilih salah satu: "
                                 + "; ".join(areas))
            feed.value = match[0]
    elif scope in ("person", "index"):
        if not satker:
            raise MonevError("--satker wajib untuk kalender orang atau halaman indeks")
        sat_row = session.scalar(select(m.Satker).where(
            (m.Satker.slug == satker) | (m.Satker.name == satker)))
        if sat_row is None:
            raise MonevError(f"satker '{satker}' belum punya rencana aksi tersimpan")
        feed.satker_id = sat_row.id
        if scope == "person":
            sc = cfg.satker(sat_row.name) if cfg else None
            names = [p.name for p in sc.people] if sc else []
            found = [n for n in names if n.casefold() == value.casefold()]
            if not found:
                raise MonevError(f"'{value}' tidak ada di konfigurasi {sat_row.name}")
            feed.value = found[0]
    elif not value:
        raise MonevError("nama provinsi wajib untuk kalender provinsi")
    token = _new_token(session, feed, secret)
    session.add(feed)
    session.flush()
    return feed, token


def _new_token(session: Session, feed: m.Feed, secret: bytes) -> str:
    feed.nonce = new_nonce()
    token = token_for(feed.nonce, secret)
    feed.token_hash = token_hash(token)
    return token


def rotate_feed(session: Session, feed_id: int, secret: bytes) -> str:
    """A new token for the same feed: the old link stops working at once."""
    feed = _active(session, feed_id)
    feed.rotated_at = datetime.utcnow()
    return _new_token(session, feed, secret)


def revoke_feed(session: Session, feed_id: int) -> None:
    _active(session, feed_id).revoked_at = datetime.utcnow()


def _active(session: Session, feed_id: int) -> m.Feed:
    feed = session.get(m.Feed, feed_id)
    if feed is None or feed.revoked_at is not None:
        raise MonevError(f"feed {feed_id} tidak ada atau sudah dicabut")
    return feed


def first_active(session: Session, scope: str, plan_id: int | None = None,
                 satker_id: int | None = None) -> m.Feed | None:
    """The oldest unrevoked feed of a scope for a plan or satker (``monev up`` reuses it)."""
    query = select(m.Feed).where(m.Feed.scope == scope, m.Feed.revoked_at.is_(None))
    if plan_id is not None:
        query = query.where(m.Feed.plan_id == plan_id)
    if satker_id is not None:
        query = query.where(m.Feed.satker_id == satker_id)
    return session.scalar(query.order_by(m.Feed.id))


def feed_by_token(session: Session, token: str) -> m.Feed | None:
    return session.scalar(select(m.Feed).where(m.Feed.token_hash == token_hash(token),
                                               m.Feed.revoked_at.is_(None)))


def feed_links(base_url: str, token: str) -> dict[str, str]:
    """https, webcal:// and Google Calendar "add by URL" links of one feed."""
    url = f"{base_url.rstrip('/')}/feeds/{token}.ics"
    webcal = "webcal://" + url.split("://", 1)[1]
    return {"url": url, "webcal": webcal,
            "google": "https://calendar.google.com/calendar/r?cid=" + quote(webcal, safe="")}


def last_modified(session: Session, plan_ids: tuple[int, ...]) -> datetime:
    """Newest change of anything in the feed (checkpoint or plan revision), UTC, and
    never later than now: a Last-Modified ahead of the response's own Date makes a
    client's If-Modified-Since fail for ever."""
    newest = session.execute(
        select(func.max(m.Checkpoint.updated_at), func.max(m.Plan.updated_at))
        .join(m.Checkpoint.item).join(m.Item.plan)
        .where(m.Item.plan_id.in_(plan_ids))).one()
    stamps = [s for s in newest if s is not None]
    moment = min(max(stamps) if stamps else datetime(2000, 1, 1), utcnow())
    return moment.replace(tzinfo=UTC, microsecond=0)


@dataclass(frozen=True)
class Rendered:
    body: bytes
    etag: str  # strong, quoted
    modified: datetime  # UTC, whole seconds

    @property
    def http_date(self) -> str:
        return format_datetime(self.modified, usegmt=True)

    @cached_property
    def headers_304(self) -> list[tuple[bytes, bytes]]:
        """The raw headers of its 304, made once (``conditional.FeedFront``)."""
        return [(b"etag", self.etag.encode()), (b"last-modified", self.http_date.encode()),
                (b"cache-control", CACHE_CONTROL.encode())]


@dataclass(frozen=True)
class _Entry:
    feed_id: int
    scope: FeedScope
    key: tuple[object, ...]
    rendered: Rendered


_ALIVE = text("SELECT id FROM feed WHERE token_hash = :h AND revoked_at IS NULL")


class FeedCache:
    """Rendered feeds, kept with the plans' data versions they were rendered from. An
    unchanged feed is answered by :meth:`fresh` with two indexed plain-SQL queries (the
    token still valid? the plans' versions) and a comparison — no ORM, no aggregate
    over the checkpoints, no render. Event URLs point at the checkpoint page of the app
    at ``base_url`` (none when publishing without one)."""

    def __init__(self, cfg: MonevConfig, base_url: str | None,
                 horizon_days: int | None = None) -> None:
        self.cfg, self.base_url = cfg, base_url
        self.horizon_days = horizon_days if horizon_days is not None else int(
            os.environ.get("MONEV_FEED_HORIZON_DAYS", "180"))
        self._entries: dict[str, _Entry] = {}  # by token hash
        self.front_304 = 0  # 304s answered from memory by ``conditional.FeedFront``
        self._lock = threading.Lock()

    def _key(self, conn: Session | Connection, digest: str, scope: FeedScope,
             today: date) -> tuple[object, ...]:
        return (digest, today, plan_versions(conn, scope.plan_ids))

    def fresh(self, conn: Connection, token: str, today: date) -> Rendered | None:
        """The cached feed if its token is valid and nothing it shows changed; None
        means "take the full path" (:meth:`get`). No feed depends on a portal link (a
        person's events carry tokenless page URLs), so a person's feed is cached too."""
        digest = token_hash(token)
        with self._lock:
            hit = self._entries.get(digest)
        if hit is None:
            return None
        if conn.execute(_ALIVE, {"h": digest}).scalar() != hit.feed_id:
            return None
        return hit.rendered if self._key(conn, digest, hit.scope, today) == hit.key \
            else None

    def entry(self, digest: str) -> _Entry | None:
        """The cached feed of a token hash as rendered, unchecked (``conditional``)."""
        with self._lock:
            return self._entries.get(digest)

    def get(self, session: Session, feed: m.Feed, token: str, today: date) -> Rendered:
        with self._lock:
            hit = self._entries.get(feed.token_hash)
        if hit is not None and hit.feed_id == feed.id and self._key(
                session, feed.token_hash, hit.scope, today) == hit.key:
            return hit.rendered
        scope = resolve(session, feed, self.cfg)
        key = self._key(session, feed.token_hash, scope, today)
        base = self.base_url.rstrip("/") if self.base_url else None
        body = render_scope(session, scope, self.cfg, today, self.horizon_days,
                            lambda ref: f"{base}/feeds/{token}/c/{ref}" if base else None,
                            base)
        rendered = Rendered(body, f'"{hashlib.sha256(body).hexdigest()[:40]}"',
                            last_modified(session, scope.plan_ids))
        with self._lock:
            self._entries[feed.token_hash] = _Entry(feed.id, scope, key, rendered)
        return rendered
