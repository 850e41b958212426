"""Local message sinks for ``make up``: an SMTP server and a WhatsApp gateway on
127.0.0.1 that keep what they receive under ``MONEV_HOME/sink`` — so the demo shows
reminders arriving without a single message leaving the machine.

The WhatsApp sink plays a WAHA server both ways: it takes what monev sends, and it can
*answer* like a phone would (:func:`demo_reply`, ``monev notify reply``): a WAHA
``message`` event with a file, posted to the app's ``/masuk/waha``, the file served by
the sink's ``/sink/api/files/…`` as WAHA serves media. The evidence then takes the
path of any reply (docs/inbound.md) and its confirmation comes back into the sink."""

from __future__ import annotations

import hmac
import itertools
import json
import re
import secrets
import shutil
import time
from collections.abc import Callable
from email import message_from_bytes
from email.header import decode_header, make_header
from pathlib import Path
from typing import Any

import httpx
from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse, JSONResponse
from starlette.concurrency import run_in_threadpool

Arrival = Callable[[str, str, str], None]  # (channel, recipient, subject)


class SmtpSink:
    """aiosmtpd handler: every message is written as ``NNNN-email.eml``."""

    def __init__(self, directory: Path, on_arrival: Arrival) -> None:
        self.directory, self.on_arrival = directory, on_arrival
        self.counter = itertools.count(1 + len(list(directory.glob("*-email.eml"))))

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        path = self.directory / f"{next(self.counter):05d}-email.eml"
        path.write_bytes(envelope.content)
        subject = str(make_header(decode_header(message_from_bytes(envelope.content)
                                                ["Subject"] or "")))
        self.on_arrival("email", ", ".join(envelope.rcpt_tos), subject)
        return "250 OK"


def start_smtp_sink(directory: Path, port: int, on_arrival: Arrival) -> Any:
    """Start the SMTP sink; returns the aiosmtpd controller (``.stop()`` it)."""
    from aiosmtpd.controller import Controller

    directory.mkdir(parents=True, exist_ok=True)
    controller = Controller(SmtpSink(directory, on_arrival), hostname="127.0.0.1", port=port)
    controller.start()
    return controller


SINK_MAX_BYTES = 64 * 1024  # a reminder is at most a few KB


def whatsapp_sink_router(directory: Path, on_arrival: Arrival, token: str) -> APIRouter:
    """``POST /sink/whatsapp``: a WAHA-like gateway answering ``{"status": true}``.

    Only monev itself may post: the request must carry this start's random token in
    ``X-Api-Key``, be JSON, come from no browser page (no ``Origin``) and stay small —
    read as a stream and cut off at the limit, so nothing can stall the app."""
    directory.mkdir(parents=True, exist_ok=True)
    counter = itertools.count(1 + len(list(directory.glob("*-whatsapp.json"))))
    router = APIRouter()

    @router.post("/sink/whatsapp")
    async def receive(request: Request) -> Response:
        if request.headers.get("origin") is not None:
            return JSONResponse({"status": False, "reason": "lintas asal ditolak"}, 403)
        if not hmac.compare_digest(request.headers.get("x-api-key", ""), token):
            return JSONResponse({"status": False, "reason": "token salah"}, 401)
        if not request.headers.get("content-type", "").startswith("application/json"):
            return JSONResponse({"status": False, "reason": "harus JSON"}, 415)
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > SINK_MAX_BYTES:
                return JSONResponse({"status": False, "reason": "terlalu besar"}, 413)
        try:
            message = json.loads(body)
        except ValueError:
            return JSONResponse({"status": False, "reason": "JSON tidak sah"}, 400)
        if not isinstance(message, dict):
            return JSONResponse({"status": False, "reason": "JSON tidak sah"}, 400)
        path = directory / f"{next(counter):05d}-whatsapp.json"
        await run_in_threadpool(path.write_text, json.dumps(message, ensure_ascii=False,
                                                            indent=1), "utf-8")
        text = str(message.get("text", ""))
        on_arrival("whatsapp", str(message.get("chatId", "")), text.split("\n", 1)[0])
        return JSONResponse({"status": True, "id": path.stem})

    @router.get("/sink/api/files/{session}/{name}")
    def media(session: str, name: str, request: Request) -> Response:
        """A file of a demo reply, as WAHA serves media (its API key required)."""
        if not hmac.compare_digest(request.headers.get("x-api-key", ""), token):
            return JSONResponse({"status": False, "reason": "token salah"}, 401)
        path = directory / "media" / name
        if not SAFE_FILE.fullmatch(name) or not path.is_file():
            return JSONResponse({"status": False, "reason": "tidak ada"}, 404)
        return FileResponse(path, media_type="application/octet-stream")

    return router


SAFE_FILE = re.compile(r"[0-9a-f]{16}-[\w.-]{1,120}")


def demo_reply(app_url: str, directory: Path, token: str, phone: str, file: Path,
               text: str = "", sink_url: str = "") -> str:
    """Answer as ``phone`` would on WhatsApp: ``file`` (with ``text`` as its caption)
    in a WAHA ``message`` event posted to the app. Returns the message id; raises
    ``httpx.HTTPError`` when the app does not take it."""
    media = directory / "media"
    media.mkdir(parents=True, exist_ok=True)
    plain = re.sub(r"[^\w.-]", "_", file.name)[:120]
    name = f"{secrets.token_hex(8)}-{plain}"
    shutil.copyfile(file, media / name)
    digits = "".join(c for c in phone if c.isdigit())
    msg_id = f"false_{digits}@c.us_DEMO{secrets.token_hex(8).upper()}"
    now = int(time.time())
    event = {"id": f"evt_{secrets.token_hex(8)}", "timestamp": now * 1000,
             "event": "message", "session": "default",
             "me": {"id": "6280000000000@c.us", "pushName": "Monev"},
             "payload": {"id": msg_id, "timestamp": now, "from": f"{digits}@c.us",
                         "fromMe": False, "to": "6280000000000@c.us", "body": text,
                         "hasMedia": True, "ack": 1,
                         "media": {"url": f"{(sink_url or app_url).rstrip('/')}/sink/api/"
                                          f"files/default/{name}",
                                   "mimetype": "", "filename": file.name, "error": None}}}
    reply = httpx.post(f"{app_url.rstrip('/')}/masuk/waha", json=event,
                       headers={"X-Api-Key": token}, timeout=30)
    reply.raise_for_status()
    return msg_id


def sink_env(smtp_port: int, http_port: int, token: str = "") -> dict[str, str]:
    """Channel settings that point every message at the local sinks (``token``: the
    WhatsApp sink's key for this start; a new random one when not given). The sink's
    replies come in as WAHA webhooks with the same key, their files fetched from it."""
    token = token or secrets.token_urlsafe(16)
    return {"MONEV_SMTP_HOST": "127.0.0.1", "MONEV_SMTP_PORT": str(smtp_port),
            "MONEV_SMTP_MODE": "plain", "MONEV_SMTP_FROM": "monev@localhost",
            "MONEV_SMTP_USER": "", "MONEV_SMTP_PASSWORD": "",
            "MONEV_WAHA_WEBHOOK_KEY": token, "MONEV_WAHA_API_KEY": token,
            "MONEV_WAHA_URL": f"http://127.0.0.1:{http_port}/sink",
            "MONEV_REPLY_CHANNELS": "whatsapp",
            "MONEV_WHATSAPP_TOKEN": token,
            "MONEV_WHATSAPP_URL": f"wajson://127.0.0.1:{http_port}/sink/whatsapp"
                                  "?+X-Api-Key={token}&:chatId={phone_digits}@c.us"
                                  "&:message=text&:title=&:version=&:attachments=&:type="}
