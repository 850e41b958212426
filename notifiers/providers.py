"""What the messaging providers send us, and how their media are fetched.

- WhatsApp Cloud API: ``messages`` of type ``document``/``image`` (a media id) or
  ``text``; ``context.id`` is the ``wamid`` answered. Media id → ``GET {graph}/{id}``
  (bearer token) → a URL living ~5 minutes → download it with the token.
- WAHA: ``message`` events; ``payload.hasMedia`` with ``payload.media.url`` (a file on
  the WAHA server, fetched with its ``X-Api-Key``; media download is a WAHA Plus
  feature — without it ``media`` is empty and the sender is asked for a link).
- Telegram: ``message`` updates in private chats; ``document`` or ``photo`` (the
  largest size) → ``getFile`` → ``/file/bot<token>/<file_path>`` (bots: 20 MB at most).

Every download streams into the evidence ``BlobWriter`` (its size limit counts while
streaming); a provider that fails is a ``FetchError`` (tried again later). Base URLs
are settings so tests (and self-hosted gateways) point them at 127.0.0.1."""

from __future__ import annotations

import functools
import hashlib
import hmac
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from monev.engine.blobs import BlobWriter, EvidenceTooLarge, safe_name
from monev.inbound.receive import FetchError, Incoming, Media
from notifiers.channels import setting

GRAPH_URL = "https://graph.facebook.com/v21.0"
TELEGRAM_URL = "https://api.telegram.org"
TIMEOUT = httpx.Timeout(30.0, connect=10.0)
MB = 1024 * 1024


def same_secret(given: str | None, expected: str) -> bool:
    """Constant-time comparison; an unset secret never matches."""
    return bool(expected) and given is not None and hmac.compare_digest(
        given.encode(), expected.encode())


def cloud_signature_ok(body: bytes, header: str | None, app_secret: str) -> bool:
    """``X-Hub-Signature-256: sha256=<HMAC-SHA256 of the raw body with the app secret>``."""
    if not app_secret or not header or not header.startswith("sha256="):
        return False
    digest = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(header[7:].lower(), digest)


def _phone(wa_id: str) -> str:
    return "+" + "".join(c for c in wa_id.split("@", 1)[0] if c.isdigit())


def cloud_messages(payload: dict[str, Any]) -> list[Incoming]:
    """The inbound messages of a Cloud API webhook (status updates ignored)."""
    out: list[Incoming] = []
    for entry in payload.get("entry") or []:
        for change in entry.get("changes") or []:
            value = change.get("value") or {}
            for msg in value.get("messages") or []:
                kind = msg.get("type", "")
                body = msg.get(kind) if isinstance(msg.get(kind), dict) else {}
                text = body.get("body", "") if kind == "text" else body.get("caption", "")
                media = (Media(str(body["id"]), body.get("filename", "") or
                               f"foto-{str(body['id'])[-8:]}", body.get("mime_type", ""))
                         ,) if kind in ("document", "image") and body.get("id") else ()
                out.append(Incoming("whatsapp", "cloud", str(msg.get("id", "")),
                                    _phone(str(msg.get("from", ""))), text or "",
                                    str((msg.get("context") or {}).get("id", "")), media))
    return [m for m in out if m.provider_id and m.sender != "+"]


def waha_messages(payload: dict[str, Any]) -> list[Incoming]:
    """The inbound message of a WAHA ``message`` event (own and group messages ignored)."""
    if payload.get("event") != "message":
        return []
    p = payload.get("payload") or {}
    sender = str(p.get("from", ""))
    if p.get("fromMe") or not sender.endswith("@c.us") or not p.get("id"):
        return []
    media: tuple[Media, ...] = ()
    found = p.get("media") or {}
    if p.get("hasMedia") and found.get("url"):
        media = (Media(str(found["url"]), found.get("filename") or "berkas",
                       found.get("mimetype", "")),)
    reply = p.get("replyTo") or {}
    return [Incoming("whatsapp", "waha", str(p["id"]), _phone(sender), p.get("body") or "",
                     str(reply.get("id", "")) if isinstance(reply, dict) else "", media)]


def telegram_messages(update: dict[str, Any]) -> list[Incoming]:
    """The inbound message of a Telegram update (private chats only)."""
    msg = update.get("message") or {}
    chat = msg.get("chat") or {}
    if chat.get("type") != "private" or "message_id" not in msg:
        return []
    media: tuple[Media, ...] = ()
    if msg.get("document"):
        d = msg["document"]
        media = (Media(d["file_id"], d.get("file_name") or "berkas", d.get("mime_type", ""),
                       d.get("file_size")),)
    elif msg.get("photo"):
        biggest = max(msg["photo"], key=lambda p: p.get("file_size") or 0)
        media = (Media(biggest["file_id"], f"foto-{msg['message_id']}.jpg", "image/jpeg",
                       biggest.get("file_size")),)
    reply = msg.get("reply_to_message") or {}
    return [Incoming("telegram", "telegram", f"{chat['id']}:{msg['message_id']}",
                     str(chat["id"]), msg.get("text") or msg.get("caption") or "",
                     f"{chat['id']}:{reply['message_id']}" if reply.get("message_id") else "",
                     media)]


def _too_large(writer: BlobWriter, size: int | None) -> None:
    if size is not None and size > writer.limit:
        writer.discard()
        raise EvidenceTooLarge(f"berkas '{safe_name(writer.name)}' ({size // MB} MB) "
                               f"melebihi batas {writer.limit // MB} MB")


@functools.cache
def _tls() -> ssl.SSLContext:
    """One TLS context for every download: building one loads the CA bundle (~70 ms of
    CPU), which a client per message would pay each time."""
    return httpx.create_ssl_context()


@contextmanager
def _client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=TIMEOUT, follow_redirects=True, verify=_tls()) as client:
        yield client


def _download(client: httpx.Client, url: str, writer: BlobWriter,
              headers: dict[str, str] | None = None) -> None:
    """Stream ``url`` into the writer; a provider or network failure is a FetchError."""
    try:
        with client.stream("GET", url, headers=headers or {}) as r:
            if r.status_code != 200:
                raise FetchError(f"unduhan berkas dijawab HTTP {r.status_code}")
            length = r.headers.get("content-length", "")
            _too_large(writer, int(length) if length.isdigit() else None)
            for chunk in r.iter_bytes(1 << 16):
                writer.write(chunk)
    except httpx.HTTPError as exc:
        raise FetchError(f"unduhan berkas gagal ({type(exc).__name__})") from exc


def _json(client: httpx.Client, url: str, headers: dict[str, str] | None = None,
          ) -> dict[str, Any]:
    try:
        r = client.get(url, headers=headers or {})
        data = r.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise FetchError(f"layanan pesan tidak menjawab ({type(exc).__name__})") from exc
    if not isinstance(data, dict):
        raise FetchError("jawaban layanan pesan tidak dapat dibaca")
    if r.status_code != 200 and "file is too big" not in str(data.get("description", "")):
        raise FetchError(f"layanan pesan menjawab HTTP {r.status_code}")
    return data


def fetch(provider: str, media: Media, writer: BlobWriter) -> None:
    """Download one announced attachment into ``writer`` (``receive.Fetch``)."""
    with _client() as client:
        if provider == "cloud":
            token = setting("MONEV_WHATSAPP_TOKEN")
            auth = {"Authorization": f"Bearer {token}"}
            base = setting("MONEV_WHATSAPP_GRAPH_URL", GRAPH_URL).rstrip("/")
            info = _json(client, f"{base}/{media.ref}", auth)
            size = info.get("file_size")
            _too_large(writer, int(size) if isinstance(size, int | str) and
                       str(size).isdigit() else None)
            if not info.get("url"):
                raise FetchError("Cloud API tidak memberi URL berkas")
            _download(client, str(info["url"]), writer, auth)
        elif provider == "waha":
            base = setting("MONEV_WAHA_URL").rstrip("/")
            if not base or not media.ref.startswith(base + "/"):
                raise FetchError("URL berkas WAHA bukan dari MONEV_WAHA_URL; tidak diunduh")
            _download(client, media.ref, writer,
                      {"X-Api-Key": setting("MONEV_WAHA_API_KEY")})
        elif provider == "telegram":
            _too_large(writer, media.size)
            token = setting("MONEV_TELEGRAM_TOKEN")
            base = setting("MONEV_TELEGRAM_API_URL", TELEGRAM_URL).rstrip("/")
            info = _json(client, f"{base}/bot{token}/getFile?file_id={media.ref}")
            if not info.get("ok"):
                if "too big" in str(info.get("description", "")):
                    raise EvidenceTooLarge(f"berkas '{safe_name(writer.name)}' melebihi "
                                           "batas unduhan bot Telegram (20 MB)")
                raise FetchError("getFile Telegram gagal")
            path = (info.get("result") or {}).get("file_path", "")
            _download(client, f"{base}/file/bot{token}/{path}", writer)
        else:
            raise FetchError(f"penyedia tidak dikenal: {provider}")
