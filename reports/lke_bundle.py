"""The evidence bundle a TPI receives: one ZIP with every current evidence file of the
satker's LKE questions in the folders TPIs file under (``AREA I MANAJEMEN
PERUBAHAN/i. Penyusunan Tim Kerja/1.i.a <file>``, see reports/lke_filing.py), an
``index.xlsx`` linking each answered or served question to its files (relative paths)
and links, and the filled workbook. Files are copied from their blobs in chunks, so
memory stays flat however many there are; names are sanitised (no folders of their
own, no absolute paths, unique)."""

from __future__ import annotations

import io
import os
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from monev.engine.blobs import CHUNK, blob_path
from reports.lke_filing import STATUS_WORDS, Filed, LkePack
from reports.lke_workbook import workbook_bytes

INDEX = "index.xlsx"
# already compressed: stored as they are (deflating them costs time and saves nothing)
STORED = {".jpg", ".jpeg", ".png", ".webp", ".heic", ".mp4", ".mov", ".m4v", ".zip",
          ".docx", ".xlsx", ".pptx", ".odt", ".ods", ".odp"}
INDEX_COLUMNS = ("Kode", "Pertanyaan", "Jawaban unit", "Status bukti", "Baris rencana aksi",
                 "Periode", "Berkas (di dalam ZIP)", "Tautan")
MISSING = "berkas tidak ditemukan di penyimpanan monev"


@dataclass(frozen=True)
class BundleStats:
    files: int  # evidence files written
    links: int
    missing: int  # files whose blob is gone (listed in the index as such)


def workbook_name(pack: LkePack) -> str:
    return f"LKE {pack.lke.version} - Jawaban.xlsx"


def _index_bytes(pack: LkePack, written: set[str]) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Indeks"
    for c, title in enumerate(INDEX_COLUMNS, start=1):
        cell = ws.cell(1, c, title)
        cell.font, cell.fill = Font(bold=True), PatternFill("solid", fgColor="D9D9D9")
    for col, width in zip("ABCDEFGH", (12, 60, 12, 20, 16, 10, 60, 40), strict=True):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A2"
    served = {c for codes in pack.where.links.values() for c in codes}
    link = Font(color="0563C1", underline="single")
    r = 2
    for q in pack.lke.questions():
        answer = pack.where.answers.get(q.code, ("", ""))[0]
        filed: list[Filed] = pack.filed.get(q.code, [])
        if not (answer or q.code in served or filed):
            continue
        lines: list[Filed | None] = list(filed) or [None]
        for f in lines:
            ws.cell(r, 1, q.code)
            ws.cell(r, 2, q.text)
            ws.cell(r, 3, answer or None)
            if f is None:
                ws.cell(r, 4, "belum ada bukti")
            else:
                ws.cell(r, 4, STATUS_WORDS.get(f.status, f.status))
                ws.cell(r, 5, f.row_key)
                ws.cell(r, 6, f.period)
                target = f.path or f.url
                cell = ws.cell(r, 7 if f.path else 8, target)
                if f.path and f.path not in written:
                    cell.value = f"{f.name} ({MISSING})"
                else:
                    cell.hyperlink, cell.font = target, link
            r += 1
    ws.auto_filter.ref = f"A1:H{max(r - 1, 1)}"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _copy(zf: zipfile.ZipFile, source: Path, arcname: str) -> None:
    size = source.stat().st_size
    info = zipfile.ZipInfo.from_file(source, arcname)
    info.compress_type = zipfile.ZIP_STORED if Path(arcname).suffix.lower() in STORED \
        else zipfile.ZIP_DEFLATED
    with source.open("rb") as src, zf.open(info, "w", force_zip64=size >= 1 << 31) as dst:
        shutil.copyfileobj(src, dst, CHUNK)


def write_bundle_to(pack: LkePack, home: Path, out: BinaryIO) -> BundleStats:
    """Write the bundle ZIP to ``out`` (a file, or any writable stream)."""
    written: set[str] = set()
    files = links = missing = 0
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for filed in pack.filed.values():
            for f in filed:
                if f.url:
                    links += 1
                    continue
                source = blob_path(home, f.location, f.sha256)
                if source is None:
                    missing += 1
                    continue
                _copy(zf, source, f.path)
                written.add(f.path)
                files += 1
        zf.writestr(INDEX, _index_bytes(pack, written))
        zf.writestr(workbook_name(pack), workbook_bytes(pack))
    return BundleStats(files, links, missing)


def write_bundle(pack: LkePack, home: Path, path: Path) -> BundleStats:
    """Write the bundle to ``path`` atomically (a reader never sees half a ZIP)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("wb") as f:
            stats = write_bundle_to(pack, home, f)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return stats
