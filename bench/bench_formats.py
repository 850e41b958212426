"""Benchmark the plan readers of issue 12, as a user runs them (whole processes).

1. ``monev plan show --json`` of a long PDF (bench/fixtures/plan-long.pdf: the RB example's
   rows three times over, 42 pages, made by ``tools/plan_fixtures.py --bench`` through
   LibreOffice) and of its flattened text (``pdftotext -layout``), interleaved with the
   TAB text of the same plan size and ``monev when`` (the process floor). Target: < 2 s.
2. The national synthetic set of bench_plans.py (1,100 plans) imported from .xlsx and
   from TAB text into fresh SQLite databases, rounds interleaved. Target: xlsx < 2× TAB.

Run ``.venv/bin/python bench/bench_formats.py [--plans N] [--rounds R]``. The machine is
shared: medians of interleaved rounds, and ratios to the floor measured in the same run.
Results are printed and written to bench/results-formats.json."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
MONEV = str(ROOT / ".venv" / "bin" / "monev")
FIX = ROOT / "bench" / "fixtures"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_plans import generate  # noqa: E402

from tools.plan_fixtures import build_xlsx, read_source  # noqa: E402


def run(args: list[str], env: dict[str, str] | None = None) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run([MONEV, *args], cwd=ROOT, capture_output=True, text=True,
                          env=env, check=False)
    took = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"monev {' '.join(args)} failed: {proc.stderr[-2000:]}")
    return took


def tab_of_long_plan(dest: Path) -> Path:
    """The long plan's rows as TAB text (the same rows, the TAB reader's floor)."""
    src = ROOT / "examples" / "plans" / "rencana-aksi-rb-2026-kpu-kab-muaro-jambi.txt"
    lines = src.read_text("utf-8").split("\n")
    table = [i for i, line in enumerate(lines) if "\t" in line]
    body = lines[table[0]: table[-1] + 1]
    out = lines[: table[0]] + body * 3 + lines[table[-1] + 1:]
    path = dest / "plan-long.txt"
    path.write_text("\n".join(out), "utf-8")
    return path


def bench_show(rounds: int) -> dict[str, Any]:
    import pypdfium2 as pdfium

    with tempfile.TemporaryDirectory(prefix="monev-bench-") as tmp:
        cases = {
            "floor: monev when": ["when", "Maret", "--year", "2026", "--json"],
            "TAB text (same rows)": ["plan", "show", str(tab_of_long_plan(Path(tmp))),
                                     "--json"],
            "PDF": ["plan", "show", str(FIX / "plan-long.pdf"), "--json"],
            "flattened text (pdftotext -layout)":
                ["plan", "show", str(FIX / "plan-long.pdftotext.txt"), "--json"],
            "flattened text (pdfplumber, ZI Kota Jambi)":
                ["plan", "show", str(ROOT / "tests/fixtures/plans/zi-2025-kpu-kota-jambi/"
                                     "plan.pdfplumber.txt"), "--json"],
        }
        times: dict[str, list[float]] = {k: [] for k in cases}
        for _ in range(rounds):
            for name, args in cases.items():  # interleaved: the load hits every case alike
                times[name].append(run(args))
    floor = statistics.median(times["floor: monev when"])
    pages = len(pdfium.PdfDocument(FIX / "plan-long.pdf"))
    return {"pdf_pages": pages, "rounds": rounds,
            "cases": {k: {"median_s": statistics.median(v), "min_s": min(v), "runs_s": v,
                          "ratio_to_floor": statistics.median(v) / floor}
                      for k, v in times.items()}}


def make_xlsx_set(tab_files: list[Path], dest: Path) -> list[Path]:
    """Each synthetic TAB plan as an Excel workbook (prose sheet, table sheet, summary)."""
    out = []
    for path in tab_files:
        target = dest / (path.stem + ".xlsx")
        target.write_bytes(build_xlsx(read_source(path), with_formulas=False))
        out.append(target)
    return out


def bench_import(files: list[Path]) -> tuple[float, int]:
    with tempfile.TemporaryDirectory(prefix="monev-home-") as home:
        env = {k: v for k, v in os.environ.items() if k != "MONEV_DATABASE_URL"}
        env["MONEV_HOME"] = home
        took = run(["plan", "import", "-q", *map(str, files)], env)
        import sqlite3

        with sqlite3.connect(Path(home) / "monev.db") as db:
            n = db.execute("SELECT count(*) FROM checkpoint").fetchone()[0]
    return took, int(n)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--plans", type=int, default=1100)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    res: dict[str, Any] = {"python": sys.version.split()[0], "plans": args.plans,
                           "date": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    print(f"plan show, {args.rounds * 2 + 1} interleaved rounds ...")
    res["show"] = bench_show(args.rounds * 2 + 1)
    with tempfile.TemporaryDirectory(prefix="monev-plans-") as tmp:
        print(f"generating {args.plans} TAB plans and their .xlsx ...")
        tab = generate(args.plans, Path(tmp))
        t0 = time.perf_counter()
        xlsx = make_xlsx_set(tab, Path(tmp))
        res["xlsx_build_s"] = time.perf_counter() - t0
        runs: dict[str, list[float]] = {"tab": [], "xlsx": []}
        counts: dict[str, int] = {}
        for r in range(args.rounds):
            for kind, files in (("tab", tab), ("xlsx", xlsx)):
                took, n = bench_import(files)
                runs[kind].append(took)
                counts[kind] = n
                print(f"  round {r + 1} {kind:<4} {took:7.2f} s  {n} checkpoints")
    med = {k: statistics.median(v) for k, v in runs.items()}
    res["import"] = {"runs_s": runs, "median_s": med, "checkpoints": counts,
                     "xlsx_over_tab": med["xlsx"] / med["tab"]}
    print(f"\nplan show ({res['show']['pdf_pages']}-page PDF)   median s  ratio to floor")
    for name, r in res["show"]["cases"].items():
        print(f"  {name:<44} {r['median_s']:7.3f}  {r['ratio_to_floor']:5.2f}")
    print(f"\nimport {args.plans} plans: TAB {med['tab']:.1f} s, xlsx {med['xlsx']:.1f} s "
          f"→ {res['import']['xlsx_over_tab']:.2f}× (checkpoints {counts})")
    out = ROOT / "bench" / "results-formats.json"
    out.write_text(json.dumps(res, indent=2) + "\n", encoding="utf-8")
    print(f"written: {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
