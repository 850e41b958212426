"""Personal links: one per person of the configuration, no password to forget — a core
concept that messages, feeds, reports and the portal all use (the portal serves them).

The token is made and stored exactly like a feed token (``monev.tokens``): 128 random
bits plus a 128-bit MAC, only its SHA-256 and nonce in ``portal_link``. Opening
``/p/<token>`` (and its "Masuk" button, ``portal.routes.auth``) starts a browser
session; ``/p/<token>/c/<id>`` goes to one checkpoint — every digest, which goes to
the person alone, links its items that way. What third parties store (calendar feeds,
report files, Prefect artifacts) carries tokenless page URLs (``/portal/c/<id>``)
instead. Rotating draws a new nonce (the old link and its sessions end at once);
revoking ends it."""

from __future__ import annotations

import os
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from monev.clock import utcnow
from monev.config import MonevConfig, Person, SatkerConfig
from monev.errors import MonevError
from monev.store import models as m
from monev.store.imports import slugify
from monev.store.outbox import Delivery
from monev.tokens import new_nonce, server_secret, token_for, token_hash

PATHS = ("", "papan", "verifikasi", "kalender", "laporan")  # /p/<token>/<path> targets


def http_host() -> str:
    """Where the HTTP app listens (``MONEV_HTTP_HOST``, default 127.0.0.1)."""
    return os.environ.get("MONEV_HTTP_HOST") or "127.0.0.1"


def public_url() -> str:
    """What links say: ``MONEV_PUBLIC_URL``, else the address the app listens on."""
    host = http_host()
    host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    host = f"[{host}]" if ":" in host else host
    return os.environ.get("MONEV_PUBLIC_URL") or \
        f"http://{host}:{os.environ.get('MONEV_HTTP_PORT', '8000')}"


def base_url() -> str:
    """Where links point: ``MONEV_PUBLIC_URL``, else the app ``monev up`` serves."""
    return public_url().rstrip("/")


def find_person(cfg: MonevConfig, name: str,
                satker: str | None = None) -> tuple[SatkerConfig, Person]:
    """A configured person by name (any case); ``satker`` when the name is not unique."""
    wanted = name.strip().casefold()
    found = [(sc, p) for sc in cfg.satkers for p in sc.people
             if p.name.casefold() == wanted and (
                 satker is None or satker.casefold() in (sc.name.casefold(),
                                                         slugify(sc.name)))]
    if not found:
        raise MonevError(f"'{name}' tidak ada di konfigurasi"
                         + (f" satker {satker}" if satker else ""))
    if len(found) > 1:
        raise MonevError(f"'{name}' ada di beberapa satker ("
                         + ", ".join(sc.name for sc, _ in found) + "); tambahkan --satker")
    return found[0]


def link_row(session: Session, satker: str, person: str) -> m.PortalLink | None:
    return session.scalar(select(m.PortalLink).where(m.PortalLink.satker == satker,
                                                     m.PortalLink.person == person))


def _set_token(row: m.PortalLink, secret: bytes) -> str:
    row.nonce = new_nonce()
    token = token_for(row.nonce, secret)
    row.token_hash = token_hash(token)
    return token


def ensure_link(session: Session, satker: str, person: str,
                secret: bytes) -> tuple[m.PortalLink, str] | None:
    """The person's link, made on first need; None once it was revoked (only a
    rotation by the admin gives them a new one). Safe when two processes race."""
    row = link_row(session, satker, person)
    if row is None:
        row = m.PortalLink(satker=satker, person=person, created_at=utcnow())
        token = _set_token(row, secret)
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:
            row = link_row(session, satker, person)
            if row is None:
                raise
        else:
            return row, token
    if row.revoked_at is not None:
        return None
    return row, token_for(row.nonce, secret)


def rotate_link(session: Session, satker: str, person: str, secret: bytes) -> str:
    """A new token (also for a revoked link): the old link and its sessions end."""
    row = link_row(session, satker, person)
    if row is None:
        made = ensure_link(session, satker, person, secret)
        assert made is not None
        return made[1]
    row.rotated_at, row.revoked_at = utcnow(), None
    return _set_token(row, secret)


def revoke_link(session: Session, satker: str, person: str) -> None:
    row = link_row(session, satker, person)
    if row is None or row.revoked_at is not None:
        raise MonevError(f"{person} belum punya tautan aktif")
    row.revoked_at = utcnow()


def link_by_token(session: Session, token: str) -> m.PortalLink | None:
    return session.scalar(select(m.PortalLink).where(
        m.PortalLink.token_hash == token_hash(token), m.PortalLink.revoked_at.is_(None)))


def person_url(base: str, token: str, path: str = "") -> str:
    return f"{base}/p/{token}" + (f"/{path}" if path else "")


class LinkBook:
    """Personal links for one batch of messages or one feed: each person's token
    looked up (or made) once. ``url`` is None for a person whose link was revoked."""

    def __init__(self, session: Session, base: str | None = None,
                 secret: bytes | None = None) -> None:
        self.session = session
        self.base = base if base is not None else base_url()
        self._secret = secret
        self._tokens: dict[tuple[str, str], str | None] = {}

    @property
    def secret(self) -> bytes:
        if self._secret is None:
            self._secret = server_secret()
        return self._secret

    def preload(self, satker: str, people: Iterable[str]) -> None:
        """Look up the links of these people of ``satker`` in one query (those not made
        yet are made on first use, as always)."""
        wanted = set(people) - {p for s, p in self._tokens if s == satker}
        if not wanted:
            return
        rows = self.session.scalars(select(m.PortalLink).where(
            m.PortalLink.satker == satker, m.PortalLink.person.in_(sorted(wanted))))
        for row in rows:
            self._tokens[satker, row.person] = (token_for(row.nonce, self.secret)
                                                if row.revoked_at is None else None)

    def token(self, satker: str, person: str) -> str | None:
        key = (satker, person)
        if key not in self._tokens:
            made = ensure_link(self.session, satker, person, self.secret)
            self._tokens[key] = made[1] if made else None
        return self._tokens[key]

    def url(self, satker: str, person: str, path: str = "") -> str:
        token = self.token(satker, person)
        return person_url(self.base, token, path) if token else ""


def attach_links(session: Session, satker: SatkerConfig, plan_id: int,
                 deliveries: Iterable[Delivery], ids: dict[str, int] | None = None) -> None:
    """Give every item of a batch of digests the recipient's own link to its page
    (the checkpoint; the Papan for a monev summary). Messages never tell anyone to
    run a command: the link is how they act. ``ids`` (ref → checkpoint id of the
    plan's active rows), when the caller has read them already."""
    deliveries = list(deliveries)
    if ids is None:
        refs = {i["ref"] for d in deliveries for i in d.items if i.get("ref")}
        ids = _checkpoint_ids(session, plan_id, refs)
    book = LinkBook(session)
    book.preload(satker.name, (d.person.name for d in deliveries))
    for d in deliveries:
        home = book.url(satker.name, d.person.name)
        for it in d.items:
            cp_id = ids.get(it.get("ref", ""))
            path = f"c/{cp_id}" if cp_id else ("papan" if it["kind"] == "monev" else "")
            it["link"] = f"{home}/{path}" if home and path else home


def _checkpoint_ids(session: Session, plan_id: int, refs: set[str]) -> dict[str, int]:
    if not refs:
        return {}
    keys = {r.split("@", 1)[0] for r in refs}
    rows = session.execute(select(m.Checkpoint.id, m.Item.key, m.Checkpoint.period)
                           .join(m.Checkpoint.item).where(m.Item.plan_id == plan_id,
                                                          m.Item.key.in_(keys))).tuples()
    return {f"{key}@{period}": cp_id for cp_id, key, period in rows
            if f"{key}@{period}" in refs}
