"""The portal's page cache (portal/page_cache.py) on SQLite and PostgreSQL: a cached
Tugas saya or Papan is byte for byte what a fresh build shows — compared after every
kind of change with a second app on the same database whose cache is off — and an
entry is never given to another session, even of the same person."""

from __future__ import annotations

import re
from datetime import date

import httpx
import pytest
from sqlalchemy import select, update

from monev.config import load_config
from monev.engine import lifecycle
from monev.engine.sweep import sweep_plan
from monev.store import models as m
from monev.store import plan_status
from monev.store.queries import bump_plans
from tests.portal_app import MUARO, App, AppFactory, Browser, pdf

PIC = "Pegawai Contoh Dua"
KOORD = "Koordinator Pengawasan"
KETUA = "Ketua Tim ZI Contoh"
PAGES = {PIC: ("/portal/", "/portal/?lihat=terlambat"), KOORD: ("/portal/",),
         KETUA: ("/portal/papan",)}


def _counts(html: str) -> list[str]:
    return re.findall(r'<span class="count">\((\d+)\)', html)


class Twin:
    """The cached app and an uncached one on the same database: every page a browser
    gets from the first must be the second's, for the same session."""

    def __init__(self, cached: App, fresh: App, browsers: dict[str, Browser]) -> None:
        self.cached, self.fresh, self.browsers = cached, fresh, browsers

    def page(self, who: str, path: str) -> str:
        b = self.browsers[who]
        got = b.get(path)
        want = b.client.get(self.fresh.url + path)
        assert got.status_code == want.status_code == 200, (got.text, want.text)
        assert got.content == want.content, f"{who} {path}: cached page is stale"
        return got.text

    def all(self) -> dict[tuple[str, str], str]:
        shown = {}
        for who in self.browsers:
            for path in PAGES[who]:
                shown[(who, path)] = self.page(who, path)
        return shown


@pytest.fixture
def twin(portal_app: AppFactory) -> Twin:
    cached = portal_app()
    fresh = portal_app(MONEV_PORTAL_CACHE_MB="0")
    return Twin(cached, fresh, {w: cached.browser(w) for w in (PIC, KOORD, KETUA)})


def test_cache_serves_the_built_bytes_to_its_session_and_every_change(
        twin: Twin, monkeypatch: pytest.MonkeyPatch) -> None:
    app = twin.cached
    first = twin.all()
    assert twin.all() == first  # served again, from the cache
    # gzip'd for browsers that ask, the same page for those that do not
    raw = httpx.get(app.url + "/portal/papan", cookies=twin.browsers[KETUA].client.cookies,
                    headers={"Accept-Encoding": "gzip"}, timeout=30)
    assert raw.headers["content-encoding"] == "gzip" and raw.headers["cache-control"] == \
        "no-store" and "Accept-Encoding" in raw.headers["vary"]
    plain = httpx.get(app.url + "/portal/papan", cookies=twin.browsers[KETUA].client.cookies,
                      headers={"Accept-Encoding": "identity"}, timeout=30)
    assert "content-encoding" not in plain.headers
    assert plain.content == first[(KETUA, "/portal/papan")].encode()
    assert raw.content == plain.content  # httpx decodes it
    assert int(raw.headers["content-length"]) < len(plain.content) // 4
    # another person, and the same person in a second browser, get their own page
    pic, koord, again = twin.browsers[PIC], twin.browsers[KOORD], app.browser(PIC)
    pages = {b.get("/portal/").text for b in (pic, koord, again)}
    assert len(pages) == 3
    for b in (pic, koord, again):
        assert b.csrf() == re.findall(r'name="csrf" value="([0-9a-f]+)"',
                                      b.get("/portal/").text)[0]
        assert {b.csrf()} != {x.csrf() for x in (pic, koord, again) if x is not b}
    assert KOORD not in pic.get("/portal/").text.split("</header>")[0]
    # the cache is on: a write that bumps no data version is not seen…
    ids = app.checkpoints_of("open", komponen="Gratifikasi")
    with app.sessions.begin() as s:
        s.execute(update(m.Checkpoint).where(m.Checkpoint.id.in_(ids))
                  .values(status="verified"))
        plan_id = s.scalar(select(m.Item.plan_id).join(m.Checkpoint.item)
                           .where(m.Checkpoint.id == ids[0]))
    assert pic.get("/portal/").content == first[(PIC, "/portal/")].encode()
    with app.sessions.begin() as s:  # …until it is bumped, as every real write does
        bump_plans(s, [plan_id])
    assert _counts(twin.page(PIC, "/portal/")) != _counts(first[(PIC, "/portal/")])
    every_change_shows_on_the_next_request(twin, monkeypatch)


def every_change_shows_on_the_next_request(twin: Twin,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    app, pic, koord = twin.cached, twin.browsers[PIC], twin.browsers[KOORD]
    ketua = twin.browsers[KETUA]
    shown = twin.all()

    def changed(*which: tuple[str, str]) -> None:
        nonlocal shown
        now = twin.all()
        for key in which:
            assert now[key] != shown[key], f"{key} did not change"
        shown = now

    mine = app.checkpoints_of("open", komponen="Gratifikasi") + \
        app.checkpoints_of("open", komponen="SPIP")
    a, b = mine[:2]
    assert pic.upload(a, [("a.pdf", pdf("a"))]).status_code == 303  # evidence sent
    changed((PIC, "/portal/"), (KETUA, "/portal/papan"))
    with app.sessions.begin() as s:  # a forgotten link added, then both items withdrawn
        cp = s.get(m.Checkpoint, a)
        assert cp is not None
        lifecycle.add(s, cp, PIC, links=["https://drive.google.com/file/d/x/view"])
    twin.all()
    with app.sessions.begin() as s:
        cp = s.get(m.Checkpoint, a)
        assert cp is not None
        for ev in s.scalars(select(m.Evidence).where(m.Evidence.checkpoint_id == a)):
            lifecycle.withdraw(s, cp, ev.id, PIC)
    changed((PIC, "/portal/"), (KETUA, "/portal/papan"))
    # review: a rejection with its catatan, then accepted tier by tier
    assert pic.upload(b, [("b.pdf", pdf("b"))]).status_code == 303
    twin.all()
    assert koord.verify([b], "tolak", reason="Belum ditandatangani").status_code == 303
    changed((PIC, "/portal/"), (KOORD, "/portal/"))
    assert "Belum ditandatangani" in shown[(PIC, "/portal/")]
    assert pic.upload(b, [("b2.pdf", pdf("b2"))]).status_code == 303
    twin.all()
    assert koord.verify([b], "terima").status_code == 303  # first tier: still terkirim
    twin.all()
    assert ketua.verify([b], "terima").status_code == 303  # verified
    changed((PIC, "/portal/"), (KETUA, "/portal/papan"))
    # the plan closed by an admin, and reopened
    with app.sessions.begin() as s:
        plan = s.scalar(select(m.Plan).where(m.Plan.kind == "ZI", m.Plan.satker_id == 1))
        assert plan is not None
        plan_status.close(s, plan, "admin", "", date(2025, 10, 28))
    changed((PIC, "/portal/"), (KETUA, "/portal/papan"))
    assert "Arsip" in shown[(PIC, "/portal/")]
    with app.sessions.begin() as s:
        plan = s.get(m.Plan, plan.id)
        assert plan is not None
        plan_status.reopen(s, plan, "admin", "")
    changed((PIC, "/portal/"), (KETUA, "/portal/papan"))
    # another day: what is late and due this week moves; the sweep of that day too
    monkeypatch.setenv("MONEV_TODAY", "2025-11-12")
    changed((PIC, "/portal/"), (KETUA, "/portal/papan"))
    sc = load_config(app.config).satker(MUARO)
    assert sc is not None
    with app.sessions.begin() as s:
        sweep_plan(s, plan.id, date(2025, 11, 12), sc.calendar(),
                   sc.settings(), sc)
    twin.all()

