"""No secret in any log line. Apprise (and the HTTP libraries under it) log the URLs
they use — Telegram's bot token in its path, a gateway's token in a header or in its
path — at levels Prefect's logging or an admin's DEBUG setting print. A
:class:`Redact` filter on those loggers and on every handler monev adds masks:

- every secret value monev configured or used (the variables of
  :data:`SECRET_VARIABLES`, and each value :func:`notifiers.channels.apprise_url` puts
  in a URL, whatever its source: environment, a Prefect Secret block, a test's env);
- token-shaped parts of the URLs of known schemes (``tgram://TOKEN/``, ``/botTOKEN/``,
  ``whatsapp://[TEMPLATE:]TOKEN@``, passwords in ``user:password@``, ``Bearer …``,
  query keys such as ``+X-Api-Key=``) and the path part a gateway template puts
  ``{token}`` in, even when the value itself was never seen."""

from __future__ import annotations

import logging
import os
import re
from urllib.parse import quote

SECRET_VARIABLES = ("MONEV_SMTP_PASSWORD", "MONEV_WHATSAPP_TOKEN", "MONEV_TELEGRAM_TOKEN",
                    "MONEV_IMAP_PASSWORD")
LOGGERS = ("apprise", "httpx", "urllib3.connectionpool")  # what logs request URLs
MASK = "***"
_KNOWN: set[str] = set()
_TEMPLATES: dict[str, re.Pattern[str]] = {}

_SHAPES = (
    re.compile(r"(?P<keep>tgram://)[^/\s?]+"),
    re.compile(r"(?P<keep>/bot)\d+:[\w-]+"),  # https://api.telegram.org/bot<TOKEN>/…
    re.compile(r"(?P<keep>whatsapp://(?:[^:@/\s]+:)?)[^:@/\s]+(?=@)"),
    re.compile(r"(?P<keep>\b[a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@/\s]+(?=@)", re.I),
    re.compile(r"(?P<keep>\bBearer\s+)[^\s'\"]+", re.I),
    re.compile(r"(?P<keep>[?&](?:%2B|\+)?[\w-]*(?:key|token|auth|secret|pass)[\w-]*=)[^&\s'\"]+",
               re.I),
    re.compile(r"(?P<keep>\b\d{6,12}:)[A-Za-z0-9_-]{30,}"),  # a bare Telegram bot token
)


def remember(*values: str) -> None:
    """Secrets to mask from now on (values under 4 characters are no secret)."""
    for value in values:
        if len(value) >= 4:
            _KNOWN.update({value, quote(value, safe="")})


def remember_template(template: str) -> None:
    """A gateway URL template: whatever stands where it puts ``{token}`` in its path
    is masked (``json://gw:8080/api/{token}/send`` → ``gw:8080/api/***``)."""
    if template in _TEMPLATES or "{token}" not in template:
        return
    body = template.split("://", 1)[-1].split("?", 1)[0]
    if "{token}" not in body:
        return  # in the query: a ``key=`` shape or the value itself covers it
    before = re.split(r"\{[a-z_]+\}", body.split("{token}", 1)[0])[-1]
    if before:
        _TEMPLATES[template] = re.compile(f"(?P<keep>{re.escape(before)})[^/?&#\\s'\"]+")


def _secrets() -> list[str]:
    for name in SECRET_VARIABLES:
        remember(os.environ.get(name, ""))
    remember_template(os.environ.get("MONEV_WHATSAPP_URL", ""))
    return sorted(_KNOWN, key=len, reverse=True)  # a longer form before its parts


def redact(text: str) -> str:
    """``text`` with every known secret and token-shaped URL part masked."""
    for value in _secrets():
        if value in text:
            text = text.replace(value, MASK)
    for shape in (*_SHAPES, *_TEMPLATES.values()):
        text = shape.sub(lambda found: found.group("keep") + MASK, text)
    return text


class Redact(logging.Filter):
    """Masks secrets in a record's message and its traceback text (never drops it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken record stays as it is
            return True
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and record.exc_info[0] is not None:
            text = record.exc_text or logging.Formatter().formatException(record.exc_info)
            record.exc_text = redact(text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


_FILTER = Redact()


def install(*targets: logging.Logger | logging.Handler) -> None:
    """Put the filter on ``targets`` (default: the loggers of :data:`LOGGERS`); once each."""
    for target in targets or tuple(logging.getLogger(name) for name in LOGGERS):
        if _FILTER not in target.filters:
            target.addFilter(_FILTER)
