"""Papan monev (Ketua Tim ZI, Sekretaris, Ketua, admins) and Kalender saya (everyone)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from calendars.service import create_feed, feed_links
from monev.links import base_url
from monev.store import models as m
from monev.tokens import token_for
from portal.access import Viewer
from portal.board import STATUS_FILTERS, build_board, links_epoch
from portal.routes.common import Portal, as_id, today_for


def router(portal: Portal) -> APIRouter:
    r = APIRouter()

    @r.get("/portal/papan")
    def board(request: Request, rencana: str = "", area: str = "", status: str = "",
              ) -> Response:
        plan_id = as_id(rencana)

        def build(s: Session, viewer: Viewer) -> Response:
            if not viewer.sees_board:
                raise portal.not_found(viewer)
            data = build_board(s, viewer, today_for(viewer), plan_id, area or None,
                               status or None)
            # only known values go back into the page: it is gzip'd, and a page that
            # echoed any text beside the CSRF token would leak it by its size (BREACH)
            return portal.page("board.html.j2", viewer=viewer, board=data,
                               area=area if area in data.areas else "",
                               chosen_status=status if status in STATUS_FILTERS else "",
                               statuses=list(STATUS_FILTERS), today=today_for(viewer))

        # the Prefect links are looked up every 5 minutes (portal/board.py)
        return portal.cached(request, ("papan", plan_id, area, status), build,
                             links_epoch())

    @r.get("/portal/kalender")
    def calendar(request: Request) -> Response:
        with portal.factory.begin() as s:
            viewer = portal.viewer(request, s)
            links = None
            if viewer.satker_row is not None:
                feed = s.scalar(select(m.Feed).where(
                    m.Feed.scope == "person", m.Feed.satker_id == viewer.satker_row.id,
                    m.Feed.value == viewer.person.name, m.Feed.revoked_at.is_(None))
                    .order_by(m.Feed.id))
                if feed is None:
                    feed, _ = create_feed(s, portal.secret, "person", viewer.person.name,
                                          value=viewer.person.name,
                                          satker=viewer.satker_row.slug, cfg=portal.cfg)
                links = feed_links(base_url(), token_for(feed.nonce, portal.secret))
            return portal.page("calendar.html.j2", viewer=viewer, links=links)

    return r
