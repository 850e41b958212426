"""Opening a personal link (``/p/<token>[/c/<id>|/papan|…]``) and leaving.

The token stays out of the address bar: the link sets the session cookie and
redirects at once to the page it names. An unknown, revoked or rotated token is a
plain 404 — at once, whatever sessions it opened before end with it."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from monev.clock import utcnow
from monev.tokens import looks_like_token
from portal.access import viewer_for
from portal.links import link_by_token
from portal.routes.common import HEADERS, Portal
from portal.sessions import COOKIE, current, end_session, open_session

# where a link may lead: a checkpoint, Tugas saya with a message's items on top
# (sorot/12,34 → /portal/sorot/… → /portal/?sorot=…), or a page
NEXT_RE = re.compile(r"^(|c/\d{1,12}|sorot/[0-9]{1,12}(,[0-9]{1,12}){0,4}|"
                     r"papan|verifikasi|kalender|laporan)$")


def secure_cookies() -> bool:
    from portal.links import base_url

    return base_url().startswith("https://")


def router(portal: Portal) -> APIRouter:
    r = APIRouter()

    def open_link(request: Request, token: str, rest: str) -> Response:
        if not looks_like_token(token) or not NEXT_RE.match(rest):
            return portal.page("invalid_link.html.j2", 404)
        with portal.factory.begin() as s:
            link = link_by_token(s, token)
            if link is None or viewer_for(s, portal.cfg, link, 0, "", "") is None:
                return portal.page("invalid_link.html.j2", 404)
            live = current(s, request.cookies.get(COOKIE))
            opened = None if live is not None and live.link.id == link.id else \
                open_session(s, link)
        response = RedirectResponse(f"/portal/{rest}", status_code=303,
                                    headers={"Referrer-Policy": "no-referrer",
                                             "Cache-Control": "no-store"})
        if opened is not None:
            response.set_cookie(COOKIE, opened.cookie, path="/", httponly=True,
                                samesite="lax", secure=secure_cookies(),
                                max_age=int((opened.expires_at - utcnow()).total_seconds()))
        return response

    @r.get("/p/{token}")
    def personal_link(request: Request, token: str) -> Response:
        return open_link(request, token, "")

    @r.get("/p/{token}/{rest:path}")
    def personal_link_to(request: Request, token: str, rest: str) -> Response:
        return open_link(request, token, rest)

    @r.post("/portal/keluar")
    def leave(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
        with portal.factory.begin() as s:
            viewer = portal.viewer(request, s)
            portal.check_csrf(viewer, csrf)
            end_session(s, viewer.session_id)
        response = portal.page("left.html.j2", 200)
        response.delete_cookie(COOKIE, path="/")
        return response

    @r.get("/portal")
    def portal_root() -> Response:
        return RedirectResponse("/portal/", status_code=308, headers=HEADERS)

    return r
