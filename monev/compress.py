"""Compressed pages for phones: the app's HTML and CSS go out gzip'd to browsers that
ask for it (a task list shrinks about tenfold on a slow mobile link).

Only pages and style sheets: evidence and report downloads (``application/…``,
``image/…``, ``video/…``, ``text/plain``, ``text/csv``, ``text/markdown``) and the
calendar feeds (``text/calendar``, whose ETag/304 feed readers rely on) leave exactly as
they are. A compressed answer's ETag is made weak (``W/"…"``): its bytes differ from the
uncompressed ones, and a weak tag still answers If-None-Match. No brotli: it would
need a dependency."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LEFT_ALONE = ("application/*", "image/*", "audio/*", "video/*", "font/*", "multipart/*",
              "model/*", "message/*", "text/plain", "text/csv", "text/markdown",
              "text/calendar", "text/event-stream")


class PageCompression:
    """GZip for the app's pages (HTML, CSS and other text), nothing else."""

    def __init__(self, app: ASGIApp, minimum_size: int = 1024) -> None:
        self.app = GZipMiddleware(app, minimum_size=minimum_size, compresslevel=6,
                                  exclude_content_types=LEFT_ALONE)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def weak_etag(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(raw=message["headers"])
                etag = headers.get("etag")
                if etag and not etag.startswith("W/") and "content-encoding" in headers:
                    headers["etag"] = f"W/{etag}"
            await send(message)

        await self.app(scope, receive, weak_etag)
