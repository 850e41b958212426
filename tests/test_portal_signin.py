"""Links that stay secret (issue 19): a person's calendar feed carries no sign-in token,
before and after ``monev portal rotate``; a page opened without a session sends a
one-time sign-in link through the outbox (real SMTP sink, real WhatsApp gateway), with
the same answer for nobody, once only, rate-limited; a link-preview bot opening a link
uses nothing up. Real app under uvicorn, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import TypeVar

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from app.cli import app as cli
from monev.clock import utcnow
from monev.config import Person
from monev.store import models as m
from notifiers.dispatch import dispatch
from notifiers.outbox import enqueue_sign_in
from tests.conftest import Sink, smtp_env
from tests.portal_app import App, AppFactory
from tests.test_notify import Gateway, http_server, waha_env

PIC = "Pegawai Contoh Dua"  # e-mail pegawai2@example.org
WA_PIC = "+6281200000011"  # Pegawai Contoh Satu's WhatsApp number
T = TypeVar("T")


@pytest.fixture
def gateway() -> Iterator[int]:
    Gateway.posts, Gateway.status = [], 200
    with http_server(Gateway) as port:
        yield port


def _wait(found: Callable[[], T], timeout: float = 20) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = found()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("nothing arrived")


def _no_token(ics: str, token: str) -> None:
    """No sign-in URL at all, and no piece of ``token`` (lines unfolded or not)."""
    for text in (ics, ics.replace("\r\n ", "")):
        assert "/p/" not in text
        assert not [token[i:i + 8] for i in range(len(token) - 7) if token[i:i + 8] in text]


def _feed_url(app: App) -> str:
    page = app.browser(PIC).get("/portal/kalender").text
    found = re.search(r"(http://127\.0\.0\.1:\d+/feeds/[\w-]{43}\.ics)", page)
    assert found, page
    return found.group(1)


def _sessions(app: App) -> int:
    with app.sessions() as s:
        return s.scalar(select(func.count()).select_from(m.PortalSession)) or 0


def _statuses(app: App) -> list[str]:
    with app.sessions() as s:
        return list(s.scalars(select(m.Outbox.status).where(m.Outbox.kind == "masuk")))


def _sign_in_rows(app: App) -> int:
    with app.sessions() as s:
        return s.scalar(select(func.count()).select_from(m.Outbox)
                        .where(m.Outbox.kind == "masuk")) or 0


def test_feed_without_tokens_and_one_time_sign_in_links(
        portal_app: AppFactory, smtp: tuple[Sink, int], gateway: int) -> None:
    """The PIC's feed before and after `monev portal rotate`; its event's page without a
    session → a one-time link by e-mail (and by WhatsApp): same answer for nobody,
    untouched by a preview bot, used once, rate-limited, never for a revoked person."""
    box, port = smtp
    app = portal_app(**smtp_env(port), **waha_env(gateway))
    token = app.link(PIC).rsplit("/", 1)[1]
    feed = _feed_url(app)
    before = httpx.get(feed, timeout=30)
    assert before.status_code == 200
    _no_token(before.text, token)
    urls = re.findall(r"^URL:(\S+)\r$", before.text.replace("\r\n ", ""), re.M)
    assert len(urls) > 10 and all(re.fullmatch(rf"{app.url}/portal/c/\d+", u) for u in urls)
    rotated = CliRunner().invoke(cli, ["portal", "rotate", PIC, "--json"])
    assert rotated.exit_code == 0, rotated.output
    new = json.loads(rotated.stdout)["url"].rsplit("/", 1)[1]
    assert new != token
    after = httpx.get(feed, timeout=30)
    assert after.status_code == 200, "the feed's own token did not change"
    _no_token(after.text, token)
    _no_token(after.text, new)
    assert after.content == before.content, "the feed never depended on the portal link"
    assert httpx.get(f"{app.url}/p/{token}", timeout=30).status_code == 404
    # an event opened without a session offers the sign-in link, back to that page
    page = httpx.get(urls[0], timeout=30)
    cp = int(urls[0].rsplit("/", 1)[1])
    assert page.status_code == 401 and "Kirim tautan masuk ke WhatsApp/email saya" in page.text
    assert f'name="ke" value="c/{cp}"' in page.text

    def ask(typed: str, client: str) -> httpx.Response:  # the proxy names the client
        return httpx.post(f"{app.url}/portal/tautan", data={"alamat": typed, "ke": f"c/{cp}"},
                          headers={"X-Forwarded-For": client}, timeout=30)

    known, nobody = ask(" Pegawai2@Example.org ", "10.0.0.1"), ask("x@example.org", "10.0.0.2")
    assert known.status_code == nobody.status_code == 200 and known.text == nobody.text
    assert "Periksa WhatsApp atau email Anda" in known.text
    mail = _wait(lambda: [x for x in box.messages if x["to"] == ["pegawai2@example.org"]])[0]
    found = re.search(r"(http://127\.0\.0\.1:\d+/p/([\w-]{43}))\s", mail["body"])
    assert found and "/p/" not in mail["subject"], mail
    link, token = found.groups()
    assert "hanya dapat dipakai sekali" in mail["body"] and "15 menit" in mail["body"]
    assert _sign_in_rows(app) == 1, "nothing queued for nobody"
    _wait(lambda: _statuses(app) == ["sent"])  # recorded right after the sink took it
    with app.sessions() as s:
        stored = s.scalar(select(m.SignInLink.token_hash))
    assert stored and token not in stored, "stored hashed"
    # a WhatsApp number, typed as people type it, reaches the gateway
    assert ask("0812-0000-0011", "10.0.0.3").text == known.text
    post = _wait(lambda: Gateway.posts)[0]["json"]
    assert post["chatId"] == WA_PIC.lstrip("+") + "@c.us" and "/p/" in post["text"]

    # a link-preview bot fetches the link (twice, following redirects): nothing used
    opened = _sessions(app)
    for _ in range(2):
        preview = httpx.get(link, follow_redirects=True, timeout=30)
        assert preview.status_code == 200 and "Masuk" in preview.text
    assert _sessions(app) == opened, "no session"
    with app.sessions() as s:
        assert s.scalar(select(m.SignInLink.used_at).where(
            m.SignInLink.link_id.in_(select(m.PortalLink.id).where(
                m.PortalLink.person == PIC)))) is None
    # two browsers race with the same link: one session, the other finds it used
    first, second = (httpx.Client(base_url=app.url, timeout=30) for _ in range(2))
    for browser in (first, second):
        assert browser.get(link).headers["location"] == "/portal/masuk"
    assert first.post("/portal/masuk").headers["location"] == f"/portal/c/{cp}"
    late = second.post("/portal/masuk")
    assert late.status_code == 404 and "Tautan tidak berlaku" in late.text
    assert "monev_sesi" not in late.headers.get("set-cookie", "")
    assert first.get(f"/portal/c/{cp}").status_code == 200
    assert second.get("/portal/").status_code == 401
    assert httpx.get(link, timeout=30).status_code == 404, "used up"

    # rate limit per identifier (3 in 15 minutes), whether or not anyone has it
    for typed in ("pegawai2@example.org", "x@example.org"):
        assert [ask(typed, f"10.1.0.{i}").status_code for i in range(3)] == [200, 200, 429]
    assert ask("x@example.org", "10.1.0.9").text == ask("PEGAWAI2@example.org", "10.1.1.9").text
    _wait(lambda: len([x for x in box.messages if x["to"] == ["pegawai2@example.org"]]) == 3)
    assert _sign_in_rows(app) == 4, "refused requests queue nothing"
    # and per client address (10 in 15 minutes)
    answers = [ask(f"orang{i}@example.org", "10.2.0.1").status_code for i in range(11)]
    assert answers == [200] * 10 + [429]
    assert ask("0812 0000 0011", "10.2.0.1").status_code == 429
    # a link that expired is refused like a used one
    with app.sessions.begin() as s:
        s.execute(update(m.SignInLink).values(expires_at=utcnow() - timedelta(seconds=1)))
    unused = re.findall(r"/p/([\w-]{43})\s", box.messages[-1]["body"])[0]
    assert httpx.get(f"{app.url}/p/{unused}", timeout=30).status_code == 404
    # a person whose link the admin revoked gets nothing (and the answer says nothing)
    with app.sessions.begin() as s:
        s.execute(update(m.PortalLink).where(m.PortalLink.person == "Pegawai Contoh Satu")
                  .values(revoked_at=datetime(2025, 10, 1)))
    assert ask("pegawai1@example.org", "10.3.0.1").text == known.text
    assert _sign_in_rows(app) == 4
    unreadable = ask("bukan alamat", "10.3.0.2")
    assert unreadable.status_code == 422 and "Tulis alamat email" in unreadable.text


def test_expired_sign_in_link_is_never_sent(sessions: sessionmaker[Session]) -> None:
    """A sign-in link the dispatcher reaches after its expiry is dismissed, not sent."""
    person = Person(name="Pegawai", role="pic", email="p@example.org")
    now = utcnow()
    with sessions.begin() as s:
        row = enqueue_sign_in(s, "KPU Contoh", "Asia/Makassar", person, "email",
                              "https://monev.test/p/x", "masuk-1", now + timedelta(minutes=15),
                              now)
        assert row is not None and "WITA" in row.body and "/p/x" in row.body
    sent: list[str] = []
    report = dispatch(sessions, now=lambda: now + timedelta(minutes=16),
                      sender=lambda url, subject, body, attach=(): sent.append(body),
                      env=smtp_env(1))
    with sessions() as s:
        kept = s.get(m.Outbox, row.id)
        assert kept is not None and kept.status == "dismissed" and "kedaluwarsa" in \
            kept.last_error
    assert not sent and not report.sent
