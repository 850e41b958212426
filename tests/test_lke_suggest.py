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
from monev.lke.suggest import RowText, suggest
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
