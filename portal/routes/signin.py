""""Kirim tautan masuk ke WhatsApp/email saya": asking for a one-time sign-in link.

No session and no CSRF token (there is nobody to bind one to); what keeps it from
being abused: the answer is the same whether anyone matched, requests are limited per
identifier and per client (``portal.signin``), and the link only ever goes to the
address the configuration has. The outbox row is sent right after the response, by
the dispatcher's own pass limited to that row (claimed atomically: never twice, and a
Prefect dispatcher finds it already sent)."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from starlette.background import BackgroundTask

from monev.links import base_url
from notifiers.dispatch import dispatch
from portal.routes.common import NEXT_RE, Portal
from portal.signin import SIGN_IN_MINUTES, request_sign_in

log = logging.getLogger("monev.portal")


def router(portal: Portal) -> APIRouter:
    r = APIRouter()

    def send(ids: list[int]) -> None:
        try:
            dispatch(portal.factory, only=ids, send_now=True)
        except Exception:  # the row stays in the outbox for the next dispatcher pass
            log.exception("mengirim tautan masuk gagal")

    @r.get("/portal/tautan")
    def ask(ke: str = "") -> Response:
        return portal.page("sign_in_request.html.j2", ke=ke if NEXT_RE.match(ke) else "")

    @r.post("/portal/tautan")
    def requested(request: Request, alamat: Annotated[str, Form()] = "",
                  ke: Annotated[str, Form()] = "") -> Response:
        ke = ke if NEXT_RE.match(ke) else ""
        client = request.client.host if request.client else ""
        with portal.factory.begin() as s:
            done = request_sign_in(s, portal.cfg, portal.secret, alamat, client, ke,
                                   base_url())
        if done.outcome == "unreadable":
            return portal.page("sign_in_request.html.j2", 422, ke=ke, unreadable=True)
        status = 429 if done.outcome == "limited" else 200
        response = portal.page("sign_in_sent.html.j2", status, limited=status == 429,
                               minutes=SIGN_IN_MINUTES)
        if done.outbox_ids:
            response.background = BackgroundTask(send, done.outbox_ids)
        return response

    return r
