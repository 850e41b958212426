"""What every page of the portal shares: the app's context (database, configuration,
secret, templates), finding the person behind the session cookie, rendering with the
security headers, and the pages that end a request early (expired session, 404, 403)."""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import Path as PathParam
from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import Field
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

import portal.format as fmt
from monev.clock import today
from monev.config import MonevConfig
from monev.lke.score import points_text
from monev.status import word
from portal.access import Viewer, viewer_for
from portal.page_cache import PageCache, cache_bytes, read_state
from portal.sessions import COOKIE, csrf_ok, csrf_token, current

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
# Scripts, styles and images from the app itself only (no inline script or style; the
# one script, static/upload.js, sends evidence forms with a progress bar: it needs
# connect-src 'self'); forms post to the app only.
CSP = ("default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; "
       "img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
           "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY",
           "Cache-Control": "no-store"}
# The portal pages a link (or a sign-in link asked for on the way) may open: nothing
# else, so no link can send anyone elsewhere.
# (a checkpoint; Tugas saya with a message's items on top: sorot/12,34 → /portal/sorot/…
# → /portal/?sorot=…; or a page)
NEXT_RE = re.compile(r"^(|c/\d{1,12}|sorot/[0-9]{1,12}(,[0-9]{1,12}){0,4}|"
                     r"papan|verifikasi|kalender|laporan|lke)$")

# Ids in URLs and forms: at most the bound of the id columns (INTEGER: 32 bits on
# PostgreSQL). A larger one in a path is a 404 page (portal/routes/errors.py), in a
# form a 422 page — never a 500 from the database driver.
MAX_ID = 2**31 - 1
PathId = Annotated[int, PathParam(ge=1, le=MAX_ID)]
FormId = Annotated[int, Field(ge=1, le=MAX_ID)]


def as_id(text: str) -> int | None:
    """An id given as free text (a query parameter), or None when it cannot be one."""
    return int(text) if text.isascii() and text.isdigit() and 0 < int(text) <= MAX_ID \
        else None

ROLE_WORDS = {"pic": "PIC", "koordinator": "Koordinator area", "kasubbag": "Kasubbag",
              "ketua_tim": "Ketua Tim ZI", "sekretaris": "Sekretaris", "ketua": "Ketua",
              "admin": "Admin", "tpi": "TPI (Inspektorat)"}


class Halt(Exception):
    """Stop handling a request and answer with ``response`` (an error page)."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


@dataclass
class Portal:
    factory: sessionmaker[Session]
    cfg: MonevConfig
    secret: bytes
    home: Path
    env: Environment
    cache: PageCache = field(default_factory=lambda: PageCache(cache_bytes()))

    @property
    def engine(self) -> Engine:
        bind = self.factory.kw["bind"]
        assert isinstance(bind, Engine)
        return bind

    @classmethod
    def make(cls, factory: sessionmaker[Session], cfg: MonevConfig, secret: bytes,
             home: Path) -> Portal:
        env = Environment(loader=FileSystemLoader(TEMPLATES), trim_blocks=True,
                          lstrip_blocks=True, autoescape=select_autoescape(["html", "j2"]),
                          auto_reload=False)
        env.globals.update(tanggal=fmt.tanggal, waktu=fmt.waktu, ukuran=fmt.ukuran,
                           periode=fmt.periode, poin=points_text, status_word=word,
                           shown=fmt.SHOWN, role_words=ROLE_WORDS)
        return cls(factory, cfg, secret, home, env)

    def page(self, template: str, status: int = 200, viewer: Viewer | None = None,
             **context: Any) -> HTMLResponse:
        html = self.env.get_template(template).render(viewer=viewer, **context)
        return HTMLResponse(html, status_code=status, headers=HEADERS)

    def cached(self, request: Request, page: Hashable,
               build: Callable[[Session, Viewer], Response],
               extra: Hashable = None) -> Response:
        """A page through the page cache (portal/page_cache.py): ``build`` makes it
        when the session's entry for ``page`` is missing or anything it shows changed."""
        cookie = request.cookies.get(COOKIE)
        gz = "gzip" in request.headers.get("accept-encoding", "")
        key = PageCache.key(cookie, page) \
            if cookie and len(cookie) <= 100 and self.cache.max_bytes else None
        if key is not None:
            hit = self.cache.fresh(self.engine, key, extra)
            if hit is not None:
                return hit.response(gz, HEADERS)
        with self.factory() as s:
            viewer = self.viewer(request, s)
            if key is None or viewer.satker_row is None:
                return build(s, viewer)
            # read before the page: a change made while it is built shows next time
            state = read_state(s.connection(), str(key[0]), viewer.satker_row.id,
                               today_for(viewer), extra)
            response = build(s, viewer)
            if state is None or response.status_code != 200:
                return response
            entry = self.cache.store(key, state, viewer.satker_row.id, viewer.satker.tz,
                                     bytes(response.body))
            return entry.response(gz, HEADERS)

    def viewer(self, request: Request, s: Session) -> Viewer:
        """The person of this request's session, or an early "open your link again"."""
        cookie = request.cookies.get(COOKIE)
        live = current(s, cookie)
        found = viewer_for(s, self.cfg, live.link, live.session_id, live.cookie,
                           csrf_token(self.secret, live.cookie)) if live else None
        if found is None:
            response = self.page("expired.html.j2", 401, had_cookie=bool(cookie),
                                 ke=page_of(request))
            response.delete_cookie(COOKIE, path="/")
            raise Halt(response)
        return found

    def check_csrf(self, viewer: Viewer, given: str | None) -> None:
        if not csrf_ok(self.secret, viewer.cookie, given):
            raise Halt(self.page("error.html.j2", 403, viewer, title="Formulir tidak sah",
                                 message="Formulir kedaluwarsa atau tidak berasal dari "
                                         "halaman ini. Muat ulang halaman lalu coba lagi."))

    def forbidden(self, viewer: Viewer, message: str) -> Halt:
        """A page the viewer's role may not open, or an action it may not take."""
        return Halt(self.page("error.html.j2", 403, viewer, title="Tidak diizinkan",
                              message=message))

    def not_found(self, viewer: Viewer | None = None) -> Halt:
        return Halt(self.page("error.html.j2", 404, viewer, title="Tidak ditemukan",
                              message="Halaman ini tidak ada atau bukan bagian tugas Anda."))


def page_of(request: Request) -> str:
    """The allow-listed portal page a GET asked for (``c/12``), to open after signing
    in; "" (Tugas saya) for anything else."""
    path = request.url.path.removeprefix("/portal/")
    return path if request.method == "GET" and NEXT_RE.match(path) else ""


def today_for(viewer: Viewer) -> date:
    return today(viewer.satker.tz)
