"""Apprise URLs per person and channel. Secrets come from the environment only.

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
from collections.abc import Mapping
from urllib.parse import quote, urlencode

from monev.errors import MonevError


def _need(env: Mapping[str, str], name: str) -> str:
    value = env.get(name)
    if not value:
        raise MonevError(f"variabel lingkungan {name} belum diisi")
    return value


def apprise_url(channel: str, address: str, env: Mapping[str, str] | None = None) -> str:
    """The Apprise URL that delivers one message to ``address`` over ``channel``."""
    env = os.environ if env is None else env
    if channel == "email":
        host = _need(env, "MONEV_SMTP_HOST")
        mode = env.get("MONEV_SMTP_MODE", "starttls")
        scheme = "mailto" if mode == "plain" else "mailtos"
        port = env.get("MONEV_SMTP_PORT", "465" if mode == "ssl" else "587")
        user, password = env.get("MONEV_SMTP_USER", ""), env.get("MONEV_SMTP_PASSWORD", "")
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
            "{token}", quote(env.get("MONEV_WHATSAPP_TOKEN", ""), safe=""))
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
