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
import secrets
from pathlib import Path


def server_secret(home: Path) -> bytes:
    """The server's link secret (environment first, then a private file)."""
    value = os.environ.get("MONEV_FEED_SECRET")
    if value:
        return value.encode()
    path = home / "feed-secret"
    if not path.exists():
        home.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            return path.read_text().strip().encode()
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return path.read_text().strip().encode()


def new_nonce() -> str:
    return secrets.token_hex(16)


def token_for(nonce: str, secret: bytes) -> str:
    raw = bytes.fromhex(nonce)
    mac = hmac.new(secret, raw, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(raw + mac).decode().rstrip("=")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def looks_like_token(text: str) -> bool:
    """Cheap shape check before any database work (43 base64url characters)."""
    return len(text) == 43 and all(c.isalnum() or c in "-_" for c in text)
