"""Hostile and broken input: each gets one clear line and exit code 2 — no traceback,
no gigabytes, nothing stored — and harmless differences are not mistaken for changes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from monev.config import load_config
from monev.errors import ConfigError
from tests.conftest import ROOT, ZI_KOTA, ZI_MUARO

BILLION_LAUGHS = """format: monev-plan/1
plan: {satker: KPU Contoh, kind: ZI, year: 2026}
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
items: *i
"""


def _monev(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MONEV_HOME": str(tmp_path / "home"), "COLUMNS": "200"}
    env.pop("MONEV_DATABASE_URL", None)
    return subprocess.run([sys.executable, "-m", "app", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def _refused(res: subprocess.CompletedProcess[str], *words: str) -> None:
    assert res.returncode == 2, res.stdout + res.stderr
    assert "Traceback" not in res.stderr + res.stdout
    assert len(res.stderr.strip().splitlines()) <= 3, res.stderr
    for word in words:
        assert word in res.stderr, res.stderr


def _canonical(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "rencana.yaml"
    path.write_text("format: monev-plan/1\n" + body, encoding="utf-8")
    return path


def test_yaml_aliases_are_refused_before_they_expand(tmp_path: Path) -> None:
    path = tmp_path / "laughs.yaml"
    path.write_text(BILLION_LAUGHS, encoding="utf-8")
    _refused(_monev(tmp_path, "plan", "show", str(path)), "laughs.yaml:3", "anchor")
    config = tmp_path / "monev.yaml"
    config.write_text("satkers: &s [{name: A}]\nmore: *s\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="monev.yaml:1: YAML tidak sah: anchor"):
        load_config(config)


@pytest.mark.parametrize("body, words", [
    ("plan: " + "[" * 200 + "]" * 200 + "\n", ["bersarang"]),
    ("plan: {satker: A, kind: ZI, year: " + "9" * 5000 + "}\n", ["5000 digit"]),
    ("plan: {satker: A, kind: ZI, year: 2026}\nitems:\n  - {area: A, target: Mei,"
     " checkpoints: [0000-01]}\n", ["rencana.yaml:4"]),
    ("plan: {satker: A, kind: ZI, year: 2026}\nitems:\n  - {area: A, target: Mei,"
     f" source_line: {2 ** 40}}}\n", ["source_line"]),
    ("plan: {satker: " + "A" * 50_000 + ", kind: ZI, year: 2026}\nitems:\n"
     "  - {area: A, target: Mei}\n", ["nama satker terlalu panjang", "batas 150"]),
    ("plan: {satker: A, kind: ZI, year: 2026}\nitems:\n  - {area: A, target: Mei,"
     " bukti_fisik: " + "B" * 10_000 + "}\n", ["bukti_fisik terlalu panjang"]),
])
def test_broken_canonical_yaml_gets_one_line(tmp_path: Path, body: str,
                                            words: list[str]) -> None:
    _refused(_monev(tmp_path, "plan", "show", str(_canonical(tmp_path, body))), *words)


def test_unknown_yaml_keys_are_said_not_ignored(tmp_path: Path) -> None:
    path = _canonical(tmp_path, "plan: {satker: KPU Contoh, kind: ZI, year: 2026, tahun: 2025}"
                      "\nitems:\n  - {area: A, target: Mei 2026, bukti: SK}\n")
    res = _monev(tmp_path, "plan", "show", str(path))
    assert res.returncode == 0, res.stderr
    assert "kunci 'plan.tahun' tidak dikenal" in res.stdout
    assert "kunci 'item.bukti' tidak dikenal" in res.stdout


def test_devices_and_huge_files_are_not_read_whole(tmp_path: Path) -> None:
    _refused(_monev(tmp_path, "plan", "show", "/dev/zero"), "bukan berkas biasa")
    big = tmp_path / "besar.txt"
    with big.open("wb") as f:
        f.truncate(21 * 1024 * 1024)  # sparse: nothing written to disk
    _refused(_monev(tmp_path, "plan", "show", str(big)), "terlalu besar")


def test_a_resaved_decree_is_the_same_revision(tmp_path: Path) -> None:
    assert _monev(tmp_path, "plan", "import", str(ZI_KOTA), "-q").returncode == 0
    text = ZI_KOTA.read_text(encoding="utf-8")
    utf16 = tmp_path / "kota-utf16.txt"
    utf16.write_bytes(text.replace("\n", "\r\n").encode("utf-16"))
    res = _monev(tmp_path, "plan", "import", str(utf16), "-q")
    assert res.returncode == 0, res.stderr
    assert "│ 1      │" in res.stdout and "sama" in res.stdout, res.stdout


def test_the_same_plan_from_another_format_is_not_a_new_revision(tmp_path: Path) -> None:
    docx = ROOT / "tests" / "fixtures" / "plans" / "zi-2025-kpu-kab-muaro-jambi" / "plan.docx"
    assert _monev(tmp_path, "plan", "import", str(ZI_MUARO), "-q").returncode == 0
    res = _monev(tmp_path, "plan", "import", str(docx), "-q")
    assert res.returncode == 0, res.stderr
    assert "│ 1      │" in res.stdout and "sama" in res.stdout, res.stdout
