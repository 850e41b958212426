"""Feed tokens: unguessable, stored hashed, revocable and rotatable.

The scheme is the one of every secret link of monev (``monev.tokens``): 128 random
bits plus a 128-bit MAC; the database keeps the nonce and the token's SHA-256 only."""

from __future__ import annotations

from monev.tokens import looks_like_token, new_nonce, token_for, token_hash
from monev.tokens import server_secret as feed_secret

__all__ = ["feed_secret", "looks_like_token", "new_nonce", "token_for", "token_hash"]
