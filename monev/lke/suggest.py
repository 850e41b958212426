"""Which LKE question a rencana-aksi row serves, suggested from its words: the row's
area names an area of change, its komponen a sub-area, its indikator (mostly copied from
the LKE, often with typos) a question. The admin confirms or corrects; a row whose words
match nothing well enough gets no suggestion rather than a wrong one."""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from monev.lke.model import Lke, Node

# Words every LKE text is full of: they tell nothing apart.
STOPWORDS = frozenset((
    "dan", "yang", "atau", "telah", "sudah", "dengan", "untuk", "dalam", "pada", "atas",
    "terhadap", "oleh", "dari", "kepada", "secara", "serta", "unit", "instansi",
    "organisasi", "terdapat", "dilakukan", "melakukan", "tersebut", "adalah", "akan",
    "juga", "para", "seluruh", "setiap", "bagi", "sebagai", "agar"))
# Abbreviations rencana aksi use for the LKE's own words.
ABBREVIATIONS = {
    "zi": "zona integritas", "wbk": "wilayah bebas korupsi", "sop": "prosedur operasional",
    "spbe": "sistem pemerintahan berbasis elektronik", "wbs": "whistle blowing system",
    "spip": "sistem pengendalian intern pemerintah", "spi": "sistem pengendalian intern",
    "asn": "pegawai", "sdm": "sdm pegawai", "iku": "indikator kinerja utama",
    "ppid": "informasi publik",
    "lakip": "laporan kinerja", "lkjip": "laporan kinerja", "lhkpn": "harta kekayaan"}
QUESTION_FLOOR = 0.6  # what the indikator's match and its context must reach together
SUBAREA_SURE = 0.6  # a komponen this close names the sub-area


@dataclass(frozen=True)
class RowText:
    key: str
    area: str
    komponen: str
    indikator: str


@dataclass(frozen=True)
class Suggestion:
    key: str
    code: str | None  # None: nothing matched well enough
    confidence: float


@functools.lru_cache(maxsize=8192)
def _flat(text: str) -> str:
    """Lower-case words, abbreviations spelled out."""
    return " ".join(ABBREVIATIONS.get(t, t) for t in re.findall(r"[a-z0-9]+", text.lower()))


@functools.lru_cache(maxsize=8192)
def _words(text: str) -> frozenset[str]:
    return frozenset(t for t in _flat(text).split() if len(t) > 2 and t not in STOPWORDS)


@functools.lru_cache(maxsize=65536)
def _alike(a: str, b: str) -> bool:
    """Two words the same but for a slip of the keyboard."""
    if a == b:
        return True
    if min(len(a), len(b)) < 5 or abs(len(a) - len(b)) > 2:
        return False
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio() >= 0.8


def similarity(a: str, b: str) -> float:
    """How alike two texts read, 0..1: the share of words they have in common (Dice),
    a word with a typo counting as the same word."""
    wa, wb = _words(a), _words(b)
    if not wa or not wb:
        return 0.0
    shared_a = sum(1 for x in wa if x in wb or any(_alike(x, y) for y in wb))
    shared_b = sum(1 for y in wb if y in wa or any(_alike(x, y) for x in wa))
    return (shared_a + shared_b) / (len(wa) + len(wb))


def _sub_areas(lke: Lke) -> list[tuple[str, Node]]:
    """(area name, sub-area) pairs of the pengungkit, Pemenuhan and Reform alike."""
    found = []
    for area in lke.areas():
        for part in area.parts:
            for node in part.walk():
                if node.questions:
                    found.append((area.name, node))
    return found


def suggest(lke: Lke, rows: Sequence[RowText]) -> list[Suggestion]:
    """One suggestion per row, in the rows' order. Every question is weighed — an
    office may title an area its own way ("Pembangunan unit kerja menuju WBK") — by
    how its text matches the indikator, helped by how its sub-area and area names match
    the row's komponen and area. A row whose komponen names a sub-area gets that
    sub-area's closest question even when its indikator is worded its own way."""
    sub_areas = _sub_areas(lke)
    out = []
    for row in rows:
        best: tuple[float, float, str] | None = None
        for area_name, node in sub_areas:
            sub_score = similarity(row.komponen, node.name)
            context = 0.4 * sub_score + 0.2 * similarity(row.area, area_name)
            for question in node.questions:
                if question.answer == "number":
                    continue
                q_score = similarity(row.indikator, question.text)
                if q_score + context < QUESTION_FLOOR and sub_score < SUBAREA_SURE:
                    continue
                candidate = (q_score + context, q_score, question.code)
                if best is None or candidate > best:
                    best = candidate
        if best is None:
            out.append(Suggestion(row.key, None, 0.0))
        else:
            out.append(Suggestion(row.key, best[2], round(best[1], 2)))
    return out
