"""The portal against the real app (uvicorn on 127.0.0.1) on SQLite and PostgreSQL:
personal links and sessions, roles, CSRF, uploads as an attacker would send them,
verification, and the consequences (audit trail, digest, feed)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from icalendar import Calendar
from sqlalchemy import func, select, update

from monev.store import models as m
from tests.conftest import ROOT
from tests.portal_app import PDF, App, AppFactory, pdf, sign_in

PIC = "Pegawai Contoh Dua"  # PIC of Penerapan SPIP / Pengendalian Gratifikasi, by email
KOORD = "Koordinator Pengawasan"  # their area's koordinator (a verifier)
OTHER_PIC = "Pegawai Contoh Satu"


def _mine(app: App) -> list[int]:
    return app.checkpoints_of("open", komponen="Gratifikasi") + \
        app.checkpoints_of("open", komponen="SPIP")


def _evidence_rows(app: App) -> int:
    with app.sessions() as s:
        return s.scalar(select(func.count(m.Evidence.id))) or 0


def test_personal_link_opens_a_session_with_safe_cookie_and_task_list(
        portal_app: AppFactory) -> None:
    app = portal_app()
    client = httpx.Client(base_url=app.url, timeout=30)
    opened = sign_in(client, app.link(PIC))
    assert opened.headers["location"] == "/portal/"
    cookie = opened.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Max-Age=" in cookie
    assert "Secure" not in cookie, "plain http in tests: a Secure cookie would never return"
    page = client.get("/portal/")
    assert page.status_code == 200
    html = page.text
    for title in ("Ditolak", "Terlambat", "Jatuh tempo minggu ini", "Menunggu verifikasi",
                  "Selesai"):
        assert title in html
    assert "ZI 2025" in html and "Jumat, 31 Oktober 2025" in html  # full date with year
    assert "Gratifikasi" in html or "SPIP" in html
    assert page.headers["content-security-policy"].startswith("default-src 'none'")
    assert page.headers["cache-control"] == "no-store"
    # a row of another PIC is not on this list
    with app.sessions() as s:
        other = s.scalar(select(m.Item.bukti_fisik).join(m.Checkpoint).where(
            m.Checkpoint.id == app.checkpoints_of("open", komponen="Tim Kerja")[0]))
    assert other and other not in html
    secure = portal_app(MONEV_PUBLIC_URL="https://monev.satker.example")
    with app.sessions.begin() as s:
        s.execute(update(m.PortalSession).values(expires_at=datetime(2000, 1, 1)))
    token = app.link(PIC).rsplit("/", 1)[1]
    again = httpx.get(f"{secure.url}/p/{token}", timeout=30)
    pending = again.headers["set-cookie"]
    assert "Secure" in pending and "Path=/portal/masuk" in pending, "https → Secure cookies"
    opened = httpx.post(f"{secure.url}/portal/masuk", timeout=30,
                        headers={"Cookie": pending.split(";", 1)[0]})
    assert opened.status_code == 303 and "Secure" in opened.headers["set-cookie"]


def test_another_persons_checkpoint_is_404(portal_app: AppFactory) -> None:
    app = portal_app()
    theirs = app.checkpoints_of("open", komponen="Tim Kerja")[0]  # Pegawai Contoh Satu's
    kota = app.checkpoints_of("open")[0]
    pic = app.browser(PIC)
    assert pic.get(f"/portal/c/{theirs}").status_code == 404
    assert pic.upload(theirs, [("a.pdf", PDF)], csrf=pic.csrf()).status_code == 404
    owner = app.browser(OTHER_PIC)
    assert owner.get(f"/portal/c/{theirs}").status_code == 200
    assert owner.upload(theirs, [("notulen.pdf", PDF)]).status_code == 303
    with app.sessions() as s:
        ev = s.scalar(select(m.Evidence.id).where(m.Evidence.checkpoint_id == theirs))
    assert pic.get(f"/portal/bukti/{ev}").status_code == 404, "nor its evidence"
    assert owner.get(f"/portal/bukti/{ev}").status_code == 200
    # a person of another satker sees nothing of this one
    with app.sessions() as s:
        kota_id = s.scalar(select(m.Checkpoint.id).join(m.Checkpoint.item).join(m.Item.plan)
                           .where(m.Plan.satker_id == 2))
    ketua_kota = app.browser("Ketua Tim ZI Kota Contoh", "KPU Kota Jambi")
    assert ketua_kota.get(f"/portal/c/{theirs}").status_code == 404
    assert ketua_kota.get(f"/portal/c/{kota_id}").status_code == 200
    assert kota  # the Kota plan has open checkpoints of its own
    # roles: the PIC has no Papan and no verification queue
    assert pic.get("/portal/papan").status_code == 404
    assert pic.get("/portal/verifikasi").status_code == 404


def test_missing_or_wrong_csrf_is_403_and_changes_nothing(portal_app: AppFactory) -> None:
    app = portal_app()
    cp = _mine(app)[0]
    pic = app.browser(PIC)
    real = pic.csrf()
    for token in (None, "0" * 64, real[:-1] + ("1" if real.endswith("0") else "0")):
        response = pic.upload(cp, [("notulen.pdf", PDF)], csrf=token)
        assert response.status_code == 403, token
    assert app.stored_blobs() == [] and _evidence_rows(app) == 0
    assert pic.upload(cp, [("notulen.pdf", PDF)]).status_code == 303  # with the real token
    koord = app.browser(KOORD)
    for token in (None, "f" * 64):
        assert koord.verify([cp], "terima", csrf=token).status_code == 403
    # another session's token is no good either
    assert koord.verify([cp], "terima", csrf=pic.csrf()).status_code == 403
    with app.sessions() as s:
        assert s.get(m.Checkpoint, cp).status == "submitted"  # type: ignore[union-attr]
    leave = koord.client.post("/portal/keluar", data={})
    assert leave.status_code == 403
    assert koord.verify([cp], "terima").status_code == 303


def test_oversized_upload_is_413_with_nothing_stored(portal_app: AppFactory) -> None:
    app = portal_app(MONEV_MAX_UPLOAD_MB="1")
    cp = _mine(app)[0]
    pic = app.browser(PIC)
    big = PDF + b"0" * (1024 * 1024)
    response = pic.upload(cp, [("besar.pdf", big)])
    assert response.status_code == 413 and "melebihi batas 1 MB" in response.text
    # one good file then one too big: neither is kept
    response = pic.upload(cp, [("kecil.pdf", pdf("kecil")), ("besar.pdf", big)])
    assert response.status_code == 413
    assert app.stored_blobs() == [], "nothing stored, not even a temporary part"
    assert _evidence_rows(app) == 0
    with app.sessions() as s:
        assert s.get(m.Checkpoint, cp).status == "open"  # type: ignore[union-attr]
    # a body announced far past any limit is refused before it is read
    assert _raw_post(app.url, f"/portal/c/{cp}/kirim", pic, 50 * 1024 * 1024).startswith(
        "HTTP/1.1 413")
    assert pic.upload(cp, [("kecil.pdf", pdf("kecil"))]).status_code == 303


@pytest.mark.parametrize(("name", "body", "why"), [
    ("laporan.pdf", b"MZ\x90\x00\x03" + b"\x00" * 200, "program"),
    ("laporan.pdf", b"\x7fELF\x02\x01\x01" + b"\x00" * 200, "program"),
    ("laporan.pdf", b"<!DOCTYPE html><html><script>alert(1)</script></html>", "HTML"),
    ("foto.png", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "HTML"),
    ("laporan.pdf", b"#!/bin/sh\nrm -rf /\n", "skrip"),
    ("notulen.pdf", b"hanya teks biasa, bukan PDF\n", "bukan PDF"),
])
def test_executable_or_html_renamed_is_refused(portal_app: AppFactory, name: str,
                                               body: bytes, why: str) -> None:
    app = portal_app()
    cp = _mine(app)[0]
    pic = app.browser(PIC)
    response = pic.upload(cp, [(name, body)])
    assert response.status_code == 415 and why in response.text
    assert app.stored_blobs() == [] and _evidence_rows(app) == 0


def test_path_tricks_in_file_names_stay_names(portal_app: AppFactory) -> None:
    app = portal_app()
    cps = _mine(app)
    pic = app.browser(PIC)
    tricks = ["../../../../etc/passwd.pdf", "..\\..\\Windows\\win.ini.pdf",
              '"; filename=evil.html.pdf', "/absolute/x.pdf", ".hidden.pdf",
              "nama\r\nSet-Cookie: x=1.pdf"]
    for i, (cp, name) in enumerate(zip(cps, tricks, strict=False)):
        assert pic.upload(cp, [(name, pdf(f"t{i}"))]).status_code == 303, name
    blobs = app.stored_blobs()
    assert len(blobs) == len(tricks)
    for blob in blobs:  # only content addresses inside the store
        assert blob.parent.parent == app.home / "evidence"
        assert re.fullmatch(r"[0-9a-f]{64}", blob.name) and blob.parent.name == blob.name[:2]
    assert not list(app.home.parent.rglob("passwd*")) and not list(ROOT.rglob("evil.html*"))
    with app.sessions() as s:
        rows = s.scalars(select(m.Evidence).order_by(m.Evidence.id)).all()
    names = [r.original_name for r in rows]
    assert names[0] == "passwd.pdf" and names[1] == "win.ini.pdf" and names[3] == "x.pdf"
    assert all("/" not in n and "\\" not in n and '"' not in n and "\r" not in n
               and "\n" not in n and not n.startswith(".") for n in names)
    for row in rows:
        got = pic.get(f"/portal/bukti/{row.id}")
        assert got.status_code == 200 and got.content.startswith(b"%PDF-")
        disposition = got.headers["content-disposition"]
        assert disposition.startswith("attachment;") and "\n" not in disposition
        assert got.headers["x-content-type-options"] == "nosniff"
        assert got.headers["content-type"] == "application/pdf"
        assert "sandbox" in got.headers["content-security-policy"]


def test_revoked_or_rotated_link_is_404_at_once(portal_app: AppFactory,
                                                tmp_path: Path) -> None:
    app = portal_app()
    first = app.link(PIC)
    client = httpx.Client(base_url=app.url, timeout=30)
    sign_in(client, first)
    assert client.get("/portal/").status_code == 200
    env = {**os.environ, "MONEV_HTTP_PORT": app.url.rsplit(":", 1)[1]}
    rotated = _cli(env, "portal", "rotate", PIC, "--json")
    new = json.loads(rotated.stdout)["url"]
    assert new != first
    assert httpx.get(first, timeout=30).status_code == 404, "old link dead at once"
    page = client.get("/portal/")
    assert page.status_code == 401 and "buka tautan Anda lagi" in page.text, \
        "the session it opened ends with it"
    fresh = httpx.Client(base_url=app.url, timeout=30)
    sign_in(fresh, new)
    assert fresh.get("/portal/").status_code == 200
    assert _cli(env, "portal", "revoke", PIC).returncode == 0
    assert httpx.get(new, timeout=30).status_code == 404
    assert fresh.get("/portal/").status_code == 401
    shown = _cli(env, "portal", "link", PIC, "--json")
    assert shown.returncode != 0 and "dicabut" in shown.stderr
    listed = _cli(env, "portal", "list")
    assert PIC in listed.stdout and "dicabut" in listed.stdout


def test_expired_session_asks_to_open_the_link_again(portal_app: AppFactory) -> None:
    app = portal_app()
    pic = app.browser(PIC)
    assert pic.get("/portal/").status_code == 200
    with app.sessions.begin() as s:
        s.execute(update(m.PortalSession).values(
            expires_at=datetime.utcnow() - timedelta(minutes=1)))
    page = pic.get("/portal/")
    assert page.status_code == 401 and "buka tautan Anda lagi" in page.text
    cp = _mine(app)[0]
    assert pic.get(f"/portal/c/{cp}").status_code == 401
    assert httpx.get(f"{app.url}/portal/", timeout=30).status_code == 401, "no cookie"
    assert pic.upload(cp, [("a.pdf", PDF)], csrf="0" * 64).status_code == 401
    assert app.stored_blobs() == []


def test_same_upload_twice_is_one_blob(portal_app: AppFactory) -> None:
    app = portal_app()
    a, b = _mine(app)[:2]
    pic = app.browser(PIC)
    body = pdf("sama")
    assert pic.upload(a, [("notulen-a.pdf", body)]).status_code == 303
    assert pic.upload(b, [("notulen-b.pdf", body)]).status_code == 303
    assert len(app.stored_blobs()) == 1
    with app.sessions() as s:
        digests = set(s.scalars(select(m.Evidence.sha256)))
    assert len(digests) == 1 and _evidence_rows(app) == 2
    import hashlib

    assert digests == {hashlib.sha256(body).hexdigest()}


def test_self_verification_forbidden_when_configured(portal_app: AppFactory,
                                                     tmp_path: Path) -> None:
    app = portal_app()
    # Tata Laksana rows have no PIC of their own: their koordinator holds them
    koord = "Koordinator Tata Laksana"
    cps = app.checkpoints_of("open", area="Tata Laksana")
    own = app.browser(koord)
    assert own.upload(cps[0], [("sk.pdf", pdf("sk"))]).status_code == 303
    refused = own.verify([cps[0]], "terima")
    assert refused.status_code == 403 and "kirim sendiri" in refused.text
    assert "Anda kirim sendiri" in own.get(f"/portal/c/{cps[0]}").text
    with app.sessions() as s:
        assert s.get(m.Checkpoint, cps[0]).status == "submitted"  # type: ignore[union-attr]
    ketua = app.browser("Ketua Tim ZI Contoh")
    assert ketua.verify([cps[0]], "terima").status_code == 303
    # a satker that allows it
    text = (ROOT / "config" / "monev.yaml").read_text(encoding="utf-8").replace(
        "    people:\n", "    portal: {self_verification: true}\n    people:\n", 1)
    allowed_cfg = tmp_path / "monev.yaml"
    allowed_cfg.write_text(text, encoding="utf-8")
    allowed = portal_app(config=allowed_cfg)
    own = allowed.browser(koord)
    assert own.upload(cps[1], [("sk2.pdf", pdf("sk2"))]).status_code == 303
    assert own.verify([cps[1]], "terima").status_code == 303
    with app.sessions() as s:  # review in tiers: the Ketua Tim ZI accepts next
        assert s.get(m.Checkpoint, cps[1]).status == "submitted"  # type: ignore[union-attr]
    assert allowed.browser("Ketua Tim ZI Contoh").verify([cps[1]], "terima").status_code == 303
    with app.sessions() as s:
        assert s.get(m.Checkpoint, cps[1]).status == "verified"  # type: ignore[union-attr]


def test_verify_several_reject_with_reason_reaches_digest_page_and_feed(
        portal_app: AppFactory) -> None:
    app = portal_app()
    a, b, c = _mine(app)[:3]
    pic = app.browser(PIC)
    assert pic.upload(a, [("a.pdf", pdf("a"))], note="rapat 1").status_code == 303
    assert pic.upload(b, [], link="https://drive.google.com/file/d/abc/view").status_code == 303
    assert pic.upload(c, [("c1.pdf", pdf("c1")), ("c2.pdf", pdf("c2"))]).status_code == 303
    koord = app.browser(KOORD)
    queue = koord.get("/portal/verifikasi").text
    assert all(f'value="{i}"' in queue for i in (a, b, c))
    assert koord.verify([a, b], "tolak", reason="").status_code == 422
    with app.sessions() as s:
        assert {s.get(m.Checkpoint, i).status for i in (a, b)} == {"submitted"}  # type: ignore[union-attr]
    done = koord.verify([a, b], "tolak", reason="Notulen belum ditandatangani")
    assert done.status_code == 303
    assert koord.verify([c], "terima").status_code == 303
    with app.sessions() as s:  # review in tiers: accepted by the koordinator, c waits
        assert [s.get(m.Checkpoint, i).status for i in (a, b, c)] == \
            ["rejected", "rejected", "submitted"]  # type: ignore[union-attr]
    ketua = app.browser("Ketua Tim ZI Contoh")  # for the Ketua Tim ZI, the last tier
    assert ketua.verify([c], "terima").status_code == 303
    with app.sessions() as s:
        assert s.get(m.Checkpoint, c).status == "verified"  # type: ignore[union-attr]
        trail = s.execute(select(m.Transition.actor, m.Transition.to_status, m.Transition.note)
                          .where(m.Transition.checkpoint_id == a)
                          .order_by(m.Transition.id)).tuples().all()
        outbox = s.scalars(select(m.Outbox).where(m.Outbox.person == PIC)).all()
    assert (PIC, "submitted") in [(x, y) for x, y, _ in trail]
    assert (KOORD, "rejected", "Notulen belum ditandatangani") in trail
    rejected = [it for row in outbox for it in row.items if it["kind"] == "ditolak"]
    assert len(rejected) == 2 and rejected[0]["reason"] == "Notulen belum ditandatangani"
    body = next(row.body for row in outbox if any(i["kind"] == "ditolak" for i in row.items))
    assert "Alasan ditolak: Notulen belum ditandatangani (Koordinator Pengawasan)" in body
    assert f"/c/{a}" in body and "monev evidence" not in body
    tasks = pic.get("/portal/").text
    assert "Notulen belum ditandatangani" in tasks
    assert "Notulen belum ditandatangani" in pic.get(f"/portal/c/{a}").text
    # the PIC's own calendar shows the reason, and its events open the portal
    page = pic.get("/portal/kalender").text
    feed_url = re.search(r"(http://127\.0\.0\.1:\d+/feeds/[A-Za-z0-9_-]{43}\.ics)", page)
    assert feed_url, page
    cal = Calendar.from_ical(httpx.get(feed_url.group(1), timeout=30).content)
    events = {str(e["URL"]).rsplit("/", 1)[1]: e for e in cal.walk("VEVENT")}
    assert "Alasan ditolak: Notulen belum ditandatangani" in str(events[str(a)]["DESCRIPTION"])
    assert str(events[str(a)]["URL"]) == f"{app.url}/portal/c/{a}", "a page, no token"
    assert pic.get(str(events[str(a)]["URL"])).status_code == 200
    # resubmit after the rejection; the koordinator accepts
    assert pic.upload(a, [("a-ttd.pdf", pdf("a-ttd"))]).status_code == 303
    page = pic.get(f"/portal/c/{a}").text
    assert "Versi 2" in page and "Versi 1" in page and "dikirim ulang" in page
    assert koord.verify([a], "terima").status_code == 303
    assert ketua.verify([a], "terima").status_code == 303
    with app.sessions() as s:
        assert s.get(m.Checkpoint, a).status == "verified"  # type: ignore[union-attr]


def test_board_and_calendar_by_role(portal_app: AppFactory) -> None:
    app = portal_app()
    ketua = app.browser("Ketua Tim ZI Contoh")
    board = ketua.get("/portal/papan")
    assert board.status_code == 200
    html = board.text
    assert "Capaian per" in html and "Baris × bulan" in html and "Lewat tenggat per PIC" in html
    assert html.count('class="cell ') > 100
    assert "Koordinator Pengawasan" in html and "Keuangan, Umum dan Logistik" in html
    filtered = ketua.get("/portal/papan?area=Penguatan%20Pengawasan&status=terlambat").text
    assert filtered.count("<tr><td class=\"no\">") < html.count("<tr><td class=\"no\">")
    assert "Tidak ada: setiap baris punya verifikator." in html
    sekretaris = app.browser("Sekretaris Contoh")
    assert sekretaris.get("/portal/papan").status_code == 200
    # the Sekretaris verifies rows whose tiers have nobody else (none waiting here)
    assert "Tidak ada bukti yang menunggu" in sekretaris.get("/portal/verifikasi").text
    kasubbag = app.browser("Kasubbag Umum Contoh")
    assert kasubbag.get("/portal/papan").status_code == 404
    assert kasubbag.get("/portal/verifikasi").status_code == 404, "not a verifier"
    assert "Gratifikasi" in kasubbag.get("/portal/").text or \
        "SPIP" in kasubbag.get("/portal/").text, "rows of their subbagian's PIC"
    cal = ketua.get("/portal/kalender").text
    assert "webcal://" in cal and "calendar.google.com" in cal and "Outlook" in cal


def test_cli_link_json_contract(portal_app: AppFactory) -> None:
    app = portal_app()
    env = {**os.environ, "MONEV_HTTP_PORT": app.url.rsplit(":", 1)[1]}
    done = _cli(env, "portal", "link", PIC, "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert set(data) == {"person", "url"} and data["person"] == PIC
    assert data["url"].startswith(f"{app.url}/p/")
    sign_in(httpx.Client(base_url=app.url, timeout=30), data["url"])
    again = json.loads(_cli(env, "portal", "link", PIC.upper(), "--json").stdout)
    assert again == data, "the same link until rotated"
    unknown = _cli(env, "portal", "link", "Tidak Ada", "--json")
    assert unknown.returncode != 0 and "tidak ada di konfigurasi" in unknown.stderr
    assert "Traceback" not in unknown.stderr


def _raw_post(url: str, path: str, browser: object, length: int) -> str:
    """Announce a body of ``length`` bytes, send 100, and read the answer."""
    import socket

    from tests.portal_app import Browser

    assert isinstance(browser, Browser)
    cookie = "; ".join(f"{k}={v}" for k, v in browser.client.cookies.items())
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: {host}\r\nCookie: {cookie}\r\n"
                     f"Content-Type: multipart/form-data; boundary=x\r\n"
                     f"Content-Length: {length}\r\n\r\n".encode() + b"x" * 100)
        return sock.recv(4096).decode("latin-1")


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "app", *args], cwd=ROOT,
                          env={**env, "COLUMNS": "200"},
                          capture_output=True, text=True, timeout=120, check=False)


def test_report_archive_for_the_tim_zi_only(portal_app: AppFactory) -> None:
    """The reports the cycle wrote are listed for Ketua Tim ZI/Sekretaris and downloaded
    as attachments; a PIC gets 404 for the page and the files."""
    from datetime import date

    from monev.config import load_config
    from reports.cycle import run_cycle

    app = portal_app()
    made = run_cycle(app.sessions, load_config(app.config), "kpu-kabupaten-muaro-jambi/zi-2025",
                     date(2025, 10, 31), app.home, formats=("md", "xlsx"), base_url=app.url)
    assert [p.period.code for p in made] == ["2025-07", "2025-08", "2025-09", "2025-Q3",
                                             "2025-10"]
    sekretaris = app.browser("Sekretaris Contoh")
    page = sekretaris.get("/portal/laporan")
    assert page.status_code == 200 and "Triwulan III 2025" in page.text
    ids = re.findall(r'href="/portal/laporan/(\d+)">XLSX', page.text)
    assert len(ids) == 5
    got = sekretaris.get(f"/portal/laporan/{ids[0]}")
    assert got.status_code == 200 and got.headers["content-disposition"].startswith("attachment")
    assert got.content[:2] == b"PK", "the workbook itself"
    october = app.home / "reports" / "kpu-kabupaten-muaro-jambi" / "zi-2025" / \
        "laporan-2025-10.xlsx"
    assert got.content == october.read_bytes()
    pic = app.browser("Pegawai Contoh Dua")
    assert pic.get("/portal/laporan").status_code == 404
    assert pic.get(f"/portal/laporan/{ids[0]}").status_code == 404
    opened = sign_in(httpx.Client(base_url=app.url, timeout=30),
                     app.link("Ketua Tim ZI Contoh") + "/laporan")
    assert opened.headers["location"] == "/portal/laporan"
