"""Text a PDF carries but does not show: glyphs outside their clip path.

A spreadsheet printed to PDF draws a merged cell's text once, centred in the whole
merged block; when the block crosses a page break, the text is clipped to the part on
one page, or drawn over the repeated header of the next page and clipped away there.
Read naively it lands in rows it does not belong to (``KOMPONEN Whistle-Blowing``), and
the rows of the block read with an empty cell, as if they went on with the komponen
before. Glyphs outside their clip are therefore left out, and the rows next to that page
break with the cell empty are flagged with the hidden text: a person checks exactly
those. Pure apart from the PDFium calls on an open text page."""

from __future__ import annotations

import ctypes
from dataclasses import dataclass, field
from typing import Any

from monev.plans.document import Line
from monev.plans.table import is_column_number_row

Box = tuple[float, float, float, float]  # x0, top, x1, bottom (pdfplumber's cell bbox)
_SLACK = 1.0  # points a glyph may stick out of its clip and still be seen


class Clips:
    """Clip boxes of a page's text objects. Most pages clip nothing away: then no glyph
    is looked up (a lookup per glyph would cost a third more time per page)."""

    def __init__(self, page: Any) -> None:
        import pypdfium2.raw as pdfium_c

        self._boxes: dict[int, tuple[int, list[Box]]] = {}
        raw = page.raw
        for i in range(pdfium_c.FPDFPage_CountObjects(raw)):
            obj = pdfium_c.FPDFPage_GetObject(raw, i)
            if pdfium_c.FPDFPageObj_GetType(obj) != pdfium_c.FPDF_PAGEOBJ_TEXT or \
                    not pdfium_c.FPDFPageObj_GetClipPath(obj):
                continue
            boxes = _clip_boxes(obj)
            x0, y0, x1, y1 = (ctypes.c_float() for _ in range(4))
            pdfium_c.FPDFPageObj_GetBounds(obj, x0, y0, x1, y1)
            if any(x0.value < b[0] - _SLACK or y0.value < b[1] - _SLACK
                   or x1.value > b[2] + _SLACK or y1.value > b[3] + _SLACK for b in boxes):
                key = ctypes.cast(obj, ctypes.c_void_p).value or 0
                self._boxes[key] = (len(self._boxes) + 1, boxes)

    def locate(self, textpage: Any, index: int, left: float, bottom: float, right: float,
               top: float) -> tuple[int, bool]:
        """(a number naming glyph ``index``'s text object when it sticks out of its clip,
        else 0; whether the glyph is seen)."""
        if not self._boxes:
            return 0, True
        import pypdfium2.raw as pdfium_c

        obj = pdfium_c.FPDFText_GetTextObject(textpage.raw, index)
        found = self._boxes.get(ctypes.cast(obj, ctypes.c_void_p).value or 0)
        if found is None:
            return 0, True
        number, boxes = found
        cx, cy = (left + right) / 2, (bottom + top) / 2
        seen = all(x0 - _SLACK <= cx <= x1 + _SLACK and y0 - _SLACK <= cy <= y1 + _SLACK
                   for x0, y0, x1, y1 in boxes)
        return number, seen


def _clip_boxes(obj: Any) -> list[Box]:
    """Bounding box of each path of the object's clip (page coordinates, y up)."""
    import pypdfium2.raw as pdfium_c

    clip = pdfium_c.FPDFPageObj_GetClipPath(obj)
    if not clip:
        return []
    out: list[Box] = []
    for i in range(pdfium_c.FPDFClipPath_CountPaths(clip)):
        xs: list[float] = []
        ys: list[float] = []
        for j in range(pdfium_c.FPDFClipPath_CountPathSegments(clip, i)):
            seg = pdfium_c.FPDFClipPath_GetPathSegment(clip, i, j)
            x, y = ctypes.c_float(), ctypes.c_float()
            if pdfium_c.FPDFPathSegment_GetPoint(seg, x, y):
                xs.append(x.value)
                ys.append(y.value)
        if xs:
            out.append((min(xs), min(ys), max(xs), max(ys)))
    return out


@dataclass
class Hidden:
    """Text of one object that was clipped away, at its glyphs' middle (top-down y)."""

    x: float
    y: float
    text: str


@dataclass
class PageRows:
    """One page's hidden texts and its table rows (the line made of each, its cells)."""

    height: float
    hidden: list[Hidden]
    rows: list[tuple[Line, list[Box | None]]] = field(default_factory=list)


def flag_hidden_text(pages: list[PageRows]) -> None:
    """Flag the rows around a page break whose cell is empty in the column where a
    merged cell's text was clipped away (see the module docstring)."""
    first = next((p for p in pages if p.rows), None)
    head = {tuple(line.cells) for line, _ in first.rows[:3]} if first else set()
    found: dict[int, tuple[Line, list[str], dict[int, list[str]]]] = {}
    for k, page in enumerate(pages):
        for h in page.hidden:
            if not h.text.strip(" .-"):
                continue
            at_top = h.y < page.height / 2
            sides = [(k - 1, False), (k, True)] if at_top else [(k, False), (k + 1, True)]
            for q, top in sides:
                if 0 <= q < len(pages):
                    name, run = _empty_run(pages[q], h.x, top, head, own=q == k)
                    for line in run:
                        entry = found.setdefault(id(line), (line, [], {}))
                        if name not in entry[1]:
                            entry[1].append(name)
                        texts = entry[2].setdefault(k, [])
                        if h.text not in texts:
                            texts.append(h.text)
    for line, names, by_page in found.values():
        said = "; ".join(f"'{' '.join(t)[:80]}' di hlm. {k + 1}" for k, t in by_page.items())
        line.flags.append(f"sel gabungan terpotong pergantian halaman: teksnya tersembunyi "
                          f"di PDF ({said}); sel {'/'.join(names)} baris ini kosong atau "
                          "terpotong, jadi isinya mungkin milik baris lain — periksa")


def _empty_run(page: PageRows, x: float, top: bool, head: set[tuple[str, ...]],
               own: bool) -> tuple[str, list[Line]]:
    """The rows at the page's top (after the repeated header) or bottom whose cell in
    the column at ``x`` is an empty one (merged over those rows or not). On the page
    where the text was clipped (``own``) the first cell at that edge is the block's
    even with text: what shows of a clipped text there is a fragment of it."""
    col = next((i for _, boxes in page.rows for i, b in enumerate(boxes)
                if b is not None and b[0] <= x < b[2]), None)
    if col is None:
        return "", []
    name = next((ln.cells[col] for ln, _ in page.rows
                 if tuple(ln.cells) in head and col < len(ln.cells) and ln.cells[col]),
                f"kolom {col + 1}")
    rows = [(line, _starts(page.rows, i, col)) for i, (line, _) in enumerate(page.rows)]
    if top:
        rows = [r for r in rows
                if tuple(r[0].cells) not in head and not is_column_number_row(r[0].cells)]
    out: list[Line] = []
    pending: list[Line] = []  # going up: rows under a merged cell not yet reached
    first = own
    for i, (line, starts) in enumerate(rows if top else list(reversed(rows))):
        if top and starts and i > 0:
            first = False  # a second block begins
        if starts and not first and col < len(line.cells) and line.cells[col]:
            break  # a cell with (whole) text: the hidden block ends here
        pending.append(line)
        if top or starts:
            out += pending
            pending = []
            first = first and top
    return name, out


def _starts(rows: list[tuple[Line, list[Box | None]]], i: int, col: int) -> bool:
    """Whether row ``i`` has a cell of its own in column ``col``: one that begins there,
    or one left open (no ruling closes it: it goes on over the page break); False when
    a cell merged down from a row above covers it."""
    boxes = rows[i][1]
    if col < len(boxes) and boxes[col] is not None:
        return True
    tops = [b[1] for b in boxes if b is not None]
    above = next((b[col] for _, b in reversed(rows[:i]) if col < len(b) and b[col] is not None),
                 None)
    return not tops or above is None or above[3] <= min(tops) + 1.0
