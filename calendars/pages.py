"""HTML pages of the feeds: a satker's index of subscriptions (with https, webcal://
and Google "add by URL" links) and one checkpoint's details (an event's URL)."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select
from sqlalchemy.orm import Session

from calendars.events import event_for, people_by_satker, resolve, rows_for, without_closed_work
from calendars.service import feed_links
from calendars.tokens import token_for
from monev.clock import today
from monev.config import MonevConfig
from monev.errors import MonevError
from monev.store import models as m

_ENV = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                   autoescape=select_autoescape(["html", "j2"]), trim_blocks=True)
TITLES = {"plan": "Rencana aksi", "area": "Area", "person": "Orang", "province": "Provinsi"}


def feed_title(session: Session, feed: m.Feed) -> str:
    plan = session.get(m.Plan, feed.plan_id) if feed.plan_id else None
    satker = session.get(m.Satker, feed.satker_id) if feed.satker_id else None
    what = f"{plan.kind} {plan.year} {plan.satker.name}" if plan else \
        satker.name if satker else ""
    return " — ".join(x for x in (TITLES.get(feed.scope, feed.scope), what, feed.value) if x)


def index_page(session: Session, index: m.Feed, secret: bytes, base_url: str) -> str:
    satker = session.get(m.Satker, index.satker_id)
    feeds = session.scalars(select(m.Feed).where(
        m.Feed.satker_id == index.satker_id, m.Feed.revoked_at.is_(None),
        m.Feed.scope != "index").order_by(m.Feed.id))
    rows = [{"id": f.id, "title": feed_title(session, f), "label": f.label,
             "links": feed_links(base_url, token_for(f.nonce, secret))} for f in feeds]
    return _ENV.get_template("index.html.j2").render(
        satker=satker.name if satker else "", feeds=rows)


def checkpoint_page(session: Session, feed: m.Feed, ref: str, cfg: MonevConfig) -> str | None:
    """The details of ``ref`` if this feed shows it (not an unverified checkpoint of a
    closed plan, which left the feed), else None."""
    if feed.scope == "index":
        return None
    try:
        scope = resolve(session, feed, cfg)
    except MonevError:
        return None
    people = people_by_satker(session, scope, cfg)
    rows = without_closed_work(session, rows_for(session, scope, people), cfg,
                               today(scope.info.timezone))
    for row in rows:
        if f"{row[1].key}@{row[0].period}" == ref:
            event = event_for(row, people.get(row[4].name, []), None)
            fields = [tuple(line.split(": ", 1)) for line in event.description.splitlines()]
            return _ENV.get_template("checkpoint.html.j2").render(
                summary=event.summary, fields=fields, portal=f"/portal/c/{row[0].id}")
    return None
