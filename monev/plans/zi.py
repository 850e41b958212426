"""Importer for the ZI table: NO | KOMPONEN | INDIKATOR | LANGKAH AKSI | BUKTI FISIK |
TARGET WAKTU, with area rows, repeated page headers and rows split by page breaks."""

from __future__ import annotations

from monev.errors import PlanError
from monev.grammar import read_target
from monev.model import Item
from monev.plans.table import (
    Row,
    area_line,
    is_column_number_row,
    join,
    looks_like_header,
    match_columns,
    rename_komponen,
    split_cells,
)

# Accepted header names per column (other satkers word them differently).
COLUMNS: dict[str, tuple[str, ...]] = {
    "no": ("NO",),
    "komponen": ("KOMPONEN", "KOMPONEN PENGUNGKIT", "SUB AREA", "PROGRAM"),
    "indikator": ("INDIKATOR", "INDIKATOR KINERJA", "INDIKATOR KEBERHASILAN"),
    "langkah_aksi": ("LANGKAH AKSI", "RENCANA AKSI", "KEGIATAN", "LANGKAHLANGKAH AKSI"),
    "bukti_fisik": ("BUKTI FISIK", "BUKTI DUKUNG", "OUTPUT", "DATA DUKUNG", "BUKTI"),
    "target": ("TARGET WAKTU", "WAKTU", "TARGET", "JADWAL", "WAKTU PELAKSANAAN",
               "TARGET PENYELESAIAN"),
}
TEXT_FIELDS = ("indikator", "langkah_aksi", "bukti_fisik", "target")


def header_columns(cells: list[str]) -> dict[str, int] | None:
    """Column positions when ``cells`` is a ZI header row, else None."""
    return match_columns(cells, COLUMNS)


def parse_zi(lines: list[str], start: int, columns: dict[str, int], source: str,
             year: int) -> tuple[list[Item], list[str]]:
    """Items of the table whose first header is at index ``start``."""
    width = max(columns.values()) + 1
    rows: list[Row] = []
    warnings: list[str] = []
    after_break = False
    pending_areas: list[tuple[int, str]] = []
    for idx in range(start, len(lines)):
        raw = lines[idx]
        if not raw.strip():
            continue
        if "\t" not in raw:
            area = area_line(raw)
            if area:
                pending_areas.append((idx + 1, area[1]))
                rows.append(Row(idx + 1, [area[0], area[1]] + [""] * (width - 2), False))
            continue
        cells = split_cells(raw)
        if looks_like_header(cells) and header_columns(cells) is not None:
            after_break = True
            continue
        if is_column_number_row(cells):
            continue
        extra = [c for c in cells[width:] if c]
        if extra:
            raise PlanError(source, idx + 1,
                            f"baris memiliki {len(cells)} sel berisi, diharapkan {width} "
                            "(NO, KOMPONEN, INDIKATOR, LANGKAH AKSI, BUKTI FISIK, TARGET "
                            f"WAKTU); sel bergeser? Isi lebih: '{extra[0][:60]}'")
        cells = (cells + [""] * width)[:width]
        rows.append(Row(idx + 1, cells, after_break))
        after_break = False
    if not any(_is_item_row(r, columns) for r in rows):
        raise PlanError(source, start + 1, "tabel rencana aksi kosong: ada judul kolom "
                        "tetapi tidak ada baris dengan indikator atau target waktu")
    return _build_items(rows, columns, source, year, warnings), warnings


def _get(row: Row, columns: dict[str, int], name: str) -> str:
    return row.cells[columns[name]]


def _is_area_row(row: Row, columns: dict[str, int]) -> bool:
    rest = [_get(row, columns, f) for f in TEXT_FIELDS]
    no, komponen = _get(row, columns, "no"), _get(row, columns, "komponen")
    return not any(rest) and bool(no or komponen) and bool(
        komponen or area_line(no))


def _is_item_row(row: Row, columns: dict[str, int]) -> bool:
    return any(_get(row, columns, f) for f in TEXT_FIELDS)


def _build_items(rows: list[Row], columns: dict[str, int], source: str, year: int,
                 warnings: list[str]) -> list[Item]:
    items: list[Item] = []
    area = ""
    komponen = ""
    for row in rows:
        no, komp = _get(row, columns, "no"), _get(row, columns, "komponen")
        values = {f: _get(row, columns, f) for f in TEXT_FIELDS}
        if row.after_page_break and items and not no and not all(values.values()):
            prev = items[-1]
            if komp:  # the komponen name itself ran over the page break
                komponen = rename_komponen(items, prev.komponen, join(prev.komponen, komp))
            prev.indikator = join(prev.indikator, values["indikator"])
            prev.langkah_aksi = join(prev.langkah_aksi, values["langkah_aksi"])
            prev.bukti_fisik = join(prev.bukti_fisik, values["bukti_fisik"])
            prev.target_text = join(prev.target_text, values["target"])
            continue
        if _is_area_row(row, columns):
            merged = area_line(no)
            area = komp or (merged[1] if merged else no)
            komponen = ""
            continue
        if komp:
            komponen = komp
        elif no:
            warnings.append(f"{source}:{row.line}: baris bernomor '{no}' tanpa komponen; "
                            "komponen sebelumnya dipakai")
        if not area:
            warnings.append(f"{source}:{row.line}: baris sebelum baris area pertama")
        items.append(Item(area=area, komponen=komponen, indikator=values["indikator"],
                          langkah_aksi=values["langkah_aksi"],
                          bukti_fisik=values["bukti_fisik"], target_text=values["target"],
                          source_line=row.line))
    for item in items:
        _check_shift(item, source, year)
    return items


def _check_shift(item: Item, source: str, year: int) -> None:
    """A target cell left empty while BUKTI FISIK reads as a clean date: shifted cells."""
    if item.target_text.strip(" -") or not item.bukti_fisik:
        return
    reading = read_target(item.bukti_fisik, year)
    if reading.periods and not reading.warnings:
        raise PlanError(source, item.source_line,
                        "TARGET WAKTU kosong tetapi BUKTI FISIK berisi waktu "
                        f"('{item.bukti_fisik}'); sel bergeser satu kolom ke kiri?")
