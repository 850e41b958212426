"""What every reader hands to the table mappers: the document as a sequence of lines,
each either prose (one cell) or a table row (several cells), in reading order.

A TAB-text export, a Word file, an Excel sheet, a PDF and text copied out of a PDF all
become this one shape, so one ZI mapping and one RB mapping serve every format. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Line:
    """One line of a document: prose (a single cell) or one row of a table.

    ``no`` is the number people are told in messages (the text line, the sheet row, the
    n-th line of a Word or PDF document); ``where`` adds what helps find it in formats
    without line numbers (``hlm. 3``, ``tabel 2``, ``lembar Lampiran``). ``table`` tells
    rows of different tables apart (None: unknown, as in text). ``flags`` are doubts the
    reader already had about this row (they go to the item made from it)."""

    no: int
    cells: list[str]
    table: int | None = None
    where: str = ""
    flags: list[str] = field(default_factory=list)
    page_break: bool = False  # a new page (or a new table) begins at this row

    @property
    def is_row(self) -> bool:
        return len(self.cells) > 1 or self.table is not None

    @property
    def text(self) -> str:
        return " ".join(c for c in self.cells if c)


@dataclass
class SourceDoc:
    """A whole document as lines, plus what the reader wants the user to know."""

    source: str
    fmt: str  # "text", "docx", "xlsx", "pdf", "flat-layout", "flat-lines"
    lines: list[Line]
    notes: list[str] = field(default_factory=list)  # document-level flags, already located
    loose_area_lines: bool = True  # a prose line inside the table may be an area row
    columns_split: bool = True  # False: the reader could not separate a row's columns

    def at(self, line: Line | int) -> str:
        """``file:line`` for messages, with the reader's own hint when it has one."""
        if isinstance(line, int):
            return f"{self.source}:{line}"
        hint = f" ({line.where})" if line.where else ""
        return f"{self.source}:{line.no}{hint}"

    def prose_lines(self, end: int) -> list[tuple[int, str]]:
        """(number, text) of every line before index ``end``: what the header reader
        reads (table rows are read as their joined text)."""
        return [(ln.no, ln.text) for ln in self.lines[:end]]
