"""Benchmark the reader of text copied out of a PDF viewer cell by cell (issue 18).

A ~60-page ZI decree (bench/fixtures/plan-long-zi.pdfium.txt: the Kota Jambi example's
rows ten times over, made by ``tools/plan_fixtures.py --bench-copied`` through LibreOffice
and PDFium, as Chrome copies it) read by ``load_plan`` in this process, interleaved with
the TAB text of the same decree; medians of several rounds, rows per second of each, the
ratio, and the load average before and after (the machine is shared). It also diffs the
two readings: the same decree should come out as the same rows.

Run ``.venv/bin/python bench/bench_copied.py [--rounds R]``. Results are printed and
written to bench/results-copied.json."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from monev.diff import diff_plans  # noqa: E402
from monev.plans import load_plan  # noqa: E402
from tools.plan_fixtures import long_zi, tab_text  # noqa: E402

COPIED = ROOT / "bench" / "fixtures" / "plan-long-zi.pdfium.txt"
TIMES = 10  # as tools/plan_fixtures.py make_bench_copied


def tab_of_long_plan(dest: Path) -> Path:
    """The same decree as TAB text: the same rows in the same order."""
    path = dest / "plan-long-zi.txt"
    path.write_text(tab_text(long_zi(TIMES)), "utf-8")
    return path


def timed(path: Path) -> tuple[float, int]:
    t0 = time.perf_counter()
    plan = load_plan(path)
    return time.perf_counter() - t0, len(plan.items)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=7)
    args = ap.parse_args()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="monev-bench-") as tmp:
        cases = {"TAB text": tab_of_long_plan(Path(tmp)), "copied text (PDFium)": COPIED}
        for path in cases.values():  # warm up: imports, regexes, caches of both alike
            load_plan(path)
        same = diff_plans(load_plan(cases["TAB text"]), load_plan(COPIED))
        times: dict[str, list[float]] = {k: [] for k in cases}
        rows: dict[str, int] = {}
        for _ in range(args.rounds):
            for name, path in cases.items():  # interleaved: the load hits both alike
                took, n = timed(path)
                times[name].append(took)
                rows[name] = n
    load_after = os.getloadavg()
    per_case: dict[str, dict[str, float]] = {}
    result: dict[str, object] = {
        "fixture": str(COPIED.relative_to(ROOT)), "rounds": args.rounds,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in load_after], "cases": per_case}
    print(f"load average before: {' '.join(f'{x:.2f}' for x in load_before)}")
    for name in cases:
        med = statistics.median(times[name])
        rate = rows[name] / med
        per_case[name] = {"rows": rows[name], "median_s": round(med, 4),
                          "rows_per_s": round(rate)}
        print(f"{name:24} {rows[name]:5} baris  median {med * 1000:7.1f} ms  "
              f"{rate:8.0f} baris/detik")
    tab = statistics.median(times["TAB text"])
    copied = statistics.median(times["copied text (PDFium)"])
    result["copied_vs_tab"] = round(copied / tab, 2)
    print(f"salinan / TAB: {copied / tab:.2f}× waktu per dokumen")
    result["diff_tab_vs_copied"] = {"added": len(same.added), "removed": len(same.removed),
                                    "changed": len(same.changed), "unchanged": same.unchanged}
    print(f"the same rows? TAB → copy: {len(same.added)} baru, {len(same.removed)} dihapus, "
          f"{len(same.changed)} berubah, {same.unchanged} tetap")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in load_after)}")
    (ROOT / "bench" / "results-copied.json").write_text(json.dumps(result, indent=2) + "\n",
                                                        "utf-8")


if __name__ == "__main__":
    main()
