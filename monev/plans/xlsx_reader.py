"""Excel (.xlsx) plans, read with openpyxl: formulas as the values the office saved,
merged cells as their top-left cell (the others read empty, as in a text export; the
workbook is streamed read-only, which is 2× faster and never binds the merges), the
RB month grid with √, v, x or 1. A workbook may hold several sheets: the first one with
a ZI or RB header is the plan, and the note says which; the sheets before it are read
as prose (a decree's text is sometimes pasted in a first sheet). A signature block typed
in the cells under the table (``Ditetapkan di …``, ``KETUA …``, a name, ``NIP …``) is
prose after the table, never rows."""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from monev.errors import PlanError
from monev.periods import MONTH_NAMES_ID
from monev.plans.document import Line, SourceDoc
from monev.plans.table import clean

HeaderTest = Callable[[list[str]], bool]


_FORMAT_LITERALS = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.')


def shows_day(number_format: str | None) -> bool:
    """Whether a date cell's number format shows the day: ``d mmmm yyyy`` does, the
    ``mmmm yyyy`` or ``mmm-yy`` an office types a month as (Excel turns ``Februari 2026``
    into 1 Feb 2026 shown as a month) does not. Quoted text and ``[$-421]`` are skipped."""
    if not number_format:
        return True
    return "d" in _FORMAT_LITERALS.sub("", number_format).lower()


def cell_text(value: Any, number_format: str | None = None) -> str:
    """One cell's value as the text a person sees: a date as the day it names
    (``14 Februari 2026``, due that day), or as its month when the cell shows no day."""
    if value is None or value is False:
        return ""
    if value is True:
        return "√"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        month = f"{MONTH_NAMES_ID[value.month - 1]} {value.year}"
        return f"{value.day} {month}" if shows_day(number_format) else month
    return clean(str(value))


def read_xlsx(data: bytes, source: str, is_header: HeaderTest) -> SourceDoc:
    """The plan's sheet as rows (prose rows as single cells), after the prose of the
    sheets before it. ``is_header`` tells a ZI/RB header row (from the mappers)."""
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), data_only=True, read_only=True)
    except (zipfile.BadZipFile, zlib.error, KeyError, ValueError, OSError) as exc:
        raise PlanError(source, 1, f"berkas .xlsx rusak ({type(exc).__name__}): buka dan "
                        "simpan ulang di Excel, atau minta berkas yang utuh") from exc
    except Exception as exc:  # lxml and openpyxl raise their own kinds
        raise PlanError(source, 1, f"berkas .xlsx tidak dapat dibaca ({type(exc).__name__}"
                        "): buka dan simpan ulang di Excel, atau minta berkas yang utuh") \
            from exc
    try:
        sheets = [(ws.title, _rows(ws, is_header)) for ws in wb.worksheets]
    finally:
        wb.close()
    chosen = next((i for i, (_, rows) in enumerate(sheets)
                   if any(is_header(cells) for _, cells, _ in rows)), None)
    if chosen is None:
        names = ", ".join(f"'{t}'" for t, _ in sheets)
        raise PlanError(source, 1, f"tidak ada lembar berisi tabel rencana aksi (lembar: "
                        f"{names}); diharapkan baris judul kolom NO, KOMPONEN, INDIKATOR, "
                        "LANGKAH AKSI, BUKTI FISIK, TARGET WAKTU (ZI) atau NO, AREA "
                        "PERUBAHAN, KEGIATAN, SUB KEGIATAN, INDIKATOR KEBERHASILAN, 1–12 (RB)")
    lines: list[Line] = []
    for title, rows in sheets[:chosen]:
        lines += [Line(no, [part], where=f"lembar {title}") for no, cells, _ in rows
                  for part in " ".join(c for c in cells if c).split("\n")]
    title, rows = sheets[chosen]
    for no, cells, prose in rows:
        if prose:  # a title block typed in one cell: its lines, as in a document
            lines += [Line(no, [part], where=f"lembar {title}")
                      for part in next(c for c in cells if c).split("\n")]
        else:
            lines.append(Line(no, cells, table=chosen, where=f"lembar {title}"))
    notes = []
    if len(sheets) > 1:
        others = ", ".join(f"'{t}'" for i, (t, _) in enumerate(sheets) if i != chosen)
        first = next(no for no, cells, _ in rows if is_header(cells))
        notes.append(f"{source}:{first} (lembar {title}): tabel dibaca dari lembar "
                     f"'{title}'; lembar lain ({others}) tidak dibaca sebagai tabel")
    return SourceDoc(source, "xlsx", lines, notes=notes)


def _rows(ws: Any, is_header: HeaderTest) -> list[tuple[int, list[str], bool]]:
    """(row number, cells, is prose) of every non-empty row. A row with one filled cell
    is prose above the table's header (titles), and in the first column below it (an
    area name or a signature line typed across the sheet)."""
    out: list[tuple[int, list[str], bool]] = []
    seen_header = False
    for no, row in enumerate(ws.iter_rows(), start=1):
        values = [c.value for c in row]
        cells = [cell_text(c.value, getattr(c, "number_format", None)) for c in row]
        while cells and not cells[-1]:
            cells.pop()
        filled = [i for i, c in enumerate(cells) if c]
        if not filled:
            continue
        if not seen_header and is_header(cells):
            seen_header = True
        prose = len(filled) == 1 and (not seen_header or filled[0] == 0)
        if prose and isinstance(values[filled[0]], str) and "\n" in values[filled[0]]:
            parts = (clean(t) for t in values[filled[0]].split("\n"))
            cells[filled[0]] = "\n".join(t for t in parts if t)
        out.append((no, cells, prose))
    closing = _closing_at(out)
    return out[:closing] + [(no, [" ".join(c for c in cells if c)], True)
                            for no, cells, _ in out[closing:]]


# The first line of a signature block typed in the sheet's cells under the table.
_CLOSING_RE = re.compile(
    r"^\W*(?:ditetapkan\b|pada\s+tanggal\b|ketua\b|kepala\b|sekretaris\b|plt\.?\s|plh\.?\s"
    r"|a\.?\s?n\.?\s|nip\b|salinan\s+sesuai|mengetahui\b|menyetujui\b|ttd\b"
    r"|[A-Za-z .]+,\s*\d{1,2}\s+[A-Za-z]+\s+\d{4}$)", re.IGNORECASE)


def _closing_at(rows: list[tuple[int, list[str], bool]]) -> int:
    """Index of the row where a signature block under the table begins (``Ditetapkan
    di …``, ``KETUA …``, a name, ``NIP …``, typed in any column), or ``len(rows)``. It
    starts with such a line of at most two cells after the table's last row of three or
    more cells, so an indikator that begins with ``Ketua`` is never cut off."""
    wide = [k for k, (_, cells, _) in enumerate(rows) if sum(1 for c in cells if c) >= 3]
    if not wide:
        return len(rows)
    for k in range(wide[-1] + 1, len(rows)):
        filled = [c for c in rows[k][1] if c]
        if len(filled) <= 2 and _CLOSING_RE.match(filled[0]):
            return k
    return len(rows)
