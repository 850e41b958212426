"""What the LKE workbook and the evidence bundle both show, gathered once so they agree:
the plan's standing (answers, links, scores), the TPI's answers, and every question's
evidence — the current files and links of the checkpoints of the rows serving it,
verified first — each file with its path in the bundle, in the folders TPIs file
evidence under (docs/lke.md): ``AREA I MANAJEMEN PERUBAHAN/i. Penyusunan Tim
Kerja/1.i.a <file>``, Reform under ``REFORM/``, Hasil under ``HASIL/``."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from monev.engine.blobs import safe_name
from monev.engine.lke import Standing, standing
from monev.lke.model import Lke, Node
from monev.store import lke as store
from monev.store import models as m

ROMAN = ("", "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X")
TOP_FOLDERS = {"R": "REFORM", "B": "HASIL"}  # Pemenuhan's areas sit at the top
STATUS_WORDS = {"verified": "terverifikasi", "submitted": "menunggu verifikasi"}
PART_MAX = 80  # characters per folder name (paths stay well under Windows' 260)


@dataclass(frozen=True)
class Filed:
    """One piece of evidence filed under a question: a file (``path`` inside the
    bundle, ``source`` its blob) or a link (``url``)."""

    code: str
    row_key: str
    period: str
    status: str  # verified | submitted
    name: str  # what the unit called it (sanitised), or the URL
    path: str = ""
    url: str = ""
    sha256: str | None = None
    location: str = ""


@dataclass(frozen=True)
class LkePack:
    plan_id: str  # as `monev plan list` shows it
    satker: str
    day: date
    where: Standing
    tpi: dict[str, tuple[str, str]]  # question code → (answer, note) of the TPI
    filed: dict[str, list[Filed]]  # question code → its evidence, verified first

    @property
    def lke(self) -> Lke:
        return self.where.lke


def part(name: str) -> str:
    """A folder or file name fit for any ZIP reader and file system: no separators,
    no control or reserved characters, no leading dots, no trailing dots or spaces."""
    text = unicodedata.normalize("NFC", name).replace("/", "-").replace("\\", "-")
    text = "".join(c for c in text if c.isprintable() and c not in '"<>:|?*')
    text = re.sub(r"\s+", " ", text).strip().lstrip(".").strip()
    stem, dot, suffix = text.rpartition(".")
    if len(text) > PART_MAX and dot and 0 < len(suffix) <= 10 and " " not in suffix:
        return f"{stem[:PART_MAX - len(suffix) - 1].rstrip('. ')}.{suffix}"
    return text[:PART_MAX].rstrip(". ") or "_"


def folders(lke: Lke) -> dict[str, str]:
    """Question code → the folder its files go in (``/``-separated, relative)."""
    out: dict[str, str] = {}

    def visit(node: Node, above: list[str], depth: int) -> None:
        last = node.code.rsplit(".", 1)[-1]
        if depth == 0 or node.code in ("P", "R"):  # komponen, Pemenuhan / Reform
            here = above + ([TOP_FOLDERS[node.code]] if node.code in TOP_FOLDERS else [])
        elif depth == 2 and last.isdigit():  # an area of change
            number = int(last)
            roman = ROMAN[number] if number < len(ROMAN) else last
            here = above + [part(f"AREA {roman} {node.name.upper()}")]
        else:
            here = above + [part(f"{last}. {node.name}")]
        for question in node.questions:
            out[question.code] = "/".join(here)
        for child in node.children:
            visit(child, here, depth + 1)

    for top in lke.tree:
        visit(top, [], 0)
    return out


def _unique(folder: str, name: str, taken: set[str]) -> str:
    """``folder/name``, with " (2)", " (3)" … before the suffix if already taken."""
    stem, dot, suffix = name.rpartition(".")
    if not dot or not stem or len(suffix) > 10:
        stem, dot, suffix = name, "", ""
    candidate, n = name, 2
    while f"{folder}/{candidate}".casefold() in taken:
        candidate, n = f"{stem} ({n}){dot}{suffix}", n + 1
    taken.add(f"{folder}/{candidate}".casefold())
    return f"{folder}/{candidate}"


def file_evidence(lke: Lke, links: dict[str, tuple[str, ...]],
                  evidence: dict[str, list[store.RowEvidence]]) -> dict[str, list[Filed]]:
    """Question code → its evidence: verified first, then waiting; a file already filed
    under the question (the same content from another checkpoint) once."""
    where = folders(lke)
    taken: set[str] = set()
    out: dict[str, list[Filed]] = {}
    for question in lke.questions():
        found = [(key, e) for key, codes in links.items() if question.code in codes
                 for e in evidence.get(key, ())]
        found.sort(key=lambda ke: ke[1].status != "verified")  # stable: document order
        seen: set[str] = set()
        filed: list[Filed] = []
        for key, e in found:
            if e.kind == "link":
                if e.location in seen:
                    continue
                seen.add(e.location)
                filed.append(Filed(question.code, key, e.period, e.status, e.location,
                                   url=e.location))
                continue
            if e.sha256 and e.sha256 in seen:
                continue
            seen.add(e.sha256 or f"#{e.evidence_id}")
            name = part(safe_name(e.original_name))
            path = _unique(where[question.code], part(f"{question.code} {name}"), taken)
            filed.append(Filed(question.code, key, e.period, e.status, name, path=path,
                               sha256=e.sha256, location=e.location))
        if filed:
            out[question.code] = filed
    return out


def gather(session: Session, plan: m.Plan, plan_id: str, as_of: date,
           lke_dir: Path | None = None) -> LkePack:
    """Everything the workbook and the bundle of ``plan``'s satker show, as of a day."""
    where = standing(session, plan, as_of, lke_dir)
    tpi = store.answers(session, plan.satker_id, where.lke.version, "tpi")
    filed = file_evidence(where.lke, where.links, store.row_evidence(session, plan.id))
    return LkePack(plan_id, plan.satker.name, as_of, where, tpi, filed)
