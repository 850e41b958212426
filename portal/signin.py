"""Signing in without a link at hand, and what a ``/p/<token>`` URL stands for.

A page opened without a session offers "Kirim tautan masuk ke WhatsApp/email saya": the
person types the e-mail address or WhatsApp number the configuration has for them. When
it belongs to a configured person whose portal link is live, a **one-time sign-in
link** goes into the outbox to that address (the dispatcher sends it): 256 random bits,
only their SHA-256 stored, valid ``SIGN_IN_MINUTES``, used at most once, dead with a
rotation or revocation of the person's link. The answer never says whether anyone
matched. Requests are limited per identifier and per client address, counted in the
database (keyed hashes, no address kept in clear) so the limit holds across workers.

A ``/p/<token>`` URL is either a personal link (``monev.tokens``) or such a one-time
link; :func:`find_entry` tells which without changing anything (link-preview bots open
URLs too), :func:`consume` uses a one-time link up, in the caller's transaction."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.orm import Session

from monev.clock import utcnow
from monev.config import MonevConfig, Person, SatkerConfig
from monev.links import ensure_link, link_by_token, person_url
from monev.store import models as m
from monev.tokens import token_hash
from notifiers.outbox import enqueue_sign_in

SIGN_IN_MINUTES = 15  # how long a one-time sign-in link stays valid
WINDOW = timedelta(minutes=15)  # the rate limit's window
PER_IDENTIFIER = 3  # requests per e-mail address / WhatsApp number and window
PER_CLIENT = 10  # requests per client address and window (an office shares one NAT)
MAX_MATCHES = 3  # one address in several satkers: a link for each, at most this many

Outcome = Literal["sent", "limited", "unreadable"]


def normalise(typed: str) -> tuple[Literal["email", "whatsapp"], str] | None:
    """``("email", address)`` (any case) or ``("whatsapp", "+62…")`` (``0812…``, ``62 812…``,
    ``+62-812-…`` alike) from what a person typed; None when it is neither."""
    value = typed.strip()
    if "@" in value:
        ok = len(value) <= 200 and not re.search(r"\s", value)
        return ("email", value.casefold()) if ok else None
    digits = re.sub(r"[\s().-]", "", value).removeprefix("+")
    if not digits.isdigit():
        return None
    if digits.startswith("0"):
        digits = "62" + digits[1:]
    return ("whatsapp", f"+{digits}") if digits.startswith("62") and 10 <= len(digits) <= 15 \
        else None


def matching(cfg: MonevConfig, kind: str, value: str) -> list[tuple[SatkerConfig, Person]]:
    """Configured people whose e-mail address or WhatsApp number is ``value``."""
    def has(p: Person) -> bool:
        mine = p.email.casefold() if kind == "email" and p.email else \
            p.whatsapp if kind == "whatsapp" else None
        return mine == value

    return [(sc, p) for sc in cfg.satkers for p in sc.people if has(p)][:MAX_MATCHES]


def bucket(secret: bytes, kind: str, value: str) -> str:
    """The rate limit's key for an identifier or a client: a keyed hash, so the table
    holds no e-mail address, number or IP in clear."""
    return hmac.new(secret, f"sign-in|{kind}|{value}".encode(), hashlib.sha256).hexdigest()


def within_limit(session: Session, limits: dict[str, int], now: datetime) -> bool:
    """Count this request against each bucket unless one is full (then nothing is
    counted). On PostgreSQL concurrent requests take turns (a table lock, held to the
    end of this short transaction); SQLite writers always do."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE sign_in_request IN SHARE ROW EXCLUSIVE MODE"))
    since = now - WINDOW
    session.execute(delete(m.SignInRequest).where(m.SignInRequest.at < since))
    for key, limit in limits.items():
        used = session.scalar(select(func.count()).select_from(m.SignInRequest).where(
            m.SignInRequest.bucket == key, m.SignInRequest.at >= since)) or 0
        if used >= limit:
            return False
    session.add_all(m.SignInRequest(bucket=key, at=now) for key in limits)
    return True


@dataclass
class Requested:
    outcome: Outcome
    outbox_ids: list[int]  # rows to send now (none when nobody matched)


def request_sign_in(session: Session, cfg: MonevConfig, secret: bytes, typed: str,
                    client: str, next_path: str, base: str,
                    now: datetime | None = None) -> Requested:
    """Handle one "send me a sign-in link" request: rate limit, match, queue. The
    outcome is the same whether a person matched or not."""
    now = now or utcnow()
    found = normalise(typed[:300])
    limits = {bucket(secret, "client", client): PER_CLIENT}
    if found is not None:
        limits[bucket(secret, *found)] = PER_IDENTIFIER
    if not within_limit(session, limits, now):
        return Requested("limited", [])
    if found is None:
        return Requested("unreadable", [])
    session.execute(delete(m.SignInLink).where(m.SignInLink.expires_at < now - timedelta(days=1)))
    ids: list[int] = []
    for sc, person in matching(cfg, *found):
        made = ensure_link(session, sc.name, person.name, secret)
        if made is None:  # revoked: only the admin gives them a link again
            continue
        token = secrets.token_urlsafe(32)
        row = m.SignInLink(token_hash=token_hash(token), link_id=made[0].id,
                           nonce=made[0].nonce, next=next_path, created_at=now,
                           expires_at=now + timedelta(minutes=SIGN_IN_MINUTES))
        session.add(row)
        session.flush()
        queued = enqueue_sign_in(session, sc.name, sc.tz, person, found[0],
                                 person_url(base, token), f"masuk-{row.id}",
                                 row.expires_at, now)
        if queued is not None:
            ids.append(queued.id)
    return Requested("sent", ids)


@dataclass(frozen=True)
class Entry:
    """What a ``/p/<token>`` URL opens: whose link, which page, and the one-time link
    to use up (None for a personal link, which stays valid)."""

    link: m.PortalLink
    next: str
    once_id: int | None


def find_entry(session: Session, token: str, rest: str,
               now: datetime | None = None) -> Entry | None:
    """The live personal link (to page ``rest``) or unused, unexpired one-time link (to
    the page it was asked from) behind ``token``; reads only."""
    link = link_by_token(session, token)
    if link is not None:
        return Entry(link, rest, None)
    once = session.scalar(select(m.SignInLink).where(m.SignInLink.token_hash ==
                                                     token_hash(token)))
    if once is None or once.used_at is not None or once.expires_at <= (now or utcnow()):
        return None
    link = session.get(m.PortalLink, once.link_id)
    if link is None or link.revoked_at is not None or link.nonce != once.nonce:
        return None
    return Entry(link, once.next, once.id)


def spent_link_page(session: Session, token: str, link_id: int) -> str | None:
    """The page of a one-time link of ``link_id``'s person, used or expired or not: a
    person already signed in who taps it again simply goes there."""
    found = session.execute(select(m.SignInLink.link_id, m.SignInLink.next).where(
        m.SignInLink.token_hash == token_hash(token))).first()
    return found[1] if found is not None and found[0] == link_id else None


def consume(session: Session, entry: Entry, now: datetime | None = None) -> bool:
    """Use a one-time link up (exactly once, whoever races for it); True for a personal
    link."""
    if entry.once_id is None:
        return True
    now = now or utcnow()
    done = session.execute(update(m.SignInLink).where(
        m.SignInLink.id == entry.once_id, m.SignInLink.used_at.is_(None),
        m.SignInLink.expires_at > now).values(used_at=now))
    return bool(getattr(done, "rowcount", 0) == 1)
