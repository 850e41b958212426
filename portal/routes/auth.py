"""Opening a personal or one-time link (``/p/<token>[/c/<id>|/papan|…]``) and leaving.

Opening is two steps, so that only a person's tap signs in:

1. ``GET /p/<token>`` changes nothing (WhatsApp and e-mail link previews fetch it): a
   valid token is kept in a short-lived ``HttpOnly`` cookie scoped to ``/portal/masuk``
   and the answer is a 303 to that tokenless page — a redirect leaves no history entry,
   so the token URL never stays in the browser's history or address bar.
2. ``/portal/masuk`` shows "Masuk" (with the person's first name); its button POSTs,
   which uses a one-time link up, opens the session and redirects (303) to the page.

A browser whose session already belongs to that person goes straight to the page.
An unknown, used, expired, revoked or rotated token is the "tautan tidak berlaku" page
(404), which offers to send a new sign-in link."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from monev.clock import utcnow
from monev.links import base_url
from monev.tokens import looks_like_token
from portal.access import viewer_for
from portal.routes.common import HEADERS, NEXT_RE, Portal
from portal.sessions import COOKIE, current, end_session, open_session
from portal.signin import Entry, consume, find_entry, spent_link_page

PENDING = "monev_masuk"  # the token being opened, between /p/<token> and "Masuk"
PENDING_PATH = "/portal/masuk"
PENDING_SECONDS = 15 * 60


def secure_cookies() -> bool:
    return base_url().startswith("https://")


def _pending(request: Request) -> tuple[str, str] | None:
    """(token, page) of the link this browser is signing in with, if any."""
    value = request.cookies.get(PENDING, "")
    token, _, rest = value.partition(".")
    rest = rest.replace(".", "/")
    return (token, rest) if looks_like_token(token) and NEXT_RE.match(rest) else None


def _redirect(to: str) -> RedirectResponse:
    return RedirectResponse(to, status_code=303, headers=HEADERS)


def router(portal: Portal) -> APIRouter:
    r = APIRouter()

    def valid(s: Session, token: str, rest: str) -> Entry | None:
        entry = find_entry(s, token, rest)
        if entry is None or viewer_for(s, portal.cfg, entry.link, 0, "", "") is None:
            return None
        return entry

    def invalid() -> Response:
        response = portal.page("invalid_link.html.j2", 404, ke="")
        response.delete_cookie(PENDING, path=PENDING_PATH)
        return response

    def open_link(request: Request, token: str, rest: str) -> Response:
        if not looks_like_token(token) or not NEXT_RE.match(rest):
            return invalid()
        with portal.factory() as s:  # reads only: previews open this URL too
            entry = valid(s, token, rest)
            live = current(s, request.cookies.get(COOKIE))
            if entry is None:  # a used one-time link of the person signed in: go there
                again = spent_link_page(s, token, live.link.id) if live else None
                return invalid() if again is None else _redirect(f"/portal/{again}")
            if live is not None and live.link.id == entry.link.id:
                return _redirect(f"/portal/{entry.next}")  # already signed in as them
        response = _redirect(PENDING_PATH)
        response.set_cookie(PENDING, f"{token}.{rest.replace('/', '.')}", path=PENDING_PATH,
                            httponly=True, samesite="lax", secure=secure_cookies(),
                            max_age=PENDING_SECONDS)
        return response

    @r.get("/p/{token}")
    def personal_link(request: Request, token: str) -> Response:
        return open_link(request, token, "")

    @r.get("/p/{token}/{rest:path}")
    def personal_link_to(request: Request, token: str, rest: str) -> Response:
        return open_link(request, token, rest)

    @r.get(PENDING_PATH)
    def sign_in_page(request: Request) -> Response:
        pending = _pending(request)
        with portal.factory() as s:
            entry = valid(s, *pending) if pending else None
            if entry is not None:
                return portal.page("masuk.html.j2", first_name=entry.link.person.split()[0])
            if current(s, request.cookies.get(COOKIE)) is not None:
                return portal.page("masuk.html.j2", signed_in=True)
        return invalid()

    @r.post(PENDING_PATH)
    def sign_in(request: Request) -> Response:
        pending = _pending(request)
        with portal.factory.begin() as s:
            entry = valid(s, *pending) if pending else None
            if entry is None or not consume(s, entry):
                return invalid()
            opened = open_session(s, entry.link)
        response = _redirect(f"/portal/{entry.next}")
        response.delete_cookie(PENDING, path=PENDING_PATH)
        response.set_cookie(COOKIE, opened.cookie, path="/", httponly=True,
                            samesite="lax", secure=secure_cookies(),
                            max_age=int((opened.expires_at - utcnow()).total_seconds()))
        return response

    @r.post("/portal/keluar")
    def leave(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
        with portal.factory.begin() as s:
            viewer = portal.viewer(request, s)
            portal.check_csrf(viewer, csrf)
            end_session(s, viewer.session_id)
        response = portal.page("left.html.j2", 200, ke="")
        response.delete_cookie(COOKIE, path="/")
        return response

    @r.get("/portal")
    def portal_root() -> Response:
        return RedirectResponse("/portal/", status_code=308, headers=HEADERS)

    return r

