"""Reading an LKE version from YAML (``config/lke/<version>.yaml``) and refusing data that
does not add up: every node's children (or weighted questions) sum to its weight, the
whole to 100, options of a scale are the scale's keys with values in [0, 1], codes are
unique, ratios name number questions of their own sub-area, gates name existing codes.
Errors name the file and line (``LkeDataError``)."""

from __future__ import annotations

import functools
import hashlib
import os
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from monev import safe_yaml
from monev.errors import MonevError
from monev.lke.model import (
    SCALES,
    Area,
    Gate,
    Lke,
    Minimum,
    Node,
    Option,
    Question,
    Ratio,
)
from monev.lke.score import points_text

TOLERANCE = 0.005  # weights are published with two decimals
MAX_LKE_BYTES = 4 * 1024 * 1024


class LkeDataError(MonevError):
    """LKE data that cannot be used; names the file and line."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OptionIn(_Strict):
    key: str
    label: str = ""
    value: float = Field(ge=0, le=1)


class QuestionIn(_Strict):
    code: str
    text: str
    answer: Literal["ya_tidak", "abc", "abcd", "abcde", "number", "survey"]
    row: int = Field(ge=1)
    criteria: str = ""
    options: list[OptionIn] = []
    weight: float | None = Field(default=None, gt=0)
    from_capaian: list[tuple[str, float]] = []


class DecreaseIn(_Strict):
    before: str
    after: str


class RatioIn(_Strict):
    code: str
    name: str
    numerator: list[str] = []
    denominator: list[str] = []
    decrease: DecreaseIn | None = None
    if_zero: float = Field(default=0, ge=0, le=1)


class NodeIn(_Strict):
    code: str
    name: str
    weight: float = Field(gt=0)
    children: list[NodeIn] = []
    questions: list[QuestionIn] = []
    ratios: list[RatioIn] = []


class MinimumIn(_Strict):
    code: str
    points: float = Field(ge=0)


class GateIn(_Strict):
    total: float = Field(ge=0, le=100)
    pengungkit: float = Field(ge=0)
    area_share: float = Field(ge=0, le=1)
    minimums: list[MinimumIn] = []


class LkeIn(_Strict):
    version: str = Field(pattern=r"^[a-z]+-\d{4}[a-z0-9-]*$")
    kind: Literal["ZI", "RB"]
    title: str
    regulation: str
    source: str = ""
    workbook: dict[str, str] = {}
    survey_max: float = Field(default=4, gt=0)
    gates: dict[str, GateIn] = {}
    tree: list[NodeIn] = Field(min_length=2, max_length=2)


def default_lke_dir() -> Path:
    return Path(os.environ.get("MONEV_LKE_DIR", "config/lke"))


def load_lke(version: str, folder: Path | None = None) -> Lke:
    """The LKE version ``version`` (``zi-2026``) from ``folder``; a clear error if absent."""
    folder = folder or default_lke_dir()
    if not re.fullmatch(r"[a-z]+-\d{4}[a-z0-9-]*", version):
        raise LkeDataError(f"versi LKE {version!r} tidak dikenal (contoh: zi-2026)")
    path = folder / f"{version}.yaml"
    if not path.is_file():
        known = ", ".join(available_versions(folder)) or "tidak ada"
        raise LkeDataError(f"{path}: versi LKE {version} tidak ada (tersedia: {known})")
    stat = path.stat()
    return _load_file(path.resolve(), version, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=16)
def _load_file(path: Path, version: str, mtime_ns: int, size: int) -> Lke:
    """One parse per file version: a sweep or a report of many plans reads it once
    (the modification time and size in the key make an edited file read again)."""
    text = safe_yaml.read_limited(path, MAX_LKE_BYTES, "berkas LKE", LkeDataError)
    lke = parse_lke(text, str(path))
    if lke.version != version:
        raise LkeDataError(f"{path}:{_line_of(text, 'version')}: berkas ini versi "
                           f"{lke.version}, bukan {version}")
    return lke


def available_versions(folder: Path | None = None) -> list[str]:
    folder = folder or default_lke_dir()
    return sorted(p.stem for p in folder.glob("*.yaml")) if folder.is_dir() else []


def parse_lke(text: str, where: str) -> Lke:
    """Build and check an LKE from YAML text; ``where`` names it in errors."""
    raw = safe_yaml.load_or_raise(text, where, LkeDataError)
    try:
        doc = LkeIn.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(first["loc"])
        raise LkeDataError(f"{where}:{safe_yaml.line_at(text, loc)}: "
                           f"{'.'.join(str(p) for p in loc)}: {first['msg']}") from exc
    try:
        return _build(doc, hashlib.sha256(text.encode()).hexdigest())
    except _Problem as problem:
        raise LkeDataError(f"{where}:{_line_of(text, problem.code)}: {problem}") from None


class _Problem(Exception):
    """A check that failed at the node or question ``code``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _line_of(text: str, code: str) -> int:
    """Line of ``code: <code>`` (or of a top-level key), 0 when not found."""
    pattern = rf"^\s*(?:-\s*)?code:\s*['\"]?{re.escape(code)}['\"]?\s*$"
    found = re.search(pattern, text, re.M) or re.search(rf"^{re.escape(code)}:", text, re.M)
    return text.count("\n", 0, found.start()) + 1 if found else 0


def _build(doc: LkeIn, digest: str) -> Lke:
    index: dict[str, Node | Question | Ratio] = {}
    tree = tuple(_node(n, index) for n in doc.tree)
    total = sum(n.weight for n in tree)
    if abs(total - 100) > TOLERANCE:
        raise _Problem(tree[0].code, f"bobot komponen berjumlah {points_text(total)}, bukan 100")
    for top in tree:
        for node in top.walk():
            _check_sums(node)
            for ratio in node.ratios:
                _check_ratio(ratio, node, index)
    gates = []
    for name, gate in doc.gates.items():
        for minimum in gate.minimums:
            if minimum.code not in index:
                raise _Problem(minimum.code, f"batas {name} menyebut kode {minimum.code} yang "
                                     "tidak ada di LKE")
        gates.append(Gate(name, gate.total, gate.pengungkit, gate.area_share,
                          tuple(Minimum(m.code, m.points) for m in gate.minimums)))
    lke = Lke(doc.version, doc.kind, doc.title, doc.regulation, doc.survey_max,
              dict(doc.workbook), tuple(gates), tree, index, digest)
    _check_areas(lke.areas())
    return lke


def _node(raw: NodeIn, index: dict[str, Node | Question | Ratio]) -> Node:
    children = tuple(_node(c, index) for c in raw.children)
    questions = tuple(_question(q) for q in raw.questions)
    ratios = tuple(Ratio(r.code, r.name, tuple(r.numerator), tuple(r.denominator),
                         (r.decrease.before, r.decrease.after) if r.decrease else None,
                         r.if_zero) for r in raw.ratios)
    node = Node(raw.code, raw.name, raw.weight, children, questions, ratios)
    items: list[Node | Question | Ratio] = [node, *questions, *ratios]
    for item in items:
        if item.code in index:
            raise _Problem(item.code, f"kode {item.code} dipakai dua kali")
        index[item.code] = item
    if children and (questions or ratios):
        raise _Problem(raw.code, f"{raw.code} punya anak dan pertanyaan sekaligus; "
                                 "pertanyaan hanya di sub-area")
    if not children and not node.units:
        raise _Problem(raw.code, f"{raw.code} tidak punya pertanyaan yang dinilai")
    return node


def _question(raw: QuestionIn) -> Question:
    options = tuple(Option(o.key, o.label, o.value) for o in raw.options)
    if raw.answer in SCALES:
        keys = tuple(o.key for o in options)
        if keys != SCALES[raw.answer]:
            raise _Problem(raw.code, f"pilihan {raw.code} harus {'/'.join(SCALES[raw.answer])}"
                                     f" (tertulis {'/'.join(keys) or 'kosong'})")
        values = [o.value for o in options]
        if values[0] != 1 or values[-1] != 0 or values != sorted(values, reverse=True):
            raise _Problem(raw.code, f"nilai pilihan {raw.code} harus turun dari 1 ke 0")
    elif options:
        raise _Problem(raw.code, f"jawaban {raw.answer} pada {raw.code} tidak punya pilihan")
    shares = [least for _, least in raw.from_capaian]
    if raw.from_capaian and (
            any(key not in {o.key for o in options} for key, _ in raw.from_capaian)
            or shares != sorted(shares, reverse=True) or not 0 < shares[-1] <= shares[0] <= 1):
        raise _Problem(raw.code, f"from_capaian {raw.code}: pilihan yang ada, dengan bagian "
                                 "capaian dari 1 turun sampai di atas 0")
    return Question(raw.code, raw.text, raw.answer, raw.row, raw.criteria, options,
                    raw.weight, tuple(raw.from_capaian))


def _check_sums(node: Node) -> None:
    if node.children:
        parts = sum(c.weight for c in node.children)
        if abs(parts - node.weight) > TOLERANCE:
            raise _Problem(node.code, f"bobot anak {node.code} berjumlah {points_text(parts)}, "
                                      f"bukan {points_text(node.weight)}")
        return
    weighted = [u.weight for u in node.units if isinstance(u, Question) and u.weight]
    if weighted and (len(weighted) != len(node.units)
                     or abs(sum(weighted) - node.weight) > TOLERANCE):
        raise _Problem(node.code, f"bobot pertanyaan {node.code} berjumlah "
                                  f"{points_text(sum(weighted))} untuk {len(node.units)} butir, "
                                  f"bukan {points_text(node.weight)}")


def _check_ratio(ratio: Ratio, node: Node, index: dict[str, Node | Question | Ratio]) -> None:
    if bool(ratio.decrease) == bool(ratio.numerator or ratio.denominator):
        raise _Problem(ratio.code, f"rasio {ratio.code}: tulis numerator dan denominator, "
                                   "atau decrease")
    if not ratio.decrease and not (ratio.numerator and ratio.denominator):
        raise _Problem(ratio.code, f"rasio {ratio.code} perlu numerator dan denominator")
    own = {q.code for q in node.questions}
    for code in ratio.inputs:
        question = index.get(code)
        if not isinstance(question, Question) or question.answer != "number":
            raise _Problem(ratio.code, f"rasio {ratio.code} memakai {code}, yang bukan "
                                       "pertanyaan jumlah")
        if code not in own:
            raise _Problem(ratio.code, f"rasio {ratio.code} memakai {code} dari sub-area lain")


def _check_areas(areas: list[Area]) -> None:
    for area in areas:
        if len(area.parts) != 2:
            raise _Problem(area.parts[0].code, f"area {area.number} harus ada di Pemenuhan "
                                               "dan Reform")
