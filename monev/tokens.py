"""Secret link tokens, shared by calendar feeds and personal portal links.

A token is ``base64url(nonce ‖ HMAC-SHA256(secret, nonce)[:16])``: 128 random bits
plus 128 bits of MAC, 43 characters. The database keeps the nonce and the token's
SHA-256 — enough to find a row by its token, not enough to make one: that also needs
the server secret (``MONEV_FEED_SECRET``, or ``MONEV_HOME/feed-secret`` created once
with mode 0600). With the secret the server can show a link again (index pages,
messages); rotating draws a new nonce, so the old link stops working at once."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path

from monev.errors import MonevError
from monev.store.db import ensure_home

MIN_SECRET_CHARS = 32


def server_secret(home: Path | None = None) -> bytes:
    """The server's link secret: ``MONEV_FEED_SECRET``, else ``home/feed-secret``
    (created once, atomically, mode 0600). A short or empty secret is refused: it would
    make every link guessable."""
    value = os.environ.get("MONEV_FEED_SECRET", "").strip()
    if value:
        return _checked(value, "MONEV_FEED_SECRET")
    if home is None:
        home = ensure_home()
    path = home / "feed-secret"
    if not path.exists():
        _create_secret(path)
    return _checked(path.read_text().strip(), str(path))


def _create_secret(path: Path) -> None:
    """Write a new secret to a private temp file, then link it into place: concurrent
    first uses all end up with the one secret that won, never an empty file."""
    tmp = path.with_name(f".feed-secret.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
            f.flush()
            os.fsync(f.fileno())
        os.link(tmp, path)
    except FileExistsError:
        pass  # another process won the race: use its secret
    finally:
        tmp.unlink(missing_ok=True)


def _checked(secret: str, where: str) -> bytes:
    if len(secret) < MIN_SECRET_CHARS:
        raise MonevError(f"rahasia tautan di {where} terlalu pendek ({len(secret)} karakter; "
                         f"minimal {MIN_SECRET_CHARS}); isi dengan nilai acak panjang, mis. "
                         "`openssl rand -hex 32` (semua tautan lama berhenti)")
    return secret.encode()


def new_nonce() -> str:
    return secrets.token_hex(16)


def token_for(nonce: str, secret: bytes) -> str:
    raw = bytes.fromhex(nonce)
    mac = hmac.new(secret, raw, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(raw + mac).decode().rstrip("=")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")


def looks_like_token(text: str) -> bool:
    """Cheap shape check before any database work (43 base64url characters)."""
    return _TOKEN_SHAPE.fullmatch(text) is not None
