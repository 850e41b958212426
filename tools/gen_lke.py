"""Generate ``config/lke/zi-2026.yaml`` from the published master data of the 2026 LKE ZI
(``tools/reference/lke-zi-2026.json``, see its README): the tree, weights, questions,
answer scales and workbook cells come from that file; what it leaves out — the codes
TPIs file evidence under, the ratio formulas of the "Jumlah" questions and the WBK/WBBM
gates — is written here, each with its source (docs/lke.md). Run:

    python tools/gen_lke.py [REFERENCE.json] [-o config/lke/zi-2026.yaml]

The output is loaded and checked (weights sum to their parent at every level) before
it is written; ``tests/test_lke_data.py`` checks the committed file is this output."""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from monev.lke.load import parse_lke  # noqa: E402

REFERENCE = ROOT / "tools" / "reference" / "lke-zi-2026.json"
OUTPUT = ROOT / "config" / "lke" / "zi-2026.yaml"
SCALES = {"YA_TIDAK": "ya_tidak", "ABC": "abc", "ABCD": "abcd", "ABCDE": "abcde"}
KEEP_UPPER = {"SDM", "SOP", "SPBE", "SPIP", "LHKPN", "WBK", "WBBM", "KKN", "IPAK", "IPKP",
              "(SOP)", "(SPBE)", "(SPIP)", "(LHKPN)"}
LETTERS = "abcdefghijklmnopqrstuvwxyz"

# The ratio items the workbook computes from "Jumlah" answers, keyed by the reference's
# question ids (formulas: the workbook's percentage rows, as two public LKE tools read
# them — docs/lke.md). ``if_zero``: what a zero denominator scores ("no cases").
RATIOS: list[dict[str, Any]] = [
    {"name": "Persentase perubahan yang dibuat agen perubahan",
     "numerator": [89], "denominator": [88], "if_zero": 0},
    {"name": "Persentase perubahan yang terintegrasi dalam sistem manajemen",
     "numerator": [91], "denominator": [90], "if_zero": 0},
    {"name": "Persentase penurunan pelanggaran disiplin pegawai",
     "decrease": [102, 103], "if_zero": 1},
    {"name": "Persentase sasaran kinerja dengan capaian 100% atau lebih",
     "numerator": [106], "denominator": [105], "if_zero": 0},
    {"name": "Persentase penanganan pengaduan masyarakat",
     "numerator": [112], "denominator": [110], "if_zero": 1},
    {"name": "Persentase penyampaian LHKPN",
     "numerator": [116], "denominator": [113, 114, 115], "if_zero": 0},
    {"name": "Persentase penyampaian laporan harta kekayaan non-LHKPN",
     "numerator": [120], "denominator": [117, 118, 119], "if_zero": 0},
    {"name": "Persentase perijinan/pelayanan yang telah dipermudah",
     "numerator": [123], "denominator": [122], "if_zero": 0},
]

# Questions monev answers itself from the plan's capaian: the option a share of the plan's
# checkpoints done as planned earns (the rest: the last option). "Seluruh kegiatan
# pembangunan sudah dilaksanakan sesuai dengan rencana": all (A), most (B), some (C).
FROM_CAPAIAN: dict[int, list[list[Any]]] = {6: [["A", 1.0], ["B", 0.5], ["C", 0.01]]}

# WBK/WBBM minimums (docs/lke.md says where each figure comes from).
GATES: dict[str, Any] = {
    "WBK": {"total": 75.0, "pengungkit": 40.0, "area_share": 0.60,
            "minimums": [{"code": "H.I.a", "points": 15.75},
                         {"code": "H.I.b", "points": 2.5},
                         {"code": "H.I", "points": 18.25},
                         {"code": "H.II", "points": 14.0}]},
    "WBBM": {"total": 85.0, "pengungkit": 48.0, "area_share": 0.75,
             "minimums": [{"code": "H.I.a", "points": 15.75},
                          {"code": "H.I.b", "points": 3.75},
                          {"code": "H.I", "points": 19.5},
                          {"code": "H.II", "points": 15.75}]},
}


def tidy(name: str) -> str:
    """``"1. MANAJEMEN PERUBAHAN"`` → ``"Manajemen Perubahan"``; mixed case kept."""
    name = re.sub(r"^\s*(?:[A-Z]|[IVX]+|\d+|[ivx]+|[a-z])\.\s*", "", name).strip()
    if name != name.upper():
        return name
    words = [w if w in KEEP_UPPER else w.capitalize() for w in name.split()]
    small = {"Dan": "dan", "Yang": "yang", "Dari": "dari", "Di": "di", "Ke": "ke"}
    return " ".join(small.get(w, w) if i else w for i, w in enumerate(words))


def numbering(name: str) -> str:
    """The source's own number of a node: ``"iii. Keterbukaan …"`` → ``"iii"``."""
    found = re.match(r"^\s*([A-Za-z]+|\d+)\.", name)
    if not found:
        raise SystemExit(f"tanpa nomor: {name!r}")
    return found.group(1)


def question(q: dict[str, Any], code: str) -> dict[str, Any]:
    kind = q["jenis_jawaban"]
    out: dict[str, Any] = {"code": code, "text": " ".join(q["teks_pertanyaan"].split())}
    if q.get("kriteria_nilai"):
        out["criteria"] = q["kriteria_nilai"].strip()
    if kind.lower() == "jumlah":
        out["answer"] = "number"
    elif kind == "0-4":
        out["answer"] = "survey"
    else:
        out["answer"] = SCALES[kind]
        out["options"] = [{"key": o["key"], "label": " ".join(o["label"].split()),
                           "value": o["multiplier"]} for o in q["skema_penilaian"]]
    if q.get("bobot_maksimal"):
        out["weight"] = q["bobot_maksimal"]
    if q["id"] in FROM_CAPAIAN:
        out["from_capaian"] = FROM_CAPAIAN[q["id"]]
    out["row"] = q["excel_baris"]
    return out


def node(n: dict[str, Any], code: str, ids: dict[int, str],
         nested: bool = False) -> dict[str, Any]:
    """One node of the tree; ``nested`` for a sub-area inside a sub-area (Reform 5.iii.a),
    whose questions are numbered, its own mark being a letter already."""
    out: dict[str, Any] = {"code": code, "name": tidy(n["nama"]),
                           "weight": n["bobot_maksimal"]}
    children = []
    for child in sorted(n.get("children", []), key=lambda c: c["order_index"]):
        children.append(node(child, f"{code}.{numbering(child['nama'])}", ids,
                             nested=n["level"] == "sub_area"))
    if children:
        out["children"] = children
    questions = []
    for i, q in enumerate(n.get("soals", [])):
        mark = str(i + 1) if nested else LETTERS[i]
        questions.append(question(q, f"{code}.{mark}"))
        ids[q["id"]] = f"{code}.{mark}"
    if questions:
        out["questions"] = questions
    return out


def attach_ratios(tree: list[dict[str, Any]], ids: dict[int, str]) -> None:
    """Put each ratio on the sub-area its inputs belong to."""
    by_code: dict[str, dict[str, Any]] = {}

    def index(n: dict[str, Any]) -> None:
        by_code[n["code"]] = n
        for c in n.get("children", []):
            index(c)

    for top in tree:
        index(top)
    for ratio in RATIOS:
        inputs = ratio.get("decrease") or ratio["numerator"] + ratio["denominator"]
        codes = [ids[i] for i in inputs]
        parent = codes[0].rsplit(".", 1)[0]
        entry: dict[str, Any] = {"name": ratio["name"]}
        if "decrease" in ratio:
            entry["decrease"] = {"before": codes[0], "after": codes[1]}
        else:
            entry["numerator"] = [ids[i] for i in ratio["numerator"]]
            entry["denominator"] = [ids[i] for i in ratio["denominator"]]
        entry["if_zero"] = ratio["if_zero"]
        ratios = by_code[parent].setdefault("ratios", [])
        entry = {"code": f"{parent}.p{len(ratios) + 1}", **entry}
        ratios.append(entry)


def generate(reference: Path) -> dict[str, Any]:
    data = json.loads(reference.read_text(encoding="utf-8"))
    ids: dict[int, str] = {}
    top_codes = {"A. PENGUNGKIT": "A", "B. HASIL": "B"}
    sub_codes = {"I. PEMENUHAN": "", "II. REFORM": "R", "I. BIROKRASI YANG BERSIH DAN "
                 "AKUNTABEL": "H.I", "II. PELAYANAN PUBLIK YANG PRIMA": "H.II"}
    tree = []
    for top in data["data"]:
        parts = []
        for sub in sorted(top["children"], key=lambda c: c["order_index"]):
            prefix = sub_codes[sub["nama"]]
            part = node({**sub, "children": []}, prefix or "P", ids)
            part["children"] = [
                node(area, f"{prefix}.{numbering(area['nama'])}" if prefix
                     else numbering(area["nama"]), ids)
                for area in sorted(sub.get("children", []), key=lambda c: c["order_index"])]
            if not part["children"]:
                del part["children"]
            parts.append(part)
        tree.append({"code": top_codes[top["nama"]], "name": tidy(top["nama"]),
                     "weight": top["bobot_maksimal"], "children": parts})
    attach_ratios(tree, ids)
    return {
        "version": f"zi-{data['tahun']}",
        "kind": "ZI",
        "title": f"Lembar Kerja Evaluasi Zona Integritas {data['tahun']}",
        "regulation": "PermenPANRB 90/2021 tentang Pembangunan dan Evaluasi Zona "
                      "Integritas, dengan perubahannya (instrumen LKE tahun berjalan)",
        "source": "master soal LKE ZI 2026 (axxpxmd/zona_integritas, "
                  "public/response_master_soal_lkezi_2026.json); rumus rasio dan batas "
                  "WBK/WBBM: docs/lke.md",
        "workbook": {"sheet": "Jawaban", "unit_answer": "K", "unit_note": "L",
                     "unit_evidence": "M", "tpi_answer": "N", "tpi_note": "Q"},
        "survey_max": 4,
        "gates": GATES,
        "tree": tree,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("reference", nargs="?", type=Path, default=REFERENCE)
    parser.add_argument("-o", "--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    data = generate(args.reference)
    text = ("# Generated by tools/gen_lke.py from tools/reference/lke-zi-2026.json — "
            "edit the tool, not this file.\n"
            + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100))
    lke = parse_lke(text, str(args.output))  # refuses data whose sums do not hold
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(f"{args.output}: {len(lke.questions())} pertanyaan, versi {lke.version}")


if __name__ == "__main__":
    main()
