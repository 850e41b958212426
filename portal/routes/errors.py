"""Every error of a portal URL (``/portal…``, ``/p/…``) as a page in Bahasa Indonesia
with a way back and the portal's headers — never FastAPI's English JSON, never a
traceback. Other URLs of the app (feeds, ``/health``) keep FastAPI's answers.

- 404 (no such page, or an id in the path out of range), 422 (a form value that
  cannot be read): pages.
- 405: a GET of a POST-only URL below a checkpoint (a browser reloading the page an
  upload error answered at ``/portal/c/<id>/kirim``) goes back to the checkpoint with
  303; any other 405 is a page with a link.
- The database held by another writer longer than the busy timeout
  (:func:`monev.store.db.is_busy`): a 503 page "Sedang sibuk" with ``Retry-After`` —
  the request's transaction wrote nothing, and an upload's files were discarded.
- Anything unexpected: a 500 page. Starlette re-raises the exception after the page is
  sent, so the server (uvicorn) logs it with its traceback."""

from __future__ import annotations

import re
from collections.abc import Mapping

from fastapi import FastAPI, Request
from fastapi.exception_handlers import (
    http_exception_handler,
    request_validation_exception_handler,
)
from fastapi.exceptions import RequestValidationError
from fastapi.responses import PlainTextResponse, RedirectResponse, Response
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException

from monev.store.db import is_busy
from portal.routes.common import HEADERS, Portal

BELOW_CHECKPOINT = re.compile(r"^/portal/c/(\d{1,19})(?:/|$)")
TITLES = {404: ("Tidak ditemukan", "Halaman ini tidak ada atau bukan bagian tugas Anda."),
          405: ("Halaman tidak dapat dibuka langsung",
                "Alamat ini hanya dipakai oleh tombol di halaman portal. Kembali ke "
                "halaman sebelumnya lalu ulangi dari sana."),
          422: ("Isian formulir tidak dapat dibaca",
                "Ada isian formulir yang tidak sah. Kembali ke halaman sebelumnya, muat "
                "ulang, lalu coba lagi."),
          503: ("Sedang sibuk", "Sedang sibuk, coba lagi sebentar. Server sedang menyimpan "
                "perubahan lain; permintaan Anda belum disimpan sama sekali. Kirim ulang "
                "dalam beberapa detik."),
          500: ("Terjadi kesalahan", "Terjadi kesalahan di server; coba lagi sebentar. "
                "Bila terus terjadi, hubungi admin monev.")}
RETRY_AFTER = "5"  # seconds: a long write is seldom longer than the busy timeout again
BUSY_TEXT = "Sedang sibuk, coba lagi sebentar.\n"
OTHER = ("Permintaan tidak dapat diproses", "Permintaan ini tidak dapat diproses. Kembali "
         "ke halaman sebelumnya, muat ulang, lalu coba lagi.")  # any other 4xx


def is_portal(path: str) -> bool:
    return path == "/portal" or path.startswith(("/portal/", "/p/"))


def way_back(path: str, status: int) -> tuple[str, str]:
    """(href, words) of the link the page offers: the checkpoint the URL belongs to,
    else Tugas saya."""
    found = BELOW_CHECKPOINT.match(path)
    if found and status != 404:
        return f"/portal/c/{found.group(1)}", "Kembali ke halaman checkpoint"
    return "/portal/", "Kembali ke Tugas saya"


def error_page(portal: Portal, request: Request, status: int,
               headers: Mapping[str, str] | None = None) -> Response:
    title, message = TITLES.get(status, TITLES[500] if status >= 500 else OTHER)
    href, words = way_back(request.url.path, status)
    response = portal.page("error.html.j2", status, title=title, message=message,
                           back=href, back_words=words)
    for key, value in (headers or {}).items():
        if key.lower() in ("allow", "retry-after"):
            response.headers[key] = value
    return response


def install(app: FastAPI, portal: Portal) -> None:
    """Register the handlers on ``app`` (they answer for portal URLs only)."""

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        path = request.url.path
        if not is_portal(path):
            return await http_exception_handler(request, exc)
        found = BELOW_CHECKPOINT.match(path)
        if exc.status_code == 405 and request.method in ("GET", "HEAD") and found:
            return RedirectResponse(f"/portal/c/{found.group(1)}", status_code=303,
                                    headers=HEADERS)
        return error_page(portal, request, exc.status_code, exc.headers)

    async def invalid(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        if not is_portal(request.url.path):
            return await request_validation_exception_handler(request, exc)
        in_path = any(e.get("loc", ("",))[0] == "path" for e in exc.errors())
        return error_page(portal, request, 404 if in_path else 422)

    def crashed(request: Request, exc: Exception) -> Response:
        if is_portal(request.url.path):
            try:
                return error_page(portal, request, 500)
            except Exception:  # noqa: BLE001 - the page itself failed: plain words then
                return PlainTextResponse("Terjadi kesalahan di server; coba lagi sebentar.",
                                         status_code=500, headers=HEADERS)
        return PlainTextResponse("Internal Server Error", status_code=500)

    async def database(request: Request, exc: Exception) -> Response:
        if not is_busy(exc):
            raise exc  # to ``crashed``: a 500 page, and the traceback in the server's log
        wait = {"Retry-After": RETRY_AFTER}
        if is_portal(request.url.path):
            return error_page(portal, request, 503, wait)
        return PlainTextResponse(BUSY_TEXT, status_code=503, headers=wait)

    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(DBAPIError, database)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(Exception, crashed)
