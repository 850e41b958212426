"""Importer for the RB month grid: NO | AREA PERUBAHAN | KEGIATAN | SUB KEGIATAN |
INDIKATOR KEBERHASILAN | 1 … 12 | KET, with a mark (√) in each month of work.

Real exports shift cells: a numbering cell split off its text (``1.`` | ``Evaluasi``),
a row missing an empty cell or carrying one too many. Rows are realigned by where
their text ends and their marks begin; every realignment is flagged."""

from __future__ import annotations

import re

from monev.errors import PlanError
from monev.grammar import describe_months
from monev.model import Item
from monev.periods import Period
from monev.plans.document import SourceDoc
from monev.plans.table import (
    Row,
    header_key,
    is_column_number_row,
    join,
    match_columns,
    rename_komponen,
    table_lines,
    unknown_columns,
)

TEXT_COLUMNS: dict[str, tuple[str, ...]] = {
    "no": ("NO",),
    "area": ("AREA PERUBAHAN", "AREA"),
    "kegiatan": ("KEGIATAN", "PROGRAM"),
    "sub": ("SUB KEGIATAN", "RENCANA AKSI", "LANGKAH AKSI"),
    "indikator": ("INDIKATOR KEBERHASILAN", "INDIKATOR", "OUTPUT"),
}
# A PIC / PENANGGUNG JAWAB column among the text columns (kept on the item).
PIC_NAMES = ("PENANGGUNG JAWAB", "PENANGGUNGJAWAB", "PENANGGUNG JAWAB PIC", "PIC", "PJ",
             "PELAKSANA", "UNIT PELAKSANA")
MARKS = {"√", "✓", "✔", "v", "V", "x", "X"}
MONTH_ONLY_MARKS = {"1"}  # a 1 in a month cell (spreadsheets) is a mark, elsewhere text
_NUMBER_CELL = re.compile(r"^(\d{1,2}|[a-z])[.)]$")


def header_columns(cells: list[str]) -> dict[str, int] | None:
    """Text-column positions when ``cells`` is an RB grid header, else None."""
    found = match_columns(cells, TEXT_COLUMNS)
    if found is None:
        return None
    keys = [header_key(c) for c in cells]
    if not any(k.startswith(("PELAKSANAAN", "BULAN", "WAKTU")) or k == "1" for k in keys):
        return None
    free = [c if i not in found.values() else "" for i, c in enumerate(cells)]
    pic = match_columns(free, {"pic": PIC_NAMES})
    if pic is not None and pic["pic"] < min(i for i, k in enumerate(keys)
                                            if k.startswith(("PELAKSANAAN", "BULAN", "WAKTU"))
                                            or k == "1"):
        found["pic"] = pic["pic"]
    return found


def _is_mark(cell: str) -> bool:
    return cell in MARKS


def _merge_number_cells(cells: list[str], first_text: int, month_start: int) -> list[str]:
    """``1.`` | ``Evaluasi Organisasi`` → ``1. Evaluasi Organisasi`` (one cell), but only
    while the row's text spills into the month columns: a row that fits its columns
    (a real table's cells) keeps a kegiatan numbered ``2.`` as it is."""
    out = list(cells)
    texts = [i for i, c in enumerate(out) if c and not _is_mark(c)]
    spill = (max(texts) - month_start + 1) if texts else 0
    i = first_text
    while spill > 0 and i < min(month_start, len(out) - 1):
        if _NUMBER_CELL.match(out[i]) and not _is_mark(out[i + 1]):
            out[i] = f"{out[i]} {out[i + 1]}".strip()
            del out[i + 1]
            spill -= 1
        i += 1
    return out


def parse_rb(doc: SourceDoc, start: int, columns: dict[str, int],
             year: int) -> tuple[list[Item], list[str]]:
    """Items of the grid whose first header is ``doc.lines[start]``."""
    head = doc.lines[start]
    warnings: list[str] = []
    ntext = max(columns.values()) + 1
    month_start = ntext
    rows: list[Row] = []
    for line, after_break in table_lines(doc, start, lambda c: header_columns(c) is not None):
        if not line.is_row:
            continue
        cells = line.cells
        if is_column_number_row(cells):
            ones = [i for i, c in enumerate(cells) if c in ("1", "(1)")]
            if len(ones) == 1 and cells[ones[0] + 1: ones[0] + 2] == ["2"]:
                month_start = ones[0] if ones[0] >= 2 else month_start
            continue
        rows.append(Row(line.no, cells, after_break, doc.at(line), tuple(line.flags),
                        line.where))
    known = set(columns.values()) | set(range(month_start, month_start + 13))
    warnings += [w for w in unknown_columns(doc, head, known)
                 if "PELAKSANAAN" not in w.upper() and "BULAN" not in w.upper()]
    items: list[Item] = []
    area = kegiatan = ""
    for row in rows:
        text, pic, months, ket, note = _align(row, columns, month_start, doc.source)
        if note:
            warnings.append(note)
        get = dict(zip(TEXT_COLUMNS, text, strict=True))
        if row.after_page_break and items and not get["no"] and not get["area"] \
                and not months and not ket:
            prev = items[-1]
            if get["kegiatan"]:
                kegiatan = rename_komponen(items, prev.komponen,
                                           join(prev.komponen, get["kegiatan"]))
            prev.langkah_aksi = join(prev.langkah_aksi, get["sub"])
            prev.indikator = join(prev.indikator, get["indikator"])
            prev.bukti_fisik = prev.indikator
            prev.pic = prev.pic if pic == prev.pic else join(prev.pic, pic)
            continue
        if get["area"]:
            area = get["area"]
            kegiatan = ""
        if get["kegiatan"]:
            kegiatan = get["kegiatan"]
        item = Item(area=area, komponen=kegiatan, indikator=get["indikator"],
                    langkah_aksi=get["sub"], bukti_fisik=get["indikator"],
                    target_text="", source_line=row.line, where=row.where, pic=pic,
                    warnings=[f"{row.at}: {f}" for f in row.flags])
        chosen = set(months)
        if ket and 12 not in chosen:
            chosen.add(12)
            item.warnings.append(
                f"{row.at}: √ di kolom KET" + (" saja" if not months else "")
                + "; dianggap Desember")
        if not chosen:
            item.warnings.append(f"{row.at}: tidak ada √ pada kolom bulan; "
                                 "tidak ada checkpoint")
        item.target_text = describe_months(Period(year, m) for m in sorted(chosen))
        items.append(item)
    if not items:
        raise PlanError(doc.source, head.no, "tabel rencana aksi RB kosong: ada judul kolom "
                        "tetapi tidak ada baris kegiatan")
    unmarked = sum(1 for i in items if not i.target_text)
    if unmarked * 2 > len(items):  # the marks were lost (a narrow PDF), not left out
        raise PlanError(doc.source, head.no, f"tanda √ kolom bulan tidak terbaca pada "
                        f"{unmarked} dari {len(items)} baris grid RB: kolom bulan 1–12 "
                        "bergeser atau hilang di berkas ini; baca dari Word/Excel aslinya "
                        "atau dari teks TAB")
    for item in items:  # messages, pages and reports always name what is to be proven
        if not item.indikator.strip():
            basis = item.langkah_aksi or item.komponen or item.area
            item.bukti_fisik = f"Bukti pelaksanaan: {basis}"[:300]
            where = f" ({item.where})" if item.where else ""
            item.warnings.append(f"{doc.source}:{item.source_line}{where}: indikator "
                                 "keberhasilan kosong; bukti fisik diisi dari sub kegiatan")
    return items, warnings


def _align(row: Row, columns: dict[str, int], month_start: int,
           source: str) -> tuple[list[str], str, list[int], bool, str]:
    """(text cells NO…INDIKATOR, PIC, marked months, KET marked, realignment note)."""
    first_text = columns["kegiatan"]
    cells = _merge_number_cells(row.cells, first_text, month_start)
    cells = ["√" if month_start <= i < month_start + 13 and c in MONTH_ONLY_MARKS else c
             for i, c in enumerate(cells)]
    text_idx = [i for i, c in enumerate(cells) if c and not _is_mark(c)]
    mark_idx = [i for i, c in enumerate(cells) if _is_mark(c)]
    last_text = max(text_idx) if text_idx else -1
    note = ""
    m1 = month_start
    if last_text >= month_start:
        shift = last_text - month_start + 1
        lead = cells[:shift]
        if any(lead):
            raise PlanError(source, row.line, "sel bergeser: teks di kolom bulan dan tidak "
                            "ada sel kosong di depan untuk menampungnya; diharapkan NO, AREA "
                            "PERUBAHAN, KEGIATAN, SUB KEGIATAN, INDIKATOR, lalu √ di kolom 1–12")
        cells = cells[shift:]
        m1 = month_start
        note = f"{row.at}: sel bergeser {shift} kolom ke kanan; diratakan"
    elif mark_idx and mark_idx[0] < month_start:
        shift = month_start - mark_idx[0]
        if mark_idx[0] <= last_text or mark_idx[0] <= columns["area"]:
            raise PlanError(source, row.line, "tanda √ di kolom teks (NO/AREA/KEGIATAN); "
                            "diharapkan √ hanya di kolom bulan 1–12 atau KET")
        cells = [""] * shift + cells
        note = f"{row.at}: sel bergeser {shift} kolom ke kiri; diratakan"
    text = (cells[:month_start] + [""] * month_start)[:month_start]
    pic = text[columns["pic"]] if "pic" in columns else ""
    text = [text[columns[name]] for name in TEXT_COLUMNS]
    months = [m for m in range(1, 13)
              if m1 + m - 1 < len(cells) and _is_mark(cells[m1 + m - 1])]
    ket = m1 + 12 < len(cells) and _is_mark(cells[m1 + 12])
    beyond = [i for i in range(m1 + 13, len(cells)) if _is_mark(cells[i])]
    if beyond:
        raise PlanError(source, row.line, "tanda √ di luar kolom bulan 1–12 dan KET; "
                        "sel bergeser?")
    return text, pic, months, ket, note
