"""The real app for portal tests: the example plans in a fresh database (SQLite file or
PostgreSQL), swept to a fixed day, served by uvicorn on 127.0.0.1, and a way to open
a person's portal as their browser would (cookie jar, CSRF field from the page)."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from monev.config import load_config
from monev.engine.sweep import sweep_plan
from monev.links import ensure_link
from monev.plans import load_plan
from monev.store import models as m
from monev.store.db import open_session_factory
from monev.store.imports import import_plan
from monev.tokens import server_secret
from tests.conftest import ROOT, ZI_KOTA, ZI_MUARO, free_port

CONFIG = ROOT / "config" / "monev.yaml"
MUARO = "KPU Kabupaten Muaro Jambi"
TODAY = "2025-10-28"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def pdf(tag: str) -> bytes:
    """A small PDF whose bytes differ by ``tag``."""
    return PDF.replace(b"<<>> endobj", f"<< /Title ({tag}) >> endobj".encode())


@dataclass
class App:
    url: str
    home: Path
    sessions: sessionmaker[Session]
    config: Path

    def link(self, person: str, satker: str = MUARO) -> str:
        with self.sessions.begin() as s:
            made = ensure_link(s, satker, person, server_secret(self.home))
        assert made is not None
        return f"{self.url}/p/{made[1]}"

    def browser(self, person: str, satker: str = MUARO) -> Browser:
        b = Browser(httpx.Client(base_url=self.url, timeout=30, follow_redirects=False))
        sign_in(b.client, self.link(person, satker))
        return b

    def checkpoints_of(self, status: str = "open", **where: str) -> list[int]:
        """Ids of Muaro's ZI checkpoints in ``status`` whose row matches ``where``."""
        with self.sessions() as s:
            q = (select(m.Checkpoint.id).join(m.Checkpoint.item).join(m.Item.area)
                 .join(m.Item.plan).where(m.Plan.kind == "ZI", m.Plan.satker_id == 1,
                                          m.Checkpoint.status == status)
                 .order_by(m.Checkpoint.due, m.Item.position))
            for col, value in where.items():
                q = q.where(getattr(m.Item, col).ilike(f"%{value}%") if col != "area"
                            else m.Area.name.ilike(f"%{value}%"))
            return list(s.scalars(q))

    def stored_blobs(self) -> list[Path]:
        return sorted(p for p in (self.home / "evidence").rglob("*") if p.is_file())


@dataclass
class Browser:
    client: httpx.Client

    def get(self, path: str) -> httpx.Response:
        return self.client.get(path)

    def csrf(self, path: str = "/portal/") -> str:
        found = re.search(r'name="csrf" value="([0-9a-f]+)"', self.client.get(path).text)
        assert found, "every page with a form carries the CSRF token"
        return found.group(1)

    def upload(self, cp_id: int, files: list[tuple[str, bytes]], csrf: str | None = "",
               link: str = "", note: str = "") -> httpx.Response:
        token = self.csrf(f"/portal/c/{cp_id}") if csrf == "" else csrf
        data = {"tautan": link, "catatan": note}
        if token is not None:
            data = {"csrf": token, **data}
        return self.client.post(f"/portal/c/{cp_id}/kirim", data=data,
                                files=[("berkas", (name, body, "application/pdf"))
                                       for name, body in files] or None)

    def verify(self, ids: list[int], action: str, reason: str = "",
               csrf: str | None = "") -> httpx.Response:
        token = self.csrf("/portal/verifikasi") if csrf == "" else csrf
        data: dict[str, object] = {"ids": [str(i) for i in ids], "aksi": action,
                                   "alasan": reason}
        if token is not None:
            data["csrf"] = token
        return self.client.post("/portal/verifikasi", data=data)


def sign_in(client: httpx.Client, url: str) -> httpx.Response:
    """Open a personal or one-time link as a person does: the link's page (a redirect to
    the tokenless "Masuk" page), then its button. Returns the button's answer (303 to
    the page the link names)."""
    opened = client.get(url)
    assert opened.status_code == 303 and opened.headers["location"] == "/portal/masuk", \
        opened.text
    assert "monev_sesi" not in opened.headers.get("set-cookie", ""), "GET opens nothing"
    page = client.get("/portal/masuk")
    assert page.status_code == 200 and 'action="/portal/masuk"' in page.text, page.text
    done = client.post("/portal/masuk")
    assert done.status_code == 303 and "monev_sesi=" in done.headers["set-cookie"], done.text
    return done


def open_link(page: Any, url: str) -> None:
    """Open a personal link in a browser page as a person does: its "Masuk" page, then
    the button (a browser already signed in as that person goes straight to the page)."""
    page.goto(url)
    if page.url.endswith("/portal/masuk"):
        page.get_by_role("button", name="Masuk", exact=True).click()
        page.wait_for_url(lambda u: not u.endswith("/portal/masuk"))


def prepare(url: str, home: Path, today: str = TODAY) -> sessionmaker[Session]:
    """Both ZI 2025 plans imported as of 7 July, swept on 1 October and on ``today``."""
    cfg = load_config(CONFIG)
    factory = open_session_factory(url)
    for path in (ZI_MUARO, ZI_KOTA):
        plan = load_plan(path)
        sc = cfg.satker(plan.header.satker)
        assert sc is not None
        with factory.begin() as s:
            res = import_plan(s, plan, sc.calendar(), date(2025, 7, 7), path.name, sc.tz)
        for day in (date(2025, 10, 1), date.fromisoformat(today)):
            with factory.begin() as s:
                sweep_plan(s, res.plan_id, day, sc.calendar(), sc.settings(), sc)
    return factory


@contextmanager
def serve(env: dict[str, str], monkeypatch: pytest.MonkeyPatch,
          port: int | None = None) -> Iterator[str]:
    """``create_app()`` under uvicorn on ``port`` (a free one) with ``env``; yields its
    URL."""
    port = port or free_port()
    for key, value in {**env, "MONEV_HTTP_PORT": str(port)}.items():
        monkeypatch.setenv(key, value)
    from app.web import create_app

    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port,
                                           log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


AppFactory = Callable[..., App]


def portal_apps(db_url: str, tmp_path: Path,
                monkeypatch: pytest.MonkeyPatch) -> Iterator[AppFactory]:
    """The ``portal_app`` fixture: start the app (once per test) on the prepared
    database; ``config=`` and extra environment variables may be given."""
    home = tmp_path / "home"
    home.mkdir(mode=0o700)  # as `monev up` makes it (tests alone must not depend on order)
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("MONEV_PUBLIC_URL", raising=False)
    monkeypatch.delenv("MONEV_FEED_DIR", raising=False)
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    ports = [free_port()]  # the first app's: the sweep's messages already link to it
    base = {"MONEV_DATABASE_URL": db_url, "MONEV_HOME": str(home), "MONEV_TODAY": TODAY,
            "MONEV_HTTP_PORT": str(ports[0])}
    for key, value in base.items():
        monkeypatch.setenv(key, value)
    factory = prepare(db_url, home)
    stack = ExitStack()

    def start(config: Path = CONFIG, **env: str) -> App:
        url = stack.enter_context(serve({**base, "MONEV_CONFIG": str(config), **env},
                                        monkeypatch, ports.pop() if ports else None))
        return App(url, home, factory, config)

    with stack:
        yield start
    factory.kw["bind"].dispose()
