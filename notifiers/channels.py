"""Apprise URLs per person and channel. Settings and secrets come from the environment
or, when a variable is unset and a Prefect server is configured, from the Prefect
Secret block of the same name in lower case with dashes (``monev-smtp-password``).

- email: ``MONEV_SMTP_HOST``, ``MONEV_SMTP_PORT`` (587), ``MONEV_SMTP_USER``,
  ``MONEV_SMTP_PASSWORD``, ``MONEV_SMTP_FROM``, ``MONEV_SMTP_MODE``
  (``starttls`` default → ``mailtos://``; ``plain`` → ``mailto://``; ``ssl``).
- whatsapp: ``MONEV_WHATSAPP_URL``, an Apprise URL with ``{phone}`` (``+62…``) or
  ``{phone_digits}`` (``62…``) and ``{token}``
  from ``MONEV_WHATSAPP_TOKEN``), e.g. a Fonnte/WAHA gateway through ``json://``,
  ``form://`` or their reply-checking twins ``wajson://``/``waform://``
  (:mod:`notifiers.gateway`), or the Cloud API ``whatsapp://{token}@PHONE_ID/{phone}``.
- telegram: ``MONEV_TELEGRAM_TOKEN``; the person's ``telegram`` chat id.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from urllib.parse import quote, urlencode

from monev.errors import MonevError


def secret_block_name(variable: str) -> str:
    """The Prefect Secret block standing in for an unset variable: MONEV_SMTP_PASSWORD →
    ``monev-smtp-password``."""
    return variable.lower().replace("_", "-")


_BLOCKS: dict[str, tuple[float, str]] = {}
BLOCK_TTL = 60.0  # seconds a looked-up block value (or its absence) is reused


def _from_secret_block(variable: str) -> str:
    """The value of the variable's Prefect Secret block, or "" (no server, no block)."""
    if not os.environ.get("PREFECT_API_URL"):
        return ""
    cached = _BLOCKS.get(variable)
    if cached and time.monotonic() - cached[0] < BLOCK_TTL:
        return cached[1]
    try:
        from prefect.blocks.system import Secret

        block = Secret.load(secret_block_name(variable), _sync=True)  # type: ignore[call-arg]
        value = str(block.get())  # type: ignore[union-attr]
    except Exception:  # noqa: BLE001 - a missing block means "not configured"
        value = ""
    _BLOCKS[variable] = (time.monotonic(), value)
    return value


def _get(env: Mapping[str, str], name: str, default: str = "") -> str:
    """Environment first, then a Prefect Secret block (for secrets and hosts alike)."""
    return env.get(name) or _from_secret_block(name) or default


def _need(env: Mapping[str, str], name: str) -> str:
    value = _get(env, name)
    if not value:
        raise MonevError(f"variabel lingkungan {name} belum diisi (atau blok Secret "
                         f"Prefect '{secret_block_name(name)}')")
    return value


def apprise_url(channel: str, address: str, env: Mapping[str, str] | None = None) -> str:
    """The Apprise URL that delivers one message to ``address`` over ``channel``."""
    env = os.environ if env is None else env
    if channel == "email":
        host = _need(env, "MONEV_SMTP_HOST")
        mode = env.get("MONEV_SMTP_MODE", "starttls")
        scheme = "mailto" if mode == "plain" else "mailtos"
        port = env.get("MONEV_SMTP_PORT", "465" if mode == "ssl" else "587")
        user, password = _get(env, "MONEV_SMTP_USER"), _get(env, "MONEV_SMTP_PASSWORD")
        auth = f"{quote(user, safe='')}:{quote(password, safe='')}@" if user else ""
        query = {"from": _need(env, "MONEV_SMTP_FROM"), "name": "Monev", "to": address,
                 "format": "text"}
        if mode in ("ssl", "starttls"):
            query["mode"] = mode
        return f"{scheme}://{auth}{host}:{port}?{urlencode(query)}"
    if channel == "whatsapp":
        template = _need(env, "MONEV_WHATSAPP_URL")
        return template.replace("{phone}", quote(address, safe="+")).replace(
            "{phone_digits}", address.lstrip("+")).replace(
            "{token}", quote(_get(env, "MONEV_WHATSAPP_TOKEN"), safe=""))
    if channel == "telegram":
        return f"tgram://{_need(env, 'MONEV_TELEGRAM_TOKEN')}/{address}"
    raise MonevError(f"kanal tidak dikenal: {channel}")


def redact(url: str) -> str:
    """The URL without credentials, for logs and error messages."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url.split("?", 1)[0]


def is_cloud_template(url: str) -> bool:
    """A WhatsApp Cloud API URL naming an approved template (``whatsapp://TPL:TOKEN@…``)."""
    return url.startswith("whatsapp://") and ":" in url[len("whatsapp://"):].split("@", 1)[0]
