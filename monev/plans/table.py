"""Shared reading of a decree's table, whatever file it came from: headers repeated on
every page, column-number rows, cell cleaning, continuation lines, and which rows
belong to the plan's table (not to a signature table after it)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from monev.grammar import read_target
from monev.model import Item
from monev.plans.document import Line, SourceDoc

_TAG_RE = re.compile(r"</?[a-zA-Z][^>]*>")
_SPACE_RE = re.compile(r"\s+")
_COLNUM_RE = re.compile(r"^\(?\d{1,2}\)?$")
_AREA_LINE_RE = re.compile(r"^\s*([IVX]+\.?|\d{1,2}\.?|[A-Z][.)])\s+(\S.*)$")


_CONT_END = re.compile(r"(?:[,(/\-\u2013]|\bdan|\bserta|\batau|\bs/d|\bsampai|\bhingga|\bke"
                       r"|\bminggu|\bpekan|\blambat|\btahun|\bsetiap|\btiap|\bper|\bmulai"
                       r"|\b(?:[1-9]|[12]\d|3[01]))$", re.IGNORECASE)
_CONT_START = re.compile(r"^(?:dan|serta|atau|s/d|sampai|hingga|-|\u2013|\))", re.IGNORECASE)
_YEAR = re.compile(r"\b(?:19|20|21)\d\d\b")


def continues_target(current: str, fragment: str) -> bool:
    """Whether ``fragment`` (a target cell's next line, or the next page's part of a
    split row) goes on with the target text ``current`` rather than starting a new one:
    ``Paling lambat`` | ``September-Oktober``, ``Januari-Desember`` | ``2025``,
    ``Oktober dan`` | ``Desember``, but not ``Juli 2025`` | ``Agustus 2025``."""
    cur, frag = current.strip(), fragment.strip()
    if not cur.strip(" -\u2013") or not frag or frag in ("-", "\u2013"):
        return False  # nothing, or "-" (an empty cell)
    if cur.count("(") > cur.count(")") or _CONT_END.search(cur) or _CONT_START.match(frag):
        return True
    if re.fullmatch(r"(?:tahun\s*)?(?:19|20|21)\d\d\.?", frag, re.IGNORECASE):
        return not _YEAR.search(cur)
    if re.match(r"^(?:minggu|pekan|tahun)\b", frag, re.IGNORECASE) and not _YEAR.search(cur):
        return True
    return not read_target(cur, 2000).periods  # what came so far means nothing yet


def clean(cell: str) -> str:
    """One cell's text: no inline HTML tags, single spaces."""
    return _SPACE_RE.sub(" ", _TAG_RE.sub("", cell)).strip()


def split_cells(line: str) -> list[str]:
    return [clean(c) for c in line.split("\t")]


def header_key(cell: str) -> str:
    return re.sub(r"[^A-Z0-9 ]", "", cell.upper()).strip()


def _compact(key: str) -> str:
    """A header key without spaces: a word broken inside a narrow PDF column
    (``KOMPON`` / ``EN``) and ``PENANGGUNG JAWAB / PIC`` read like the plain name."""
    return key.replace(" ", "")


def match_columns(cells: list[str], accepted: dict[str, tuple[str, ...]],
                  ) -> dict[str, int] | None:
    """Position of each named column when every one of them is in the header ``cells``."""
    keys = [_compact(header_key(c)) for c in cells]
    found: dict[str, int] = {}
    for name, names in accepted.items():
        wanted = {_compact(n) for n in names}
        for i, key in enumerate(keys):
            if key in wanted and i not in found.values():
                found[name] = i
                break
    return found if len(found) == len(accepted) else None


_HEADER_WORDS = {_compact(k) for k in ("NO", "KOMPONEN", "KEGIATAN", "AREA PERUBAHAN",
                                       "INDIKATOR")}


def looks_like_header(cells: list[str]) -> bool:
    """Cheap pre-check before matching column names: a header row has no long cell and
    names a NO or KOMPONEN/KEGIATAN column."""
    keys = {_compact(header_key(c)) for c in cells if c}
    return bool(keys & _HEADER_WORDS) and all(len(c) <= 40 for c in cells)


# Month headings of a month grid (``Jan`` … ``Des``, ``Januari`` …, ``Pebruari``).
_MONTH_HEADS = {name: m for m, names in enumerate((
    ("JAN", "JANUARI"), ("FEB", "PEB", "FEBRUARI", "PEBRUARI"), ("MAR", "MARET"),
    ("APR", "APRIL"), ("MEI",), ("JUN", "JUNI"), ("JUL", "JULI"),
    ("AGU", "AGT", "AGS", "AGUS", "AGST", "AGUSTUS"), ("SEP", "SEPT", "SEPTEMBER"),
    ("OKT", "OKTOBER"), ("NOV", "NOP", "NOVEMBER", "NOPEMBER"), ("DES", "DESEMBER")),
    start=1) for name in names}


def month_of_heading(cell: str) -> int | None:
    """The month a header cell names (``Jan``, ``Agt``, ``DESEMBER``), else None."""
    return _MONTH_HEADS.get(header_key(cell).replace(" ", ""))


def month_positions(cells: list[str]) -> list[int] | None:
    """Positions of twelve month columns named in order (``Jan`` … ``Des``, or ``1`` …
    ``12`` that start after the first columns), else None."""
    for i in range(len(cells) - 11):
        window = cells[i: i + 12]
        if [month_of_heading(c) for c in window] == list(range(1, 13)) or (
                i >= 2 and [c.strip("() ") for c in window] == [str(m) for m in range(1, 13)]
                and not any(cells[:i])):
            return list(range(i, i + 12))
    return None


def is_column_number_row(cells: list[str]) -> bool:
    """``1 2 3 …`` or ``(1) (2) …`` under the header (also the RB month-number row and
    a month grid's ``Jan`` … ``Des`` row under its header)."""
    filled = [c for c in cells if c]
    return len(filled) >= 3 and (all(_COLNUM_RE.match(c) for c in filled)
                                 or all(month_of_heading(c) for c in filled))


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
    if re.search(r"[a-z]-$", a) and b[:1].islower():  # ``perundang-`` | ``undangan``
        return a + b
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
    """One data row of the plan's table; ``at`` names it in messages (``file:line``)."""

    line: int
    cells: list[str]
    after_page_break: bool  # right after a repeated header: may continue the row before
    at: str = ""
    flags: tuple[str, ...] = ()
    where: str = ""


class TableScope:
    """Tells the rows of the plan's table from those of other tables in the document.

    A new table with the plan's width, or one that starts with the plan's header, goes
    on with the plan (Word files and PDFs cut one table per page); a table of another
    width (a signature block, a summary) is skipped."""

    def __init__(self, first: Line) -> None:
        self.tables = {first.table}
        self.width = len(first.cells)
        self.current = first.table

    def accepts(self, line: Line, is_header: bool) -> tuple[bool, bool]:
        """(belongs to the plan's table, starts a new table or page)."""
        if line.table is None or line.table in self.tables:
            new = line.table != self.current
            self.current = line.table
            return True, new or line.page_break
        if is_header or len(line.cells) == self.width:
            self.tables.add(line.table)
            self.current = line.table
            return True, True
        return False, False


def table_lines(doc: SourceDoc, start: int, is_header: Callable[[list[str]], bool],
                ) -> Iterator[tuple[Line, bool]]:
    """The lines of the plan's table from its first header on: prose lines (for the
    mapper to decide), and data rows with whether a page (a repeated header, a new
    table) begins right before them. Headers and rows of other tables are left out;
    column-number rows come through (RB reads its month columns from them)."""
    scope = TableScope(doc.lines[start])
    after_break = False
    for line in doc.lines[start:]:
        if not line.is_row:
            yield line, False
            continue
        header = looks_like_header(line.cells) and is_header(line.cells)
        inside, new_table = scope.accepts(line, header)
        if not inside:
            continue
        if new_table or header:
            after_break = True
        if header or not any(line.cells):
            continue
        yield line, after_break
        if not is_column_number_row(line.cells):
            after_break = False


def unknown_columns(doc: SourceDoc, line: Line, known: set[int]) -> list[str]:
    """Flags for header cells that name no column the mapper reads (ignored)."""
    return [f"{doc.at(line)}: kolom '{c}' tidak dikenal; diabaikan"
            for i, c in enumerate(line.cells) if c and i not in known
            and not re.fullmatch(r"[\d()]+", c)]
