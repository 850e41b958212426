"""PDF plans, read with pdfplumber: the table's ruling lines make the cells and the
words inside each cell make its text, so a cell over several lines stays one cell; the
header repeated on every page and a row cut by a page break are then handled by the
mappers as in any other format. Text outside the tables (the decree's prose, the
table's title, the signature block) is read line by line in page order.

A PDF without ruling lines is read from its words' positions as laid-out text (see
``flat``) and flagged. A scanned PDF (pictures, no text layer) is refused: monev does
no OCR."""

from __future__ import annotations

import io
import re
from typing import Any

from monev.errors import PlanError
from monev.plans.document import Line, SourceDoc
from monev.plans.table import clean


def cell_text(text: str) -> str:
    """A cell's lines as one text: a word broken at its hyphen is joined back
    (``Agustus-`` / ``Desember``), a narrow cell's letters are too (``N`` / ``O``)."""
    parts = [p.strip() for p in text.split("\n") if p.strip()]
    if len(parts) > 1 and all(len(p) <= 2 for p in parts):
        return "".join(parts)
    out = ""
    for part in parts:
        if out and re.search(r"[A-Za-z]-$", out) and part[:1].isalpha():
            out += part
        else:
            out = f"{out} {part}" if out else part
    return clean(out)


def _open(data: bytes, source: str) -> Any:
    import pdfplumber

    try:
        pdf = pdfplumber.open(io.BytesIO(data))
        _ = pdf.pages  # parses the page tree: broken files fail here
    except Exception as exc:  # pdfminer raises many kinds; name the locked one
        kind = type(exc).__name__ + " " + " ".join(type(a).__name__ for a in exc.args)
        if "Password" in kind or "Encrypt" in kind:
            raise PlanError(source, 1, "PDF dilindungi kata sandi: minta berkas tanpa kata "
                            "sandi, atau buka lalu cetak/simpan ulang sebagai PDF tanpa "
                            "kata sandi") from exc
        raise PlanError(source, 1, f"berkas PDF rusak ({type(exc).__name__}): minta atau "
                        "simpan ulang berkasnya") from exc
    return pdf


def read_pdf(data: bytes, source: str) -> SourceDoc:
    """Prose lines and table rows of every page, top to bottom."""
    pdf = _open(data, source)
    lines: list[Line] = []
    n_table = 0
    n_chars = 0
    n_images = 0
    try:
        for pno, page in enumerate(pdf.pages, start=1):
            n_chars += len(page.chars)
            n_images += len(page.images)
            if not page.chars:
                continue
            tables = page.find_tables()
            blocks: list[tuple[float, list[str] | None, str]] = []
            rest = page
            for table in tables:
                n_table += 1
                top = table.bbox[1]
                for r, row in enumerate(table.extract()):
                    cells = [cell_text(c or "") for c in row]
                    blocks.append((top + r * 1e-3, cells, str(n_table)))
                try:
                    rest = rest.outside_bbox(table.bbox)
                except ValueError:
                    continue
            for word_line in rest.extract_text_lines(return_chars=False):
                text = clean(word_line["text"])
                if text:
                    blocks.append((word_line["top"], None, text))
            blocks.sort(key=lambda b: b[0])
            for _, row, text in blocks:
                where = f"hlm. {pno}"
                if row is None:
                    lines.append(Line(len(lines) + 1, [text], where=where))
                elif any(row):
                    lines.append(Line(len(lines) + 1, row, table=int(text), where=where))
    except PlanError:
        raise
    except Exception as exc:
        raise PlanError(source, 1, f"berkas PDF tidak dapat dibaca ({type(exc).__name__}): "
                        "minta atau simpan ulang berkasnya") from exc
    finally:
        pdf.close()
    if n_chars == 0:
        what = f"{n_images} gambar" if n_images else "tanpa teks"
        raise PlanError(source, 1, f"PDF hasil pindaian ({what}, tidak ada lapisan teks): "
                        "monev tidak membaca teks dari gambar (tanpa OCR); minta berkas "
                        ".docx/.xlsx aslinya atau PDF yang dicetak langsung dari Word")
    doc = SourceDoc(source, "pdf", lines, loose_area_lines=False)
    if n_table == 0:
        return _without_rulings(data, source)
    return doc


def _without_rulings(data: bytes, source: str) -> SourceDoc:
    """A PDF whose table has no ruling lines: read its laid-out text (flagged)."""
    from monev.plans.flat import read_flat

    pdf = _open(data, source)
    try:
        pages = [page.extract_text(layout=True) or "" for page in pdf.pages]
    finally:
        pdf.close()
    doc = read_flat("\n".join(pages).split("\n"), source)
    doc.notes.insert(0, f"{source}:1: tabel PDF tanpa garis: sel dibaca dari posisi teks")
    return doc
