"""The portal journey in a real browser: headless Chromium (the system's, driven by
Playwright; nothing downloaded) against the real app under uvicorn, a real SMTP sink
and a real local Prefect server, on SQLite and on PostgreSQL.

The PIC opens the link from the message in the sink → uploads a PDF (JavaScript off:
the forms work without it) → the koordinator, on a 390×844 phone, rejects with a
reason → the next digest and the page show the reason → the PIC resubmits → accepted
by the koordinator, then the Ketua Tim ZI → the Papan and the Prefect capaian artifact
show the higher capaian. Screenshots of
every page, desktop and phone, go to ``MONEV_SCREENSHOT_DIR`` (``docs/`` for the
README) or the test's temporary folder."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from notifiers.dispatch import dispatch
from tests.conftest import Sink, smtp_env
from tests.portal_app import AppFactory, open_link, pdf

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
PIC, KOORD, KETUA = "Pegawai Contoh Dua", "Koordinator Pengawasan", "Ketua Tim ZI Contoh"
REASON = "Notulen belum ditandatangani Ketua; unggah versi bertanda tangan"
CAPAIAN_KEY = "kpu-kabupaten-muaro-jambi-zi-2025-capaian"
NO_OVERFLOW = "document.documentElement.scrollWidth <= window.innerWidth"
UNLABELLED = """[...document.querySelectorAll(
  'input:not([type=hidden]), textarea, select')].filter(
  e => !e.labels.length && !e.getAttribute('aria-label')).length"""


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} missing: apt-get install -y chromium (.ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()



def _shots_dir(tmp_path: Path, db_url: str) -> Path:
    wanted = os.environ.get("MONEV_SCREENSHOT_DIR")
    if wanted and db_url.startswith("sqlite"):
        return Path(wanted)
    return tmp_path / "shots"


def _capaian_artifact(api: str) -> float | None:
    user, _, password = os.environ.get("PREFECT_API_AUTH_STRING", "").partition(":")
    resp = httpx.post(f"{api}/artifacts/filter", timeout=10, auth=(user, password), json={
        "artifacts": {"key": {"any_": [CAPAIAN_KEY]}}, "sort": "CREATED_DESC", "limit": 1})
    resp.raise_for_status()
    found = resp.json()
    return float(found[0]["data"]) if found else None


def _wait_artifact(api: str, above: float | None, timeout: float = 60) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = _capaian_artifact(api)
        if value is not None and (above is None or value > above):
            return value
        time.sleep(0.5)
    raise AssertionError(f"capaian artifact did not pass {above} (last {value})")


def _verified_count(page: Any) -> int:
    found = re.search(r"(\d+) dari (\d+) bukti", page.inner_text("#capaian-rincian"))
    assert found, page.inner_text("main")
    return int(found.group(1))



def _check_page(page: Any, shots: Path, name: str) -> None:
    """Every page: no unlabelled control; on a phone nothing wider than the screen."""
    assert page.evaluate(UNLABELLED) == 0, f"{name}: a form control without a label"
    assert page.evaluate(NO_OVERFLOW), f"{name}: wider than the screen"
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / f"portal-{name}.png"), full_page=True)


def test_journey_pic_koordinator_ketua(portal_app: AppFactory, chromium: Any,
                                       smtp: tuple[Sink, int], prefect_server: dict[str, str],
                                       tmp_path: Path, db_url: str) -> None:
    box, smtp_port = smtp
    api = prefect_server["PREFECT_API_URL"]
    app = portal_app(PREFECT_API_URL=api, PREFECT_HOME=prefect_server["PREFECT_HOME"])
    shots = _shots_dir(tmp_path, db_url)
    env = smtp_env(smtp_port)
    morning = datetime(2025, 10, 28, 3, 0)  # 10:00 WIB

    # 1. today's digest reaches the PIC in the SMTP sink, with their own links
    assert dispatch(app.sessions, now=lambda: morning, env=env).sent
    mail = next(x for x in box.messages if x["to"] == ["pegawai2@example.org"])
    assert "monev evidence" not in mail["body"]
    item_link = re.search(r"Buka: (http://127\.0\.0\.1:\d+/p/[\w-]{43}/c/(\d+))", mail["body"])
    assert item_link, mail["body"]
    url, cp_id = item_link.group(1), int(item_link.group(2))
    tugas = re.search(r"Semua tugas Anda: (\S+)", mail["body"])
    assert tugas

    # 2. the PIC opens it on a desktop with JavaScript off and uploads a PDF
    pic = chromium.new_context(viewport=DESKTOP, java_script_enabled=False)
    page = pic.new_page()
    open_link(page, url)
    assert page.url.endswith(f"/portal/c/{cp_id}")
    proof = tmp_path / "notulen-rapat.pdf"
    proof.write_bytes(pdf("versi pertama"))
    page.get_by_label("Berkas bukti").set_input_files(str(proof))
    page.get_by_label("Catatan").fill("Notulen rapat evaluasi Oktober")
    page.get_by_role("button", name="Kirim bukti").click()
    assert "Bukti terkirim" in page.inner_text("main")
    assert "notulen-rapat.pdf" in page.inner_text("main")

    # 3. the koordinator, on a phone, rejects it with a reason from the queue
    koord = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True,
                                 java_script_enabled=False)
    kpage = koord.new_page()
    open_link(kpage, app.link(KOORD) + "/verifikasi")
    _check_page(kpage, shots, "verifikasi-ponsel")
    kpage.locator(f"#v{cp_id}").check()
    kpage.get_by_label("Catatan untuk PIC").fill(REASON)
    kpage.get_by_role("button", name="Tolak yang dicentang").click()
    assert "ditolak" in kpage.inner_text("main")
    before = _wait_artifact(api, None)

    # 4. the next digest carries the reason; so does the PIC's page
    later = datetime(2100, 1, 4, 3, 0)  # past the rejection row's send time (real clock)
    assert dispatch(app.sessions, now=lambda: later, env=env).sent
    again = [x for x in box.messages if x["to"] == ["pegawai2@example.org"]][-1]
    assert again is not mail and "bukti ditolak" in again["subject"]
    assert f"Alasan ditolak: {REASON} ({KOORD})" in again["body"]
    assert f"/c/{cp_id}" in again["body"]
    page.goto(tugas.group(1))
    assert REASON in page.inner_text("main")
    _check_page(page, shots, "tugas-saya")
    page.goto(f"{app.url}/portal/c/{cp_id}")
    assert REASON in page.inner_text(".reason")

    # 5. the PIC resubmits from a phone; the koordinator accepts on the desktop
    phone = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    ppage = phone.new_page()
    open_link(ppage, url)
    _check_page(ppage, shots, "checkpoint-ditolak-ponsel")
    ppage.goto(tugas.group(1))
    _check_page(ppage, shots, "tugas-saya-ponsel")
    ppage.goto(f"{app.url}/portal/c/{cp_id}")
    fixed = tmp_path / "notulen-bertanda-tangan.pdf"
    fixed.write_bytes(pdf("versi bertanda tangan"))
    ppage.get_by_label("Berkas bukti").set_input_files(str(fixed))
    ppage.get_by_role("button", name="Kirim ulang").click()  # sent by upload.js (JS on)
    ppage.wait_for_selector("[role=status]:has-text('Bukti terkirim')")
    ketua = chromium.new_context(viewport=DESKTOP)
    board = ketua.new_page()
    open_link(board, app.link(KETUA) + "/papan")
    verified_before = _verified_count(board)
    desk = chromium.new_context(viewport=DESKTOP)
    dpage = desk.new_page()
    open_link(dpage, app.link(KOORD) + f"/c/{cp_id}")
    assert "Versi 2" in dpage.inner_text("main") and "Versi 1" in dpage.inner_text("main")
    _check_page(dpage, shots, "checkpoint")
    dpage.get_by_role("button", name="Terima bukti").click()
    assert "Bukti diterima" in dpage.inner_text("main")
    board.reload()
    assert _verified_count(board) == verified_before, "the Ketua Tim ZI's tier is next"
    board.goto(f"{app.url}/portal/c/{cp_id}")
    board.get_by_role("button", name="Terima bukti").click()
    assert "terverifikasi" in board.inner_text("main")

    # 6. the Papan and the Prefect capaian artifact show the higher capaian
    board.goto(f"{app.url}/portal/papan")
    assert _verified_count(board) == verified_before + 1
    _check_page(board, shots, "papan")
    after = _wait_artifact(api, before)
    assert after > before
    board.goto(f"{app.url}/portal/kalender")
    _check_page(board, shots, "kalender")
    mobile_board = phone.new_page()
    open_link(mobile_board, app.link(KETUA) + "/papan")
    _check_page(mobile_board, shots, "papan-ponsel")
    for context in (pic, koord, phone, ketua, desk):
        context.close()


def test_review_in_two_rounds_on_a_phone(portal_app: AppFactory, chromium: Any,
                                         tmp_path: Path, db_url: str) -> None:
    """On 390×844 phones: the koordinator sees the PDF's first page, rejects with a
    preset reason and a note → the PIC answers with a tanggapan and a new file → the
    koordinator sees "menunggu dicek ulang" and accepts → the Ketua Tim ZI (tier 2)
    accepts → verified; the thread on the checkpoint page shows both rounds."""
    from monev.config import DEFAULT_REASONS
    from monev.store import models as m
    from tests.test_portal_review import REAL_PDF

    app = portal_app()
    shots = _shots_dir(tmp_path, db_url)
    cp_id = app.checkpoints_of("open", komponen="SPIP")[0]
    reason, note = DEFAULT_REASONS[1], "Halaman pengesahan belum ada tanda tangan Sekretaris"
    answer = "Sudah ditandatangani Sekretaris, halaman 2"
    phone = {"viewport": PHONE, "is_mobile": True, "has_touch": True}

    pic = chromium.new_context(**phone).new_page()
    open_link(pic, app.link(PIC) + f"/c/{cp_id}")
    first = tmp_path / "notulen.pdf"
    first.write_bytes(REAL_PDF.read_bytes())
    pic.get_by_label("Berkas bukti").set_input_files(str(first))
    pic.get_by_role("button", name="Kirim bukti").click()
    pic.wait_for_url(re.compile(r"pesan=terkirim"))  # upload.js follows the answer
    assert "Bukti terkirim" in pic.inner_text("main")

    # round 1: evidence first on the koordinator's phone, rejected with a preset reason
    koord = chromium.new_context(**phone).new_page()
    open_link(koord, app.link(KOORD) + f"/c/{cp_id}")
    preview = koord.locator(".review .previews img").first
    koord.wait_for_function("i => i.complete && i.naturalWidth > 300",
                            arg=preview.element_handle(), timeout=20_000)
    assert koord.evaluate("document.querySelector('.review').getBoundingClientRect().top"
                          " < document.querySelector('dl.fields').getBoundingClientRect().top")
    _check_page(koord, shots, "periksa-bukti-ponsel")
    koord.get_by_label(reason).check()
    koord.get_by_label("Catatan untuk PIC").fill(note)
    koord.get_by_role("button", name="Tolak bukti").click()
    assert "Bukti ditolak" in koord.inner_text("main")

    # the PIC reads the catatan as a thread and answers with a tanggapan and a new file
    pic.goto(f"{app.url}/portal/c/{cp_id}")
    thread = pic.inner_text("#pemeriksaan ~ .round")
    assert "Putaran 1" in thread and reason in thread and note in thread
    fixed = tmp_path / "notulen-ttd.pdf"
    fixed.write_bytes(pdf("bertanda tangan"))
    pic.get_by_label("Berkas bukti").set_input_files(str(fixed))
    pic.get_by_label("Tanggapan untuk verifikator").fill(answer)
    pic.get_by_role("button", name="Kirim ulang").click()
    pic.wait_for_url(re.compile(r"pesan=terkirim"))  # upload.js follows the answer
    assert "Bukti terkirim" in pic.inner_text("main")

    # round 2: the koordinator's queue marks it as a re-check, with the tanggapan
    koord.goto(f"{app.url}/portal/verifikasi")
    card = koord.locator(f"#antre-{cp_id}")
    assert "menunggu dicek ulang" in card.inner_text()
    assert "revisi ke-1" in card.inner_text() and answer in card.inner_text()
    _check_page(koord, shots, "verifikasi-dicek-ulang-ponsel")
    koord.locator(f"#v{cp_id}").check()
    koord.get_by_role("button", name="Terima yang dicentang").click()
    assert "diteruskan" in koord.inner_text("main")
    assert koord.locator(f"#antre-{cp_id}").count() == 0

    # tier 2: the Ketua Tim ZI accepts → verified; the thread holds both rounds
    ketua = chromium.new_context(**phone).new_page()
    open_link(ketua, app.link(KETUA) + "/verifikasi")
    card = ketua.locator(f"#antre-{cp_id}")
    assert "tingkat 2 dari 2" in card.inner_text()
    assert "menunggu dicek ulang" not in card.inner_text()
    ketua.goto(f"{app.url}/portal/c/{cp_id}")
    ketua.get_by_role("button", name="Terima bukti").click()
    assert "terverifikasi" in ketua.inner_text("main")
    rounds = ketua.locator(".round")
    assert rounds.count() == 2
    one, two = rounds.nth(0).inner_text(), rounds.nth(1).inner_text()
    assert reason in one and note in one and KOORD in one
    assert "revisi ke-1" in two and answer in two
    assert "Diterima di tingkat 1" in two and "Diterima di tingkat 2" in two and KETUA in two
    _check_page(ketua, shots, "pemeriksaan-ponsel")
    with app.sessions() as s:
        assert s.get(m.Checkpoint, cp_id).status == "verified"  # type: ignore[union-attr]
    for page in (pic, koord, ketua):
        page.context.close()


def _history(context: Any, page: Any) -> list[str]:
    """Every URL of the tab's navigation history (CDP), checked against history.length."""
    cdp = context.new_cdp_session(page)
    entries = [str(e["url"]) for e in cdp.send("Page.getNavigationHistory")["entries"]]
    assert page.evaluate("history.length") == len(entries)
    return entries


def test_sign_in_on_a_phone_leaves_no_token_in_history(
        portal_app: AppFactory, chromium: Any, smtp: tuple[Sink, int], tmp_path: Path,
        db_url: str) -> None:
    """A calendar event opened on a phone without a session → "Kirim tautan masuk" →
    the one-time link from the e-mail → "Masuk" → the event's page; then a personal link
    in a fresh browser. Neither token is anywhere in the tab's history."""
    box, smtp_port = smtp
    app = portal_app(**smtp_env(smtp_port))
    shots = _shots_dir(tmp_path, db_url)
    cp = app.checkpoints_of("open", komponen="Gratifikasi")[0]
    phone = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = phone.new_page()
    page.goto(f"{app.url}/portal/c/{cp}")
    _check_page(page, shots, "tanpa-sesi-ponsel")
    page.get_by_label("Email atau nomor WhatsApp Anda").fill("pegawai2@example.org")
    page.get_by_role("button", name="Kirim tautan masuk ke WhatsApp/email saya").click()
    assert "Periksa WhatsApp atau email Anda" in page.inner_text("main")
    deadline = time.monotonic() + 20
    while not box.messages and time.monotonic() < deadline:
        time.sleep(0.05)
    found = re.search(r"(http://\S+/p/([\w-]{43}))\s", box.messages[0]["body"])
    assert found, box.messages
    link, token = found.groups()
    page.goto(link)  # tapped in the e-mail
    assert page.url == f"{app.url}/portal/masuk"
    assert "Pegawai" in page.inner_text("main") and "Contoh" not in page.inner_text("main")
    assert page.evaluate("document.cookie") == "", "the pending token is HttpOnly"
    _check_page(page, shots, "masuk-ponsel")
    page.get_by_role("button", name="Masuk", exact=True).click()
    assert page.url == f"{app.url}/portal/c/{cp}" and "Kirim bukti" in page.inner_text("main")
    urls = _history(phone, page)
    assert urls[-1] == page.url and not [u for u in urls if token in u or "/p/" in u], urls
    page.go_back()  # back to the sign-in page: it says so, and opens nothing again
    assert "Anda sudah masuk" in page.inner_text("main")
    page.goto(link)
    assert page.url == f"{app.url}/portal/c/{cp}", "same person, live session: straight in"
    fresh = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    again = fresh.new_page()
    again.goto(link)
    assert "Tautan tidak berlaku" in again.inner_text("main"), "a one-time link, used"
    # a personal link from a digest, in another fresh browser
    personal = app.link(PIC) + f"/c/{cp}"
    other = fresh.new_page()
    open_link(other, personal)
    assert other.url == f"{app.url}/portal/c/{cp}"
    urls = _history(fresh, other)
    assert not [u for u in urls if personal.rsplit("/", 3)[1] in u or "/p/" in u], urls
    for context in (phone, fresh):
        context.close()


# Every visible link, button and checkbox (or the checkbox's label) at least 44 px tall.
SMALL_TARGETS = """[...document.querySelectorAll('a, button, input[type=checkbox]')]
  .filter(e => { const r = e.getBoundingClientRect();
                 return r.width > 0 && r.right > 0
                        && getComputedStyle(e).visibility !== 'hidden'; })
  .map(e => [e.outerHTML.slice(0, 90), Math.max(e.getBoundingClientRect().height,
             ...[...(e.labels || [])].map(l => l.getBoundingClientRect().height))])
  .filter(([, h]) => h < 44)"""
DRIVE = "https://drive.google.com/drive/folders/1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789?usp=sharing"
CARD_LINKS = ("[...document.querySelectorAll('%s article.task h3 a')]"
              ".map(a => a.getAttribute('href'))")


def _on_phone(page: Any, name: str, max_height: int | None = None) -> None:
    """A page on a 390 px phone: no control smaller than 44 px or unlabelled, nothing
    wider than the screen, and (for the task list) not endless."""
    assert page.evaluate(SMALL_TARGETS) == [], f"{name}: tap targets under 44 px"
    assert page.evaluate(UNLABELLED) == 0, f"{name}: a form control without a label"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], name
    if max_height:
        height = page.evaluate("document.body.scrollHeight")
        assert height < max_height, f"{name}: {height} px tall"


def test_this_week_first_on_a_phone(portal_app: AppFactory, chromium: Any) -> None:
    """Tugas saya opens on what was refused, then this week's work, then the late with a
    count and "lihat semua"; a message's link puts its items on top (only the viewer's
    own); every page of the portal is tappable and fits a 390 px phone; pages are gzip'd."""
    from datetime import date

    from sqlalchemy import select

    from monev.store import models as m

    app = portal_app()
    with app.sessions() as s:  # the PIC's digest of the day, as the sweep queued it
        body = s.scalar(select(m.Outbox.body).where(
            m.Outbox.person == PIC, m.Outbox.channel == "email",
            m.Outbox.day == date(2025, 10, 28)))
    assert body, "the sweep of 28 October wrote the PIC a digest"
    link = re.search(r"Semua tugas Anda: (\S+/sorot/([\d,]+))", body)
    assert link, body
    announced = [int(i) for i in link.group(2).split(",")]
    mine = app.checkpoints_of("open", komponen="Gratifikasi") + \
        app.checkpoints_of("open", komponen="SPIP")
    theirs = app.checkpoints_of("open", komponen="Tim Kerja")[0]  # Pegawai Contoh Satu's
    pic = app.browser(PIC)
    rejected, waiting = mine[-1], mine[-2]
    for cp in (rejected, waiting):
        assert pic.upload(cp, [(f"bukti-{cp}.pdf", pdf(str(cp)))], link=DRIVE).status_code == 303
    assert app.browser(KOORD).verify([rejected], "tolak", reason=REASON).status_code == 303

    phone = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = phone.new_page()
    # 1. from the message: its items on top, in its order, above Ditolak
    open_link(page, link.group(1))  # its Masuk page, then the button
    answer = page.reload()
    assert page.url.endswith(f"/portal/?sorot={link.group(2)}")
    assert answer is not None and answer.headers.get("content-encoding") == "gzip"
    assert page.evaluate(CARD_LINKS % "section.sorot") == \
        [f"/portal/c/{i}" for i in announced]
    assert page.evaluate(CARD_LINKS % "main")[0] == f"/portal/c/{announced[0]}"
    headings = page.evaluate("[...document.querySelectorAll('main h2')].map(h => h.id)")
    assert headings[:5] == ["g-sorot", "g-ditolak", "g-minggu_ini", "g-terlambat", "g-lain"]
    # someone else's checkpoint in the link is not shown (nor told apart from a wrong id)
    page.goto(f"{app.url}/portal/?sorot={theirs},{mine[0]}")
    assert page.evaluate(CARD_LINKS % "section.sorot") == [f"/portal/c/{mine[0]}"]

    # 2. Tugas saya on its own: Ditolak, this week, Terlambat (count, "lihat semua")
    page.goto(f"{app.url}/portal/")
    headings = page.evaluate("[...document.querySelectorAll('main h2')].map(h => h.id)")
    assert headings == ["g-ditolak", "g-minggu_ini", "g-terlambat", "g-lain"]
    assert page.evaluate(CARD_LINKS % "section[aria-labelledby=g-ditolak]") == \
        [f"/portal/c/{rejected}"]
    assert REASON in page.inner_text("section[aria-labelledby=g-ditolak]")
    late = page.inner_text("#g-terlambat")
    total = int(re.search(r"\((\d+)\)", late).group(1))  # type: ignore[union-attr]
    shown = page.evaluate(CARD_LINKS % "section[aria-labelledby=g-terlambat]")
    assert total > 5 and len(shown) == 5
    assert page.get_by_role("link", name=f"Lihat semua ({total})").count() == 1
    _on_phone(page, "tugas saya (pegawai)", 6000)

    # 3. the koordinator: a short page too, and the late ones page by page
    koord = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    kpage = koord.new_page()
    open_link(kpage, app.link(KOORD))
    _on_phone(kpage, "tugas saya (koordinator)", 6000)
    late = kpage.inner_text("#g-terlambat")
    total = int(re.search(r"\((\d+)\)", late).group(1))  # type: ignore[union-attr]
    assert total > 20, "enough for two pages"
    kpage.get_by_role("link", name=f"Lihat semua ({total})").nth(0).click()
    assert "lihat=terlambat" in kpage.url and f"dari {(total + 19) // 20}" in \
        kpage.inner_text("nav.pages")
    first = kpage.evaluate(CARD_LINKS % "main")
    assert len(first) == 20
    _on_phone(kpage, "terlambat, halaman 1")
    kpage.get_by_role("link", name="Berikutnya ›").click()
    assert "hal=2" in kpage.url and "Halaman 2 dari" in kpage.inner_text("nav.pages")
    second = kpage.evaluate(CARD_LINKS % "main")
    assert second and not set(first) & set(second)
    assert kpage.get_by_role("link", name="‹ Sebelumnya").count() == 1
    # the other pages a phone shows, each tappable and within the screen
    for path in ("/portal/verifikasi", f"/portal/c/{waiting}", "/portal/kalender"):
        kpage.goto(f"{app.url}{path}")
        _on_phone(kpage, path)
        if path == "/portal/verifikasi":
            assert kpage.locator("input[type=checkbox]").count() >= 1
    iphone = kpage.evaluate("""[...document.querySelector('a[href^="webcal:"]')
                                .getClientRects()].map(r => [r.left, r.right])""")
    assert len(iphone) == 1 and iphone[0][0] >= 0 and iphone[0][1] <= PHONE["width"], \
        "the iPhone button is one box within the screen"
    board = phone.new_page()
    open_link(board, app.link("Ketua Tim ZI Contoh") + "/papan")
    _on_phone(board, "papan")
    assert "terlambat sejak diimpor" in board.inner_text(".legend")
    assert board.evaluate("getComputedStyle(document.querySelector('td.rowlabel')).position") \
        == "sticky"
    for context in (phone, koord):
        context.close()

    # 4. gzip for pages and CSS only: evidence and feeds go out as they are, 304 intact
    client = pic.client
    css = client.get("/portal/static/portal.css", headers={"Accept-Encoding": "gzip"})
    assert css.headers["content-encoding"] == "gzip" and css.headers["etag"].startswith("W/")
    again = client.get("/portal/static/portal.css", headers={
        "Accept-Encoding": "gzip", "If-None-Match": css.headers["etag"]})
    assert again.status_code == 304
    with app.sessions() as s:
        evidence = s.scalar(select(m.Evidence.id).where(m.Evidence.checkpoint_id == waiting))
    got = client.get(f"/portal/bukti/{evidence}", headers={"Accept-Encoding": "gzip"})
    assert got.status_code == 200 and "content-encoding" not in got.headers
    feed = re.search(r"(/feeds/[A-Za-z0-9_-]{43}\.ics)", client.get("/portal/kalender").text)
    assert feed
    ics = client.get(feed.group(1), headers={"Accept-Encoding": "gzip"})
    assert ics.status_code == 200 and "content-encoding" not in ics.headers
    assert client.get(feed.group(1), headers={"Accept-Encoding": "gzip", "If-None-Match":
                                              ics.headers["etag"]}).status_code == 304
