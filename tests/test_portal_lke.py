"""The LKE page of the portal against the real app (uvicorn on 127.0.0.1), SQLite and
PostgreSQL: the Tim ZI answers and the projected total moves by the hand-computed
amount, a bad answer is refused beside its field, a PIC is refused, the TPI fills its
own column only; the workbook and the evidence bundle download as attachments with the
answers where the TPI expects them. And the same on a phone in Chromium."""

from __future__ import annotations

import html
import io
import re
import zipfile
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from monev.lke.load import load_lke
from tests.portal_app import PDF, TODAY, App, AppFactory, Browser, open_link
from tests.test_portal_browser import (
    PHONE,
    UNLABELLED,
    _on_phone,
    _shots_dir,
    chromium,  # noqa: F401 - the module's browser
)

KETUA, KOORD, PIC = "Ketua Tim ZI Contoh", "Koordinator Pengawasan", "Pegawai Contoh Dua"
TPI = "Penilai TPI Contoh"
# 2.ii.a (SPBE, A/B/C) is served by no row of the Muaro plan: its answer counts as given.
# Sub-area 2.ii weighs 2,00 over 4 questions, so B (0,5) adds 2,00 ÷ 4 × 0,5 = 0,25.
CODE, ROW = "2.ii.a", load_lke("zi-2026").question("2.ii.a").row  # type: ignore[union-attr]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _projected(page: str) -> float:
    found = re.search(r'id="lke-proyeksi">([\d,]+)<', page)
    assert found, page[:2000]
    return float(found.group(1).replace(",", "."))


def _answer(b: Browser, plan: str, role: str, answer: str, note: str = "",
            code: str = CODE) -> httpx.Response:
    return b.client.post("/portal/lke/jawab", data={
        "csrf": b.csrf("/portal/lke"), "rencana": plan, "kode": code, "peran": role,
        "jawaban": answer, "catatan": note})


def _files(app: App) -> set[Path]:
    return {p for p in app.home.rglob("*") if p.is_file()}


def test_lke_answers_roles_and_downloads(portal_app: AppFactory) -> None:
    app = portal_app()
    ketua = app.browser(KETUA)
    first = ketua.get("/portal/lke")
    assert first.status_code == 200 and "Syarat WBK / WBBM" in first.text
    assert "WBK: ✗ belum terpenuhi menurut proyeksi" in first.text
    plan = re.search(r'name="rencana" value="(\d+)"', first.text).group(1)  # type: ignore[union-attr]
    before = _projected(first.text)

    # the Ketua Tim ZI answers: 303 to the question, the projection up by 0,25
    saved = _answer(ketua, plan, "unit", "B", "SPBE: aplikasi layanan baru")
    assert saved.status_code == 303
    assert saved.headers["location"] == \
        f"/portal/lke?rencana={plan}&disimpan={CODE}&peran=unit#q-{CODE}"
    page = ketua.get(saved.headers["location"]).text
    assert round(_projected(page) - before, 2) == 0.25
    assert 'id="unit-2.ii.a-disimpan"' in page and '<details class="card area" id="a-2" open>' \
        in page, "the question's area is open at its notice"
    assert "Poin: proyeksi <strong>0,25</strong> · saat ini 0,25 dari 0,50" in page
    assert 'id="unit-2.ii.a-B" name="jawaban" value="B" checked' in page
    # a bad answer: refused beside its field, in Indonesian, nothing changed
    bad = _answer(ketua, plan, "unit", "D")
    assert bad.status_code == 422
    assert "2.ii.a: jawaban harus salah satu dari A/B/C, bukan 'D'" in html.unescape(bad.text)
    assert re.search(r'id="unit-2\.ii\.a-galat"', bad.text)
    number = _answer(ketua, plan, "unit", "dua", code="R.1.i.a")
    assert number.status_code == 422 and 'id="unit-R.1.i.a-galat"' in number.text
    assert "R.1.i.a: jawaban harus angka, bukan 'dua'" in html.unescape(number.text)
    assert _projected(ketua.get("/portal/lke").text) == _projected(page)
    # 1.iii.a is monev's own (capaian): shown, not editable
    assert 'id="unit-1.iii.a-A"' not in page and "Jawaban unit (dari capaian)" in page
    assert _answer(ketua, plan, "unit", "A", code="1.iii.a").status_code == 403
    assert _answer(ketua, plan, "tpi", "C").status_code == 403, "the TPI column is the TPI's"
    assert app.browser(KOORD).get("/portal/lke").status_code == 200

    # a PIC does not see it, and cannot post to it
    pic = app.browser(PIC)
    refused = pic.get("/portal/lke")
    assert refused.status_code == 403 and "Tidak diizinkan" in refused.text
    assert _answer(pic, plan, "unit", "A").status_code == 403
    assert "/portal/lke" not in pic.get("/portal/").text, "no LKE in a PIC's menu"

    # the TPI fills its column, reads the unit's answer, cannot change it
    tpi = app.browser(TPI)
    seen = tpi.get("/portal/lke").text
    assert 'id="tpi-2.ii.a-A"' in seen and 'id="unit-2.ii.a-A"' not in seen
    assert "SPBE: aplikasi layanan baru" in seen, "the unit's note, read-only"
    assert _answer(tpi, plan, "tpi", "C", "Belum terintegrasi").status_code == 303
    assert _answer(tpi, plan, "unit", "A").status_code == 403
    cp = re.search(r'href="/portal/c/(\d+)"', seen)
    assert cp and tpi.get(f"/portal/c/{cp.group(1)}").status_code == 200, "reads the rows"
    assert 'id="unit-2.ii.a-B" name="jawaban" value="B" checked' in \
        ketua.get("/portal/lke").text

    # evidence sent for a row serving the LKE goes into the bundle
    mine = app.checkpoints_of("open", komponen="Gratifikasi")[0]
    assert pic.upload(mine, [("notulen.pdf", PDF)]).status_code == 303
    reports = ketua.get("/portal/laporan").text
    assert "Kertas kerja LKE (.xlsx)" in reports and "Bundel bukti LKE (.zip)" in reports
    assert "Kertas kerja LKE" in tpi.get("/portal/laporan").text
    book = ketua.get(f"/portal/laporan/lke/{plan}/kertas-kerja")
    assert book.status_code == 200 and book.headers["content-type"] == XLSX
    assert re.fullmatch(r'attachment; filename="lke-zi-2026-kpu-kabupaten-muaro-jambi-zi-2025-'
                        r'\d{8}\.xlsx"', book.headers["content-disposition"])
    assert "content-encoding" not in book.headers and \
        book.headers["x-content-type-options"] == "nosniff"
    sheet = load_workbook(io.BytesIO(book.content))["Jawaban"]
    assert (sheet[f"J{ROW}"].value, sheet[f"K{ROW}"].value, sheet[f"L{ROW}"].value,
            sheet[f"N{ROW}"].value, sheet[f"Q{ROW}"].value) == \
        (CODE, "B", "SPBE: aplikasi layanan baru", "C", "Belum terintegrasi")
    stored = _files(app)
    bundle = tpi.get(f"/portal/laporan/lke/{plan}/bundel")
    assert bundle.status_code == 200 and bundle.headers["content-type"] == "application/zip"
    assert re.fullmatch(r'attachment; filename="lke-zi-2026-.*\.zip"',
                        bundle.headers["content-disposition"])
    with zipfile.ZipFile(io.BytesIO(bundle.content)) as zf:
        names = zf.namelist()
        sent = [n for n in names if n.endswith(" notulen.pdf")]
        assert sent and all(zf.read(n) == PDF for n in sent)
        assert all(n.startswith("AREA V PENGUATAN PENGAWASAN/") for n in sent), sent
        assert "index.xlsx" in names and "LKE zi-2026 - Jawaban.xlsx" in names
    assert _files(app) == stored, "streamed: no file written or left behind"
    assert pic.get(f"/portal/laporan/lke/{plan}/kertas-kerja").status_code == 403
    assert pic.get(f"/portal/laporan/lke/{plan}/bundel").status_code == 403

    # the day's sweep keeps the LKE standing: the Papan shows the projection and the gap
    from datetime import date as _date

    from monev.engine.lke import record
    from monev.store import models as m

    with app.sessions.begin() as s:
        row = s.get(m.Plan, int(plan))
        assert row is not None
        record(s, row, _date.fromisoformat(TODAY))
        snap = s.get(m.LkeSnapshot, int(plan))
        assert snap is not None
        ahead = f"{snap.ahead_total:.2f}".replace(".", ",")
        reasons = snap.summary["gates"]["WBK"]["short"]
    board = ketua.get(f"/portal/papan?rencana={plan}").text
    assert f'<p class="big" id="lke-proyeksi">{ahead}</p>' in board
    assert html.escape(reasons[0]) in board and 'href="/portal/lke"' in board


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_lke_on_a_phone(portal_app: AppFactory, chromium: Any,  # noqa: F811
                        tmp_path: Path, db_url: str) -> None:
    """The Ketua Tim ZI opens the LKE from a link on a phone: the totals and gates first,
    areas folded; opens an area, answers a question, and is back at it, saved."""
    app = portal_app()
    context = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    open_link(page, app.link(KETUA) + "/lke")
    assert page.url.endswith("/portal/lke")
    before = float(page.inner_text("#lke-proyeksi").replace(",", "."))
    assert page.locator("details.area[open]").count() == 0, "areas folded"
    _on_phone(page, "lke", 6000)
    shots = _shots_dir(tmp_path, db_url)
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / "portal-lke-ponsel.png"), full_page=True)

    area = page.locator('[id="a-2"]')
    area.locator("summary").click()
    question = page.locator(f'[id="q-{CODE}"]')
    assert question.is_visible()
    question.get_by_label("A — ").check()
    question.get_by_label("Catatan unit").fill("Aplikasi terintegrasi SPBE")
    question.get_by_role("button", name="Simpan jawaban unit").click()
    page.wait_for_url(re.compile(rf"disimpan={re.escape(CODE)}"))
    assert page.url.endswith(f"#q-{CODE}")
    saved = page.locator(f'[id="q-{CODE}"]')
    assert saved.get_by_role("status").inner_text() == "Jawaban unit disimpan."
    assert saved.locator(f'[id="unit-{CODE}-A"]').is_checked()
    assert saved.get_by_label("Catatan unit").input_value() == "Aplikasi terintegrasi SPBE"
    after = float(page.inner_text("#lke-proyeksi").replace(",", "."))
    assert round(after - before, 2) == 0.5  # 2,00 ÷ 4 × 1
    assert page.evaluate(UNLABELLED) == 0
    _on_phone(page, "lke, area terbuka")
    page.screenshot(path=str(shots / "portal-lke-jawab-ponsel.png"))
    context.close()


def test_a_streamed_zip_is_the_written_one_and_a_cancelled_one_stops() -> None:
    """The pipe behind the bundle download: the chunks are the bytes the writer wrote,
    in order (a ZIP written to an unseekable stream reads back); a download given up
    after its first chunk stops the writer instead of leaving it blocked."""
    import os
    import threading
    import time

    from portal.streaming import CHUNK, streamed

    blob = os.urandom(3 * CHUNK + 123)  # incompressible: the ZIP spans several chunks

    def write(out: Any) -> None:
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("a/bukti.bin", blob)
            zf.writestr("index.txt", "1.i.a")

    chunks = list(streamed(write))
    assert len(chunks) >= 2, "sent while written, not at the end"
    with zipfile.ZipFile(io.BytesIO(b"".join(chunks))) as zf:
        assert zf.read("a/bukti.bin") == blob and zf.read("index.txt") == b"1.i.a"

    stopped = threading.Event()

    def endless(out: Any) -> None:
        try:
            while True:
                out.write(b"x" * CHUNK)
        finally:
            stopped.set()

    download = streamed(endless)
    assert len(next(download)) >= CHUNK
    download.close()  # the browser went away
    assert stopped.wait(5), "the writer stopped"
    deadline = time.monotonic() + 5
    while any(t.name == "monev-stream" for t in threading.enumerate()):
        assert time.monotonic() < deadline, "the writer's thread ended"
        time.sleep(0.05)
