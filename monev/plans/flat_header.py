"""Where the table of text copied out of a PDF begins: the ZI or RB header, whose words
may stand over several lines (a wrapped label, a narrow NO column's ``N`` / ``O``,
empty lines between the fragments of a viewer's copy). Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass

import monev.plans.zi as zi
from monev.plans.table import header_key

_LABEL_WORDS = {w for names in zi.COLUMNS.values() for n in names for w in n.split()} | {
    "PENANGGUNG", "JAWAB", "PIC", "KET", "KETERANGAN"}


@dataclass
class Header:
    at: int  # index of the header's first line
    size: int  # lines it takes (a header cell can wrap)
    kind: str  # "ZI" or "RB"


def find_header(lines: list[str], i: int) -> Header | None:
    """A ZI or RB header starting at line ``i`` (over up to four lines, blank lines
    between them skipped: a viewer's copy splits a header cell's words over lines)."""
    first = lines[i].strip()
    if not re.match(r"^NO\b|^N$", first, re.IGNORECASE) or len(first) > 400:
        return None
    taken = [i]
    for j in range(i + 1, min(len(lines), i + 10)):
        if len(taken) == 5:
            break
        if lines[j].strip():
            taken.append(j)
    for size in range(1, len(taken) + 1):
        # a narrow NO column wraps its label letter by letter: "N" / "O"
        joined = re.sub(r"^N\s+O\b", "NO", " ".join(lines[j].strip() for j in taken[:size]))
        if not re.match(r"^NO\b", joined, re.IGNORECASE):
            continue
        text = " " + header_key(joined) + " "
        text = re.sub(r"\s+", " ", text)
        kind = None
        if " SUB KEGIATAN " in text and " INDIKATOR" in text and (
                " PELAKSANAAN" in text or " BULAN" in text) and " AREA" in text:
            kind = "RB"
        elif all(any(f" {name} " in text for name in names) for key, names in
                 zi.COLUMNS.items() if key not in zi.OPTIONAL):
            kind = "ZI"
        if kind is None:
            continue
        while size < len(taken) and (words := header_key(lines[taken[size]]).split()) and \
                _LABEL_WORDS.issuperset(words) and not lines[taken[size]].startswith(" "):
            size += 1  # the rest of a wrapped label: "TARGET" / "WAKTU"
        return Header(i, taken[size - 1] - i + 1, kind)
    return None


def headers(lines: list[str]) -> list[Header]:
    found: list[Header] = []
    i = 0
    while i < len(lines):
        h = find_header(lines, i)
        if h:
            found.append(h)
            i += h.size
        else:
            i += 1
    return found


def is_laid_out(line: str) -> bool:
    """A header line whose labels stand apart by runs of spaces (``-layout`` text)."""
    return len(re.findall(r"\S {2,}\S", line.rstrip())) >= 3
