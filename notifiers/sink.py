"""Local message sinks for ``make up``: an SMTP server and a WhatsApp gateway on
127.0.0.1 that keep what they receive under ``MONEV_HOME/sink`` — so the demo shows
reminders arriving without a single message leaving the machine."""

from __future__ import annotations

import hmac
import itertools
import json
import secrets
from collections.abc import Callable
from email import message_from_bytes
from email.header import decode_header, make_header
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
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

    return router


def sink_env(smtp_port: int, http_port: int, token: str = "") -> dict[str, str]:
    """Channel settings that point every message at the local sinks (``token``: the
    WhatsApp sink's key for this start; a new random one when not given)."""
    return {"MONEV_SMTP_HOST": "127.0.0.1", "MONEV_SMTP_PORT": str(smtp_port),
            "MONEV_SMTP_MODE": "plain", "MONEV_SMTP_FROM": "monev@localhost",
            "MONEV_SMTP_USER": "", "MONEV_SMTP_PASSWORD": "",
            "MONEV_WHATSAPP_TOKEN": token or secrets.token_urlsafe(16),
            "MONEV_WHATSAPP_URL": f"wajson://127.0.0.1:{http_port}/sink/whatsapp"
                                  "?+X-Api-Key={token}&:chatId={phone_digits}@c.us"
                                  "&:message=text&:title=&:version=&:attachments=&:type="}
