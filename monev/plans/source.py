"""Reading a plan file's bytes and telling its format from its content (never from its
name), refusing what no reader can open with a message of its own."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path
from typing import Literal

from monev.errors import PlanError

MAX_BYTES = 20 * 1024 * 1024
Format = Literal["text", "pdf", "docx", "xlsx"]
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Compound File: legacy Office or an encrypted one


def read_bytes(path: Path) -> bytes:
    name = str(path)
    try:
        if not path.exists():
            raise PlanError(name, 0, "berkas tidak ditemukan; periksa nama dan foldernya")
        if not path.is_file():
            raise PlanError(name, 0, "bukan berkas biasa (folder, perangkat atau pipa): "
                            "diharapkan berkas rencana aksi")
        with path.open("rb") as f:  # read no more than the limit, whatever the file is
            data = f.read(MAX_BYTES + 1)
    except OSError as exc:
        raise PlanError(name, 0, f"berkas tidak dapat dibaca: {exc.strerror}") from exc
    if len(data) > MAX_BYTES:
        raise PlanError(name, 0, f"berkas terlalu besar (lebih dari {MAX_BYTES} bait)")
    return data


def sniff(data: bytes, name: str) -> Format:
    """The format of a plan file from its first bytes; refuses locked, legacy and broken
    office files with their own message."""
    head = data[:1024]
    if head.lstrip(b"\x00\t\r\n ").startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(_OLE):
        if "EncryptedPackage".encode("utf-16-le") in data:
            raise PlanError(name, 1, "berkas Word/Excel dilindungi kata sandi: buka di Word "
                            "atau Excel, hapus kata sandinya (Berkas → Info → Lindungi), simpan, "
                            "lalu impor lagi")
        raise PlanError(name, 1, "format Word/Excel lama (.doc/.xls) tidak dibaca: simpan "
                        "ulang sebagai .docx atau .xlsx, lalu impor lagi")
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _zip_kind(data, name)
    return "text"


def _zip_kind(data: bytes, name: str) -> Format:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
    except (zipfile.BadZipFile, EOFError, ValueError) as exc:
        raise PlanError(name, 1, "berkas .docx/.xlsx rusak (arsip zip tidak utuh, mungkin "
                        "terpotong saat diunduh): minta atau simpan ulang berkasnya") from exc
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    raise PlanError(name, 1, "arsip zip ini bukan dokumen Word (.docx) atau Excel (.xlsx); "
                    "diharapkan rencana aksi sebagai .docx, .xlsx, .pdf, teks atau YAML")


CORRUPT = ("berkas {kind} rusak ({why}): buka dan simpan ulang di aplikasi aslinya, atau "
           "minta berkas yang utuh")


def decode_text(data: bytes, name: str) -> list[str]:
    """The file's lines (no line ends). UTF-8 (with or without BOM) or UTF-16 with BOM."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16")
    else:
        if b"\x00" in data[:8192]:
            raise PlanError(name, _line_of(data, data.index(b"\x00")),
                            "berkas biner, bukan teks: diharapkan rencana aksi sebagai .docx, "
                            ".xlsx, .pdf, ekspor teks (UTF-8, sel dipisah TAB) atau YAML "
                            "kanonik")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise PlanError(
                name, _line_of(data, exc.start),
                f"bukan UTF-8 (bait 0x{data[exc.start]:02x} pada posisi {exc.start}); "
                "simpan ulang berkas sebagai UTF-8, misalnya "
                "`iconv -f cp1252 -t utf-8 BERKAS > BARU`") from exc
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def read_lines(path: Path) -> list[str]:
    """A text plan's lines (kept for callers that only read text)."""
    return decode_text(read_bytes(path), str(path))


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def content_sha256(data: bytes) -> str:
    """Hash of a plan file's *content*: a text file re-saved as UTF-16 or with CRLF line
    ends is the same decree (no empty revision); other formats are hashed as bytes."""
    try:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            text = data.decode("utf-16")
        else:
            text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return hashlib.sha256(data).hexdigest()
    normal = text.replace("\r\n", "\n").replace("\r", "\n")
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()
