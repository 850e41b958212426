"""Importer for the ZI table: NO | KOMPONEN | INDIKATOR | LANGKAH AKSI | BUKTI FISIK |
TARGET WAKTU, with area rows, repeated page headers and rows split by page breaks.
Some decrees add a PENANGGUNG JAWAB column (kept as the item's PIC), a KETERANGAN column
(notes, not read) or twelve month columns marked √ instead of or beside the target text
(under a second header row ``Jan`` … ``Des`` / ``1`` … ``12``)."""

from __future__ import annotations

from monev.errors import PlanError
from monev.grammar import describe_months, read_target
from monev.model import Item
from monev.periods import Period
from monev.plans.document import SourceDoc
from monev.plans.rb import MARKS, MONTH_ONLY_MARKS, PIC_NAMES
from monev.plans.table import (
    Row,
    area_line,
    continues_target,
    is_column_number_row,
    join,
    match_columns,
    month_positions,
    rename_komponen,
    table_lines,
    unknown_columns,
)

# Accepted header names per column (other satkers word them differently).
COLUMNS: dict[str, tuple[str, ...]] = {
    "no": ("NO",),
    "komponen": ("KOMPONEN", "KOMPONEN PENGUNGKIT", "SUB AREA", "PROGRAM"),
    "indikator": ("INDIKATOR", "INDIKATOR KINERJA", "INDIKATOR KEBERHASILAN"),
    "langkah_aksi": ("LANGKAH AKSI", "RENCANA AKSI", "KEGIATAN", "LANGKAHLANGKAH AKSI"),
    "bukti_fisik": ("BUKTI FISIK", "BUKTI DUKUNG", "OUTPUT", "DATA DUKUNG", "BUKTI"),
    "target": ("TARGET WAKTU", "WAKTU", "TARGET", "JADWAL", "WAKTU PELAKSANAAN",
               "TARGET PENYELESAIAN", "BATAS WAKTU", "JADWAL PELAKSANAAN", "BULAN",
               "BULAN PELAKSANAAN", "TARGET BULAN"),
}
# A table without these is still read (the cells stay empty) and the gap is flagged.
OPTIONAL = {"no": "NO", "bukti_fisik": "BUKTI FISIK"}
# Columns some decrees add, read when present: who is responsible (kept on the item)
# and notes (never read as anything: a note is not a target time).
EXTRA: dict[str, tuple[str, ...]] = {
    "pic": PIC_NAMES,
    "keterangan": ("KETERANGAN", "KET", "CATATAN"),
}
TEXT_FIELDS = ("indikator", "langkah_aksi", "bukti_fisik", "target")


def header_columns(cells: list[str], months: bool = False) -> dict[str, int] | None:
    """Column positions when ``cells`` is a ZI header row, else None (a missing NO,
    BUKTI FISIK, PIC or KETERANGAN column gives position -1). With ``months``, a header
    that names twelve month columns (``Jan`` … ``Des``) instead of a TARGET WAKTU column
    is one too, with target -1 (readers of cells; the copied-text reader wants a target
    column)."""
    required = {k: v for k, v in COLUMNS.items() if k not in OPTIONAL}
    found = match_columns(cells, required)
    if found is None and months and month_positions(cells):
        found = match_columns(cells, {k: v for k, v in required.items() if k != "target"})
        if found is not None:
            found["target"] = -1
    if found is None:
        return None
    for name, names in (*((n, COLUMNS[n]) for n in OPTIONAL), *EXTRA.items()):
        free = [c if i not in found.values() else "" for i, c in enumerate(cells)]
        found[name] = (match_columns(free, {name: names}) or {name: -1})[name]
    return found


def month_columns(doc: SourceDoc, start: int) -> list[int]:
    """Positions of the month columns of a ZI table marked by month (``√`` under ``Jan``
    … ``Des``): named in the header row itself, or in a second header row under a
    ``TARGET WAKTU`` / ``BULAN`` heading that spans them. Empty when there are none."""
    head = doc.lines[start].cells
    found = month_positions(head)
    for line in doc.lines[start + 1: start + 3]:
        if found or not line.is_row:
            break
        found = month_positions(line.cells)
        if found and any(head[i] for i in found[1:] if i < len(head)):
            found = None  # the row under the header has its own names there: not months
    return found or []


def parse_zi(doc: SourceDoc, start: int, columns: dict[str, int],
             year: int) -> tuple[list[Item], list[str]]:
    """Items of the table whose first header is ``doc.lines[start]``."""
    head = doc.lines[start]
    months = month_columns(doc, start)
    columns = dict(columns)
    if columns["target"] in months:  # TARGET WAKTU spans the month columns: marks only
        columns["target"] = -1
    width = max(len(head.cells), max([*columns.values(), *months]) + 1)
    rows: list[Row] = []
    warnings: list[str] = unknown_columns(doc, head, {*columns.values(), *months})
    warnings += [f"{doc.at(head)}: kolom {label} tidak ada; dibiarkan kosong"
                 for name, label in OPTIONAL.items() if columns[name] < 0]
    for line, after_break in table_lines(doc, start,
                                         lambda c: header_columns(c, True) is not None):
        if not line.is_row:
            area = area_line(line.text) if doc.loose_area_lines else None
            if area:
                rows.append(Row(line.no, _cells_at(columns, width, no=area[0],
                                                   komponen=area[1]), False, doc.at(line)))
            continue
        cells = line.cells
        if is_column_number_row(cells):
            continue
        extra = [c for c in cells[width:] if c]
        if extra and all(c in MARKS or c in MONTH_ONLY_MARKS for c in extra):
            raise PlanError(doc.source, line.no,
                            f"tanda '{extra[0]}' di luar kolom yang bernama (judul kolom di "
                            f"{doc.at(head)}): kolom bulan tidak dikenali — diharapkan 12 "
                            "kolom bernama Jan … Des (atau 1 … 12 di baris judul kedua) di "
                            "bawah judul TARGET WAKTU/BULAN")
        if extra:
            raise PlanError(doc.source, line.no,
                            f"baris memiliki {len(cells)} sel berisi, diharapkan {width} "
                            "(NO, KOMPONEN, INDIKATOR, LANGKAH AKSI, BUKTI FISIK, TARGET "
                            f"WAKTU); sel bergeser? Isi lebih: '{extra[0][:60]}'")
        cells = (cells + [""] * width)[:width] + [""]  # the last cell stands for -1
        rows.append(Row(line.no, cells, after_break, doc.at(line), tuple(line.flags),
                        line.where))
    if not any(_is_item_row(r, columns, months) for r in rows):
        raise PlanError(doc.source, head.no, "tabel rencana aksi kosong: ada judul kolom "
                        "tetapi tidak ada baris dengan indikator atau target waktu")
    quiet = () if doc.columns_split else ("tanpa komponen",)
    items = _build_items(rows, columns, months, doc.source, year, warnings)
    # a copied text's rows carry their own flag: no second one per numbered row
    return items, [w for w in warnings if not any(q in w for q in quiet)]


def _cells_at(columns: dict[str, int], width: int, **values: str) -> list[str]:
    cells = [""] * (width + 1)
    for name, value in values.items():
        cells[columns[name]] = value
    if columns["no"] < 0:  # no NO column: the numeral goes with the name
        cells[columns["komponen"]] = f"{values.get('no', '')} {values.get('komponen', '')}"
    cells[-1] = ""
    return cells


def _get(row: Row, columns: dict[str, int], name: str) -> str:
    return row.cells[columns[name]]


def _is_area_row(row: Row, columns: dict[str, int]) -> bool:
    rest = [_get(row, columns, f) for f in TEXT_FIELDS]
    no, komponen = _get(row, columns, "no"), _get(row, columns, "komponen")
    return not any(rest) and bool(no or komponen) and bool(
        komponen or area_line(no))


def _is_item_row(row: Row, columns: dict[str, int], months: list[int]) -> bool:
    return any(_get(row, columns, f) for f in TEXT_FIELDS) or bool(_marked(row, months))


def _marked(row: Row, months: list[int]) -> list[int]:
    """The months (1–12) marked in a row's month columns."""
    return [m for m, i in enumerate(months, start=1)
            if row.cells[i] in MARKS or row.cells[i] in MONTH_ONLY_MARKS]


def _target_with_marks(item: Item, marked: list[int], year: int, at: str) -> None:
    """A row's target from its month marks: they stand in for an empty TARGET WAKTU; a
    target text beside them wins, flagged when it names other months."""
    if not marked:
        return
    text = item.target_text.strip(" -\u2013")
    by_marks = describe_months(Period(year, m) for m in marked)
    if not text:
        item.target_text = by_marks
        return
    reading = read_target(item.target_text, year)
    said = sorted({p.month for p in reading.periods if p.year == year})
    if not reading.periods:
        item.warnings.append(f"{at}: TARGET WAKTU '{item.target_text}' tidak terbaca; "
                             f"dipakai tanda bulan ({by_marks})")
        item.target_text = by_marks
    elif said != marked:
        item.warnings.append(f"{at}: tanda bulan ({by_marks}) berbeda dengan TARGET WAKTU "
                             f"'{item.target_text}'; dipakai TARGET WAKTU")


def _build_items(rows: list[Row], columns: dict[str, int], months: list[int], source: str,
                 year: int, warnings: list[str]) -> list[Item]:
    items: list[Item] = []
    marks: list[list[int]] = []
    area = ""
    komponen = ""
    for row in rows:
        no, komp = _get(row, columns, "no"), _get(row, columns, "komponen")
        values = {f: _get(row, columns, f) for f in TEXT_FIELDS}
        pic = _get(row, columns, "pic")
        marked = _marked(row, months)
        present = [v for f, v in values.items() if columns[f] >= 0]
        if months and columns["target"] < 0:  # the marks are the row's target cell
            present.append("\u221a" if marked else "")
        if row.after_page_break and items and not no and (
                not all(present) or continues_target(items[-1].target_text, values["target"])):
            prev = items[-1]
            if komp:  # the komponen name itself ran over the page break
                komponen = rename_komponen(items, prev.komponen, join(prev.komponen, komp))
            prev.indikator = join(prev.indikator, values["indikator"])
            prev.langkah_aksi = join(prev.langkah_aksi, values["langkah_aksi"])
            prev.bukti_fisik = join(prev.bukti_fisik, values["bukti_fisik"])
            prev.target_text = join(prev.target_text, values["target"])
            prev.pic = prev.pic if pic == prev.pic else join(prev.pic, pic)
            marks[-1] = sorted({*marks[-1], *marked})
            continue
        if _is_area_row(row, columns) and not marked:
            merged = area_line(no or komp)
            area = (komp if no or not merged else merged[1]) or (merged[1] if merged else no)
            komponen = ""
            continue
        if komp:
            komponen = komp
        elif no:
            warnings.append(f"{row.at}: baris bernomor '{no}' tanpa komponen; "
                            "komponen sebelumnya dipakai")
        if not area:
            warnings.append(f"{row.at}: baris sebelum baris area pertama")
        items.append(Item(area=area, komponen=komponen, indikator=values["indikator"],
                          langkah_aksi=values["langkah_aksi"],
                          bukti_fisik=values["bukti_fisik"], target_text=values["target"],
                          source_line=row.line, where=row.where, pic=pic,
                          warnings=[f"{row.at}: {f}" for f in row.flags]))
        marks.append(marked)
    for item, marked in zip(items, marks, strict=True):
        at = f"{source}:{item.source_line}" + (f" ({item.where})" if item.where else "")
        _target_with_marks(item, marked, year, at)
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
