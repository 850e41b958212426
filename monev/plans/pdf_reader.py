"""PDF plans: the table's ruling lines make the cells and the words' positions inside
each cell make its text, so a cell over several lines stays one cell; the header
repeated on every page and a row cut by a page break are then handled by the mappers
as in any other format. Text outside the tables (the decree's prose, the table's title,
the signature block) is read line by line, top to bottom, page after page.

The cells come from pdfplumber's table finder (edges → intersections → cells →
tables). The page content (glyph boxes and ruling paths) is read with PDFium
(``pypdfium2``, which pdfplumber itself depends on): pdfplumber's own parser, pdfminer,
is pure Python and took ~0.15 s a page — a 30-page plan would not open in 2 s.

A PDF without ruling lines is read from its laid-out text (``flat``) and flagged. A
scanned PDF (pictures, no text layer) is refused: monev does no OCR. Glyphs clipped
out of sight (a merged cell printed across a page break) are left out and the rows
around that break flagged (``pdf_clip``)."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Any

from monev.errors import PlanError
from monev.plans.document import Line, SourceDoc
from monev.plans.flat import read_flat
from monev.plans.pdf_clip import Box, Clips, Hidden, PageRows, flag_hidden_text
from monev.plans.table import clean

_TOL = 3.0  # points: edges this close are one ruling; chars this close are one line


@dataclass
class _Char:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    obj: int = 0  # the text object it was drawn with (a number per page)
    hidden: bool = False  # outside that object's clip: not on the page

    @property
    def mid_y(self) -> float:
        return (self.top + self.bottom) / 2

    @property
    def mid_x(self) -> float:
        return (self.x0 + self.x1) / 2


def _open(data: bytes, source: str) -> Any:
    import pypdfium2 as pdfium

    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise PlanError(source, 1, "PDF dilindungi kata sandi: minta berkas tanpa kata "
                            "sandi, atau buka lalu simpan ulang sebagai PDF tanpa kata sandi") \
                from exc
        raise PlanError(source, 1, f"berkas PDF rusak ({exc}): minta atau simpan ulang "
                        "berkasnya") from exc


def read_pdf(data: bytes, source: str) -> SourceDoc:
    """Prose lines and table rows of every page, top to bottom."""
    import pypdfium2.raw as pdfium_c

    pdf = _open(data, source)
    lines: list[Line] = []
    pages: list[PageRows] = []
    n_tables = n_chars = n_images = 0
    try:
        for pno in range(len(pdf)):
            page = pdf[pno]
            height = page.get_height()
            chars = _chars(page, height)
            n_chars += len(chars)
            if not chars:
                n_images += sum(1 for _ in page.get_objects(
                    filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=2))
                continue
            hidden = [c for c in chars if c.hidden]  # clipped away: not on the page
            chars = [c for c in chars if not c.hidden]
            tables = _tables(page, height, pdfium_c.FPDF_PAGEOBJ_PATH)
            blocks: list[tuple[float, list[str] | None, str, int, list[Box | None]]] = []
            inside: set[int] = set()
            for table in tables:
                n_tables += 1
                for r, (top, cells) in enumerate(_table_rows(table, chars, inside)):
                    blocks.append((top + r * 1e-6, cells, "", n_tables, table.rows[r].cells))
            rest = [c for i, c in enumerate(chars) if i not in inside]
            for top, text in _text_lines(rest):
                blocks.append((top, None, text, 0, []))
            order = sorted(range(len(blocks)), key=lambda b: blocks[b][0])
            where = f"hlm. {pno + 1}"
            rows = PageRows(height, _clusters(hidden))
            for b in order:
                _, row, text, table_no, boxes = blocks[b]
                if row is None:
                    lines.append(Line(len(lines) + 1, [text], where=where))
                elif any(row):
                    lines.append(Line(len(lines) + 1, row, table=table_no, where=where))
                    rows.rows.append((lines[-1], boxes))
            pages.append(rows)
    finally:
        pdf.close()
    flag_hidden_text(pages)
    if n_chars == 0:
        what = f"{n_images} gambar" if n_images else "tanpa teks"
        raise PlanError(source, 1, f"PDF hasil pindaian ({what}, tidak ada lapisan teks): "
                        "monev tidak membaca teks dari gambar (tanpa OCR); minta berkas "
                        ".docx/.xlsx aslinya atau PDF yang dicetak langsung dari Word")
    if n_tables == 0:
        return _without_rulings(lines, source)
    return SourceDoc(source, "pdf", lines, loose_area_lines=False)


def _chars(page: Any, height: float) -> list[_Char]:
    """Every glyph with its box (top-down coordinates); spaces keep their place."""
    tp = page.get_textpage()
    clips = Clips(page)
    try:
        n = tp.count_chars()
        text = tp.get_text_range(0, n) if n else ""
        out = []
        for j, ch in enumerate(text[:n]):
            if ch in "\r\n":
                continue
            if ch in "\ufffe\x02":  # PDFium's mark for a hyphen that ends a line
                ch = "-"
            left, bottom, right, top = tp.get_charbox(j, loose=True)
            obj, seen = clips.locate(tp, j, left, bottom, right, top)
            out.append(_Char(" " if ch.isspace() else ch, left, right, height - top,
                             height - bottom, obj, not seen))
        return out
    finally:
        tp.close()


def _tables(page: Any, height: float, path_type: int) -> list[Any]:
    """pdfplumber's tables from the page's ruling paths."""
    from pdfplumber import table as pt

    edges: list[dict[str, Any]] = []
    for obj in page.get_objects(filter=[path_type], max_depth=3):
        left, bottom, right, top = obj.get_bounds()
        y0, y1 = height - top, height - bottom
        w, h = right - left, y1 - y0
        if h <= _TOL and w > _TOL:
            edges.append(_edge("h", left, right, (y0 + y1) / 2, (y0 + y1) / 2))
        elif w <= _TOL and h > _TOL:
            edges.append(_edge("v", (left + right) / 2, (left + right) / 2, y0, y1))
        elif w > _TOL and h > _TOL:  # a drawn rectangle: its four sides
            edges += [_edge("h", left, right, y0, y0), _edge("h", left, right, y1, y1),
                      _edge("v", left, left, y0, y1), _edge("v", right, right, y0, y1)]
    if not edges:
        return []
    edges = pt.merge_edges(edges, _TOL, _TOL, _TOL, _TOL)
    edges = [e for e in edges if (e["x1"] - e["x0"] if e["orientation"] == "h"
                                  else e["bottom"] - e["top"]) >= _TOL]
    cells = pt.intersections_to_cells(pt.edges_to_intersections(edges, _TOL, _TOL))
    return [pt.Table(page, group) for group in pt.cells_to_tables(cells)]


def _edge(orientation: str, x0: float, x1: float, top: float,
          bottom: float) -> dict[str, Any]:
    return {"x0": x0, "x1": x1, "top": top, "bottom": bottom, "width": x1 - x0,
            "height": bottom - top, "orientation": orientation, "object_type": "line"}


def _table_rows(table: Any, chars: list[_Char], inside: set[int],
                ) -> list[tuple[float, list[str]]]:
    """Each row's top and cell texts; records which chars the table used."""
    order = sorted(range(len(chars)), key=lambda i: chars[i].mid_y)
    mids = [chars[i].mid_y for i in order]

    def within(x0: float, top: float, x1: float, bottom: float) -> list[int]:
        return [order[k] for k in range(bisect.bisect_left(mids, top),
                                        bisect.bisect_left(mids, bottom))
                if x0 <= chars[order[k]].mid_x < x1]

    out: list[tuple[float, list[str]]] = []
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            if cell is None:
                cells.append("")
                continue
            mine = within(*cell)
            inside.update(mine)
            cells.append(_cell_text([chars[i] for i in mine]))
        out.append((row.bbox[1], cells))
    return out


def _clusters(hidden: list[_Char]) -> list[Hidden]:
    """Hidden glyphs grouped by the text object they were drawn with: (x, y, text)."""
    groups: dict[int, list[_Char]] = {}
    for ch in hidden:
        groups.setdefault(ch.obj, []).append(ch)
    return [Hidden(sum(c.mid_x for c in g) / len(g), sum(c.mid_y for c in g) / len(g),
                   clean(" ".join(_line_text(line) for line in _group_lines(g))))
            for g in groups.values()]


def _group_lines(chars: list[_Char]) -> list[list[_Char]]:
    """Chars clustered into visual lines (top to bottom), each sorted left to right."""
    lines: list[list[_Char]] = []
    for ch in sorted(chars, key=lambda c: (c.mid_y, c.x0)):
        if lines and abs(lines[-1][0].mid_y - ch.mid_y) <= _TOL:
            lines[-1].append(ch)
        else:
            lines.append([ch])
    return [sorted(line, key=lambda c: c.x0) for line in lines]


def _line_text(line: list[_Char]) -> str:
    out: list[str] = []
    prev: _Char | None = None
    for ch in line:
        if prev is not None and ch.text != " " and out and out[-1] != " ":
            gap = ch.x0 - prev.x1
            if gap > 0.2 * max(ch.bottom - ch.top, 1.0):
                out.append(" ")
        if ch.text == " ":
            if out and out[-1] != " ":
                out.append(" ")
        else:
            out.append(ch.text)
        prev = ch
    return "".join(out).strip()


def _cell_text(chars: list[_Char]) -> str:
    """A cell's lines as one text. A word broken at its hyphen is joined back
    (``Agustus-`` / ``Desember``), so are a narrow cell's letters (``N`` / ``O``,
    ``1`` / ``0``). A word Word broke without a hyphen because it is wider than its
    column stays broken (``Deregu lasi``): nothing on the page tells it apart."""
    lines = [(_line_text(line), max(c.x1 for c in line)) for line in _group_lines(chars)]
    parts = [(t, x1) for t, x1 in lines if t]
    if len(parts) > 1 and all(len(t) <= 2 for t, _ in parts):
        return "".join(t for t, _ in parts)
    out = ""
    for text, _ in parts:
        if out and text[:1].isalpha() and re.search(r"[A-Za-z]-$", out):
            out += text
        else:
            out = f"{out}\n{text}" if out else text
    return clean(out)


def _text_lines(chars: list[_Char]) -> list[tuple[float, str]]:
    """Prose outside the tables, one entry per visual line."""
    out = []
    for line in _group_lines(chars):
        text = clean(_line_text(line))
        if text:
            out.append((line[0].top, text))
    return out


def _without_rulings(lines: list[Line], source: str) -> SourceDoc:
    """A PDF whose table has no ruling lines: read its text as copied text (flagged)."""
    doc = read_flat([ln.text for ln in lines], source)
    doc.notes.insert(0, f"{source}:1: tabel PDF tanpa garis: kolom dibaca dari teks")
    return doc
