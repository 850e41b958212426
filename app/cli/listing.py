"""Listing commands' output: a JSON array of objects with stable English keys for
scripts (``--json``), or a table for people that stays readable on a small terminal.

A table is printed when every identifier, date and code fits whole and each text
column keeps a readable width; otherwise each record is stacked (its first field on
a line, then one ``Label: value`` line per field), so nothing is cut to "K…" at 80
columns. The keys are documented in docs/cli-json.md."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from rich.table import Table
from rich.text import Text

from app.cli.common import out

Kind = Literal["id", "text"]
TEXT_MIN = 14  # the narrowest a folding text column gets before records are stacked
_BORDERS = 3  # a cell's padding and its left border; one more for the table's right


@dataclass(frozen=True)
class Column:
    """One column: its Indonesian heading and whether it may wrap (``text``) or must be
    shown whole (``id``: identifiers, dates, codes, numbers, status words)."""

    header: str
    kind: Kind = "id"


@dataclass
class Listing:
    """Rows of a listing command: the JSON record and the cells people see."""

    title: str
    columns: Sequence[Column]
    records: list[dict[str, Any]] = field(default_factory=list)
    cells: list[list[str]] = field(default_factory=list)

    def add(self, record: dict[str, Any], cells: Sequence[str]) -> None:
        if len(cells) != len(self.columns):
            raise ValueError(f"{len(cells)} cells for {len(self.columns)} columns")
        self.records.append(record)
        self.cells.append(list(cells))

    def print(self, as_json: bool) -> None:
        if as_json:
            print(json.dumps(self.records, ensure_ascii=False))
        elif self.fits(out.width):
            out.print(self.table())
        else:
            self.print_stacked()

    def fits(self, width: int) -> bool:
        """Whether the table fits ``width`` with whole ids and readable text."""
        return 1 + sum(w + _BORDERS for w in self._min_widths()) <= width

    def _min_widths(self) -> list[int]:
        """Each column's narrowest readable width: ids and their heading whole, text
        columns down to ``TEXT_MIN`` (or their longest value when shorter)."""
        widths = []
        for i, col in enumerate(self.columns):
            longest = max((len(row[i]) for row in self.cells), default=0)
            if col.kind == "text":
                longest = min(longest, TEXT_MIN)
            widths.append(max(longest, _longest_word(col.header)))
        return widths

    def table(self) -> Table:
        table = Table(title=self.title)
        for col, least in zip(self.columns, self._min_widths(), strict=True):
            if col.kind == "id":
                table.add_column(col.header, no_wrap=True, min_width=least)
            else:
                table.add_column(col.header, overflow="fold", min_width=least)
        for row in self.cells:
            table.add_row(*row)
        return table

    def print_stacked(self) -> None:
        """One block per record: the first field alone, then the others labelled."""
        out.print(Text(self.title, style="italic"), justify="center")
        if not self.cells:
            out.print("(kosong)")
            return
        labels = [c.header for c in self.columns[1:]]
        pad = max(len(label) for label in labels) if labels else 0
        for row in self.cells:
            out.print()
            out.print(Text(row[0], style="bold"), overflow="fold")
            grid = Table.grid(padding=(0, 1))
            grid.add_column(no_wrap=True)
            grid.add_column(overflow="fold")
            for label, value in zip(labels, row[1:], strict=True):
                grid.add_row(f"  {label:<{pad}}:", value)
            out.print(grid)


def _longest_word(text: str) -> int:
    return max((len(w) for w in text.split()), default=0)
