"""Local message sinks for ``make up``: an SMTP server and a WhatsApp gateway on
127.0.0.1 that keep what they receive under ``MONEV_HOME/sink`` — so the demo shows
reminders arriving without a single message leaving the machine."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from email import message_from_bytes
from email.header import decode_header, make_header
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request

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


def whatsapp_sink_router(directory: Path, on_arrival: Arrival) -> APIRouter:
    """``POST /sink/whatsapp``: a WAHA-like gateway answering ``{"status": true}``."""
    directory.mkdir(parents=True, exist_ok=True)
    counter = itertools.count(1 + len(list(directory.glob("*-whatsapp.json"))))
    router = APIRouter()

    @router.post("/sink/whatsapp")
    async def receive(request: Request) -> dict[str, Any]:
        message = await request.json()
        path = directory / f"{next(counter):05d}-whatsapp.json"
        path.write_text(json.dumps(message, ensure_ascii=False, indent=1), encoding="utf-8")
        text = str(message.get("text", ""))
        on_arrival("whatsapp", str(message.get("chatId", "")), text.split("\n", 1)[0])
        return {"status": True, "id": path.stem}

    return router


def sink_env(smtp_port: int, http_port: int) -> dict[str, str]:
    """Channel settings that point every message at the local sinks."""
    return {"MONEV_SMTP_HOST": "127.0.0.1", "MONEV_SMTP_PORT": str(smtp_port),
            "MONEV_SMTP_MODE": "plain", "MONEV_SMTP_FROM": "monev@localhost",
            "MONEV_SMTP_USER": "", "MONEV_SMTP_PASSWORD": "",
            "MONEV_WHATSAPP_TOKEN": "lokal",
            "MONEV_WHATSAPP_URL": f"wajson://127.0.0.1:{http_port}/sink/whatsapp"
                                  "?+X-Api-Key={token}&:chatId={phone_digits}@c.us"
                                  "&:message=text&:title=&:version=&:attachments=&:type="}
