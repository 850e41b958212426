"""Reading a plan file into text lines, refusing binaries and wrong encodings."""

from __future__ import annotations

from pathlib import Path

from monev.errors import PlanError

MAX_BYTES = 20 * 1024 * 1024


def read_lines(path: Path) -> list[str]:
    """The file's lines (no line ends). UTF-8 (with or without BOM) or UTF-16 with BOM."""
    name = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PlanError(name, 0, f"berkas tidak dapat dibaca: {exc.strerror}") from exc
    if len(data) > MAX_BYTES:
        raise PlanError(name, 0, f"berkas terlalu besar ({len(data)} bait; batas {MAX_BYTES})")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16")
    else:
        if b"\x00" in data[:8192]:
            raise PlanError(name, _line_of(data, data.index(b"\x00")),
                            "berkas biner, bukan teks: diharapkan ekspor teks dari "
                            "dokumen rencana aksi (UTF-8, sel dipisah TAB) atau YAML kanonik")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise PlanError(
                name, _line_of(data, exc.start),
                f"bukan UTF-8 (bait 0x{data[exc.start]:02x} pada posisi {exc.start}); "
                "simpan ulang berkas sebagai UTF-8, misalnya "
                "`iconv -f cp1252 -t utf-8 BERKAS > BARU`") from exc
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1
