"""Webhook routes of the messaging providers: a reply to a reminder, with its file,
becomes evidence (``monev.inbound``). Each route has its own secret or signature and
answers 404 while that secret is not configured, 401 when it does not match — nothing
is read or stored then. A good delivery is recorded (once per provider message id) and
acknowledged at once; downloading the media and storing the evidence run after the
answer (providers retry slow webhooks), and a message left unfinished is taken up
again by the ``inbound-retry`` flow. That work runs on its own few threads
(``MONEV_INBOUND_WORKERS``, default 2), never on the app's shared pool: fifty
deliveries fetching media would otherwise hold every thread, and the next delivery's
acknowledgement — like every portal page — would wait for a download
(bench/bench_inbound.py).

Settings (environment, else a Prefect Secret block of the same name): WhatsApp Cloud
API ``MONEV_WHATSAPP_APP_SECRET`` and ``MONEV_WHATSAPP_VERIFY_TOKEN``; WAHA
``MONEV_WAHA_WEBHOOK_KEY``; Telegram ``MONEV_TELEGRAM_WEBHOOK_SECRET`` (not in
``MONEV_TELEGRAM_MODE=poll``) (docs/inbound.md)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import PlainTextResponse, Response
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from monev.config import MonevConfig
from monev.errors import MonevError
from monev.inbound.receive import Fetch, Incoming, process, record_all, record_groups
from notifiers import providers
from notifiers.channels import setting
from notifiers.trigger import request_inbound_retry
from portal.effects import after_change

log = logging.getLogger("monev.inbound")
BODY_LIMIT = 1024 * 1024  # a webhook's JSON (the media come separately)
WORKERS = 2  # messages handled at once after their answer (MONEV_INBOUND_WORKERS)


def inbound_workers() -> int:
    """``MONEV_INBOUND_WORKERS``: more only helps where downloads wait on the network
    (on two cores, SQLite, more workers only take CPU from the acknowledgements)."""
    raw = os.environ.get("MONEV_INBOUND_WORKERS", str(WORKERS))
    if not raw.isdigit() or not 1 <= int(raw) <= 64:
        raise MonevError(f"MONEV_INBOUND_WORKERS={raw!r} bukan jumlah thread (1–64)")
    return int(raw)


def _answer(text: str, status: int = 200) -> Response:
    """A new response each time (FastAPI hangs a request's background tasks on the
    response object: a shared one would run the first request's tasks forever)."""
    return PlainTextResponse(f"{text}\n", status_code=status)


def handle(factory: sessionmaker[Session], cfg: MonevConfig, home: Path, ids: list[int],
           fetch: Fetch = providers.fetch) -> None:
    """After the answer: each recorded message processed, then feeds republished and
    the dispatcher asked to send the replies; a message left waiting (a failed download)
    asks for an ``inbound_retry`` run ten minutes later. Never raises (the retry flow's
    daily run catches up on the rest)."""
    plans: set[int] = set()
    waiting = False
    for inbound_id in ids:
        try:
            status, changed = process(factory, cfg, home, inbound_id, fetch)
            plans.update(changed)
            waiting = waiting or status == "received"
        except Exception:
            log.exception("pesan masuk %s gagal diproses; dicoba lagi nanti", inbound_id)
            waiting = True
    after_change(factory, plans, queued=True)
    if waiting and os.environ.get("PREFECT_API_URL"):
        try:
            log.info("pesan masuk menunggu: %s", request_inbound_retry(factory))
        except Exception:
            log.exception("meminta run inbound_retry di Prefect gagal")


async def _body(request: Request) -> bytes | None:
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > BODY_LIMIT:
            return None
    return bytes(body)


class Recorder:
    """On SQLite, deliveries arriving together are recorded in one transaction before
    they are answered (a group commit): every transaction waits its turn at the one
    writer, behind the evidence being stored in the background, so fifty deliveries
    take one turn instead of fifty. A delivery whose turn comes finds its messages
    already recorded by the one before, or records everything waiting. PostgreSQL
    inserts side by side: each delivery its own transaction (batches measured slower).
    """

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self.factory = factory
        self.grouped = factory.kw["bind"].dialect.name == "sqlite"
        self.waiting: list[tuple[list[Incoming], asyncio.Future[list[int]]]] = []
        self.turn = asyncio.Lock()

    async def record(self, messages: list[Incoming]) -> list[int]:
        if not self.grouped:
            return await run_in_threadpool(record_all, self.factory, messages)
        mine: asyncio.Future[list[int]] = asyncio.get_running_loop().create_future()
        self.waiting.append((messages, mine))
        async with self.turn:
            if not mine.done():
                batch, self.waiting = self.waiting, []
                try:
                    found = await run_in_threadpool(record_groups, self.factory,
                                                    [group for group, _ in batch])
                except BaseException as exc:  # each of them answers 500: sent again
                    for _, f in batch:
                        if not f.done():
                            f.set_exception(exc if isinstance(exc, Exception)
                                            else RuntimeError("berhenti"))
                    raise
                for (_, f), ids in zip(batch, found, strict=True):
                    f.set_result(ids)
        return await mine


def router(factory: sessionmaker[Session], cfg: MonevConfig, home: Path) -> APIRouter:
    r = APIRouter()
    workers = anyio.CapacityLimiter(inbound_workers())  # apart from the request pool

    recorder = Recorder(factory)

    async def later(ids: list[int]) -> None:
        await anyio.to_thread.run_sync(handle, factory, cfg, home, ids, limiter=workers)

    async def accept(request: Request, background: BackgroundTasks,
                     allowed: Callable[[bytes], bool],
                     parse: Callable[[dict[str, Any]], list[Incoming]]) -> Response:
        body = await _body(request)
        if body is None:
            return _answer("terlalu besar", 413)
        if not allowed(body):
            return _answer("tidak sah", 401)
        try:
            payload = json.loads(body)
            messages = parse(payload) if isinstance(payload, dict) else []
        except (ValueError, KeyError, TypeError, AttributeError):
            return _answer("tidak dapat dibaca", 400)
        ids = await recorder.record(messages) if messages else []
        if ids:
            background.add_task(later, ids)
        return _answer("ok")

    @r.get("/masuk/whatsapp")
    def cloud_verify(request: Request) -> Response:
        """The Cloud API's subscription handshake: echo ``hub.challenge``."""
        expected = setting("MONEV_WHATSAPP_VERIFY_TOKEN")
        if not expected or not setting("MONEV_WHATSAPP_APP_SECRET"):
            return _answer("tidak ditemukan", 404)
        q = request.query_params
        if q.get("hub.mode") != "subscribe" or not providers.same_secret(
                q.get("hub.verify_token"), expected):
            return _answer("tidak sah", 403)
        return PlainTextResponse(q.get("hub.challenge", ""))

    @r.post("/masuk/whatsapp")
    async def cloud(request: Request, background: BackgroundTasks) -> Response:
        secret = setting("MONEV_WHATSAPP_APP_SECRET")
        if not secret:
            return _answer("tidak ditemukan", 404)
        header = request.headers.get("x-hub-signature-256")
        return await accept(request, background,
                            lambda body: providers.cloud_signature_ok(body, header, secret),
                            providers.cloud_messages)

    @r.post("/masuk/waha")
    async def waha(request: Request, background: BackgroundTasks) -> Response:
        key = setting("MONEV_WAHA_WEBHOOK_KEY")
        if not key:
            return _answer("tidak ditemukan", 404)
        given = request.headers.get("x-api-key")
        return await accept(request, background,
                            lambda _body: providers.same_secret(given, key),
                            providers.waha_messages)

    @r.post("/masuk/telegram")
    async def telegram(request: Request, background: BackgroundTasks) -> Response:
        secret = setting("MONEV_TELEGRAM_WEBHOOK_SECRET")
        if not secret or setting("MONEV_TELEGRAM_MODE").strip().lower() == "poll":
            # a bot read by getUpdates (notifiers.telegram_poll) has no webhook
            return _answer("tidak ditemukan", 404)
        given = request.headers.get("x-telegram-bot-api-secret-token")
        return await accept(request, background,
                            lambda _body: providers.same_secret(given, secret),
                            providers.telegram_messages)

    return r
