"""The HTTP app started by ``monev up``: health, calendar feeds, their index pages, and
the portal mounted beside them.

Feed URLs carry a secret token: the app never logs request paths (``monev up`` runs
uvicorn without an access log) and answers an unknown or revoked token with a plain
404 that does not repeat it."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from typing import Any

import anyio.to_thread
from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy import func, select

from calendars.conditional import FeedFront, not_modified
from calendars.pages import checkpoint_page, index_page
from calendars.service import CACHE_CONTROL, FeedCache, feed_by_token
from calendars.tokens import feed_secret, looks_like_token
from monev.clock import today
from monev.compress import PageCompression
from monev.config import load_config
from monev.errors import MonevError
from monev.links import public_url
from monev.store import models as m
from monev.store.db import monev_home, open_session_factory
from portal import webhooks
from portal.mount import mount

CALENDAR_TYPE = "text/calendar; charset=utf-8"
DEFAULT_THREADS = 40


def http_threads() -> int:
    """Threads serving the app's blocking routes (``MONEV_HTTP_THREADS``, default 40:
    anyio's own default), and as many pooled database connections."""
    raw = os.environ.get("MONEV_HTTP_THREADS", str(DEFAULT_THREADS))
    if not raw.isdigit() or not 1 <= int(raw) <= 1000:
        raise MonevError(f"MONEV_HTTP_THREADS={raw!r} bukan jumlah thread (1–1000)")
    return int(raw)


def create_app() -> FeedFront:
    """The FastAPI app behind :class:`FeedFront`, which answers an unchanged feed's 304
    before the framework is reached."""
    threads = http_threads()

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # FastAPI runs every plain ``def`` route in anyio's default thread pool: its
        # size and the engine's pool are one number, so no thread waits for a connection
        anyio.to_thread.current_default_thread_limiter().total_tokens = threads
        yield

    app = FastAPI(title="monev", docs_url=None, redoc_url=None, openapi_url=None,
                  lifespan=lifespan)
    app.add_middleware(PageCompression)  # pages and CSS gzip'd; downloads and feeds not
    factory = open_session_factory(pool_size=threads)
    engine = factory.kw["bind"]
    cfg = load_config(None)
    cache = FeedCache(cfg, public_url())
    secret = feed_secret()
    missing = Response("tidak ditemukan\n", status_code=404, media_type="text/plain")
    mount(app, factory, cfg)  # the portal's pages, reached through personal links
    # replies by WhatsApp/Telegram with evidence: each route behind its own secret
    app.include_router(webhooks.router(factory, cfg, monev_home()))

    @app.get("/health")
    def health() -> dict[str, Any]:
        with factory() as s:
            plans = s.scalar(select(func.count(m.Plan.id))) or 0
        return {"status": "ok", "plans": plans}

    @app.api_route("/feeds/{token}.ics", methods=["GET", "HEAD"])
    def feed(token: str, request: Request) -> Response:
        if not looks_like_token(token):
            return missing
        day = today()
        with engine.connect() as conn:  # unchanged: two indexed queries, no ORM
            rendered = cache.fresh(conn, token, day)
        if rendered is None:
            with factory() as s:
                row = feed_by_token(s, token)
                if row is None or row.scope == "index":
                    return missing
                try:
                    rendered = cache.get(s, row, token, day)
                except MonevError as exc:  # its plan or person is gone: say so, plainly
                    return Response(f"{exc}\n", status_code=410, media_type="text/plain")
        headers = {"ETag": rendered.etag, "Last-Modified": rendered.http_date,
                   "Cache-Control": CACHE_CONTROL}
        if not_modified(request.headers.get("if-none-match"),
                        request.headers.get("if-modified-since"), rendered.etag,
                        rendered.modified):
            return Response(status_code=304, headers=headers)
        headers["Content-Disposition"] = 'inline; filename="monev.ics"'
        if request.method == "HEAD":
            headers["Content-Length"] = str(len(rendered.body))
            return Response(b"", headers=headers, media_type=CALENDAR_TYPE)
        return Response(rendered.body, headers=headers, media_type=CALENDAR_TYPE)

    @app.get("/feeds/{token}/c/{ref}", response_class=HTMLResponse)
    def checkpoint(token: str, ref: str) -> Response:
        if not looks_like_token(token):
            return missing
        with factory() as s:
            row = feed_by_token(s, token)
            page = checkpoint_page(s, row, ref, cfg) if row is not None else None
        return HTMLResponse(page) if page else missing

    @app.get("/feeds/{token}/", response_class=HTMLResponse)
    def index(token: str) -> Response:
        if not looks_like_token(token):
            return missing
        with factory() as s:
            row = feed_by_token(s, token)
            if row is None or row.scope != "index":
                return missing
            return HTMLResponse(index_page(s, row, secret, public_url()))

    return FeedFront(app, cache, engine)
