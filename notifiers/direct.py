"""WhatsApp Cloud API and Telegram Bot API messages sent straight over HTTP, so that
the provider's id of each message we send is known (issue 23): a reply to it carries
that id (``context.id`` = the ``wamid``; ``reply_to_message.message_id``), and
``sent_message`` maps it back to the items the message named. Apprise's plugins for
both services throw the id away.

The URL syntax stays Apprise's (``whatsapp://TOKEN@PHONE_ID/+62…``, the template form
``whatsapp://TEMPLATE:TOKEN@PHONE_ID/…?lang=id&:body=1``, ``tgram://BOT_TOKEN/CHAT``):
the Apprise plugin built from it is only read for its parts. The request is the one
the providers document and Apprise sent — ``POST {graph}/{phone id}/messages`` with
``messaging_product``, ``recipient_type``, ``to``, ``type`` and ``text.body`` (or
``template``); ``POST {api}/bot{token}/sendMessage`` with ``chat_id`` and ``text`` (plain
text, no parse mode: a digest is not HTML) — through the pooled keep-alive clients of
:mod:`notifiers.http_pool`. Outcomes are recorded by cause (:mod:`notifiers.transport`):
nothing sent → retried; an answer that refuses → retried per policy; a request that went
out without an answer → ``unknown`` (the row becomes uncertain, never resent).

Base URLs: ``MONEV_WHATSAPP_GRAPH_URL``, ``MONEV_TELEGRAM_API_URL`` (tests and
self-hosted proxies point them at 127.0.0.1)."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import httpx

from notifiers.channels import setting
from notifiers.http_pool import CONNECT_TRIES, RETRY_PAUSE, client, sent_nothing
from notifiers.providers import GRAPH_URL, TELEGRAM_URL
from notifiers.transport import classify_httpx, record

log = logging.getLogger("monev.notifiers")
SCHEMES = ("whatsapp://", "tgram://")
TELEGRAM_MAX = 4096  # characters of one Bot API text message


def handles(url: str, plugin: Any) -> bool:
    """Whether ``url`` is sent here: a Cloud API or Telegram URL with one recipient."""
    return url.startswith(SCHEMES) and len(getattr(plugin, "targets", ())) == 1


def send(plugin: Any, subject: str, body: str) -> tuple[bool, tuple[str, ...]]:
    """Send one message; (delivered, the provider's ids of what was sent)."""
    if plugin.schema == "whatsapp":
        return _cloud(plugin, body)
    return _telegram(plugin, subject, body)


def cloud_payload(plugin: Any, body: str) -> dict[str, Any]:
    """The Cloud API ``messages`` request for the plugin's one recipient (as Apprise
    built it: free text, or the approved template with the body as a parameter)."""
    target = str(plugin.targets[0])
    payload: dict[str, Any] = {"messaging_product": "whatsapp"}
    if target.startswith("#"):
        payload.update(recipient_type="group", to=f"{target[1:]}@g.us")
    else:
        payload.update(recipient_type="individual", to=target)
    if not plugin.template:
        payload.update(type="text", text={"body": body})
        return payload
    template: dict[str, Any] = {"name": plugin.template,
                                "language": {"code": plugin.language}}
    if plugin.components:
        params = []
        for key in plugin.component_keys:
            value = plugin.components[key]
            params.append(value if isinstance(value, dict) else
                          {"type": "text", "text": body if value == "body" else "info"})
        template["components"] = [{"type": "body", "parameters": params}]
    payload.update(type="template", template=template)
    return payload


def _cloud(plugin: Any, body: str) -> tuple[bool, tuple[str, ...]]:
    base = setting("MONEV_WHATSAPP_GRAPH_URL", GRAPH_URL).rstrip("/")
    headers = {"User-Agent": plugin.app_id, "Accept": "application/json",
               "Content-Type": "application/json",
               "Authorization": f"Bearer {plugin.token}"}
    reply = _post(plugin, f"{base}/{plugin.from_phone_id}/messages", headers,
                  cloud_payload(plugin, body))
    if reply is None:
        return False, ()
    data = _json(reply)
    if reply.status_code not in (200, 201):
        error = _dict(data.get("error"))
        detail = str(error.get("message") or "")[:200]
        _refused(f"Cloud API menjawab HTTP {reply.status_code}"
                 + (f": {detail}" if detail else ""), reply.status_code)
        return False, ()
    record("ok", "", reply.status_code)
    found = data.get("messages")
    ids = tuple(str(x["id"]) for x in found if isinstance(x, dict) and x.get("id")) \
        if isinstance(found, list) else ()
    return True, ids


def chunks(text: str, limit: int = TELEGRAM_MAX) -> list[str]:
    """``text`` in pieces of at most ``limit`` characters, cut at line ends if possible."""
    parts: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        cut = cut if cut > limit // 2 else limit
        parts.append(text[:cut])
        text = text[cut:].lstrip("\n")
    return [*parts, text] if text or not parts else parts


def _telegram(plugin: Any, subject: str, body: str) -> tuple[bool, tuple[str, ...]]:
    base = setting("MONEV_TELEGRAM_API_URL", TELEGRAM_URL).rstrip("/")
    chat, topic = plugin.targets[0]
    headers = {"User-Agent": plugin.app_id, "Content-Type": "application/json"}
    ids: list[str] = []
    for part in chunks(f"{subject}\n\n{body}" if subject else body):
        payload: dict[str, Any] = {"chat_id": chat, "text": part,
                                   "link_preview_options": {"is_disabled": True}}
        if topic:
            payload["message_thread_id"] = topic
        reply = _post(plugin, f"{base}/bot{plugin.bot_token}/sendMessage", headers, payload)
        data = _json(reply) if reply is not None else {}
        if reply is not None and reply.status_code == 200 and data.get("ok") is not False:
            record("ok", "", 200)
            result = _dict(data.get("result"))
            chat_of = _dict(result.get("chat")).get("id", chat)
            if result.get("message_id") is not None:
                ids.append(f"{chat_of}:{result['message_id']}")
            continue
        if reply is not None:
            detail = str(data.get("description") or "")[:200]
            _refused(f"Telegram menjawab HTTP {reply.status_code}"
                     + (f": {detail}" if detail else ""), reply.status_code)
        if ids:  # the first parts arrived: sending again would repeat them
            record("unknown", "pesan terkirim sebagian (bagian pertama sudah sampai)")
        return False, tuple(ids)
    return True, tuple(ids)


def _post(plugin: Any, url: str, headers: dict[str, str],
          payload: dict[str, Any]) -> httpx.Response | None:
    """One POST through the pooled client; None when no answer came (the cause is
    recorded). A fresh connection once more only when nothing reached the service."""
    target = httpx.URL(url)
    connect, read = plugin.request_timeout
    pool = client(target.scheme == "https", target.host, target.port,
                  plugin.verify_certificate)
    request = pool.build_request("POST", url, headers=headers, content=json.dumps(payload),
                                 timeout=httpx.Timeout(read, connect=connect, pool=connect))
    plugin.throttle()
    attempt = 1
    while True:
        try:
            return pool.send(request)
        except httpx.HTTPError as exc:
            if sent_nothing(exc) and attempt < CONNECT_TRIES:
                attempt += 1
                time.sleep(RETRY_PAUSE)
                continue
            kind, detail = classify_httpx(exc)
            log.warning("pengiriman ke %s gagal: %s", target.host, detail)
            record(kind, detail)
            return None


def _refused(detail: str, status: int) -> None:
    log.warning("pesan ditolak: %s", detail)
    record("refused", detail, status)


def _json(reply: httpx.Response) -> dict[str, Any]:
    try:
        return _dict(reply.json())
    except ValueError:
        return {}


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
