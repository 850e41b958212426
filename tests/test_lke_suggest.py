"""Rows ↔ LKE questions suggested from the rows' words, on the real plans and on
variants an office would write (its own area titles, capitals, typos, abbreviations);
a row about something the LKE does not ask gets no suggestion."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from monev.lke.load import load_lke
from monev.lke.model import Lke
from monev.lke.suggest import QUESTION_FLOOR, SUBAREA_SURE, RowText, _index, dice, suggest
from monev.model import normalise_text
from monev.plans.loader import load_plan
from tests.conftest import ZI_KOTA, ZI_MUARO

LKE_DIR = Path(__file__).resolve().parents[1] / "config" / "lke"


@pytest.fixture(scope="module")
def lke() -> Lke:
    return load_lke("zi-2026", LKE_DIR)


def _rows(path: Path) -> list[RowText]:
    plan = load_plan(path)
    return [RowText(str(i), it.area, it.komponen, it.indikator)
            for i, it in enumerate(plan.items)]


@pytest.mark.parametrize("path", [ZI_KOTA, ZI_MUARO], ids=["kota", "muaro"])
def test_rows_that_copy_an_lke_question_are_matched_to_it(lke: Lke, path: Path) -> None:
    rows = _rows(path)
    got = {s.key: s.code for s in suggest(lke, rows)}
    by_text = {normalise_text(q.text): q.code for q in lke.questions()}
    copied = [(r, by_text[normalise_text(r.indikator)]) for r in rows
              if normalise_text(r.indikator) in by_text]
    assert len(copied) >= 10
    assert [(r.indikator, got[r.key]) for r, _ in copied] == [
        (r.indikator, code) for r, code in copied]
    # nearly every row of a ZI plan serves some question of the 2026 LKE
    assert sum(1 for c in got.values() if c) >= 0.95 * len(rows)


def _typo(text: str, rng: random.Random) -> str:
    """Drop one letter in every long word, as hurried typing does."""
    def drop(m: re.Match[str]) -> str:
        word = m.group(0)
        i = rng.randrange(1, len(word) - 1)
        return word[:i] + word[i + 1:]
    return re.sub(r"[A-Za-z]{9,}", drop, text)


def test_an_offices_own_wording_finds_the_same_questions(lke: Lke) -> None:
    rng = random.Random(7)
    rows = _rows(ZI_KOTA)
    plain = {s.key: s.code for s in suggest(lke, rows)}
    titles = {"MANAJEMEN PERUBAHAN": "Pembangunan unit kerja menuju WBK/WBBM",
              "PENATAAN TATALAKSANA": "Area II Tata Laksana"}
    variants = [RowText(r.key, titles.get(r.area, r.area.lower()), r.komponen.upper(),
                        _typo(r.indikator.replace("Zona Integritas", "ZI"), rng))
                for r in rows]
    varied = {s.key: s.code for s in suggest(lke, variants)}
    same = sum(1 for k in plain if plain[k] and varied[k] == plain[k])
    assert same >= 0.9 * sum(1 for c in plain.values() if c), (same, len(plain))


def test_rows_the_lke_does_not_ask_about_get_no_suggestion(lke: Lke) -> None:
    rows = [RowText("a", "PENGUATAN PENGAWASAN", "Kendaraan dinas",
                    "Pengadaan kendaraan dinas roda empat untuk operasional kantor"),
            RowText("b", "Lain-lain", "Rapat", "Rapat pleno rekapitulasi hasil pemilihan"),
            RowText("c", "", "", "")]
    assert [s.code for s in suggest(lke, rows)] == [None, None, None]


def test_a_slip_in_the_lke_itself_reads_as_the_word(lke: Lke) -> None:
    # the 2026 LKE spells 5.iii.b "pengaduan masyarakat dtindaklanjuti"
    question = lke.question("5.iii.b")
    assert question is not None and "dtindaklanjuti" in question.text
    rows = [RowText("a", "PENGUATAN PENGAWASAN", "Pengaduan Masyarakat",
                    "Pengaduan masyarakat ditindaklanjuti")]
    assert [s.code for s in suggest(lke, rows)] == ["5.iii.b"]


def _every_target(lke: Lke, rows: list[RowText]) -> list[tuple[str, str | None, float]]:
    """The suggestion weighing every question against every row, as before the word
    index: what ``suggest`` must still give."""
    index = _index(lke)
    out: list[tuple[str, str | None, float]] = []
    for row in rows:
        area, komponen, indikator = (index.vocabulary.read(t) for t in (
            row.area, row.komponen, row.indikator))
        best: tuple[float, float, str] | None = None
        for target in index.targets:
            sub_score = dice(komponen, target.sub_area)
            q_score = dice(indikator, target.question)
            score = q_score + 0.4 * sub_score + 0.2 * dice(area, target.area)
            if (score >= QUESTION_FLOOR or sub_score >= SUBAREA_SURE) and (
                    best is None or (score, q_score, target.code) > best):
                best = (score, q_score, target.code)
        out.append((row.key, best[2], round(best[1], 2)) if best else (row.key, None, 0.0))
    return out


def test_only_questions_sharing_a_word_are_weighed_and_the_choice_is_the_same(
        lke: Lke) -> None:
    rng = random.Random(11)
    rows = _rows(ZI_KOTA) + _rows(ZI_MUARO)
    words = sorted({w for q in lke.questions() for w in q.text.split()})
    rows += [RowText(f"v{i}", r.area.lower(), r.komponen.upper(), _typo(r.indikator, rng))
             for i, r in enumerate(rows)]
    rows += [RowText(f"w{i}", rng.choice(("PENGUATAN PENGAWASAN", "Lain-lain", "")),
                     " ".join(rng.sample(words, 2)), " ".join(rng.sample(words, 6)))
             for i in range(200)]
    got = [(s.key, s.code, s.confidence) for s in suggest(lke, rows)]
    assert got == _every_target(lke, rows)
    assert sum(1 for _, code, _ in got if code) > len(rows) // 2  # not all "none"
