"""One entry point for every plan file: tell its format from its content, read it into
lines and cells (``document``), find the ZI table or RB grid, map it, read the header
and compile the periods. Pure apart from reading the one file; the readers of Word,
Excel and PDF files are imported only when such a file comes."""

from __future__ import annotations

import re
from pathlib import Path

import monev.plans.rb as rb
import monev.plans.zi as zi
from monev.errors import PlanError
from monev.grammar import RangePolicy, read_target
from monev.model import Kind, Plan, PlanHeader, assign_keys
from monev.plans.canonical import FORMAT, load_canonical
from monev.plans.document import Line, SourceDoc
from monev.plans.flat import read_flat
from monev.plans.flat_header import headers
from monev.plans.limits import check_bounds
from monev.plans.prose import read_prose
from monev.plans.source import decode_text, read_bytes, sniff
from monev.plans.table import clean, looks_like_header, split_cells

_NOT_A_PLAN = ("bukan dokumen rencana aksi: tidak ditemukan baris judul tabel, yaitu NO, "
               "KOMPONEN, INDIKATOR, LANGKAH AKSI, BUKTI FISIK, TARGET WAKTU (ZI) atau NO, "
               "AREA PERUBAHAN, KEGIATAN, SUB KEGIATAN, INDIKATOR KEBERHASILAN, 1–12, KET (RB)")


def load_plan(path: str | Path, range_policy: RangePolicy | None = None) -> Plan:
    """Read a plan document in any supported format, with its periods, within bounds."""
    plan = _load(Path(path), str(path), range_policy)
    check_bounds(plan)
    return plan


def _load(p: Path, source: str, range_policy: RangePolicy | None) -> Plan:
    data = read_bytes(p)
    fmt = sniff(data, source)
    # The binary readers are imported for their format only: pdfplumber, python-docx
    # and openpyxl take long to import and a text plan needs none of them.
    if fmt == "pdf":
        from monev.plans.pdf_reader import read_pdf

        return plan_from_doc(read_pdf(data, source), range_policy or "monthly")
    if fmt == "docx":
        from monev.plans.docx_reader import read_docx

        return plan_from_doc(read_docx(data, source), range_policy or "monthly")
    if fmt == "xlsx":
        from monev.plans.xlsx_reader import read_xlsx

        return plan_from_doc(read_xlsx(data, source, is_header_row), range_policy or "monthly")
    lines = decode_text(data, source)
    text_head = "\n".join(lines[:40])
    if p.suffix.lower() in (".yaml", ".yml") or f"format: {FORMAT}" in text_head:
        plan, yaml_lines = load_canonical("\n".join(lines), source)
        if range_policy:
            plan.range_policy = range_policy
        _read_periods(plan, [yaml_lines[i] if i < len(yaml_lines) else 0
                             for i in range(len(plan.items))])
        assign_keys(plan.header.kind, plan.items)
        return plan
    return parse_text(lines, source, range_policy or "monthly")


def is_header_row(cells: list[str]) -> bool:
    return looks_like_header(cells) and (
        zi.header_columns(cells, True) is not None or rb.header_columns(cells) is not None)


def text_doc(lines: list[str], source: str) -> SourceDoc:
    """A TAB-text export: a line with a TAB is a table row, any other line is prose."""
    return SourceDoc(source, "text", [
        Line(i + 1, split_cells(raw) if "\t" in raw else [clean(raw)])
        for i, raw in enumerate(lines)])


def parse_text(lines: list[str], source: str, range_policy: RangePolicy = "monthly") -> Plan:
    """A text plan: TAB-separated export, or text copied out of a PDF."""
    if not any(line.strip() for line in lines):
        raise PlanError(source, 1, "berkas kosong: diharapkan rencana aksi sebagai .docx, "
                        ".xlsx, .pdf, ekspor teks (sel dipisah TAB) atau YAML kanonik")
    doc = text_doc(lines, source)
    if _find_table(doc) is None:
        doc = _flattened(lines, source)
    return plan_from_doc(doc, range_policy)


def _flattened(lines: list[str], source: str) -> SourceDoc:
    """Text without a TAB table: a PDF copy we can read, or a refusal saying what we saw."""
    if headers(lines):
        return read_flat(lines, source)
    start = _scattered_header(lines)
    if start is not None:
        raise PlanError(source, start, "tampaknya salinan dari PDF, tetapi kolom tabelnya "
                        "tercerai-berai (setiap kolom menjadi blok teks sendiri, seperti hasil "
                        "`pdftotext` tanpa `-layout`): baris tidak dapat disusun kembali — coba "
                        "berkas .pdf/.docx/.xlsx aslinya, `pdftotext -layout`, atau format YAML")
    plan_like = next((i + 1 for i, t in enumerate(lines)
                      if re.match(r"^\W*RENCANA\s+AKSI\b", t, re.IGNORECASE)), None)
    if plan_like is not None:
        raise PlanError(source, plan_like, "tampak seperti rencana aksi, tetapi tabelnya tidak "
                        "ditemukan: tidak ada judul kolom NO … TARGET WAKTU (ZI) atau NO, AREA "
                        "PERUBAHAN … KET (RB) yang dipisah TAB atau spasi — coba berkas "
                        ".pdf/.docx aslinya atau format YAML")
    raise PlanError(source, 1, _NOT_A_PLAN)


def _scattered_header(lines: list[str]) -> int | None:
    """Line of a header whose column names stand each on a line of its own."""
    keys = [re.sub(r"[^A-Z ]", "", t.upper()).strip() for t in lines]
    for i, key in enumerate(keys):
        if key != "NO":
            continue
        window = set(keys[i: i + 40])
        if {"KOMPONEN", "INDIKATOR"} <= window or {"KEGIATAN", "SUB KEGIATAN"} <= window:
            return i + 1
    return None


def _find_table(doc: SourceDoc) -> tuple[Kind, int, dict[str, int]] | None:
    for i, line in enumerate(doc.lines):
        if not line.is_row or not looks_like_header(line.cells):
            continue
        cols = rb.header_columns(line.cells)
        if cols is not None:
            return "RB", i, cols
        cols = zi.header_columns(line.cells, months=True)
        if cols is not None:
            return "ZI", i, cols
    return None


def plan_from_doc(doc: SourceDoc, range_policy: RangePolicy = "monthly") -> Plan:
    """Map a read document: header from its prose, items from its table."""
    source = doc.source
    found = _find_table(doc)
    if found is None:
        raise PlanError(source, 1, _NOT_A_PLAN)
    kind, start, columns = found
    last_row = max(i for i, ln in enumerate(doc.lines) if ln.is_row)
    closing = [(ln.no, ln.text) for ln in doc.lines[last_row + 1:]]
    prose = read_prose(doc.prose_lines(start), source, closing)
    warnings = list(doc.notes) + prose.warnings
    year = prose.year
    if year is None:
        raise PlanError(source, 1, "tahun rencana tidak ditemukan: diharapkan 'TAHUN YYYY' "
                        "pada judul keputusan (TENTANG … TAHUN 2025) atau judul tabel "
                        "(RENCANA AKSI … TAHUN 2025)")
    if prose.satker is None:
        raise PlanError(source, 1, "nama satker tidak ditemukan: diharapkan baris "
                        "'KEPUTUSAN <NAMA SATKER>' di awal dokumen atau judul tabel "
                        "'RENCANA AKSI … <NAMA SATKER> TAHUN …'")
    if prose.kind is not None and prose.kind != kind:
        warnings.append(f"{doc.at(doc.lines[start])}: judul menyebut {prose.kind} tetapi "
                        f"tabelnya berbentuk {kind}; dibaca sebagai {kind}")
    if kind == "ZI":
        items, table_warnings = zi.parse_zi(doc, start, columns, year)
    else:
        items, table_warnings = rb.parse_rb(doc, start, columns, year)
    warnings.extend(table_warnings)
    header = PlanHeader(satker=prose.satker, kind=kind, year=year, number=prose.number,
                        decided_on=prose.decided_on)
    plan = Plan(header=header, items=items, source=source, range_policy=range_policy,
                warnings=warnings)
    _read_periods(plan, [item.source_line for item in items])
    assign_keys(kind, items)
    return plan


def _read_periods(plan: Plan, lines: list[int]) -> None:
    """Fill each item's periods from its override or its target text, with flags."""
    for item, line in zip(plan.items, lines, strict=True):
        if item.override is not None:
            item.periods = item.override
            continue
        reading = read_target(item.target_text, plan.header.year, plan.range_policy)
        item.periods = reading.periods
        item.days = dict(reading.days)
        where = f"{plan.source}:{line}" + (f" ({item.where})" if item.where else "")
        new = [f"{where}: {w}" for w in reading.warnings]
        item.warnings.extend(w for w in new if w not in item.warnings)

