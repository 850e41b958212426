"""The evidence store on its own: types from content, refusals, names, limits, content
addresses (real files on disk, no server)."""

from __future__ import annotations

import io
import os
import signal
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from app.web import create_app
from monev.engine.blobs import (
    BlobWriter,
    EvidenceRefused,
    EvidenceTooLarge,
    blob_relative,
    safe_name,
    sniff,
    store_file,
)
from tests.conftest import ROOT


def _zip(entries: dict[str, bytes], first: str | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        if first:
            z.writestr(first, entries.pop(first))
        for name, data in entries.items():
            z.writestr(name, data)
    return buf.getvalue()


DOCX = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
XLSX = _zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})
ODT = _zip({"mimetype": b"application/vnd.oasis.opendocument.text",
            "content.xml": b"<office:document-content/>"}, first="mimetype")
PLAIN_ZIP = _zip({"foto1.jpg": b"\xff\xd8\xff\xe0", "foto2.jpg": b"\xff\xd8\xff\xe0"})


@pytest.mark.parametrize(("name", "body", "mime", "ext"), [
    ("notulen.pdf", b"%PDF-1.7\n...", "application/pdf", ".pdf"),
    ("foto.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg", ".jpg"),
    ("foto.jpeg", b"\xff\xd8\xff\xe1", "image/jpeg", ".jpg"),
    ("layar.png", b"\x89PNG\r\n\x1a\n\x00\x00", "image/png", ".png"),
    ("foto.webp", b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp", ".webp"),
    ("IMG_0001.HEIC", b"\x00\x00\x00\x18ftypheic\x00", "image/heic", ".heic"),
    ("video.mp4", b"\x00\x00\x00\x20ftypisom\x00", "video/mp4", ".mp4"),
    ("sk.docx", DOCX, "application/vnd.openxmlformats-officedocument."
     "wordprocessingml.document", ".docx"),
    ("rekap.xlsx", XLSX, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
     ".xlsx"),
    ("sk.odt", ODT, "application/vnd.oasis.opendocument.text", ".odt"),
    ("foto.zip", PLAIN_ZIP, "application/zip", ".zip"),
    ("lama.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 50, "application/msword",
     ".doc"),
    ("daftar.csv", b"nama;hadir\nBudi;ya\n", "text/csv", ".csv"),
    ("catatan.txt", "Rapat selesai pukul 10.00 — dihadiri 12 orang".encode(), "text/plain",
     ".txt"),
    ("tanpa-akhiran", b"%PDF-1.4\n", "application/pdf", ".pdf"),
])
def test_kind_comes_from_the_content(tmp_path: Path, name: str, body: bytes, mime: str,
                                     ext: str) -> None:
    path = tmp_path / "berkas"
    path.write_bytes(body)
    kind = sniff(path, name)
    assert (kind.mime, kind.ext) == (mime, ext)


@pytest.mark.parametrize(("name", "body", "why"), [
    ("laporan.pdf", b"MZ\x90\x00", "program"),
    ("setup.exe", b"MZ\x90\x00", "program"),
    ("x.pdf", b"\x7fELF\x02", "program"),
    ("skrip.txt", b"#!/usr/bin/env python\nprint(1)\n", "skrip"),
    ("halaman.pdf", b"  <html><body>hai</body></html>", "HTML"),
    ("gambar.svg", b'<?xml version="1.0"?><svg/>', "HTML"),
    ("catatan.txt", b"teks biasa <script>alert(1)</script>", "HTML"),
    ("sk.docx", b"%PDF-1.4\n", "bukan DOCX"),
    ("foto.jpg", DOCX, "bukan JPG"),
    ("data.bin", bytes(range(256)) * 4, "tidak dikenali"),
    ("lama", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 50, "Office lama"),
    ("rusak.docx", b"PK\x03\x04 rusak", "rusak"),
])
def test_refused_kinds(tmp_path: Path, name: str, body: bytes, why: str) -> None:
    path = tmp_path / "berkas"
    path.write_bytes(body)
    with pytest.raises(EvidenceRefused, match=why):
        sniff(path, name)


@pytest.mark.parametrize(("given", "expected"), [
    ("../../etc/passwd", "passwd"),
    ("C:\\Users\\budi\\Desktop\\notulen rapat.pdf", "notulen rapat.pdf"),
    ('a"; filename="b.html', "a filename=b.html"),
    ("baris\r\nbaru.pdf", "barisbaru.pdf"),
    ("...", "berkas"),
    ("", "berkas"),
    (".bashrc", "bashrc"),
    ("Laporan Triwulan III — Subbag Umum.pdf", "Laporan Triwulan III — Subbag Umum.pdf"),
    ("x" * 300 + ".pdf", "x" * 110 + ".pdf"),
])
def test_safe_names(given: str, expected: str) -> None:
    assert safe_name(given) == expected


def test_limit_while_streaming_keeps_nothing(tmp_path: Path) -> None:
    writer = BlobWriter(tmp_path, "besar.pdf", limit=1000)
    writer.write(b"%PDF-" + b"0" * 900)
    with pytest.raises(EvidenceTooLarge, match="melebihi batas"):
        writer.write(b"0" * 200)
    assert not [p for p in (tmp_path / "evidence").rglob("*") if p.is_file()]
    big = tmp_path / "besar.pdf"
    big.write_bytes(b"%PDF-" + b"0" * 5000)
    with pytest.raises(EvidenceTooLarge):
        store_file(tmp_path / "home", big, limit=1000)
    assert not [p for p in (tmp_path / "home").rglob("*") if p.is_file()]


def test_same_content_one_blob_named_by_its_kind(tmp_path: Path) -> None:
    first = tmp_path / "notulen.PDF"
    first.write_bytes(b"%PDF-1.4 isi yang sama")
    second = tmp_path / "salinan"
    second.write_bytes(first.read_bytes())
    a, b = store_file(tmp_path / "home", first), store_file(tmp_path / "home", second)
    assert a.sha256 == b.sha256 and a.name == "notulen.pdf" and b.name == "salinan.pdf"
    stored = [p for p in (tmp_path / "home").rglob("*") if p.is_file()]
    assert stored == [tmp_path / "home" / blob_relative(a.sha256)]
    assert stored[0].read_bytes() == first.read_bytes()


def _zeros_zip(path: Path, members: dict[str, int]) -> Path:
    """A ZIP whose members are ``size`` zero bytes each, deflated (a zip bomb when the
    sizes are large): written in chunks, never held in memory."""
    chunk = bytes(1024 * 1024)
    with zipfile.ZipFile(path, "w") as z:
        for name, size in members.items():
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            with z.open(info, "w", force_zip64=True) as f:
                left = size
                while left > 0:
                    f.write(chunk[:min(left, len(chunk))])
                    left -= len(chunk)
    return path


@pytest.mark.parametrize(("name", "members"), [
    ("laporan.zip", {"nol.bin": 64 << 20}),  # one member, ~1000:1
    ("laporan.odt", {"mimetype": 48 << 20, "content.xml": 10}),  # the member ODF reads
    ("laporan.docx", {"[Content_Types].xml": 10, "word/document.xml": 48 << 20}),
    ("foto.zip", {f"foto{i}.jpg": 1 << 20 for i in range(40)}),  # small members, many
])
def test_zip_bomb_is_refused_before_inflating(tmp_path: Path, name: str,
                                              members: dict[str, int]) -> None:
    import time

    bomb = _zeros_zip(tmp_path / "bom.zip", dict(members))
    assert bomb.stat().st_size < 1 << 20  # megabytes of zeros in a few hundred KB
    started = time.perf_counter()
    with pytest.raises(EvidenceRefused, match="bom ZIP"):
        sniff(bomb, name)
    assert time.perf_counter() - started < 0.5, "typed from the central directory only"
    home = tmp_path / "home"
    with pytest.raises(EvidenceRefused, match="bom ZIP"):
        store_file(home, bomb)
    assert not [p for p in home.rglob("*") if p.is_file()], "nothing of it is kept"


def test_real_office_files_still_pass(tmp_path: Path) -> None:
    from tests.conftest import ROOT

    real = ROOT / "tests" / "fixtures" / "plans" / "other-zi-2027-kpu-provinsi-sulawesi-tengah"
    assert sniff(real / "plan.docx", "plan.docx").ext == ".docx"
    assert sniff(real / "plan.xlsx", "plan.xlsx").ext == ".xlsx"
    odt = tmp_path / "notulen.odt"  # as LibreOffice writes one: mimetype stored first
    with zipfile.ZipFile(odt, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.text",
                   compress_type=zipfile.ZIP_STORED)
        z.writestr("content.xml", "<office:document-content>" + "<text:p>Notulen rapat"
                   "</text:p>" * 20000 + "</office:document-content>")
        z.writestr("META-INF/manifest.xml", "<manifest:manifest/>")
    assert sniff(odt, "notulen.odt").mime == "application/vnd.oasis.opendocument.text"
    photos = tmp_path / "dokumentasi.zip"  # photos and a long, repetitive text log
    with zipfile.ZipFile(photos, "w", zipfile.ZIP_DEFLATED) as z:
        for i in range(3):
            z.writestr(f"foto{i}.jpg", b"\xff\xd8\xff\xe0" + os.urandom(512 << 10))
        z.writestr("daftar-hadir.csv", "".join(f"{i};Pegawai {i % 50};hadir\n"
                                               for i in range(200_000)))
    assert sniff(photos, "dokumentasi.zip").ext == ".zip"


def test_a_killed_upload_is_cleaned_at_start_a_running_one_kept(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A process killed mid-upload leaves its ``.part``; the next app start removes it
    once it is a few minutes old, never the file of an upload still running."""
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    code = ("import os, signal\nfrom pathlib import Path\n"
            "from monev.engine.blobs import BlobWriter\n"
            f"w = BlobWriter(Path({str(home)!r}), 'sk.pdf')\nw.write(b'%PDF-1.4 ' * 1000)\n"
            "w._file.flush()\nos.kill(os.getpid(), signal.SIGKILL)\n")
    killed = subprocess.run([sys.executable, "-c", code], cwd=ROOT, timeout=60)
    assert killed.returncode == -signal.SIGKILL
    left = list((home / "evidence" / "tmp").iterdir())
    assert len(left) == 1 and left[0].stat().st_size > 0
    hour_ago = time.time() - 3600
    os.utime(left[0], (hour_ago, hour_ago))
    running = BlobWriter(home, "berjalan.pdf")
    running.write(b"%PDF-1.4 sedang diunggah")
    monkeypatch.setenv("MONEV_HOME", str(home))
    monkeypatch.delenv("MONEV_DATABASE_URL", raising=False)
    create_app()
    assert not left[0].exists(), "the killed upload's file is gone"
    assert running.tmp.exists()
    assert running.finish().size > 0, "the running upload still finishes"


def test_an_open_home_is_tightened_at_start(tmp_path: Path) -> None:
    """A home found at 0755 (made by hand, restored from a backup): the next command
    closes it to 0700 and its evidence to 0640; reports and sink mails keep 0644."""
    home = tmp_path / "home"
    files = {home / "evidence" / "ab" / "abcdef": 0o640, home / "reports" / "x" / "l.pdf": 0o644,
             home / "sink" / "1-email.eml": 0o644}
    for path in files:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"isi")
        path.chmod(0o644)
    home.chmod(0o755)
    env = {**os.environ, "MONEV_HOME": str(home)}
    env.pop("MONEV_DATABASE_URL", None)
    done = subprocess.run([sys.executable, "-m", "app", "plan", "list"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert {p: stat.S_IMODE(p.stat().st_mode) for p in files} == files
