"""The token that ties an e-mail reply to the message it answers: the outbox row's id
with an HMAC of it under the server secret (``monev.tokens.server_secret``). It names
one person's message of one day, reveals no name and cannot be made up; it travels in
``Reply-To: bukti+<token>@domain`` and in ``Message-ID: <monev-<token>@domain>``."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

TOKEN_RE = re.compile(r"(\d{1,12}-[a-z2-7]{16})")


def make_token(outbox_id: int, secret: bytes) -> str:
    """``<id>-<16 base32 letters of HMAC>``: short enough for an address's local part."""
    mac = hmac.new(secret, f"balasan|{outbox_id}".encode(), hashlib.sha256).digest()[:10]
    return f"{outbox_id}-{base64.b32encode(mac).decode().lower()}"


def read_token(token: str, secret: bytes) -> int | None:
    """The outbox id a token names, or None when it was not made with this secret."""
    found = TOKEN_RE.fullmatch(token or "")
    if found is None:
        return None
    outbox_id = int(token.split("-", 1)[0])
    return outbox_id if hmac.compare_digest(make_token(outbox_id, secret), token) else None


def reply_headers(outbox_id: int, reply_address: str, secret: bytes) -> tuple[str, str]:
    """(Reply-To, Message-ID) of an outgoing e-mail: ``bukti+<token>@domain``."""
    local, _, domain = reply_address.strip().rpartition("@")
    token = make_token(outbox_id, secret)
    return f"{local}+{token}@{domain}", f"<monev-{token}@{domain}>"
