"""The LKE score: a synthetic LKE filled with every answer type, two ratios (one with no
cases) and gates that fail, computed by hand; the 2026 LKE ZI at its best and its
worst; answers refused with a reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from monev.lke.load import load_lke, parse_lke
from monev.lke.score import AnswerError, check_gate, parse_answer, rounded, score, summary

LKE_DIR = Path(__file__).resolve().parents[1] / "config" / "lke"

YN = "[{key: Ya, value: 1}, {key: Tidak, value: 0}]"
ABC = "[{key: A, value: 1}, {key: B, value: 0.5}, {key: C, value: 0}]"
ABCD = "[{key: A, value: 1}, {key: B, value: 0.67}, {key: C, value: 0.33}, {key: D, value: 0}]"
ABCDE = ("[{key: A, value: 1}, {key: B, value: 0.75}, {key: C, value: 0.5}, "
         "{key: D, value: 0.25}, {key: E, value: 0}]")
SYNTHETIC = f"""
version: zi-2099
kind: ZI
title: LKE uji
regulation: uji
gates:
  WBK:
    total: 75
    pengungkit: 40
    area_share: 0.6
    minimums: [{{code: H.I.a, points: 15.75}}, {{code: H.II, points: 14}}]
  WBBM:
    total: 85
    pengungkit: 48
    area_share: 0.75
tree:
- code: A
  name: Pengungkit
  weight: 60
  children:
  - code: P
    name: Pemenuhan
    weight: 30
    children:
    - code: '1'
      name: Manajemen Uji
      weight: 12
      children:
      - code: 1.i
        name: Sub satu
        weight: 12
        questions:
        - {{code: 1.i.a, text: ya tidak, answer: ya_tidak, row: 1, options: {YN}}}
        - {{code: 1.i.b, text: abc, answer: abc, row: 2, options: {ABC}}}
        - {{code: 1.i.c, text: abcd, answer: abcd, row: 3, options: {ABCD}}}
    - code: '2'
      name: Pengawasan Uji
      weight: 18
      children:
      - code: 2.i
        name: Sub dua
        weight: 18
        questions:
        - {{code: 2.i.a, text: abcde, answer: abcde, row: 4, options: {ABCDE}}}
        - {{code: 2.i.b, text: abcde, answer: abcde, row: 5, options: {ABCDE}}}
  - code: R
    name: Reform
    weight: 30
    children:
    - code: R.1
      name: Manajemen Uji
      weight: 12
      children:
      - code: R.1.i
        name: Rasio
        weight: 12
        questions:
        - {{code: R.1.i.a, text: jumlah agen, answer: number, row: 6}}
        - {{code: R.1.i.b, text: jumlah perubahan, answer: number, row: 7}}
        - {{code: R.1.i.c, text: pelanggaran tahun lalu, answer: number, row: 8}}
        - {{code: R.1.i.d, text: pelanggaran tahun ini, answer: number, row: 9}}
        ratios:
        - {{code: R.1.i.p1, name: perubahan per agen, numerator: [R.1.i.b],
            denominator: [R.1.i.a]}}
        - {{code: R.1.i.p2, name: penurunan, decrease: {{before: R.1.i.c, after: R.1.i.d}},
            if_zero: 1}}
    - code: R.2
      name: Pengawasan Uji
      weight: 18
      children:
      - code: R.2.i
        name: Tanpa kasus
        weight: 18
        questions:
        - {{code: R.2.i.a, text: pengaduan, answer: number, row: 10}}
        - {{code: R.2.i.b, text: selesai, answer: number, row: 11}}
        - {{code: R.2.i.c, text: abcd, answer: abcd, row: 12, options: {ABCD}}}
        ratios:
        - {{code: R.2.i.p1, name: penanganan, numerator: [R.2.i.b],
            denominator: [R.2.i.a], if_zero: 1}}
- code: B
  name: Hasil
  weight: 40
  children:
  - code: H.I
    name: Bersih
    weight: 22.5
    questions:
    - {{code: H.I.a, text: IPAK, answer: survey, row: 13, weight: 17.5}}
    - {{code: H.I.b, text: capaian, answer: abcde, row: 14, weight: 5, options: {ABCDE}}}
  - code: H.II
    name: Prima
    weight: 17.5
    questions:
    - {{code: H.II.a, text: IPKP, answer: survey, row: 15, weight: 17.5}}
"""

ANSWERS: dict[str, str | float] = {
    "1.i.a": "Ya", "1.i.b": "B", "1.i.c": "C",        # (1 + .5 + .33) / 3 × 12 = 7.32
    "2.i.a": "D", "2.i.b": "A",                       # (.25 + 1) / 2 × 18 = 11.25
    "R.1.i.a": 8, "R.1.i.b": 6,                       # 6 / 8 = .75
    "R.1.i.c": 5, "R.1.i.d": 2,                       # (5 − 2) / 5 = .6 → 12 × .675 = 8.1
    "R.2.i.a": 0, "R.2.i.b": 0, "R.2.i.c": "B",       # no cases = 1 → (1 + .67)/2 × 18 = 15.03
    "H.I.a": 3.2, "H.I.b": "C",                       # 3.2/4 × 17.5 = 14; .5 × 5 = 2.5
    "H.II.a": 3.6,                                    # 3.6/4 × 17.5 = 15.75
}


def test_a_synthetic_lke_scores_as_computed_by_hand() -> None:
    lke = parse_lke(SYNTHETIC, "uji.yaml")
    result = score(lke, ANSWERS)
    by_hand = {"1.i": 7.32, "2.i": 11.25, "R.1.i": 8.1, "R.2.i": 15.03, "H.I": 16.5,
               "H.II": 15.75, "A": 41.70, "B": 32.25}
    for code, points in by_hand.items():
        assert result.points[code] == pytest.approx(points, abs=0.005), code
    assert result.total == pytest.approx(73.95, abs=0.005)
    assert result.values["R.1.i.p1"] == 0.75 and result.values["R.1.i.p2"] == 0.6
    assert result.values["R.2.i.p1"] == 1.0
    assert summary(result) == {
        "version": "zi-2099", "total": 73.95, "pengungkit": 41.7, "hasil": 32.25,
        "areas": [{"name": "Manajemen Uji", "score": 15.42, "weight": 24.0},
                  {"name": "Pengawasan Uji", "score": 26.28, "weight": 36.0}],
        "gates": {
            "WBK": {"met": False, "short": ["nilai total 73,95 < 75,00",
                                            "IPAK (H.I.a) 14,00 < 15,75"]},
            "WBBM": {"met": False, "short": ["nilai total 73,95 < 85,00",
                                             "pengungkit 41,70 < 48,00",
                                             "Area Manajemen Uji 64,2 % < 75 %",
                                             "Area Pengawasan Uji 73 % < 75 %"]}}}


def test_what_moves_a_score_and_what_does_not() -> None:
    lke = parse_lke(SYNTHETIC, "uji.yaml")
    base = score(lke, ANSWERS).total
    # an unanswered item is worth 0: 1.i.c was C (.33 of 12/3 = 1.32 points)
    blank = {k: v for k, v in ANSWERS.items() if k != "1.i.c"}
    assert score(lke, blank).total == pytest.approx(base - 1.32, abs=0.005)
    # a ratio missing one of its numbers is worth 0; a ratio is capped at 1
    assert score(lke, {**ANSWERS, "R.1.i.b": 20}).values["R.1.i.p1"] == 1.0
    assert score(lke, {k: v for k, v in ANSWERS.items() if k != "R.1.i.a"}
                 ).values["R.1.i.p1"] == 0.0
    # more violations than last year is no decrease; violations from none is not "no cases"
    assert score(lke, {**ANSWERS, "R.1.i.d": 9}).values["R.1.i.p2"] == 0.0
    assert score(lke, {**ANSWERS, "R.1.i.c": 0, "R.1.i.d": 3}).values["R.1.i.p2"] == 0.0
    # the gate turns at its minimum, not a hair below: IPAK exactly 3.6 → 15.75
    passed = check_gate(score(lke, {**ANSWERS, "H.I.a": 3.6, "2.i.a": "A"}), lke.gates[0])
    assert passed.met and passed.short == ()


def test_the_2026_lke_zi_from_best_to_nothing() -> None:
    lke = load_lke("zi-2026", LKE_DIR)
    best: dict[str, str | float] = {}
    for q in lke.questions():
        best[q.code] = q.options[0].key if q.options else (4 if q.answer == "survey" else 10)
    best["R.3.iii.b"] = 0  # no violations this year: a full decrease
    best["R.5.iii.a.4"] = 30  # all 30 who must report did
    best["R.5.iii.b.4"] = 30
    top = summary(score(lke, best))
    assert top["total"] == 100.0 and top["pengungkit"] == 60.0 and top["hasil"] == 40.0
    assert top["gates"] == {"WBK": {"met": True, "short": []},
                            "WBBM": {"met": True, "short": []}}
    none = summary(score(lke, {}))
    assert none["total"] == 0.0
    assert len(none["gates"]["WBK"]["short"]) == 2 + 6 + 4  # type: ignore[index]
    # one Tidak instead of Ya in Pemenuhan 1.i (weight 0.5 over 2 questions)
    assert score(lke, {**best, "1.i.a": "Tidak"}).total == pytest.approx(99.75, abs=0.005)


def test_answers_are_checked_against_their_question() -> None:
    lke = load_lke("zi-2026", LKE_DIR)
    yn, survey, number = lke.question("1.i.a"), lke.question("H.I.a"), lke.question("R.1.i.a")
    assert yn and survey and number
    assert parse_answer(yn, " ya ") == "Ya"
    assert parse_answer(survey, "3,6") == 3.6 and parse_answer(number, "12") == 12
    for question, raw, message in [
            (yn, "Mungkin", "1.i.a: jawaban harus salah satu dari Ya/Tidak, bukan 'Mungkin'"),
            (survey, "4,5", "H.I.a: nilai survei 0 sampai 4"),
            (number, "2,5", "R.1.i.a: jumlah harus bilangan bulat"),
            (number, "-1", "R.1.i.a: angka harus 0 atau lebih"),
            (number, "banyak", "R.1.i.a: jawaban harus angka, bukan 'banyak'")]:
        with pytest.raises(AnswerError) as caught:
            parse_answer(question, raw)
        assert str(caught.value) == message


def test_rounding_is_half_up_to_two_decimals() -> None:
    assert rounded(0.125) == 0.13 and rounded(2.675) == 2.68 and rounded(15.745) == 15.75
