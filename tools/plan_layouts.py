"""Made-up table layouts of the real decrees that real satkers use (issue 18): the same
rows as the TAB export, laid out another way. Written by ``tools/plan_fixtures.py
--layouts`` into tests/fixtures/plans/layouts/NAME/ (committed: CI needs no office suite).

- ``months-two-row.xlsx``  TARGET WAKTU replaced by twelve month columns marked ✓/v/√/V
                           under a two-row header (``TARGET WAKTU`` spanning ``Jan`` …
                           ``Des``), a KETERANGAN column of notes after them;
- ``months-beside.pdf``    the TARGET WAKTU text kept and a ``BULAN`` block beside it
                           with a second header row ``1`` … ``12`` (Word → LibreOffice PDF);
- ``batas-pic.xlsx``       ``BATAS WAKTU`` as the target header, a PENANGGUNG JAWAB column
                           and a KETERANGAN column after it, the signature block typed in
                           the sheet's cells under the table (Ditetapkan di …, KETUA, name);
- ``second-sheet.xlsx``    the plan on a second sheet (the first one a cover note) under a
                           multi-row title block ``LAMPIRAN`` / ``KEPUTUSAN KETUA …`` /
                           ``NOMOR …`` / ``TENTANG …``, the table's title on two lines;
- ``narrow-header.pdf``    narrow columns with a large bold header: LibreOffice breaks
                           ``KOMPONEN`` inside its cell (``KOMPON`` / ``EN``);
- ``merged-break.pdf``     the sheet of ``batas-pic.xlsx`` printed by LibreOffice Calc:
                           KOMPONEN cells merged down over several rows cross page breaks.
"""

from __future__ import annotations

import io
from pathlib import Path

from plan_fixtures import (
    ROMAN,
    Source,
    TableRow,
    _col,
    _plain,
    build_docx,
    merge_regions,
    read_source,
    soffice_convert,
    table_title,
    write,
)

MONTHS = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des")
MARKS = ("\u2713", "v", "\u221a", "V")
NOTES = ("", "Dokumen asli disimpan di Subbagian Umum", "-", "Dilaporkan pada rapat Juni",
         "Lanjutan tahun lalu", "")
PICS = ("Kasubbag Umum", "Sekretaris", "Kasubbag Teknis", "Koordinator Area")
MONTH_COLS = [f"m{m}" for m in range(1, 13)]


def layout_rows(src: Source, cols: list[str], names: dict[str, str],
                month_head: tuple[str, ...] | None = None, span_label: str = "",
                numbers: bool = True) -> tuple[list[str], list[TableRow]]:
    """Header rows and body rows of a ZI table whose columns are ``cols`` (item fields,
    ``pic``, ``ket``, ``m1`` … ``m12``). With ``month_head`` the months get a second
    header row under ``span_label`` spanning them; otherwise they are named in row one."""
    width = len(cols)
    first_month = cols.index("m1") if "m1" in cols else -1
    top = [names.get(c, "") for c in cols]
    rows: list[TableRow] = []
    if first_month >= 0 and month_head:
        top[first_month] = span_label
        second = ["" for _ in cols]
        for m in range(12):
            second[first_month + m] = month_head[m]
        rows.append(TableRow(top, span=(first_month, first_month + 11), header=True))
        rows.append(TableRow(second, header=True, merge_up={
            i for i, c in enumerate(cols) if not c.startswith("m")}))
    else:
        if first_month >= 0:
            for m in range(12):
                top[first_month + m] = MONTHS[m]
        rows.append(TableRow(top, header=True))
    if numbers:
        rows.append(TableRow([f"({i})" for i in range(1, width + 1)], header=True))
    area = komponen = None
    n_area = n_komp = 0
    for k, it in enumerate(src.items):
        if it.area != area:
            area, komponen = it.area, None
            n_area += 1
            n_komp = 0
            rows.append(TableRow([ROMAN[n_area - 1], it.area] + [""] * (width - 2),
                                 span=(1, width - 1)))
        merge: set[int] = set()
        if it.komponen != komponen:
            komponen = it.komponen
            n_komp += 1
            head = {"no": f"{n_komp}.", "komponen": it.komponen}
        else:
            head = {"no": "", "komponen": ""}
            merge = {cols.index("no"), cols.index("komponen")}
        months = {p.month for p in it.periods if p.year == src.year and not p.week}
        values = {"indikator": it.indikator, "langkah_aksi": it.langkah_aksi,
                  "bukti_fisik": it.bukti_fisik, "target": it.target_text,
                  "pic": PICS[n_komp % len(PICS)], "ket": NOTES[k % len(NOTES)], **head}
        for m in range(1, 13):
            values[f"m{m}"] = MARKS[(k + m) % len(MARKS)] if m in months else ""
        rows.append(TableRow([values[c] for c in cols], merge_up=merge))
    return top, rows


def layout_xlsx(src: Source, header: list[str], rows: list[TableRow], *,
                sheet_title: str = "Lampiran", title: list[str] | None = None,
                before: list[tuple[str, list[str]]] | None = None,
                signature: list[str] | None = None, widths: list[float] | None = None,
                landscape_pages: bool = False) -> bytes:
    """A workbook with the table on sheet ``sheet_title``: ``title`` lines above it
    (merged across), ``before`` sheets (name, lines) ahead of it, ``signature`` lines
    typed in the cells under it (right half of the sheet), every table cell bordered."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side

    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    wb = Workbook()
    first = wb.active
    sheets = list(before or [])
    if sheets:
        first.title = sheets[0][0]
        for r, line in enumerate(sheets[0][1], start=1):
            first.cell(r, 1, line)
        ws = wb.create_sheet(sheet_title)
    else:
        first.title = sheet_title
        ws = first
    width = len(header)
    r = 0
    for line in title if title is not None else table_title(src):
        text, bold = _plain(line)
        if text:
            r += 1
            ws.cell(r, 1, text).font = Font(bold=bold)
            ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=width)
    r += 1
    top_row = r + 1
    for row in rows:
        r += 1
        for c, text in enumerate(row.cells):
            cell = ws.cell(r, c + 1)
            cell.border = box
            if c in row.merge_up or not text:
                continue
            cell.value = text
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if row.header:
                cell.font = Font(bold=True)
        if row.span:
            a, b = row.span
            ws.merge_cells(start_row=r, start_column=a + 1, end_row=r, end_column=b + 1)
    for c in range(width):
        for top, bottom in merge_regions(rows, c):
            ws.merge_cells(start_row=top_row + top, start_column=c + 1,
                           end_row=top_row + bottom, end_column=c + 1)
            if not rows[top].header:  # a merged name centred in its block, as people do
                ws.cell(top_row + top, c + 1).alignment = Alignment(
                    wrap_text=True, vertical="center")
    r += 1
    for line in signature or []:
        r += 1
        if line:
            ws.cell(r, max(2, width - 3), line)
    for c, w in enumerate(widths or []):
        ws.column_dimensions[_col(c)].width = w
    if widths:  # heights as an office sets them for wrapped text (openpyxl sets none)
        for k, row in enumerate(rows):
            lines = max((-(-len(t) * 11 // (10 * max(widths[c] - 1, 1)))
                         for c, t in enumerate(row.cells) if t and c not in row.merge_up
                         and not (row.span and row.span[0] <= c <= row.span[1])),
                        default=1)
            ws.row_dimensions[top_row + k].height = 13.0 * max(lines, 1) + 2
    if landscape_pages:
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.scale = 65
        ws.print_title_rows = f"{top_row}:{top_row + sum(1 for x in rows if x.header) - 1}"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def decree_sheet(src: Source) -> list[tuple[str, list[str]]]:
    """The decree's text before its attachment, as a first sheet "Keputusan"."""
    title = table_title(src)
    lines = [_plain(t)[0] for t in src.prose[: len(src.prose) - len(title)]]
    return [("Keputusan", [t for t in lines if t])]


def signature_lines(src: Source) -> list[str]:
    """A signature block as typed under a table: place and date, office, name, NIP."""
    office = "KETUA KOMISI PEMILIHAN UMUM"
    return [f"Ditetapkan di {src.name.split('-kpu-')[-1].replace('-', ' ').title()}",
            f"pada tanggal 14 Juli {src.year}", "", office, "", "", "HENDRA SAPUTRA",
            "NIP. 19780312 200312 1 004"]


ZI_NAMES = {"no": "NO", "komponen": "KOMPONEN", "indikator": "INDIKATOR",
            "langkah_aksi": "LANGKAH AKSI", "bukti_fisik": "BUKTI FISIK",
            "target": "TARGET WAKTU", "pic": "PENANGGUNG JAWAB", "ket": "KETERANGAN"}
ZI_WIDTHS = {"no": 5.0, "komponen": 18.0, "indikator": 24.0, "langkah_aksi": 24.0,
             "bukti_fisik": 24.0, "target": 14.0, "pic": 14.0, "ket": 16.0}


def make_layouts(out: Path, sources: list[tuple[str, Path]]) -> None:
    """Every layout of every ZI source (see the module docstring)."""
    for name, path in sources:
        src = read_source(path, name)
        if src.kind != "ZI":
            continue
        d = out / "layouts" / name
        print(f"{name}: tata letak")
        base = ["no", "komponen", "indikator", "langkah_aksi", "bukti_fisik"]
        cols = [*base, *MONTH_COLS, "ket"]
        header, rows = layout_rows(src, cols, ZI_NAMES, MONTHS, "TARGET WAKTU")
        write(d / "months-two-row.xlsx", layout_xlsx(src, header, rows,
                                                     before=decree_sheet(src)))
        cols = [*base, "target", *MONTH_COLS]
        header, rows = layout_rows(src, cols, ZI_NAMES, tuple(str(m) for m in range(1, 13)),
                                   "BULAN")
        docx = build_docx(src, table=(header, rows), widths=[
            {"no": 0.9, "komponen": 3.0, "indikator": 4.2, "langkah_aksi": 4.2,
             "bukti_fisik": 4.2, "target": 2.6}.get(c, 0.62) for c in cols])
        write(d / "months-beside.pdf", soffice_convert(docx, ".docx", "pdf"))
        cols = [*base, "target", "pic", "ket"]
        names = dict(ZI_NAMES, target="BATAS WAKTU")
        header, rows = layout_rows(src, cols, names)
        widths = [ZI_WIDTHS[c] for c in cols]
        sheet = layout_xlsx(src, header, rows, signature=signature_lines(src), widths=widths,
                            landscape_pages=True, before=decree_sheet(src))
        write(d / "batas-pic.xlsx", sheet)
        sheet = layout_xlsx(src, header, rows, signature=signature_lines(src), widths=widths,
                            landscape_pages=True)
        write(d / "merged-break.pdf", soffice_convert(sheet, ".xlsx", "pdf:calc_pdf_Export"))
        header, rows = layout_rows(src, [*base, "target"], ZI_NAMES, numbers=False)
        lampiran = [line for line in table_title(src) if _plain(line)[0]]
        title_at = next(i for i, t in enumerate(lampiran)
                        if _plain(t)[0].upper().startswith("RENCANA AKSI"))
        block = ["LAMPIRAN", *[_plain(t)[0].replace("KEPUTUSAN ", "KEPUTUSAN KETUA ", 1)
                               for t in lampiran[1:title_at]]]
        table_title_lines = _two_lines(" ".join(_plain(t)[0] for t in lampiran[title_at:]))
        cover = [("Petunjuk", ["Lembar berikut memuat lampiran keputusan.",
                               "Diisi oleh Tim Kerja Pembangunan Zona Integritas."])]
        write(d / "second-sheet.xlsx", layout_xlsx(
            src, header, rows, sheet_title="Lampiran I", before=cover,
            title=[*block, "", *table_title_lines], signature=signature_lines(src)))
        cols = [*base, "target"]
        docx = build_docx(src, table=layout_rows(src, cols, ZI_NAMES), header_size=18.0,
                          widths=[{"no": 0.8, "komponen": 3.0, "target": 2.2}.get(c, 5.75)
                                  for c in cols])
        write(d / "narrow-header.pdf", soffice_convert(docx, ".docx", "pdf"))


def _two_lines(text: str) -> list[str]:
    """A table title broken over two lines before the satker's name."""
    words = text.split(" ")
    cut = next((i for i, w in enumerate(words) if w.upper() in ("KPU", "KOMISI")),
               len(words) // 2)
    return [" ".join(words[:cut]), " ".join(words[cut:])]
