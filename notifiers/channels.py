"""Apprise URLs per person and channel. Settings and secrets come from the environment
or, when a variable is unset and a Prefect server is configured, from the Prefect
Secret block of the same name in lower case with dashes (``monev-smtp-password``).

- email: ``MONEV_SMTP_HOST``, ``MONEV_SMTP_PORT`` (587), ``MONEV_SMTP_USER``,
  ``MONEV_SMTP_PASSWORD``, ``MONEV_SMTP_FROM``, ``MONEV_SMTP_MODE``,
  ``MONEV_SMTP_TIMEOUT`` (seconds to wait for the server, 30)
  (``starttls`` default; ``plain``; ``ssl``) → ``smtp(s)://``, our pooled e-mail plugin
  with Apprise's ``mailto(s)://`` syntax (:mod:`notifiers.smtp`).
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
from notifiers import redaction
from notifiers.redaction import SECRET_VARIABLES, remember, remember_template


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
    if variable in SECRET_VARIABLES:
        remember(value)  # never printed by any log line from now on
    _BLOCKS[variable] = (time.monotonic(), value)
    return value


def _get(env: Mapping[str, str], name: str, default: str = "") -> str:
    """Environment first, then a Prefect Secret block (for secrets and hosts alike)."""
    return env.get(name) or _from_secret_block(name) or default


def setting(name: str, default: str = "") -> str:
    """A setting or secret from the environment, else its Prefect Secret block."""
    return _get(os.environ, name, default)


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
        scheme = "smtp" if mode == "plain" else "smtps"
        port = env.get("MONEV_SMTP_PORT", "465" if mode == "ssl" else "587")
        user, password = _get(env, "MONEV_SMTP_USER"), _get(env, "MONEV_SMTP_PASSWORD")
        remember(password)
        auth = f"{quote(user, safe='')}:{quote(password, safe='')}@" if user else ""
        query = {"from": _need(env, "MONEV_SMTP_FROM"), "name": "Monev", "to": address,
                 "format": "text", "cto": env.get("MONEV_SMTP_TIMEOUT", "30")}
        if mode in ("ssl", "starttls"):
            query["mode"] = mode
        return f"{scheme}://{auth}{host}:{port}?{urlencode(query)}"
    if channel == "whatsapp":
        template = _need(env, "MONEV_WHATSAPP_URL")
        token = _get(env, "MONEV_WHATSAPP_TOKEN")
        remember(token)
        remember_template(template)
        return patient(template.replace("{phone}", quote(address, safe="+")).replace(
            "{phone_digits}", address.lstrip("+")).replace("{token}", quote(token, safe="")))
    if channel == "telegram":
        token = _need(env, "MONEV_TELEGRAM_TOKEN")
        remember(token)
        return patient(f"tgram://{token}/{address}")
    raise MonevError(f"kanal tidak dikenal: {channel}")


READ_TIMEOUT = 30  # seconds an HTTP service may take to answer (Apprise's default: 4)


def patient(url: str) -> str:
    """Give an HTTP service time to answer (``rto=``) unless the URL says otherwise: a
    gateway slower than Apprise's 4 s would otherwise leave messages "uncertain"."""
    if "rto=" in url:
        return url
    return f"{url}{'&' if '?' in url else '?'}rto={READ_TIMEOUT}"


def redact(url: str) -> str:
    """The URL as Apprise prints it with ``privacy=True`` (each plugin knows which parts
    of its path and user info are secret: bot tokens, access tokens, passwords), without
    the query, where headers (``+X-Api-Key=``) and API keys travel in the clear."""
    import apprise  # slow to import: loaded by the commands that redact a URL only

    from notifiers.plugins import register

    register()
    plugin = apprise.Apprise.instantiate(url)
    if plugin is None:
        return f"{url.split('://', 1)[0]}://…"
    return str(plugin.url(privacy=True)).split("?", 1)[0]  # type: ignore[no-untyped-call]


def mask_secrets(text: str, env: Mapping[str, str] | None = None) -> str:
    """``text`` with every configured secret value (and its URL-quoted form) replaced
    by ``***``: a token a plugin cannot know is secret (e.g. in a ``json://`` path) still
    never reaches an error message. The same masking as the log filter
    (:func:`notifiers.redaction.redact`)."""
    env = os.environ if env is None else env
    remember(*(_get(env, name) for name in SECRET_VARIABLES))
    return redaction.redact(text)


def is_cloud_template(url: str) -> bool:
    """A WhatsApp Cloud API URL naming an approved template (``whatsapp://TPL:TOKEN@…``)."""
    return url.startswith("whatsapp://") and ":" in url[len("whatsapp://"):].split("@", 1)[0]
