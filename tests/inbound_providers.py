"""A local stand-in for the providers' APIs (graph.facebook.com, api.telegram.org, a
WAHA server) on 127.0.0.1: serves media by id/path with the credentials checked, takes
messages sent to it (Cloud API ``/{phone id}/messages``, Bot API ``sendMessage``) and
answers with their ids as the providers document, and can fail the next few requests
(a provider having a bad minute) or answer late."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

SECRET = "uji-rahasia-aplikasi"  # the Cloud API app secret signing webhooks
TOKEN = "EAAujitokencloud123"  # alphanumeric, as Meta's tokens (Apprise checks)
BOT = "123456:uji-bot"
WAHA_KEY = "uji-waha-api"


PHONE = "6281200000011"  # Pegawai Contoh Satu


def cloud_webhook(msg_id: str, media_id: str | None, caption: str, sender: str = PHONE,
                  context: str = "") -> bytes:
    """A Cloud API ``messages`` webhook, field for field as Meta documents it."""
    msg: dict[str, Any] = {"from": sender, "id": msg_id, "timestamp": "1761620000"}
    if media_id:
        msg.update(type="document", document={
            "caption": caption, "filename": "SK Tim Kerja.pdf", "mime_type": "application/pdf",
            "sha256": "x", "id": media_id})
    else:
        msg.update(type="text", text={"body": caption})
    if context:
        msg["context"] = {"from": "15550783881", "id": context}
    return json.dumps({"object": "whatsapp_business_account", "entry": [{
        "id": "102290129340398", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550783881",
                         "phone_number_id": "106540352242922"},
            "contacts": [{"profile": {"name": "Pegawai"}, "wa_id": sender}],
            "messages": [msg]}}]}]}).encode()


def signed(body: bytes, secret: str = SECRET) -> dict[str, str]:
    """The headers of a Cloud API delivery: ``X-Hub-Signature-256`` over the raw body."""
    return {"X-Hub-Signature-256": "sha256=" + hmac.new(secret.encode(), body,
                                                          hashlib.sha256).hexdigest(),
            "Content-Type": "application/json"}


@dataclass
class Provider:
    url: str = ""
    files: dict[str, bytes] = field(default_factory=dict)  # media id / file id → bytes
    fail: int = 0  # the next requests answered 500
    late: float = 0.0  # seconds before answering a sent message (it is kept all the same)
    seen: list[str] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)  # Telegram getUpdates
    offsets: list[int] = field(default_factory=list)  # the offset of each getUpdates
    sent: list[dict[str, Any]] = field(default_factory=list)  # path, headers, json, id
    hold: threading.Event | None = None  # when given, every request waits until it is set


@contextmanager
def provider() -> Iterator[Provider]:
    state = Provider()
    numbers = itertools.count(500)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, status: int, body: bytes, ctype: str = "application/json") -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting (a late answer)

        def do_POST(self) -> None:  # noqa: N802
            path = urlparse(self.path).path
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            parts = path.strip("/").split("/")
            if parts[0] == "v21.0" and parts[-1] == "messages":  # Cloud API send
                if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    return self._send(401, b'{"error": {"message": "token", "code": 190}}')
                ident = f"wamid.HBgLNjI4MTIwMDAwMDAx{next(numbers)}"
                answer = {"messaging_product": "whatsapp",
                          "contacts": [{"input": body.get("to"),
                                        "wa_id": str(body.get("to", "")).lstrip("+")}],
                          "messages": [{"id": ident}]}
            elif parts == [f"bot{BOT}", "sendMessage"]:  # Bot API send
                ident = str(next(numbers))
                answer = {"ok": True, "result": {
                    "message_id": int(ident), "date": 1761620000, "text": body.get("text"),
                    "chat": {"id": body.get("chat_id"), "type": "private"}}}
            else:
                return self._send(404, b"{}")
            state.sent.append({"path": path, "headers": dict(self.headers), "json": body,
                               "id": ident})
            time.sleep(state.late)
            return self._send(200, json.dumps(answer).encode())

        def do_GET(self) -> None:  # noqa: N802
            url = urlparse(self.path)
            state.seen.append(url.path)
            if state.hold is not None:
                state.hold.wait(30)
            if state.fail:
                state.fail -= 1
                return self._send(500, b'{"error": "sementara"}')
            parts = url.path.strip("/").split("/")
            auth = self.headers.get("Authorization")
            if parts[0] == "v21.0" and len(parts) == 2:  # Cloud API: media id → URL
                if auth != f"Bearer {TOKEN}" or parts[1] not in state.files:
                    return self._send(401, b'{"error": {"message": "token"}}')
                return self._send(200, json.dumps({
                    "messaging_product": "whatsapp", "id": parts[1],
                    "url": f"{state.url}/lookaside/{parts[1]}", "mime_type": "application/pdf",
                    "file_size": len(state.files[parts[1]])}).encode())
            if parts[0] == "lookaside" and auth == f"Bearer {TOKEN}":
                return self._send(200, state.files[parts[1]], "application/octet-stream")
            if parts[0] == "api" and self.headers.get("X-Api-Key") == WAHA_KEY:  # WAHA
                return self._send(200, state.files[parts[-1]], "application/octet-stream")
            if parts == [f"bot{BOT}", "getUpdates"]:  # confirmed updates are forgotten
                offset = int(parse_qs(url.query).get("offset", ["0"])[0])
                state.offsets.append(offset)
                state.updates = [u for u in state.updates if u["update_id"] >= offset]
                return self._send(200, json.dumps({"ok": True,
                                                   "result": state.updates}).encode())
            if parts[0] == f"bot{BOT}" and parts[1] == "getFile":  # Telegram
                file_id = parse_qs(url.query)["file_id"][0]
                if file_id not in state.files:
                    return self._send(400, b'{"ok": false, "description": "Bad Request"}')
                return self._send(200, json.dumps({"ok": True, "result": {
                    "file_id": file_id, "file_unique_id": "u" + file_id,
                    "file_size": len(state.files[file_id]),
                    "file_path": f"documents/{file_id}.pdf"}}).encode())
            if parts[:2] == ["file", f"bot{BOT}"]:
                return self._send(200, state.files[parts[-1].removesuffix(".pdf")],
                                  "application/octet-stream")
            return self._send(404, b"{}")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
