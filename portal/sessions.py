"""Browser sessions of the portal and their CSRF tokens.

Opening a personal link sets one cookie: 256 random bits, stored only as SHA-256,
``HttpOnly``, ``SameSite=Lax``, ``Secure`` when the public URL is https, with an
expiry (``MONEV_PORTAL_SESSION_HOURS``, default 7 days). A session ends at its expiry,
or at once when its link is revoked or rotated. Every POST carries a CSRF token
derived from the session (HMAC with the server secret), compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from monev.clock import utcnow
from monev.store import models as m
from monev.tokens import token_hash

COOKIE = "monev_sesi"


def session_hours() -> float:
    return float(os.environ.get("MONEV_PORTAL_SESSION_HOURS", str(7 * 24)))


@dataclass(frozen=True)
class Opened:
    cookie: str
    expires_at: datetime


def open_session(session: Session, link: m.PortalLink, now: datetime | None = None) -> Opened:
    """A new session for the person of ``link`` (expired ones are cleared on the way)."""
    now = now or utcnow()
    session.execute(delete(m.PortalSession).where(m.PortalSession.expires_at < now))
    cookie = secrets.token_urlsafe(32)
    expires = now + timedelta(hours=session_hours())
    session.add(m.PortalSession(token_hash=token_hash(cookie), link_id=link.id,
                                nonce=link.nonce, created_at=now, expires_at=expires))
    return Opened(cookie, expires)


@dataclass(frozen=True)
class Current:
    session_id: int
    link: m.PortalLink
    cookie: str


def current(session: Session, cookie: str | None,
            now: datetime | None = None) -> Current | None:
    """The live session behind a cookie: unexpired, link neither revoked nor rotated."""
    if not cookie or len(cookie) > 100:
        return None
    row = session.execute(
        select(m.PortalSession, m.PortalLink).join(
            m.PortalLink, m.PortalLink.id == m.PortalSession.link_id)
        .where(m.PortalSession.token_hash == token_hash(cookie))).tuples().first()
    if row is None:
        return None
    sess, link = row
    if sess.expires_at <= (now or utcnow()) or link.revoked_at is not None \
            or link.nonce != sess.nonce:
        return None
    return Current(sess.id, link, cookie)


def csrf_token(secret: bytes, cookie: str) -> str:
    return hmac.new(secret, b"csrf|" + cookie.encode(), hashlib.sha256).hexdigest()


def csrf_ok(secret: bytes, cookie: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(csrf_token(secret, cookie), given or "")


def end_session(session: Session, session_id: int) -> None:
    session.execute(delete(m.PortalSession).where(m.PortalSession.id == session_id))
