"""Shared reading of the decree's TAB-separated tables: headers repeated on every
page, column-number rows, cell cleaning and continuation lines."""

from __future__ import annotations

import re
from dataclasses import dataclass

from monev.model import Item

_TAG_RE = re.compile(r"</?[a-zA-Z][^>]*>")
_SPACE_RE = re.compile(r"\s+")
_COLNUM_RE = re.compile(r"^\(?\d{1,2}\)?$")
_AREA_LINE_RE = re.compile(r"^\s*([IVX]+\.?|\d{1,2}\.?|[A-Z][.)])\s+(\S.*)$")


def clean(cell: str) -> str:
    """One cell's text: no inline HTML tags, single spaces."""
    return _SPACE_RE.sub(" ", _TAG_RE.sub("", cell)).strip()


def split_cells(line: str) -> list[str]:
    return [clean(c) for c in line.split("\t")]


def header_key(cell: str) -> str:
    return re.sub(r"[^A-Z0-9 ]", "", cell.upper()).strip()


def match_columns(cells: list[str], accepted: dict[str, tuple[str, ...]],
                  ) -> dict[str, int] | None:
    """Position of each named column when every one of them is in the header ``cells``."""
    keys = [header_key(c) for c in cells]
    found: dict[str, int] = {}
    for name, names in accepted.items():
        for i, key in enumerate(keys):
            if key in names and i not in found.values():
                found[name] = i
                break
    return found if len(found) == len(accepted) else None


def looks_like_header(cells: list[str]) -> bool:
    """Cheap pre-check before matching column names: header rows have a NO column."""
    return any(len(c) <= 3 and c.upper().rstrip(". ") == "NO" for c in cells)


def is_column_number_row(cells: list[str]) -> bool:
    """``1 2 3 …`` or ``(1) (2) …`` under the header (also the RB month-number row)."""
    filled = [c for c in cells if c]
    return len(filled) >= 3 and all(_COLNUM_RE.match(c) for c in filled)


def area_line(line: str) -> tuple[str, str] | None:
    """A table line without TABs that opens an area (``6 PENINGKATAN …``)."""
    m = _AREA_LINE_RE.match(line)
    if not m or "\t" in line.strip():
        return None
    return m.group(1), clean(m.group(2))


def join(a: str, b: str) -> str:
    """Join a cell's text with its continuation from the next page."""
    if not b or b == "-":
        return a
    if not a:
        return b
    return f"{a} {b}"


def rename_komponen(items: list[Item], old: str, new: str) -> str:
    """Give a komponen/kegiatan name that ran over a page break to every row of it."""
    for item in reversed(items):
        if item.komponen != old:
            break
        item.komponen = new
    return new


@dataclass
class Row:
    """One data line of a table, with its 1-based line number in the file."""

    line: int
    cells: list[str]
    after_page_break: bool  # right after a repeated header: may continue the row before
