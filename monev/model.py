"""The plan model: a rencana aksi as the importers read it, before any storage."""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from monev.grammar import RangePolicy
from monev.periods import Period

Kind = Literal["ZI", "RB"]
KINDS: tuple[Kind, ...] = ("ZI", "RB")


@dataclass
class PlanHeader:
    """What the decree's own prose says about itself."""

    satker: str
    kind: Kind
    year: int
    number: str | None
    decided_on: date | None


@dataclass
class Item:
    """One plan row (continuation lines merged) and the periods it is due in."""

    area: str
    komponen: str
    indikator: str
    langkah_aksi: str
    bukti_fisik: str
    target_text: str
    source_line: int
    periods: tuple[Period, ...] = ()
    warnings: list[str] = field(default_factory=list)
    override: tuple[Period, ...] | None = None  # checkpoints fixed by hand (canonical YAML)
    days: dict[Period, date] = field(default_factory=dict)  # a day written: due that day
    key: str = ""  # stable identity, set by assign_keys()
    where: str = ""  # where a person finds the row in a file without lines (page, sheet)
    pic: str = ""  # who the decree itself names responsible (a PENANGGUNG JAWAB column)


@dataclass
class Plan:
    header: PlanHeader
    items: list[Item]
    source: str
    range_policy: RangePolicy = "monthly"
    warnings: list[str] = field(default_factory=list)

    def all_warnings(self) -> list[str]:
        """Document warnings first, then every row's, in document order."""
        return self.warnings + [w for item in self.items for w in item.warnings]


def override_texts(item: Item) -> list[str] | None:
    """An item's hand-fixed checkpoints as written in the canonical YAML: periods, or
    ISO days for those with a day (``2026-02-14``: period 2026-02, due that day)."""
    if item.override is None:
        return None
    return [item.days[p].isoformat() if p in item.days else str(p) for p in item.override]


_NUMBERING = re.compile(r"^\s*(?:[0-9]+|[ivx]+|[a-z])\s*[.)]\s*", re.IGNORECASE)


@functools.lru_cache(maxsize=65536)  # the same names are compared for every row
def normalise_text(text: str) -> str:
    """Compare texts the way a reader would: no numbering, case, spaces or punctuation."""
    text = _NUMBERING.sub("", text.lower())
    return re.sub(r"[\W_]+", "", text)


def assign_keys(kind: str, items: list[Item]) -> None:
    """Give each item a stable identity that survives a revised decree.

    Built from what the row *is* (area, komponen, indikator, langkah aksi), not where
    it stands or when it is due; identical rows are told apart by their order.
    """
    seen: dict[str, int] = {}
    for item in items:
        basis = "|".join(normalise_text(x) for x in (
            kind, item.area, item.komponen, item.indikator, item.langkah_aksi))
        digest = hashlib.sha1(basis.encode()).hexdigest()[:12]
        seen[digest] = seen.get(digest, 0) + 1
        item.key = digest if seen[digest] == 1 else f"{digest}-{seen[digest]}"
