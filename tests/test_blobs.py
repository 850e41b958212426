"""The evidence store on its own: types from content, refusals, names, limits, content
addresses (real files on disk, no server)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from monev.engine.blobs import (
    BlobWriter,
    EvidenceRefused,
    EvidenceTooLarge,
    blob_relative,
    safe_name,
    sniff,
    store_file,
)


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
