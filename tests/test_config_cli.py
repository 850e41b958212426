"""Configuration validation and the CLI contracts of DOMAIN.md §4."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from monev.config import load_config
from monev.errors import ConfigError
from monev.plans import load_plan
from tests.conftest import ALL_PLANS, ROOT, ZI_MUARO


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "app", *args], cwd=cwd, text=True,
                          capture_output=True, timeout=60,
                          env={**os.environ, "COLUMNS": "200"})


def test_example_config_is_valid_and_complete() -> None:
    cfg = load_config(ROOT / "config" / "monev.yaml")
    muaro = cfg.satker("KPU Kabupaten Muaro Jambi")
    assert muaro is not None and muaro.tz == "Asia/Jakarta"
    roles = {p.role for p in muaro.people}
    assert {"pic", "koordinator", "ketua_tim", "kasubbag", "sekretaris", "ketua"} <= roles
    assert [s.after_working_days for s in muaro.escalation] == [1, 3, 7]
    assert all(p.email is None or p.email.endswith("@example.org") for p in muaro.people)


def test_config_error_names_file_line_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "monev.yaml"
    bad.write_text("satkers:\n  - name: KPU Contoh\n    people:\n"
                   "      - name: Budi\n        role: bendahara\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=rf"{bad}:5: satkers.0.people.0.role"):
        load_config(bad)
    bad.write_text("satkers:\n  - name: X\n    timezone: Europe/Paris\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r":3: satkers.0.timezone"):
        load_config(bad)


@pytest.mark.parametrize("path", ALL_PLANS, ids=lambda p: p.name)
def test_plan_show_json_contract(path: Path) -> None:
    res = run("plan", "show", str(path), "--json")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert set(doc) == {"plan", "items", "warnings"}
    assert set(doc["plan"]) == {"satker", "kind", "year", "number", "decided_on"}
    plan = load_plan(path)
    assert len(doc["items"]) == len(plan.items)
    lines = [i["source_line"] for i in doc["items"]]
    assert lines == sorted(lines), "items in document order"
    for item in doc["items"]:
        assert set(item) == {"area", "komponen", "indikator", "langkah_aksi", "bukti_fisik",
                             "target_text", "source_line", "checkpoints", "warnings"}
        for cp in item["checkpoints"]:
            assert set(cp) == {"period", "due"}
            assert cp["due"][:7] <= cp["period"][:7]


def test_when_json_contract() -> None:
    res = run("when", "Paling lambat September-Oktober 2025", "--year", "2025", "--json")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout) == {
        "checkpoints": [{"period": "2025-10", "due": "2025-10-31"}], "warnings": []}
    res = run("when", "Juni 2022", "--year", "2025", "--json")
    doc = json.loads(res.stdout)
    assert [c["period"] for c in doc["checkpoints"]] == ["2025-06"]
    assert doc["warnings"] and "2022" in doc["warnings"][0]


def test_cli_does_not_import_prefect() -> None:
    code = (f"import sys; sys.argv=['monev','plan','show',{str(ZI_MUARO)!r},'--json']\n"
            "from app.cli import app\n"
            "try: app()\nexcept SystemExit: pass\n"
            "assert 'prefect' not in sys.modules, 'prefect imported'")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, cwd=ROOT)
    assert res.returncode == 0, res.stderr


def test_export_then_import_yaml_via_cli(tmp_path: Path) -> None:
    out = tmp_path / "plan.yaml"
    res = run("plan", "export", str(ZI_MUARO), "--format", "yaml", "--out", str(out))
    assert res.returncode == 0, res.stderr
    a = json.loads(run("plan", "show", str(ZI_MUARO), "--json").stdout)
    b = json.loads(run("plan", "show", str(out), "--json").stdout)
    assert a["plan"] == b["plan"]
    strip = [{k: v for k, v in i.items() if k != "warnings"} for i in a["items"]]
    assert strip == [{k: v for k, v in i.items() if k != "warnings"} for i in b["items"]]
    assert run("plan", "diff", str(ZI_MUARO), str(out)).stdout.strip().endswith(
        f"0 baru, 0 dihapus, 0 berubah, {len(a['items'])} tetap")
