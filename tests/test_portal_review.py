"""The verifier's pages against the real app (uvicorn on 127.0.0.1), SQLite and
PostgreSQL: previews of PDF evidence (a real PDF's first page; a hostile PDF's
placeholder, never an error), preset reasons, and rows held by the Ketua Tim ZI
verified by the Sekretaris standing in — or listed on the Papan when nobody can."""

from __future__ import annotations

import io
from pathlib import Path

import httpx
from PIL import Image
from sqlalchemy import func, select

from monev.config import DEFAULT_REASONS
from monev.store import models as m
from tests.conftest import ROOT
from tests.portal_app import App, AppFactory, Browser, pdf

PIC, KOORD = "Pegawai Contoh Dua", "Koordinator Pengawasan"
REAL_PDF = ROOT / "tests/fixtures/plans/other-zi-2027-kpu-provinsi-sulawesi-tengah/a4.pdf"
# a PDF header over garbage: it passes the type check, no renderer can draw it
HOSTILE = b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 9 0 R >>\n" + bytes(range(256)) * 40


def _evidence(app: App, cp_id: int) -> m.Evidence:
    with app.sessions() as s:
        ev = s.scalars(select(m.Evidence).where(m.Evidence.checkpoint_id == cp_id)
                       .order_by(m.Evidence.id.desc())).first()
    assert ev is not None
    return ev


def _decide(who: Browser, ids: list[int], aksi: str, reasons: list[str],
            note: str = "") -> httpx.Response:
    return who.client.post("/portal/verifikasi", data={
        "csrf": who.csrf("/portal/verifikasi"), "ids": [str(i) for i in ids], "aksi": aksi,
        "alasan_pilihan": reasons, "alasan": note})


def _status(app: App, cp_id: int) -> str:
    with app.sessions() as s:
        cp = s.get(m.Checkpoint, cp_id)
        assert cp is not None
        return cp.status


def test_previews_reasons_and_a_verifier_for_every_row(portal_app: AppFactory,
                                                       tmp_path: Path) -> None:
    app = portal_app()
    real, hostile = (app.checkpoints_of("open", komponen="SPIP") +
                     app.checkpoints_of("open", komponen="Gratifikasi"))[:2]
    pic = app.browser(PIC)
    assert pic.upload(real, [("notulen.pdf", REAL_PDF.read_bytes())]).status_code == 303
    assert pic.upload(hostile, [("laporan.pdf", HOSTILE)]).status_code == 303
    good, bad = _evidence(app, real), _evidence(app, hostile)

    koord = app.browser(KOORD)
    queue = koord.get("/portal/verifikasi").text
    assert f"/portal/bukti/{good.id}/pratinjau" in queue and DEFAULT_REASONS[0] in queue
    shown = koord.get(f"/portal/bukti/{good.id}/pratinjau")
    assert shown.status_code == 200 and shown.headers["content-type"] == "image/png"
    assert shown.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in shown.headers["content-security-policy"]
    width, height = Image.open(io.BytesIO(shown.content)).size
    assert width <= 900 and height <= 1800 and height > width, "an A4 page, capped"
    assert (app.home / "previews" / good.sha256[:2] / f"{good.sha256}.png").is_file()  # type: ignore[index]
    broken = koord.get(f"/portal/bukti/{bad.id}/pratinjau")
    assert broken.status_code == 200 and broken.headers["content-type"] == "image/svg+xml"
    assert "Pratinjau tidak tersedia" in broken.text
    page = koord.get(f"/portal/c/{hostile}").text
    assert "Pratinjau tidak tersedia untuk laporan.pdf" in page
    assert f"/portal/bukti/{bad.id}/pratinjau" not in page, "known: not tried again"
    other = app.browser("Pegawai Contoh Satu")
    assert other.get(f"/portal/bukti/{good.id}/pratinjau").status_code == 404

    # preset reasons: a ticked reason is enough; one not offered, or ticked while
    # accepting, changes nothing
    assert _decide(koord, [hostile], "tolak", ["Bukan alasan"]).status_code == 422
    assert _decide(koord, [hostile], "terima", [DEFAULT_REASONS[3]]).status_code == 422
    assert _decide(koord, [hostile], "tolak", []).status_code == 422
    assert _status(app, hostile) == "submitted"
    assert _decide(koord, [hostile], "tolak", [DEFAULT_REASONS[3]]).status_code == 303
    assert DEFAULT_REASONS[3] in pic.get(f"/portal/c/{hostile}").text
    assert _decide(koord, [real], "terima", []).headers["location"].endswith("diteruskan")
    assert _status(app, real) == "submitted", "the Ketua Tim ZI's tier is next"
    ketua = app.browser("Ketua Tim ZI Contoh")
    assert koord.get("/portal/verifikasi").text.count('name="ids"') == 0
    assert f'value="{real}"' in ketua.get("/portal/verifikasi").text
    assert _decide(ketua, [real], "terima", []).headers["location"].endswith("diterima")
    assert _status(app, real) == "verified"

    # KPU Kota Jambi: the Ketua Tim ZI holds every row; the Sekretaris verifies them
    with app.sessions() as s:
        kota = s.scalar(select(m.Checkpoint.id).join(m.Checkpoint.item).join(m.Item.plan)
                        .where(m.Plan.satker_id == 2, m.Checkpoint.status == "open")
                        .order_by(m.Checkpoint.due))
        kota_rows = s.scalar(select(func.count(func.distinct(m.Item.id)))
                             .join(m.Item.plan).join(m.Item.checkpoints)
                             .where(m.Plan.satker_id == 2, m.Item.active))
    assert kota is not None
    holder = app.browser("Ketua Tim ZI Kota Contoh", "KPU Kota Jambi")
    assert holder.upload(kota, [("sk.pdf", pdf("sk kota"))]).status_code == 303
    own = _decide(holder, [kota], "terima", [])
    assert own.status_code == 403 and "kirim sendiri" in own.text
    assert "Sekretaris Kota Contoh" in holder.get(f"/portal/c/{kota}").text
    sekretaris = app.browser("Sekretaris Kota Contoh", "KPU Kota Jambi")
    assert f'value="{kota}"' in sekretaris.get("/portal/verifikasi").text
    assert _decide(sekretaris, [kota], "terima", []).status_code == 303
    assert _status(app, kota) == "verified"

    # without a Sekretaris nobody can verify them: the Papan lists them all
    text = (ROOT / "config" / "monev.yaml").read_text(encoding="utf-8").replace(
        "      - {name: Sekretaris Kota Contoh, role: sekretaris, "
        "email: sekretaris.kota@example.org}\n", "")
    lacking = tmp_path / "monev.yaml"
    lacking.write_text(text, encoding="utf-8")
    board = portal_app(config=lacking).browser("Ketua Tim ZI Kota Contoh", "KPU Kota Jambi")
    html = board.get("/portal/papan").text
    assert f"{kota_rows} baris tidak dapat diverifikasi siapa pun" in html
