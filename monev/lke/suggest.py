"""Which LKE question a rencana-aksi row serves, suggested from its words: the row's
area names an area of change, its komponen a sub-area, its indikator (mostly copied from
the LKE, often with typos) a question. The admin confirms or corrects; a row whose words
match nothing well enough gets no suggestion rather than a wrong one."""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

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


class Vocabulary:
    """The LKE's own words; a row's word with a slip of the keyboard ("pengendalain")
    is read as the LKE word it is closest to, so comparing texts is comparing sets."""

    def __init__(self, texts: list[str]) -> None:
        counts: dict[str, int] = {}
        for text in texts:
            for word in _words(text):
                counts[word] = counts.get(word, 0) + 1
        self.words: set[str] = set()
        self.by_length: dict[int, list[str]] = {}
        self._seen: dict[str, str] = {}
        # the LKE has its own slips ("dtindaklanjuti"): its most frequent spelling of a
        # word stands for the others
        for word in sorted(counts, key=lambda w: (-counts[w], w)):
            closest = self._closest(word)
            if closest != word:
                self._seen[word] = closest
                continue
            self.words.add(word)
            self.by_length.setdefault(len(word), []).append(word)

    def canonical(self, word: str) -> str:
        found = self._seen.get(word)
        if found is None:
            found = self._seen[word] = self._closest(word)
        return found

    def _closest(self, word: str) -> str:
        if word in self.words or len(word) < 5:
            return word
        best, best_ratio = word, 0.8
        for size in range(len(word) - 2, len(word) + 3):
            for known in self.by_length.get(size, ()):
                matcher = difflib.SequenceMatcher(None, word, known, autojunk=False)
                if matcher.quick_ratio() >= best_ratio and matcher.ratio() >= best_ratio:
                    best, best_ratio = known, matcher.ratio()
        return best

    def read(self, text: str) -> frozenset[str]:
        return frozenset(self.canonical(w) for w in _words(text))


def dice(a: frozenset[str], b: frozenset[str]) -> float:
    """The share of words two texts have in common, 0..1."""
    return 2 * len(a & b) / (len(a) + len(b)) if a and b else 0.0


@dataclass(frozen=True)
class _Target:
    area: frozenset[str]
    sub_area: frozenset[str]
    question: frozenset[str]
    code: str


@dataclass(frozen=True)
class _Index:
    vocabulary: Vocabulary
    targets: list[_Target]
    # word → the targets (by position) whose question / sub-area has it: a target
    # sharing no word with a row's indikator or komponen cannot reach either floor
    by_question_word: dict[str, list[int]]
    by_sub_area_word: dict[str, list[int]]
    # (area, komponen, indikator) → (code, confidence): plans of a sweep share row texts
    # (offices copy each other's), and a row's suggestion depends on its words only
    found: dict[tuple[str, str, str], tuple[str | None, float]] = field(
        default_factory=dict)


MAX_REMEMBERED = 100_000  # row texts kept per LKE (a national sweep has ~30,000 rows)


_INDEXES: dict[tuple[str, int], _Index] = {}


def _by_word(sets: list[frozenset[str]]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for i, words in enumerate(sets):
        for word in words:
            out.setdefault(word, []).append(i)
    return out


def _index(lke: Lke) -> _Index:
    """The LKE's vocabulary and every answerable question's word sets, once per LKE."""
    key = (lke.version, id(lke))
    if key not in _INDEXES:
        places: list[tuple[str, Node]] = []
        for area in lke.areas():
            for part in area.parts:
                places += [(area.name, n) for n in part.walk() if n.questions]
        texts = [t for name, node in places for t in (name, node.name,
                                                      *(q.text for q in node.questions))]
        vocabulary = Vocabulary(texts)
        targets = [_Target(vocabulary.read(name), vocabulary.read(node.name),
                           vocabulary.read(q.text), q.code)
                   for name, node in places for q in node.questions if q.answer != "number"]
        _INDEXES.clear()  # one LKE at a time in a process, as a rule
        _INDEXES[key] = _Index(vocabulary, targets,
                               _by_word([t.question for t in targets]),
                               _by_word([t.sub_area for t in targets]))
    return _INDEXES[key]


def suggest(lke: Lke, rows: Sequence[RowText]) -> list[Suggestion]:
    """One suggestion per row, in the rows' order. Every question is weighed — an
    office may title an area its own way ("Pembangunan unit kerja menuju WBK") — by
    how its text matches the indikator, helped by how its sub-area and area names match
    the row's komponen and area. A row whose komponen names a sub-area gets that
    sub-area's closest question even when its indikator is worded its own way."""
    index = _index(lke)
    out = []
    for row in rows:
        text = (row.area, row.komponen, row.indikator)
        found = index.found.get(text)
        if found is None:
            if len(index.found) >= MAX_REMEMBERED:
                index.found.clear()
            found = index.found[text] = _best(index, row)
        out.append(Suggestion(row.key, *found))
    return out


def _best(index: _Index, row: RowText) -> tuple[str | None, float]:
    """The question one row's words match best, and how well its indikator matched."""
    vocabulary, targets = index.vocabulary, index.targets
    area, komponen, indikator = (vocabulary.read(row.area), vocabulary.read(row.komponen),
                                 vocabulary.read(row.indikator))
    best: tuple[float, float, str] | None = None
    # the area alone weighs 0.2 < QUESTION_FLOOR: only targets sharing a word with
    # the indikator or the komponen can be chosen (the same result, far fewer tried)
    near = {i for w in indikator for i in index.by_question_word.get(w, ())}
    near.update(i for w in komponen for i in index.by_sub_area_word.get(w, ()))
    for target in (targets[i] for i in sorted(near)):
        sub_score = dice(komponen, target.sub_area)
        context = 0.4 * sub_score + 0.2 * dice(area, target.area)
        q_score = dice(indikator, target.question)
        if q_score + context < QUESTION_FLOOR and sub_score < SUBAREA_SURE:
            continue
        candidate = (q_score + context, q_score, target.code)
        if best is None or candidate > best:
            best = candidate
    return (None, 0.0) if best is None else (best[2], round(best[1], 2))
