"""The LKE as data: the committed 2026 LKE ZI is what the tool makes of the published
reference, its weights add up at every level, bad data is refused with file and line,
and versions load side by side."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from monev.lke.load import LkeDataError, available_versions, load_lke, parse_lke

ROOT = Path(__file__).resolve().parents[1]
LKE_DIR = ROOT / "config" / "lke"
REFERENCE = ROOT / "tools" / "reference" / "lke-zi-2026.json"


def test_the_committed_lke_is_the_tools_output(tmp_path: Path) -> None:
    out = tmp_path / "zi-2026.yaml"
    done = subprocess.run([sys.executable, "tools/gen_lke.py", "-o", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "127 pertanyaan" in done.stdout
    assert out.read_text(encoding="utf-8") == (LKE_DIR / "zi-2026.yaml").read_text(
        encoding="utf-8")


def test_the_2026_lke_zi_matches_the_reference_and_adds_up() -> None:
    lke = load_lke("zi-2026", LKE_DIR)
    reference = json.loads(REFERENCE.read_text(encoding="utf-8"))
    soals: list[dict[str, object]] = []

    def collect(node: dict[str, object]) -> None:
        soals.extend(node.get("soals", []))  # type: ignore[arg-type]
        for child in node.get("children", []):  # type: ignore[attr-defined]
            collect(child)

    for top in reference["data"]:
        collect(top)
    questions = lke.questions()
    assert len(questions) == reference["total_soal"] == len(soals) == 127
    assert [q.row for q in questions] == [s["excel_baris"] for s in soals]
    assert [q.text.split() for q in questions] == [
        str(s["teks_pertanyaan"]).split() for s in soals]
    # the tree's weights as the issue states them
    assert [(n.name, n.weight) for n in lke.tree] == [("Pengungkit", 60), ("Hasil", 40)]
    assert [(a.name, a.weight) for a in lke.areas()] == [
        ("Manajemen Perubahan", 8), ("Penataan Tatalaksana", 7),
        ("Penataan Sistem Manajemen SDM Aparatur", 10), ("Penguatan Akuntabilitas", 10),
        ("Penguatan Pengawasan", 15), ("Peningkatan Kualitas Pelayanan Publik", 10)]
    for top in lke.tree:
        for node in top.walk():
            if node.children:
                assert sum(c.weight for c in node.children) == pytest.approx(node.weight)
    assert [n.weight for n in lke.hasil.children] == [22.5, 17.5]
    kinds = {q.answer for q in questions}
    assert kinds == {"ya_tidak", "abc", "abcd", "abcde", "number", "survey"}
    assert lke.question("1.i.a") is not None and lke.question("1.i.a").row == 6  # type: ignore[union-attr]
    assert {g.name for g in lke.gates} == {"WBK", "WBBM"}
    assert available_versions(LKE_DIR) == ["zi-2026"]


def _text() -> str:
    return (LKE_DIR / "zi-2026.yaml").read_text(encoding="utf-8")


def _line(text: str, needle: str) -> int:
    return text[:text.index(needle)].count("\n") + 1


@pytest.mark.parametrize(("old", "new", "needle", "message"), [
    ("      - code: 1.i\n        name: Penyusunan Tim Kerja\n        weight: 0.5",
     "      - code: 1.i\n        name: Penyusunan Tim Kerja\n        weight: 0.75",
     "    - code: '1'\n", "bobot anak 1 berjumlah 4,25, bukan 4,00"),
    ("- code: B\n  name: Hasil\n  weight: 40", "- code: B\n  name: Hasil\n  weight: 45",
     "- code: A\n", "bobot komponen berjumlah 105,00, bukan 100"),
    ("          - key: Tidak\n", "          - key: Mungkin\n", "        - code: 1.i.a\n",
     "pilihan 1.i.a harus Ya/Tidak (tertulis Ya/Mungkin)"),
    ("        - code: 1.i.b\n", "        - code: 1.i.a\n", "        - code: 1.i.a\n",
     "kode 1.i.a dipakai dua kali"),
    ("        - R.1.i.b\n", "        - R.1.ii.a\n", "        - code: R.1.i.p1\n",
     "rasio R.1.i.p1 memakai R.1.ii.a, yang bukan pertanyaan jumlah"),
    ("    - code: H.I.b\n      points: 2.5", "    - code: H.I.z\n      points: 2.5",
     "    - code: H.I.z\n", "batas WBK menyebut kode H.I.z yang tidak ada di LKE"),
])
def test_bad_lke_data_is_refused_with_file_and_line(old: str, new: str, needle: str,
                                                    message: str) -> None:
    text = _text()
    assert old in text, old
    broken = text.replace(old, new, 1)
    with pytest.raises(LkeDataError) as caught:
        parse_lke(broken, "config/lke/zi-2026.yaml")
    assert str(caught.value) == f"config/lke/zi-2026.yaml:{_line(broken, needle)}: {message}"


def test_a_type_error_and_a_yaml_alias_name_the_line() -> None:
    text = _text().replace("survey_max: 4", "survey_max: empat")
    with pytest.raises(LkeDataError, match=rf"^x\.yaml:{_line(text, 'survey_max')}: "
                                           "survey_max: "):
        parse_lke(text, "x.yaml")
    with pytest.raises(LkeDataError, match=r"^x\.yaml:1: YAML tidak sah: anchor"):
        parse_lke("a: &x 1\nb: *x\n", "x.yaml")


def test_versions_load_side_by_side(tmp_path: Path) -> None:
    text = _text()
    (tmp_path / "zi-2026.yaml").write_text(text, encoding="utf-8")
    newer = text.replace("version: zi-2026", "version: zi-2027").replace(
        "  WBK:\n    total: 75.0", "  WBK:\n    total: 77.5")
    (tmp_path / "zi-2027.yaml").write_text(newer, encoding="utf-8")
    assert available_versions(tmp_path) == ["zi-2026", "zi-2027"]
    old, new = load_lke("zi-2026", tmp_path), load_lke("zi-2027", tmp_path)
    assert [g.total for g in old.gates] == [75.0, 85.0]
    assert [g.total for g in new.gates] == [77.5, 85.0]
    with pytest.raises(LkeDataError, match="versi LKE zi-2030 tidak ada "
                                           r"\(tersedia: zi-2026, zi-2027\)"):
        load_lke("zi-2030", tmp_path)
    (tmp_path / "zi-2028.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(LkeDataError, match="berkas ini versi zi-2026, bukan zi-2028"):
        load_lke("zi-2028", tmp_path)
