"""Write every input format of a plan from its TAB-text export: the fixtures the readers
are tested on (tests/fixtures/plans/), committed so CI needs no office suite.

    .venv/bin/python tools/plan_fixtures.py [--only NAME] [--out DIR]

For each source plan (examples/plans/*.txt and the made-up plans in
tests/fixtures/plans/src/*.txt) it writes, under DIR/NAME/:

- ``plan.docx``   python-docx: the decree's prose, then the attachment table as ONE
                  table that runs over many pages (header rows marked to repeat),
                  area/komponen cells merged vertically, area rows merged across,
                  line breaks and paragraphs inside cells, a signature table after it;
- ``split.docx``  the same table cut into one table per page at the TAB export's own
                  page breaks (header repeated, rows split in two) — what a PDF
                  converted back to Word looks like;
- ``plan.xlsx``   openpyxl, saved once more by LibreOffice so formulas carry values
                  like a file saved by Excel: sheets "Keputusan" (prose), "Lampiran"
                  (title and table, merged cells, √ grid) and "Rekap" (formulas);
- ``plan.pdf``    LibreOffice headless ``--convert-to pdf`` of plan.docx, the way
                  offices make them (landscape F4); ``a4.pdf`` the same on A4 with a
                  larger font, so every page break falls elsewhere;
- ``plan.pdftotext.txt`` / ``plan.pdfplumber.txt``: the flattened text that
                  ``pdftotext -layout`` and pdfplumber's ``extract_text()`` give for
                  plan.pdf (what a person gets by copying out of the PDF);
                  ``plan.pdftotext-raw.txt``: plain ``pdftotext`` (columns as blocks),
                  which the reader refuses with what it saw.

Text copied out of a PDF viewer cell by cell (``--copied`` writes only these):
``plan.pdfium.txt`` / ``a4.pdfium.txt`` / ``portrait.pdfium.txt``: PDFium's text of
plan.pdf, a4.pdf and ``portrait.pdf`` (a narrow A4 portrait page), what Chrome/Edge copy
(CRLF kept); ``plan.pdfium-doubled.txt``: the same with an empty line after each line
(CRLF pasted as two line breaks); ``plan.pdftotext-rawmode.txt``: ``pdftotext -raw``
(content-stream order, one cell after another).

Variants of every source: ``extra-col.pdf`` (a PENANGGUNG JAWAB / PIC column),
``missing-col.pdf`` (no BUKTI FISIK / KET column), built from the same docx builders.
``--layouts``: the table layouts of other satkers (tools/plan_layouts.py) under
tests/fixtures/plans/layouts/ — month columns, BATAS WAKTU, PIC, KETERANGAN, a signature
in the sheet's cells, a second sheet, a narrow header, a sheet printed to PDF (needs Calc).

Needs on the generating machine only: LibreOffice (``soffice``), poppler-utils
(``pdftotext``) and, for the password-protected samples, ``msoffcrypto-tool``
(``uv pip install msoffcrypto-tool``)."""

from __future__ import annotations

import argparse
import io
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from monev.model import Item  # noqa: E402
from monev.plans import load_plan  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "plans"
ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")
ZI_HEADER = ("NO", "KOMPONEN", "INDIKATOR", "LANGKAH AKSI", "BUKTI FISIK", "TARGET WAKTU")
RB_TEXT_HEADER = ("NO.", "AREA PERUBAHAN", "KEGIATAN", "SUB KEGIATAN",
                  "INDIKATOR KEBERHASILAN")
MARK = "\u221a"
_TAG = re.compile(r"</?[a-zA-Z][^>]*>")
# Where a cell's text is broken into paragraphs / lines (always at one space, so
# joining the pieces with one space gives the text back).
_PARA_BREAK = re.compile(r" (?=(?:\d{1,2}|[a-h])[.)] \S)")
_LINE_BREAK = re.compile(r"(?<=;) (?=\S)")


@dataclass
class Source:
    """A plan as the builders need it: prose before the table, items, closing lines."""

    name: str
    kind: str
    year: int
    prose: list[str]
    items: list[Item]
    closing: list[str]
    page_breaks: list[int] = field(default_factory=list)  # item indexes starting a page
    split_at: dict[int, float] = field(default_factory=dict)  # item index → split share


def read_source(path: Path, name: str | None = None) -> Source:
    """Prose, items and closing lines of a TAB-text plan (items from the TAB reader)."""
    plan = load_plan(path)
    lines = path.read_text("utf-8").split("\n")
    header_at = [i for i, line in enumerate(lines)
                 if "\t" in line and line.split("\t")[0].strip().upper().rstrip(".") == "NO"]
    last_tab = max(i for i, line in enumerate(lines) if "\t" in line)
    by_line = {it.source_line: n for n, it in enumerate(plan.items)}
    breaks: list[int] = []
    split: dict[int, float] = {}
    for h in header_at[1:]:
        later = [n for line, n in by_line.items() if line > h]
        if later:
            breaks.append(min(later))
            first_after = min(later)
            # the export split the row before this header in two: keep that split
            if plan.items[first_after].source_line > h + 4 and first_after > 0:
                split[first_after - 1] = 0.5
    return Source(name or path.stem, plan.header.kind, plan.header.year,
                  lines[:header_at[0]], plan.items, lines[last_tab + 1:], breaks, split)


def _plain(line: str) -> tuple[str, bool]:
    """A prose line without markdown bold and inline tags; whether it was bold."""
    bold = "**" in line
    return _TAG.sub("", line.replace("**", "")).strip(" -").strip(), bold


def cell_paragraphs(text: str) -> list[list[str]]:
    """A cell's text as paragraphs of lines (numbered points, then ``;`` breaks)."""
    return [_LINE_BREAK.split(p) for p in _PARA_BREAK.split(text)] if text else [[""]]


# --- logical table rows --------------------------------------------------------------


@dataclass
class TableRow:
    """One row of the logical table: cells, and which cells merge with the row above."""

    cells: list[str]
    merge_up: set[int] = field(default_factory=set)
    span: tuple[int, int] | None = None  # cells merged across (first, last)
    header: bool = False


def zi_rows(items: list[Item], extra_col: bool = False,
            drop: str | None = None) -> tuple[list[str], list[TableRow]]:
    header = list(ZI_HEADER)
    if extra_col:
        header.insert(5, "PENANGGUNG JAWAB")
    if drop:
        header.remove(drop)
    width = len(header)
    rows = [TableRow(header, header=True),
            TableRow([f"({i})" for i in range(1, width + 1)], header=True)]
    area = komponen = None
    n_area = n_komp = 0
    for it in items:
        if it.area != area:
            area, komponen = it.area, None
            n_area += 1
            n_komp = 0
            rows.append(TableRow([ROMAN[n_area - 1], it.area] + [""] * (width - 2),
                                 span=(1, width - 1)))
        values = {"INDIKATOR": it.indikator, "LANGKAH AKSI": it.langkah_aksi,
                  "BUKTI FISIK": it.bukti_fisik, "TARGET WAKTU": it.target_text,
                  "PENANGGUNG JAWAB": "Sekretaris" if n_komp % 2 else "Kasubbag Umum"}
        if it.komponen != komponen:
            komponen = it.komponen
            n_komp += 1
            cells = [f"{n_komp}.", it.komponen]
            merge: set[int] = set()
        else:
            cells = ["", ""]
            merge = {0, 1}
        cells += [values[h] for h in header[2:]]
        rows.append(TableRow(cells, merge_up=merge))
    return header, rows


def rb_rows(items: list[Item], marks: tuple[str, ...] = (MARK,), extra_col: bool = False,
            drop_ket: bool = False) -> tuple[list[str], list[TableRow]]:
    text_head = list(RB_TEXT_HEADER) + (["PIC"] if extra_col else [])
    nt = len(text_head)
    width = nt + 12 + (0 if drop_ket else 1)
    top = text_head + ["PELAKSANAAN (BULAN)"] + [""] * 11 + ([] if drop_ket else ["KET"])
    months = [""] * nt + [str(m) for m in range(1, 13)] + ([] if drop_ket else [""])
    rows = [TableRow(top, span=(nt, nt + 11), header=True),
            TableRow(months, merge_up=set(range(nt)) | ({width - 1} if not drop_ket
                                                        else set()), header=True),
            TableRow([str(i) for i in range(1, width + 1)], header=True)]
    area = kegiatan = None
    n_area = 0
    for k, it in enumerate(items):
        cells = [""] * width
        merge: set[int] = set()
        if it.area != area:
            area, kegiatan = it.area, None
            n_area += 1
            cells[0], cells[1] = f"{n_area}.", it.area
        else:
            merge |= {0, 1}
        if it.komponen != kegiatan:
            kegiatan = it.komponen
            cells[2] = it.komponen
        else:
            merge.add(2)
        cells[3], cells[4] = it.langkah_aksi, it.indikator
        if extra_col:
            cells[5] = "Kasubbag Umum"
        chosen = {p.month for p in it.periods}
        ket = any("KET" in w for w in it.warnings)
        if ket and not drop_ket:
            chosen.discard(12)
            cells[width - 1] = marks[k % len(marks)]
        for m in sorted(chosen):
            cells[nt + m - 1] = marks[(k + m) % len(marks)]
        rows.append(TableRow(cells, merge_up=merge))
    return top, rows


def table_rows(src: Source, **kw: object) -> tuple[list[str], list[TableRow]]:
    if src.kind == "ZI":
        return zi_rows(src.items, **kw)  # type: ignore[arg-type]
    return rb_rows(src.items, **kw)  # type: ignore[arg-type]


def table_title(src: Source) -> list[str]:
    """The attachment's own title lines (from LAMPIRAN on) — prose kept for the table."""
    start = max((i for i, line in enumerate(src.prose) if _plain(line)[0] == "LAMPIRAN"),
                default=len(src.prose))
    return src.prose[start:]


# --- .docx ---------------------------------------------------------------------------


def _docx_cell(cell: object, text: str, size: float, bold: bool = False) -> None:
    from docx.shared import Pt

    paras = cell_paragraphs(text)
    first = cell.paragraphs[0]  # type: ignore[attr-defined]
    for n, lines in enumerate(paras):
        par = first if n == 0 else cell.add_paragraph()  # type: ignore[attr-defined]
        par.paragraph_format.space_after = Pt(0)
        for j, line in enumerate(lines):
            run = par.add_run(line)
            run.font.size = Pt(size)
            run.bold = bold
            if j < len(lines) - 1:
                run.add_break()


def _repeat_header(row: object) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tr_pr = row._tr.get_or_add_trPr()  # type: ignore[attr-defined]
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    tr_pr.append(el)


def _add_table(doc: object, header: list[str], rows: list[TableRow], widths: list[float],
               size: float, header_size: float | None = None) -> None:
    from docx.shared import Cm

    table = doc.add_table(rows=len(rows), cols=len(header))  # type: ignore[attr-defined]
    table.style = "Table Grid"
    table.autofit = False
    for c, w in enumerate(widths):
        table.columns[c].width = Cm(w)
    for r, row in enumerate(rows):
        trow = table.rows[r]
        if row.header:
            _repeat_header(trow)
        cells = trow.cells
        for c, text in enumerate(row.cells):
            cells[c].width = Cm(widths[c])
            if c in row.merge_up or not text:
                continue
            _docx_cell(cells[c], text, (header_size or size) if row.header else size,
                       bold=row.header)
    for r, row in enumerate(rows):  # merges last: python-docx merges by grid position
        if row.span:
            a, b = row.span
            table.cell(r, a).merge(table.cell(r, b))
    for c in range(len(header)):
        for top, bottom in merge_regions(rows, c):
            table.cell(top, c).merge(table.cell(bottom, c))


def merge_regions(rows: list[TableRow], c: int) -> Iterator[tuple[int, int]]:
    """(top, bottom) row indexes of each vertical merge in column ``c``."""
    k = 0
    while k < len(rows):
        j = k + 1
        while j < len(rows) and c in rows[j].merge_up:
            j += 1
        if j - 1 > k:
            yield k, j - 1
        k = j


def _section(doc: object, landscape: bool, paper: str) -> None:
    from docx.enum.section import WD_ORIENT, WD_SECTION
    from docx.shared import Cm

    sec = doc.sections[-1]  # type: ignore[attr-defined]
    if doc.paragraphs or doc.tables:  # type: ignore[attr-defined]
        sec = doc.add_section(WD_SECTION.NEW_PAGE)  # type: ignore[attr-defined]
    w, h = (21.0, 29.7) if paper == "a4" else (21.5, 33.0)  # F4 / folio, common in offices
    if landscape:
        sec.orientation = WD_ORIENT.LANDSCAPE
        w, h = h, w
    else:
        sec.orientation = WD_ORIENT.PORTRAIT
    sec.page_width, sec.page_height = Cm(w), Cm(h)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(sec, side, Cm(2.0))


def _widths(src: Source, header: list[str], usable: float) -> list[float]:
    if src.kind == "ZI":
        base = {"NO": 1.2, "KOMPONEN": 4.0, "INDIKATOR": 6.0, "LANGKAH AKSI": 6.0,
                "BUKTI FISIK": 6.0, "TARGET WAKTU": 3.2, "PENANGGUNG JAWAB": 2.5}
        raw = [base[h] for h in header]
    else:
        text = {"NO.": 1.0, "AREA PERUBAHAN": 3.8, "KEGIATAN": 4.0, "SUB KEGIATAN": 5.5,
                "INDIKATOR KEBERHASILAN": 5.5, "PIC": 2.0}
        raw = [text.get(h, 0.62) for h in header]
        raw[-1] = 0.62 if header[-1] != "KET" else 1.0
    scale = usable / sum(raw)
    return [round(x * scale, 2) for x in raw]


def build_docx(src: Source, *, split_pages: bool = False, paper: str = "f4",
               landscape: bool = True, size: float = 9.0,
               table: tuple[list[str], list[TableRow]] | None = None,
               widths: list[float] | None = None, header_size: float | None = None,
               **variant: object) -> bytes:
    """The plan as a Word document (see the module docstring); ``table`` (header, rows)
    and ``widths`` (relative) stand in for the plan's own table (tools/plan_layouts.py)."""
    from docx import Document
    from docx.shared import Pt

    doc = Document()
    doc.styles["Normal"].font.name = "Arial"
    doc.styles["Normal"].font.size = Pt(11 if size <= 9 else 12)
    _section(doc, landscape=False, paper=paper)
    title = table_title(src)
    for line in src.prose[: len(src.prose) - len(title)]:
        text, bold = _plain(line)
        if text:
            doc.add_paragraph().add_run(text).bold = bold
    _section(doc, landscape=landscape, paper=paper)
    for line in title:
        text, bold = _plain(line)
        if text:
            par = doc.add_paragraph()
            par.paragraph_format.space_after = Pt(0)
            par.add_run(text).bold = bold
    header, rows = table or table_rows(src, **variant)
    usable = (33.0 if paper == "f4" else 29.7) - 4.0 if landscape else \
        (21.5 if paper == "f4" else 21.0) - 4.0
    if widths:
        widths = [round(w * usable / sum(widths), 2) for w in widths]
    else:
        widths = _widths(src, header, usable)
    if not split_pages:
        _add_table(doc, header, rows, widths, size, header_size)
    else:
        n_head = sum(1 for r in rows if r.header)
        body = rows[n_head:]
        for chunk in _page_chunks(src, body):
            _add_table(doc, header, rows[:n_head] + chunk, widths, size)
            doc.add_paragraph()
    doc.add_paragraph()
    _signature_table(doc, src.closing)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _page_chunks(src: Source, body: list[TableRow]) -> Iterator[list[TableRow]]:
    """Body rows cut where the TAB export's pages broke; rows it split are split again."""
    item_rows = [i for i, r in enumerate(body) if any(c for c in r.cells[2:])]
    starts = {item_rows[b] for b in src.page_breaks if b < len(item_rows)}
    split_rows = {item_rows[k]: share for k, share in src.split_at.items()
                  if k < len(item_rows)}
    chunk: list[TableRow] = []
    for i, row in enumerate(body):
        if i in starts and chunk:
            yield chunk
            chunk = []
        if i in split_rows and i + 1 in starts:
            first, rest = _split_row(row, split_rows[i])
            chunk.append(first)
            yield chunk
            chunk = [rest]
            starts.discard(i + 1)
            continue
        row = TableRow(list(row.cells), set(row.merge_up) if chunk else set(), row.span)
        if not chunk:  # a merged cell does not cross into a new table: repeat nothing
            row.cells = [c if c or j not in row.merge_up else "" for j, c in
                         enumerate(row.cells)]
        chunk.append(row)
    if chunk:
        yield chunk


def _split_row(row: TableRow, share: float) -> tuple[TableRow, TableRow]:
    """A row cut by a page break: long texts continue on the next page, short ones
    (numbers, target time, marks) stay on the first part."""
    first, rest = [], []
    for c, text in enumerate(row.cells):
        words = text.split(" ")
        if len(words) < 6 or c < 2:
            first.append(text)
            rest.append("")
            continue
        cut = max(1, int(len(words) * share))
        first.append(" ".join(words[:cut]))
        rest.append(" ".join(words[cut:]))
    return TableRow(first, set(row.merge_up)), TableRow(rest)


def _signature_table(doc: object, closing: list[str]) -> None:
    """The signature block as a borderless two-column table (a second table)."""
    lines = [t for t in (_plain(line)[0] for line in closing) if t]
    if not lines:
        return
    cut = next((i for i, t in enumerate(lines) if t.lower().startswith("salinan sesuai")),
               len(lines))
    table = doc.add_table(rows=1, cols=2)  # type: ignore[attr-defined]
    left, right = table.rows[0].cells
    for cell, part in ((left, lines[cut:]), (right, lines[:cut])):
        cell.paragraphs[0].add_run(part[0] if part else "")
        for t in part[1:]:
            cell.add_paragraph(t)


# --- .xlsx ---------------------------------------------------------------------------


def build_xlsx(src: Source, marks: tuple[str, ...] | None = None, with_formulas: bool = True,
               **variant: object) -> bytes:
    """The plan as an Excel workbook: Keputusan (prose), Lampiran (table), Rekap."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    if src.kind == "RB" and marks is not None:
        variant["marks"] = marks
    wb = Workbook()
    prose = wb.active
    prose.title = "Keputusan"
    title = table_title(src)
    r = 0
    for line in src.prose[: len(src.prose) - len(title)]:
        text, bold = _plain(line)
        if text:
            r += 1
            prose.cell(r, 1, text).font = Font(bold=bold)
    ws = wb.create_sheet("Lampiran")
    header, rows = table_rows(src, **variant)
    r = 0
    for line in title:
        text, bold = _plain(line)
        if text:
            r += 1
            ws.cell(r, 1, text).font = Font(bold=bold)
            ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=len(header))
    r += 1
    first = r + 1
    area_no = 0
    for k, row in enumerate(rows):
        r += 1
        for c, text in enumerate(row.cells):
            if c in row.merge_up or not text:
                continue
            value: object = text
            if with_formulas and src.kind == "ZI" and c == 0 and text in ROMAN and not \
                    row.header:
                area_no += 1
                value = f"=ROMAN({area_no})"
            elif with_formulas and src.kind == "RB" and row.header and \
                    k == len(rows) - 1 and c > 0:
                value = f"={_col(c - 1)}{r}+1"  # the column-number row, as a formula
            elif text.isdigit() and row.header:
                value = int(text)
            cell = ws.cell(r, c + 1, value)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if row.header:
                cell.font = Font(bold=True)
        if row.span:
            a, b = row.span
            ws.merge_cells(start_row=r, start_column=a + 1, end_row=r, end_column=b + 1)
    for c in range(len(header)):
        for top, bottom in merge_regions(rows, c):
            ws.merge_cells(start_row=first + top, start_column=c + 1, end_row=first + bottom,
                           end_column=c + 1)
    for c, w in enumerate(_widths(src, header, 60 if src.kind == "ZI" else 70)):
        ws.column_dimensions[_col(c)].width = w * 3
    rekap = wb.create_sheet("Rekap")
    rekap.append(["Area", "Jumlah baris"])
    areas = list(dict.fromkeys(it.area for it in src.items))
    for a in areas:
        rekap.append([a, sum(1 for it in src.items if it.area == a)])
    rekap.append(["Jumlah", f"=SUM(B2:B{len(areas) + 1})" if with_formulas
                  else len(src.items)])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _col(c: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(c + 1))


# --- LibreOffice, pdftotext, pdfplumber ----------------------------------------------


def soffice_convert(data: bytes, suffix: str, target: str) -> bytes:
    """Convert with LibreOffice headless (``target``: ``pdf`` or ``xlsx``)."""
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if exe is None:
        raise SystemExit("LibreOffice (soffice) tidak ada; pasang libreoffice-writer-nogui "
                         "dan libreoffice-calc-nogui di mesin pembuat fixture")
    with tempfile.TemporaryDirectory(prefix="monev-lo-") as tmp:
        src = Path(tmp) / f"in{suffix}"
        src.write_bytes(data)
        out = Path(tmp) / "out"
        subprocess.run([exe, f"-env:UserInstallation=file://{tmp}/profile", "--headless",
                        "--convert-to", target, "--outdir", str(out), str(src)],
                       check=True, capture_output=True, timeout=300)
        return (out / f"in.{target.split(':')[0]}").read_bytes()


def pdftotext(pdf: Path, layout: bool) -> str:
    """``pdftotext -layout`` (columns kept by position) or plain ``pdftotext`` (each
    column a block of its own: refused by the reader, with what it saw)."""
    exe = shutil.which("pdftotext")
    if exe is None:
        raise SystemExit("pdftotext tidak ada; pasang poppler-utils di mesin pembuat fixture")
    args = [exe, *(["-layout"] if layout else []), str(pdf), "-"]
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def pdfplumber_text(pdf: Path) -> str:
    import pdfplumber

    with pdfplumber.open(pdf) as doc:
        return "\n".join((page.extract_text() or "") for page in doc.pages) + "\n"


def pdfium_text(pdf: Path) -> str:
    """The text PDFium gives page by page (``get_text_range``), as Chrome copies it."""
    import pypdfium2 as pdfium  # comes with pdfplumber

    doc = pdfium.PdfDocument(str(pdf))
    return "\r\n".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))


def pdftotext_raw(pdf: Path) -> str:
    exe = shutil.which("pdftotext")
    if exe is None:
        raise SystemExit("pdftotext tidak ada; pasang poppler-utils di mesin pembuat fixture")
    return subprocess.run([exe, "-raw", str(pdf), "-"], check=True, capture_output=True,
                          text=True).stdout


def make_copied(name: str, path: Path, out: Path) -> None:
    """The texts a PDF viewer copies cell by cell (see the module docstring)."""
    src = read_source(path, name)
    d = out / name
    write(d / "portrait.pdf", soffice_convert(build_docx(src, paper="a4", landscape=False),
                                              ".docx", "pdf"))
    for pdf in ("plan", "a4", "portrait"):
        write(d / f"{pdf}.pdfium.txt", pdfium_text(d / f"{pdf}.pdf").encode("utf-8"))
    lines = pdfium_text(d / "plan.pdf").split("\r\n")
    write(d / "plan.pdfium-doubled.txt", "".join(f"{ln}\n\n" for ln in lines))
    write(d / "plan.pdftotext-rawmode.txt", pdftotext_raw(d / "plan.pdf"))


def encrypt_office(data: bytes, password: str) -> bytes:
    """An OOXML file locked with a password (Office's agile encryption)."""
    try:
        from msoffcrypto.format.ooxml import OOXMLFile
    except ImportError as exc:
        raise SystemExit("msoffcrypto-tool tidak ada: .venv/bin/uv pip install "
                         "msoffcrypto-tool") from exc
    out = io.BytesIO()
    OOXMLFile(io.BytesIO(data)).encrypt(password, out)
    return out.getvalue()


# --- main ----------------------------------------------------------------------------


def sources() -> list[tuple[str, Path]]:
    named = [(p.stem.replace("rencana-aksi-", ""), p)
             for p in sorted((ROOT / "examples" / "plans").glob("*.txt"))]
    named += [(p.stem, p) for p in sorted((FIXTURES / "src").glob("*.txt"))]
    return named


def write(path: Path, data: bytes | str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data, "utf-8")
    else:
        path.write_bytes(data)
    print(f"  {path.relative_to(ROOT)} ({path.stat().st_size // 1024} KiB)")


def make_plan(name: str, path: Path, out: Path, variants: bool) -> None:
    src = read_source(path, name)
    d = out / name
    print(f"{name}: {src.kind} {src.year}, {len(src.items)} baris")
    docx = build_docx(src)
    write(d / "plan.docx", docx)
    write(d / "split.docx", build_docx(src, split_pages=True))
    marks = ("v", "x", "1") if name.startswith("other-rb") else None
    write(d / "plan.xlsx", soffice_convert(build_xlsx(src, marks=marks), ".xlsx",
                                          "xlsx:Calc MS Excel 2007 XML"))
    write(d / "plan.pdf", soffice_convert(docx, ".docx", "pdf"))
    write(d / "a4.pdf", soffice_convert(build_docx(src, paper="a4", size=10.0), ".docx",
                                        "pdf"))
    write(d / "plan.pdftotext.txt", pdftotext(d / "plan.pdf", layout=True))
    write(d / "plan.pdftotext-raw.txt", pdftotext(d / "plan.pdf", layout=False))
    write(d / "plan.pdfplumber.txt", pdfplumber_text(d / "plan.pdf"))
    if variants:
        extra = build_docx(src, extra_col=True)
        write(d / "extra-col.pdf", soffice_convert(extra, ".docx", "pdf"))
        missing: dict[str, object] = ({"drop": "BUKTI FISIK"} if src.kind == "ZI"
                                      else {"drop_ket": True})
        write(d / "missing-col.pdf", soffice_convert(build_docx(src, **missing), ".docx",
                                                     "pdf"))


def make_refusals(out: Path) -> None:
    """Files we refuse, each with its own message: locked, scanned, corrupt."""
    d = out / "refusals"
    src = read_source(sources()[0][1])
    docx = build_docx(src)
    write(d / "locked.docx", encrypt_office(docx, "rahasia"))
    write(d / "corrupt.docx", docx[: len(docx) // 2])
    write(d / "locked.xlsx", encrypt_office(build_xlsx(src, with_formulas=False), "rahasia"))
    pdf = soffice_convert(docx, ".docx", "pdf")
    scanned = _scanned_pdf(pdf)
    write(d / "scanned.pdf", scanned)
    write(d / "locked.pdf", soffice_convert(
        docx, ".docx", 'pdf:writer_pdf_Export:{"EncryptFile":{"type":"boolean",'
        '"value":"true"},"DocumentOpenPassword":{"type":"string","value":"rahasia"}}'))


def _scanned_pdf(pdf: bytes) -> bytes:
    """The first two pages as pictures only (no text layer), like a scanner makes."""
    import pypdfium2 as pdfium  # comes with pdfplumber

    doc = pdfium.PdfDocument(pdf)
    images = [doc[i].render(scale=1.0).to_pil().convert("L") for i in range(2)]
    buf = io.BytesIO()
    images[0].save(buf, format="PDF", save_all=True, append_images=images[1:],
                   resolution=72.0)
    return buf.getvalue()


def make_bench(out: Path) -> None:
    """A long plan (42 pages) for bench/bench_formats.py: the RB example's rows three times over
    (areas renamed), as PDF and as the two flattened texts."""
    import dataclasses

    src = read_source(ROOT / "examples" / "plans" / "rencana-aksi-rb-2026-kpu-kab-muaro-jambi.txt")
    items = [dataclasses.replace(it, area=f"{it.area} ({k})", warnings=list(it.warnings))
             for k in ("A", "B", "C") for it in src.items]
    big = dataclasses.replace(src, name="plan-long", items=items)
    pdf = out / "plan-long.pdf"
    write(pdf, soffice_convert(build_docx(big), ".docx", "pdf"))
    write(out / "plan-long.pdftotext.txt", pdftotext(pdf, layout=True))
    write(out / "plan-long.pdfplumber.txt", pdfplumber_text(pdf))


def long_zi(times: int = 10) -> Source:
    """The Kota Jambi example with each area's rows ``times`` over (komponen renamed)."""
    import dataclasses

    src = read_source(ROOT / "examples" / "plans" / "rencana-aksi-zi-2025-kpu-kota-jambi.txt")
    areas = list(dict.fromkeys(it.area for it in src.items))
    items = [dataclasses.replace(it, komponen=f"{it.komponen} ({k + 1})",
                                 warnings=list(it.warnings))
             for area in areas for k in range(times) for it in src.items if it.area == area]
    return dataclasses.replace(src, name="plan-long-zi", items=items, page_breaks=[],
                               split_at={})


def tab_text(src: Source) -> str:
    """A source's plan as a TAB export: prose, header, area rows, rows (komponen and NO on
    the first row of each komponen), closing lines."""
    out = [*src.prose, "\t".join(ZI_HEADER)]
    area = komponen = None
    n_area = n_komp = 0
    for it in src.items:
        if it.area != area:
            area, komponen, n_area, n_komp = it.area, None, n_area + 1, 0
            out.append("\t".join([ROMAN[n_area - 1], it.area, "", "", "", ""]))
        first = it.komponen != komponen
        if first:
            komponen, n_komp = it.komponen, n_komp + 1
        out.append("\t".join([f"{n_komp}." if first else "", it.komponen if first else "",
                              it.indikator, it.langkah_aksi, it.bukti_fisik, it.target_text]))
    return "\n".join(out + src.closing)


def make_bench_copied(out: Path, times: int = 10) -> None:
    """A long ZI decree for bench/bench_copied.py: each area of the Kota Jambi example
    with its rows ``times`` over (komponen renamed), as PDF (kept out of git) and as
    PDFium's copied text."""
    big = long_zi(times)
    with tempfile.TemporaryDirectory(prefix="monev-bench-") as tmp:
        pdf = Path(tmp) / "plan-long-zi.pdf"
        pdf.write_bytes(soffice_convert(build_docx(big), ".docx", "pdf"))
        write(out / "plan-long-zi.pdfium.txt", pdfium_text(pdf).encode("utf-8"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", help="only this source (name)")
    ap.add_argument("--out", type=Path, default=FIXTURES)
    ap.add_argument("--no-refusals", action="store_true")
    ap.add_argument("--layouts", action="store_true",
                    help="only the layouts of issue 18 (tests/fixtures/plans/layouts)")
    ap.add_argument("--bench", action="store_true",
                    help="only the 30-page plan of bench/bench_formats.py (bench/fixtures)")
    ap.add_argument("--copied", action="store_true",
                    help="only the texts a PDF viewer copies cell by cell")
    ap.add_argument("--bench-copied", action="store_true",
                    help="only the ~60-page copied text of bench/bench_copied.py")
    args = ap.parse_args()
    if args.copied:
        for name, path in sources():
            if not args.only or name == args.only:
                make_copied(name, path, args.out)
        return
    if args.bench:
        make_bench(ROOT / "bench" / "fixtures")
        return
    if args.bench_copied:
        make_bench_copied(ROOT / "bench" / "fixtures")
        return
    if args.layouts:
        from plan_layouts import make_layouts

        make_layouts(args.out, [s for s in sources() if not args.only or s[0] == args.only])
        return
    for name, path in sources():
        if args.only and name != args.only:
            continue
        make_plan(name, path, args.out, variants=True)
    if not args.only and not args.no_refusals:
        make_refusals(args.out)


if __name__ == "__main__":
    main()
