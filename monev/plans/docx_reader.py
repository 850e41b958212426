"""Word (.docx) plans, read with python-docx: the body's paragraphs and tables in
document order. A cell merged down from the row above reads as empty and a cell merged
across reads once (as a text export shows them), so the table mappers see the same rows
as in the TAB text; line breaks and paragraphs inside a cell become spaces."""

from __future__ import annotations

import io
import zipfile
import zlib
from typing import Any

from monev.errors import PlanError
from monev.plans.document import Line, SourceDoc
from monev.plans.table import clean

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def read_docx(data: bytes, source: str) -> SourceDoc:
    """Every non-empty paragraph and every table row of the document body, in order."""
    from docx import Document
    from docx.text.paragraph import Paragraph

    try:
        document = Document(io.BytesIO(data))
    except (zipfile.BadZipFile, zlib.error, KeyError, ValueError, OSError) as exc:
        raise PlanError(source, 1, f"berkas .docx rusak ({type(exc).__name__}): buka dan "
                        "simpan ulang di Word, atau minta berkas yang utuh") from exc
    except Exception as exc:  # lxml's XMLSyntaxError and python-docx's own errors
        raise PlanError(source, 1, f"berkas .docx tidak dapat dibaca ({type(exc).__name__}"
                        "): buka dan simpan ulang di Word, atau minta berkas yang utuh") \
            from exc
    body = document.element.body
    lines: list[Line] = []
    n_table = 0

    def para_text(p: Any) -> str:
        return clean(Paragraph(p, document).text)

    for child in body.iterchildren():
        if child.tag == f"{_W}p":
            text = para_text(child)
            if text:
                lines.append(Line(len(lines) + 1, [text]))
        elif child.tag == f"{_W}tbl":
            n_table += 1
            for r, cells in enumerate(_table_rows(child, para_text), start=1):
                lines.append(Line(len(lines) + 1, cells, table=n_table,
                                  where=f"tabel {n_table} baris {r}"))
    if not lines:
        raise PlanError(source, 1, "dokumen Word kosong: tidak ada paragraf atau tabel")
    return SourceDoc(source, "docx", lines, loose_area_lines=False)


def _table_rows(tbl: Any, para_text: Any) -> list[list[str]]:
    """Cells of each row by grid column; merged cells read once (top-left)."""
    out: list[list[str]] = []
    for tr in tbl.iterchildren(f"{_W}tr"):
        cells: list[str] = []
        for tc in tr.iterchildren(f"{_W}tc"):
            span, continued = 1, False
            pr = tc.find(f"{_W}tcPr")
            if pr is not None:
                gs = pr.find(f"{_W}gridSpan")
                if gs is not None:
                    span = int(gs.get(f"{_W}val", "1") or 1)
                vm = pr.find(f"{_W}vMerge")
                continued = vm is not None and vm.get(f"{_W}val", "continue") == "continue"
            text = "" if continued else " ".join(
                t for t in (para_text(p) for p in tc.iter(f"{_W}p")) if t)
            cells.append(text)
            cells.extend([""] * (span - 1))
        out.append(cells)
    return out
