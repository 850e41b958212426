"""Evidence uploads in a real browser (headless Chromium driven by Playwright, the real
app under uvicorn, SQLite and PostgreSQL), on a phone: a Unicode file name sent by
Chromium itself; a double tap on "Kirim bukti" with JavaScript off (stored once, the
success page) and on (the button is disabled while sending: one POST); the progress bar on a
throttled connection, moving before the upload completes; the server's error page
shown in place; a forgotten file added and a wrong one withdrawn."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select

from monev.store import models as m
from tests.portal_app import PDF, App, AppFactory, open_link, pdf
from tests.test_portal_browser import PHONE, _check_page, _shots_dir
from tests.test_portal_browser import chromium as chromium  # noqa: F401 - the fixture

PIC = "Pegawai Contoh Dua"
NAME = "Laporan – Désember “final” 📎.pdf"
SLOW = {"offline": False, "latency": 150, "downloadThroughput": 400 * 1024,
        "uploadThroughput": 200 * 1024}  # bytes/s: a weak 3G signal


def _file(name: str, body: bytes, mime: str = "application/pdf") -> dict[str, Any]:
    return {"name": name, "mimeType": mime, "buffer": body}


def _versions(app: App, cp_id: int) -> list[tuple[int, str, bool]]:
    with app.sessions() as s:
        return [(v, n, w is not None) for v, n, w in s.execute(
            select(m.Evidence.version, m.Evidence.original_name, m.Evidence.withdrawn_at)
            .where(m.Evidence.checkpoint_id == cp_id).order_by(m.Evidence.id)).tuples()]


def test_upload_progress_double_tap_unicode_name_add_and_withdraw(
        portal_app: AppFactory, chromium: Any, tmp_path: Path, db_url: str) -> None:
    app = portal_app()
    shots = _shots_dir(tmp_path, db_url)
    first, second = (app.checkpoints_of("open", komponen="Gratifikasi") +
                     app.checkpoints_of("open", komponen="SPIP"))[:2]

    # 1. JavaScript off: a Unicode name; a double tap ends on the success page, stored once
    plain = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True,
                                 java_script_enabled=False)
    page = plain.new_page()
    posts: list[str] = []
    plain.on("request", lambda r: posts.append(r.url)
             if r.method == "POST" and r.url.endswith("/kirim") else None)
    open_link(page, app.link(PIC) + f"/c/{first}")
    page.get_by_label("Berkas bukti").set_input_files(_file(NAME, pdf("nama")))
    page.get_by_role("button", name="Kirim bukti").dblclick()
    page.wait_for_url(re.compile(r"pesan=terkirim"))
    assert "Bukti terkirim" in page.inner_text("main") and NAME in page.inner_text("main")
    assert "Error" not in page.inner_text("main") and "berstatus" not in page.inner_text("main")
    assert _versions(app, first) == [(1, NAME, False)]
    # (Chromium itself may fold a double click into one navigation; two POSTs of one
    # form reaching the server are test_portal_uploads' concurrent-POST test)
    assert 1 <= len(posts) <= 2
    plain.close()

    # 2. JavaScript on, a slow connection: the bar moves before the upload completes,
    #    the button stays disabled (a double tap sends once), the redirect is followed
    phone = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = phone.new_page()
    sent: list[str] = []
    phone.on("request", lambda r: sent.append(r.url)
             if r.method == "POST" and r.url.endswith("/kirim") else None)
    cdp = phone.new_cdp_session(page)
    cdp.send("Network.enable")
    open_link(page, app.link(PIC) + f"/c/{second}")
    assert page.evaluate("typeof DOMParser") == "function"
    photo = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4096  # a 1 MB "photo"
    page.get_by_label("Berkas bukti").set_input_files(_file("foto kegiatan.jpg", photo,
                                                            "image/jpeg"))
    cdp.send("Network.emulateNetworkConditions", SLOW)
    started = time.monotonic()
    page.get_by_role("button", name="Kirim bukti").dblclick()
    page.wait_for_function("() => { const p = document.querySelector('.progress progress');"
                           " return p && p.value > 0 && p.value < 100; }", timeout=20_000)
    moving = page.inner_text(".progress")
    assert re.search(r"mengunggah… \d+ KB dari 1,0 MB \(\d+%\)", moving), moving
    assert page.get_by_role("button", name="Kirim bukti").is_disabled()
    _check_page(page, shots, "unggah-kemajuan-ponsel")
    page.wait_for_url(re.compile(r"pesan=terkirim"), timeout=30_000)
    assert time.monotonic() - started > 2, "the throttle was in force"
    cdp.send("Network.emulateNetworkConditions", {**SLOW, "latency": 0,
                                                  "downloadThroughput": -1,
                                                  "uploadThroughput": -1})
    page.wait_for_selector("[role=status]:has-text('Bukti terkirim')")
    assert _versions(app, second) == [(1, "foto kegiatan.jpg", False)]
    assert len(sent) == 1, "the second tap found the button disabled"

    # 3. an error answer is shown in place, the address stays the checkpoint's page
    page.get_by_label("Berkas tambahan").set_input_files(
        _file("laporan.pdf", b"MZ\x90\x00" + bytes(300)))
    page.get_by_role("button", name=re.compile("Tambahkan ke versi 1")).click()
    page.wait_for_selector("[role=alert]")
    assert "program" in page.inner_text("[role=alert]")
    assert page.url.endswith(f"/portal/c/{second}"), "no stale notice, no POST address"
    # 4. a forgotten file added (the form works again after the error), the wrong one
    #    withdrawn: it stays in the trail, no longer evidence
    page.get_by_label("Berkas tambahan").set_input_files(_file("daftar hadir.pdf", PDF))
    page.get_by_role("button", name=re.compile("Tambahkan ke versi 1")).click()
    page.wait_for_selector("[role=status]:has-text('Bukti ditambahkan')")
    page.get_by_label("foto kegiatan.jpg").check()
    page.get_by_label("Alasan").fill("foto acara lain")
    page.get_by_role("button", name="Tarik bukti").click()
    page.wait_for_selector("[role=status]:has-text('Bukti ditarik')")
    assert "foto kegiatan.jpg" in page.inner_text(".withdrawn")
    assert "bukti ditarik" in page.inner_text(".history")
    _check_page(page, shots, "checkpoint-tarik-ponsel")
    assert _versions(app, second) == [(1, "foto kegiatan.jpg", True),
                                      (1, "daftar hadir.pdf", False)]
    phone.close()
