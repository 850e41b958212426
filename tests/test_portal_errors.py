"""Errors of portal URLs are pages in Bahasa Indonesia with a way back and the portal's
headers (the real app under uvicorn, SQLite and PostgreSQL); the app's other URLs keep
their answers."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.portal_app import AppFactory, open_link
from tests.test_portal_browser import chromium  # noqa: F401 - the module's browser

PIC = "Pegawai Contoh Dua"
KOORD = "Koordinator Pengawasan"
HUGE = "99999999999999999999"  # > 2**63: once a 500 from the database driver


def _is_page(response: httpx.Response, status: int, *words: str,
             back: str = 'href="/portal/"') -> None:
    """An HTML page in Indonesian with the portal's headers, a link back, no traceback."""
    html = response.text
    assert response.status_code == status, (status, response.status_code, html[:300])
    assert response.headers["content-type"].startswith("text/html"), html[:200]
    assert response.headers["content-security-policy"].startswith("default-src 'none'")
    assert response.headers["x-frame-options"] == "DENY"
    assert '<html lang="id">' in html and back in html and "Kembali ke" in html
    for word in words:
        assert word in html, (word, html)
    for english in ("detail", "Not Found", "Method Not Allowed", "Traceback",
                    "Internal Server Error", "field required", "boundary"):
        assert english not in html, (english, html)


def test_portal_errors_are_indonesian_pages(portal_app: AppFactory, chromium: Any,  # noqa: F811
                                            monkeypatch: pytest.MonkeyPatch,
                                            tmp_path: Path) -> None:
    app = portal_app()
    pic = app.browser(PIC)
    cp = app.checkpoints_of("open", komponen="SPIP")[0]

    # 404: an unknown page, ids out of range (path ids constrained in one place)
    _is_page(pic.get("/portal/tidak-ada"), 404, "Tidak ditemukan")
    for path in (f"/portal/c/{HUGE}", f"/portal/bukti/{HUGE}", f"/portal/laporan/{HUGE}",
                 f"/portal/bukti/{HUGE}/pratinjau", f"/portal/bukti/{2**31}/pratinjau",
                 "/portal/c/0", f"/portal/c/{2**31}", f"/portal/c/{2**63}", "/portal/c/-1"):
        _is_page(pic.get(path), 404, "Tidak ditemukan")
    _is_page(httpx.get(f"{app.url}/portal/static/tidak-ada.css", timeout=30), 404)
    _is_page(pic.get(f"/portal/c/{2**31 - 1}"), 404)  # in range (INTEGER), not there
    assert pic.get(f"/portal/papan?rencana={HUGE}").status_code == 404  # the PIC's Papan

    # 405: reloading the page an upload error answered at …/kirim goes back to the page
    back = pic.get(f"/portal/c/{cp}/kirim")
    assert back.status_code == 303 and back.headers["location"] == f"/portal/c/{cp}"
    assert back.headers["content-security-policy"].startswith("default-src 'none'")
    _is_page(pic.get("/portal/keluar"), 405, "tidak dapat dibuka langsung")
    _is_page(pic.client.post(f"/portal/c/{cp}", data={}), 405,
             back=f'href="/portal/c/{cp}"')

    # in Chromium: an upload refused, then the page reloaded, then opened again by its
    # address (a GET of …/kirim): pages all, never FastAPI's JSON
    # (without JavaScript: with it, upload.js shows the error in place at the page's
    # own address, so a reload cannot land on …/kirim)
    context = chromium.new_context(viewport={"width": 390, "height": 844},
                                   java_script_enabled=False)
    page = context.new_page()
    open_link(page, app.link(PIC) + f"/c/{cp}")
    fake = tmp_path / "laporan.pdf"
    fake.write_bytes(b"MZ\x90\x00" + b"\x00" * 200)  # a program named .pdf
    form = page.locator(f"form[action='/portal/c/{cp}/kirim']")
    form.locator("input[type=file]").set_input_files(str(fake))
    with page.expect_navigation() as sent:
        form.locator("button[type=submit]").first.click()
    assert sent.value is not None and sent.value.status == 415
    assert page.url.endswith(f"/portal/c/{cp}/kirim")
    # (headless Chromium's reload sends the form again; a phone's browser that reopens
    # the tab asks for the address: the GET that was once a 405 in JSON)
    for step in (page.reload, lambda: page.goto(page.url)):
        shown = step()
        assert shown is not None and shown.status < 500
        text = page.inner_text("body")
        assert "detail" not in text and "Method Not Allowed" not in text, text
        assert page.title().endswith("Portal monev"), page.title()
    assert page.url.endswith(f"/portal/c/{cp}"), page.url  # the GET went back to the page
    context.close()

    # 422: a form value that cannot be read
    koord = app.browser(KOORD)
    token = koord.csrf("/portal/verifikasi")
    for bad in ("abc", HUGE):
        sent = koord.client.post("/portal/verifikasi",
                                 data={"csrf": token, "ids": bad, "aksi": "terima"})
        _is_page(sent, 422, "Isian formulir tidak dapat dibaca")
    broken_form = koord.client.post("/portal/verifikasi", content=b"x", headers={
        "content-type": "multipart/form-data"})  # no boundary: FastAPI's 400
    _is_page(broken_form, 400, "tidak dapat diproses")
    ketua = app.browser("Ketua Tim ZI Contoh")
    for plan in (HUGE, "9999999999", "²"):
        assert ketua.get(f"/portal/papan?rencana={plan}").status_code == 200

    # 500: an unexpected exception is a page; its traceback goes to the server's log
    logged: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            logged.append(record)

    keep = Keep()
    logging.getLogger("uvicorn.error").addHandler(keep)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("rahasia internal")

    monkeypatch.setattr("portal.routes.checkpoint.my_tasks", broken)

    def traced() -> bool:
        return any(r.exc_info and "rahasia internal" in str(r.exc_info[1]) for r in logged)

    try:
        crashed = pic.get("/portal/")
        deadline = time.monotonic() + 10  # the server logs it after the page went out
        while not traced() and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        logging.getLogger("uvicorn.error").removeHandler(keep)
    _is_page(crashed, 500, "Terjadi kesalahan di server; coba lagi sebentar")
    assert "rahasia internal" not in crashed.text and "RuntimeError" not in crashed.text
    assert traced(), "the traceback goes to the server log"

    # the app's other URLs answer as before
    plain = httpx.Client(base_url=app.url, timeout=30)
    assert plain.get("/health").json()["status"] == "ok"
    assert plain.post("/health").json() == {"detail": "Method Not Allowed"}
    assert plain.get("/tidak-ada").json() == {"detail": "Not Found"}
    feed = plain.get(f"/feeds/{'A' * 43}.ics")
    assert feed.status_code == 404 and feed.text == "tidak ditemukan\n"
