"""Evidence uploads that forgive (issue 19), against the real app (uvicorn on 127.0.0.1)
on SQLite and PostgreSQL: any Unicode file name (raw UTF-8 and ``filename*``), a
repeated form stored once — also two POSTs of it at the same moment, and a race the
database itself settles — and files added to or withdrawn from a submission that is
still waiting for verification. The browser side (progress bar, double tap, a Unicode
name through Chromium) is in ``test_portal_browser_uploads.py``."""

from __future__ import annotations

import re
import threading
from datetime import date
from urllib.parse import quote, unquote

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from typer.testing import CliRunner, Result

from monev.engine import lifecycle
from monev.store import models as m
from monev.store import plan_status
from portal.format import CLOSED_PLAN
from tests.portal_app import MUARO, App, AppFactory, Browser, pdf

PIC = "Pegawai Contoh Dua"  # PIC of Penerapan SPIP / Pengendalian Gratifikasi
OTHER_PIC = "Pegawai Contoh Satu"
KOORD = "Koordinator Pengawasan"  # their area's koordinator
KETUA = "Ketua Tim ZI Contoh"
NAME = "Laporan – Désember “final” 📎.pdf"  # en dash, é, curly quotes, emoji


def _mine(app: App) -> list[int]:
    return app.checkpoints_of("open", komponen="Gratifikasi") + \
        app.checkpoints_of("open", komponen="SPIP")


def _form(browser: Browser, cp_id: int, form: str = "kirim") -> tuple[str, str]:
    """(csrf, idempotency key) of a form as the checkpoint page renders it."""
    page = browser.get(f"/portal/c/{cp_id}").text
    found = re.search(rf'action="/portal/c/{cp_id}/{form}".*?name="csrf" value="(\w+)">\s*'
                      r'<input type="hidden" name="kunci" value="([\w-]+)">', page, re.S)
    assert found, f"the {form} form carries its key before the file inputs"
    return found.group(1), found.group(2)


def _multipart(parts: list[tuple[bytes, bytes]]) -> tuple[bytes, dict[str, str]]:
    """A multipart body built by hand: (Content-Disposition parameters, content)."""
    boundary = b"----monev-uji"
    body = b"".join(b"--" + boundary + b"\r\nContent-Disposition: form-data; " + disp +
                    b"\r\n\r\n" + content + b"\r\n" for disp, content in parts)
    return body + b"--" + boundary + b"--\r\n", \
        {"content-type": f"multipart/form-data; boundary={boundary.decode()}"}


def _raw_upload(browser: Browser, cp_id: int, file_params: bytes,
                body: bytes) -> httpx.Response:
    content, headers = _multipart([(b'name="csrf"', browser.csrf(f"/portal/c/{cp_id}")
                                    .encode()), (b'name="berkas"; ' + file_params, body)])
    return browser.client.post(f"/portal/c/{cp_id}/kirim", content=content, headers=headers)


def _evidence(app: App, cp_id: int) -> list[m.Evidence]:
    with app.sessions() as s:
        return list(s.scalars(select(m.Evidence).where(m.Evidence.checkpoint_id == cp_id)
                              .order_by(m.Evidence.id)))


def _cli(*args: str) -> Result:
    """``monev`` in this process, on the app's database (the fixture's environment)."""
    from app.cli import app

    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})


def _status(app: App, cp_id: int) -> str:
    with app.sessions() as s:
        cp = s.get(m.Checkpoint, cp_id)
        assert cp is not None
        return cp.status


def test_any_unicode_file_name_is_kept_for_display(portal_app: AppFactory) -> None:
    app = portal_app()
    a, b, c, d = _mine(app)[:4]
    pic = app.browser(PIC)
    # raw UTF-8 inside filename="…" (RFC 7578; what browsers and httpx send)
    assert pic.upload(a, [(NAME, pdf("a"))]).status_code == 303
    # filename*= (RFC 5987/2231) wins over the plain fallback
    star = b"filename=\"Laporan - Desember.pdf\"; filename*=UTF-8''" + quote(NAME).encode()
    assert _raw_upload(pic, b, star, pdf("b")).status_code == 303
    # "é" alone, which used to be stored as "D�sember"
    assert _raw_upload(pic, c, 'filename="Désember.pdf"'.encode(), pdf("c")).status_code == 303
    # Chromium's escapes of a quote, CR and LF in a name
    escaped = b'filename="Rapat %22Final%22%0D%0A.pdf"'
    assert _raw_upload(pic, d, escaped, pdf("d")).status_code == 303
    names = [_evidence(app, cp)[0].original_name for cp in (a, b, c, d)]
    assert names == [NAME, NAME, "Désember.pdf", "Rapat Final.pdf"]
    assert NAME in pic.get(f"/portal/c/{a}").text
    got = pic.get(f"/portal/bukti/{_evidence(app, a)[0].id}")
    assert got.status_code == 200 and got.content == pdf("a")
    star_name = re.search(r"filename\*=UTF-8''(\S+)", got.headers["content-disposition"])
    assert star_name and unquote(star_name.group(1)) == NAME
    assert all(re.fullmatch(r"[0-9a-f]{64}", p.name) for p in app.stored_blobs()), \
        "stored by hash, never by name"


def test_a_repeated_form_is_stored_once_even_at_the_same_moment(
        portal_app: AppFactory) -> None:
    app = portal_app()
    first, second, third = _mine(app)[:3]
    pic = app.browser(PIC)
    csrf, key = _form(pic, first)
    body = pdf("sekali") + b"%" * (2 * 1024 * 1024)  # both requests stream together
    barrier = threading.Barrier(2)
    answers: list[httpx.Response] = []

    def tap() -> None:
        client = httpx.Client(base_url=app.url, timeout=60, cookies=pic.client.cookies)
        barrier.wait()
        answers.append(client.post(f"/portal/c/{first}/kirim",
                                   data={"csrf": csrf, "kunci": key, "catatan": "ketuk dua"},
                                   files=[("berkas", ("bukti.pdf", body, "application/pdf"))]))

    taps = [threading.Thread(target=tap) for _ in range(2)]
    for t in taps:
        t.start()
    for t in taps:
        t.join(90)
    assert [r.status_code for r in answers] == [303, 303], [r.text[:300] for r in answers]
    assert {r.headers["location"] for r in answers} == {f"/portal/c/{first}?pesan=terkirim"}
    assert len(_evidence(app, first)) == 1 and len(app.stored_blobs()) == 1
    # the same form once more, later: the same answer, nothing new
    again = pic.client.post(f"/portal/c/{first}/kirim", data={"csrf": csrf, "kunci": key},
                            files=[("berkas", ("bukti.pdf", body, "application/pdf"))])
    assert again.status_code == 303 and again.headers["location"].endswith("pesan=terkirim")
    # a link-only form twice
    csrf2, key2 = _form(pic, second)
    for _ in range(2):
        sent = pic.client.post(f"/portal/c/{second}/kirim", data={
            "csrf": csrf2, "kunci": key2, "tautan": "https://drive.google.com/file/d/x/view"})
        assert sent.status_code == 303, sent.text[:300]
    with app.sessions() as s:
        assert s.scalar(select(func.count(m.Transition.id)).where(
            m.Transition.checkpoint_id.in_([first, second]),
            m.Transition.to_status == "submitted")) == 2
    assert len(_evidence(app, second)) == 1 and "Bukti terkirim" in pic.get(
        f"/portal/c/{second}?pesan=terkirim").text
    # a new form (another key) on a submitted checkpoint is still refused, as before
    refused = pic.upload(first, [("lain.pdf", pdf("lain"))])
    assert refused.status_code == 409 and "terkirim" in refused.text
    # the database settles a race the Python check cannot see: while one transaction
    # holds the key uncommitted, the other waits, then fails on the unique constraint
    key3 = "k" * 22
    outcome: list[BaseException | None] = []

    def late() -> None:
        try:
            with app.sessions.begin() as s:
                cp = s.get(m.Checkpoint, third)
                assert cp is not None
                lifecycle.submit(s, cp, PIC, links=["https://contoh.go.id/b"], key=key3)
            outcome.append(None)
        except BaseException as exc:  # noqa: BLE001 - the test reads it
            outcome.append(exc)

    with app.sessions.begin() as s:
        cp = s.get(m.Checkpoint, third)
        assert cp is not None and not lifecycle.key_seen(s, third, key3)
        lifecycle.submit(s, cp, PIC, links=["https://contoh.go.id/a"], key=key3)
        racer = threading.Thread(target=late)
        racer.start()
        racer.join(1.0)
        assert racer.is_alive(), "the second waits for the first transaction"
    racer.join(60)
    assert len(outcome) == 1 and isinstance(outcome[0], IntegrityError), outcome
    assert [e.location for e in _evidence(app, third)] == ["https://contoh.go.id/a"]


def test_add_a_forgotten_file_and_withdraw_a_wrong_one(portal_app: AppFactory) -> None:
    app = portal_app()
    cp, rejected_cp, verified_cp, closing_cp = _mine(app)[:4]
    pic, koord = app.browser(PIC), app.browser(KOORD)
    assert pic.upload(cp, [("salah.pdf", pdf("salah"))], note="notulen").status_code == 303
    page = pic.get(f"/portal/c/{cp}").text
    assert "Tambah bukti yang terlupa" in page and "Tarik bukti yang salah" in page
    # add: same version, the checkpoint stays submitted; the same form twice adds once
    csrf, key = _form(pic, cp, "tambah")
    for _ in range(2):
        added = pic.client.post(f"/portal/c/{cp}/tambah", data={"csrf": csrf, "kunci": key},
                                files=[("berkas", ("terlupa.pdf", pdf("terlupa"),
                                                   "application/pdf"))])
        assert added.status_code == 303 and added.headers["location"].endswith(
            "pesan=ditambahkan")
    rows = _evidence(app, cp)
    assert [(r.original_name, r.version) for r in rows] == [("salah.pdf", 1),
                                                          ("terlupa.pdf", 1)]
    assert _status(app, cp) == "submitted"
    # who may: not a PIC of another row (404), not the Ketua Tim (403), not without CSRF
    other = app.browser(OTHER_PIC)
    assert other.upload(cp, [("x.pdf", pdf("x"))]).status_code == 404
    assert other.client.post(f"/portal/c/{cp}/tambah", data={"csrf": other.csrf()},
                             files=[("berkas", ("x.pdf", pdf("x"), "application/pdf"))]
                             ).status_code == 404
    ketua = app.browser(KETUA)
    refused = ketua.client.post(f"/portal/c/{cp}/tarik",
                                data={"csrf": ketua.csrf(), "bukti": str(rows[0].id)})
    assert refused.status_code == 403 and "Hanya pengirim" in refused.text
    assert pic.client.post(f"/portal/c/{cp}/tarik",
                           data={"bukti": str(rows[0].id)}).status_code == 403
    # the koordinator withdraws the wrong one: kept in the trail, no longer evidence
    done = koord.client.post(f"/portal/c/{cp}/tarik", data={
        "csrf": koord.csrf(), "bukti": str(rows[0].id), "alasan": "berkas rapat lain"})
    assert done.status_code == 303 and done.headers["location"].endswith("pesan=ditarik")
    assert _status(app, cp) == "submitted"
    page = koord.get(f"/portal/c/{cp}?pesan=ditarik").text
    assert "Bukti ditarik" in page and "<del>salah.pdf</del>" in page
    assert "bukti ditarik dari versi 1: berkas salah.pdf" in page and "berkas rapat lain" in page
    queue = koord.get("/portal/verifikasi").text
    assert "terlupa.pdf" in queue and "salah.pdf" not in queue
    with app.sessions() as s:
        kept = s.get(m.Evidence, rows[0].id)
        assert kept is not None and kept.withdrawn_by == KOORD
        assert lifecycle.last_submitter(s, cp) == PIC, "withdrawing sends nothing"
    again = koord.client.post(f"/portal/c/{cp}/tarik",
                              data={"csrf": koord.csrf(), "bukti": str(rows[0].id)})
    assert again.status_code == 409 and "sudah ditarik" in again.text
    # withdrawing the last item: back to the state before the submission
    last = pic.client.post(f"/portal/c/{cp}/tarik",
                           data={"csrf": pic.csrf(), "bukti": str(rows[1].id)})
    assert last.headers["location"].endswith("pesan=ditarik_semua")
    assert _status(app, cp) == "open"
    assert "Semua bukti versi ini ditarik" in pic.get(f"/portal/c/{cp}").text
    assert pic.upload(cp, [("benar.pdf", pdf("benar"))]).status_code == 303
    assert [r.version for r in _evidence(app, cp)][-1] == 2
    # the admin's CLI acts through the same lifecycle (a file named, not numbered)
    link = "https://drive.google.com/file/d/terlupa/view"
    added = _cli("evidence", "add", str(cp), "--link", link, "--by", PIC)
    assert added.exit_code == 0, added.output
    gone = _cli("evidence", "withdraw", str(cp), "benar.pdf", "--by", KOORD, "--reason", "dobel")
    assert gone.exit_code == 0, gone.output
    with app.sessions() as s:
        assert [e.location for e in lifecycle.current_evidence(s, cp)] == [link]

    # after a rejection, withdrawing the resubmission leaves it rejected, same reason
    assert pic.upload(rejected_cp, [("v1.pdf", pdf("v1"))]).status_code == 303
    assert koord.verify([rejected_cp], "tolak", reason="Belum ditandatangani").status_code \
        == 303
    assert pic.upload(rejected_cp, [("v2.pdf", pdf("v2"))]).status_code == 303
    v2 = _evidence(app, rejected_cp)[-1]
    pic.client.post(f"/portal/c/{rejected_cp}/tarik",
                    data={"csrf": pic.csrf(), "bukti": str(v2.id)})
    assert _status(app, rejected_cp) == "rejected"
    with app.sessions() as s:
        assert lifecycle.rejection_reasons(s, [rejected_cp])[rejected_cp] == \
            ("Belum ditandatangani", KOORD)

    # verified: nothing to add or withdraw any more
    assert pic.upload(verified_cp, [("ok.pdf", pdf("ok"))]).status_code == 303
    assert koord.verify([verified_cp], "terima").status_code == 303  # tier 1 of 2
    assert app.browser(KETUA).verify([verified_cp], "terima").status_code == 303
    assert _status(app, verified_cp) == "verified"
    ok = _evidence(app, verified_cp)[0]
    late = pic.client.post(f"/portal/c/{verified_cp}/tarik",
                           data={"csrf": pic.csrf(), "bukti": str(ok.id)})
    assert late.status_code == 409 and "menunggu verifikasi" in late.text
    late_add = pic.upload(verified_cp, [("lagi.pdf", pdf("lagi"))])
    assert late_add.status_code == 409  # through /kirim: already verified
    adds = pic.client.post(f"/portal/c/{verified_cp}/tambah", data={"csrf": pic.csrf()},
                           files=[("berkas", ("lagi.pdf", pdf("lagi"), "application/pdf"))])
    assert adds.status_code == 409 and "menunggu verifikasi" in adds.text
    assert [e.id for e in _evidence(app, verified_cp)] == [ok.id]

    # a closed plan: the existing sentence, nothing changed
    assert pic.upload(closing_cp, [("tutup.pdf", pdf("tutup"))]).status_code == 303
    with app.sessions.begin() as s:
        plan = s.scalars(select(m.Plan).join(m.Plan.satker).where(
            m.Satker.name == MUARO, m.Plan.kind == "ZI")).one()
        plan_status.close(s, plan, "admin:uji", "LKE terkirim", date(2025, 10, 28))
    closed_ev = _evidence(app, closing_cp)[0]
    shut = pic.client.post(f"/portal/c/{closing_cp}/tarik",
                           data={"csrf": pic.csrf(), "bukti": str(closed_ev.id)})
    assert shut.status_code == 409 and CLOSED_PLAN in shut.text
    shut_add = pic.client.post(f"/portal/c/{closing_cp}/tambah", data={"csrf": pic.csrf()},
                               files=[("berkas", ("t.pdf", pdf("t"), "application/pdf"))])
    assert shut_add.status_code == 409 and CLOSED_PLAN in shut_add.text
    assert _status(app, closing_cp) == "submitted" and len(_evidence(app, closing_cp)) == 1
    assert "Tarik bukti yang salah" not in pic.get(f"/portal/c/{closing_cp}").text


@pytest.mark.parametrize("header", [
    b'filename="' + "é".encode("latin-1") + b'.pdf"',  # an old client's Latin-1 byte
    b"filename*=UTF-8''%F0%9F%93%8E.pdf",  # filename* alone
    b"filename*0*=UTF-8''Lap%C3%A9; filename*1=\"ran.pdf\"",  # RFC 2231 continuations
])
def test_disposition_variants(header: bytes) -> None:
    from portal.uploads import disposition

    name, filename = disposition(b'form-data; name="berkas"; ' + header)
    assert name == "berkas" and filename in ("é.pdf", "📎.pdf", "Lapéran.pdf")
