"""Importing a revision of one large plan (issue 24): 500 and 5,000 rows, SQLite,
interleaved rounds, medians, the 1-minute load average beside each figure.

The plan: N rows, each due in October and December 2026, imported on 01-09-2026; a
tenth of its checkpoints are worked on (open) before the revision. The revision, on
15-09-2026: every other row moves October to November, every tenth row is gone, N/10
new rows. So it drops thousands of future checkpoints nobody touched, keeps the worked
ones, and adds as many.

Floor: plain ``sqlite3`` in one ``BEGIN IMMEDIATE`` transaction doing the reads a
revision cannot avoid (the plan, its items, its checkpoints) and writing exactly the
rows the revision wrote in that round (inserted, updated and deleted rows of every
table, by id, one ``DELETE … IN`` per table). Each round on a fresh copy of the same
database. Linear means: 5,000 rows cost about ten times 500 rows.

Run ``.venv/bin/python bench/bench_revision.py [--sizes 500,5000] [--rounds 3]``;
results in bench/results-revision.json."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_engine import AREAS, KOMPONEN  # noqa: E402

from monev.config import load_config  # noqa: E402
from monev.model import Item, Plan, PlanHeader, assign_keys  # noqa: E402
from monev.periods import Period  # noqa: E402
from monev.store.db import open_session_factory  # noqa: E402
from monev.store.imports import ImportResult, import_plan  # noqa: E402

TABLES = ("plan", "area", "item", "checkpoint", "import_log")
FIRST_DAY, REVISION_DAY = date(2026, 9, 1), date(2026, 9, 15)
OCT, NOV, DEC = Period(2026, 10), Period(2026, 11), Period(2026, 12)


def load() -> float:
    return round(os.getloadavg()[0], 2)


def _row(i: int, periods: tuple[Period, ...]) -> Item:
    return Item(area=AREAS[i % 6], komponen=KOMPONEN[i % 5], indikator=f"Indikator {i}",
                langkah_aksi=f"Langkah {i}", bukti_fisik=f"Bukti fisik nomor {i}",
                target_text=" dan ".join(str(p) for p in periods), source_line=i + 1,
                periods=periods)


def plans(n: int, satker: str) -> tuple[Plan, Plan]:
    """The first decree and its revision (see the module's docstring)."""
    first = [_row(i, (OCT, DEC)) for i in range(n)]
    assign_keys("ZI", first)
    revised = [replace(item, periods=(NOV, DEC) if i % 2 == 0 else item.periods,
                       target_text=f"{item.target_text} (revisi)" if i % 2 == 0
                       else item.target_text)
               for i, item in enumerate(first) if i % 10 != 9]
    added = [_row(n + i, (NOV,)) for i in range(n // 10)]
    assign_keys("ZI", added)
    header = PlanHeader(satker, "ZI", 2026, "1", date(2026, 1, 5))
    return (Plan(header, first, "rencana.txt"),
            Plan(replace(header, number="2"), revised + added, "rencana-revisi.txt"))


def _snapshot(path: Path) -> dict[str, dict[int, tuple[Any, ...]]]:
    with sqlite3.connect(path) as conn:
        return {t: {r[0]: r for r in conn.execute(f"SELECT * FROM {t}")} for t in TABLES}


def _columns(path: Path) -> dict[str, list[str]]:
    with sqlite3.connect(path) as conn:
        return {t: [d[0] for d in conn.execute(f"SELECT * FROM {t} LIMIT 0").description]
                for t in TABLES}


def _changes(base: Path, after: Path) -> dict[str, dict[str, list[Any]]]:
    """Per table: rows inserted and updated (whole rows) and ids deleted."""
    old, new = _snapshot(base), _snapshot(after)
    out: dict[str, dict[str, list[Any]]] = {}
    for t in TABLES:
        out[t] = {"insert": [r for i, r in new[t].items() if i not in old[t]],
                  "update": [r for i, r in new[t].items() if i in old[t] and old[t][i] != r],
                  "delete": [i for i in old[t] if i not in new[t]]}
    return out


def _floor(path: Path, plan_id: int, cols: dict[str, list[str]],
           changes: dict[str, dict[str, list[Any]]]) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in ("foreign_keys=ON", "journal_mode=WAL", "synchronous=NORMAL"):  # as monev's
        conn.execute(f"PRAGMA {pragma}")
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("SELECT * FROM plan WHERE id = ?", (plan_id,)).fetchall()
    conn.execute("SELECT * FROM item WHERE plan_id = ?", (plan_id,)).fetchall()
    conn.execute("SELECT c.* FROM checkpoint c JOIN item i ON i.id = c.item_id "
                 "WHERE i.plan_id = ?", (plan_id,)).fetchall()
    for t in ("checkpoint", "item", "area"):
        gone = changes[t]["delete"]
        if gone:
            conn.execute(f"DELETE FROM {t} WHERE id IN ({', '.join('?' * len(gone))})", gone)
    for t in TABLES:
        names = cols[t]
        if changes[t]["update"]:
            conn.executemany(f"UPDATE {t} SET {', '.join(f'{c} = ?' for c in names[1:])} "
                             "WHERE id = ?", [(*r[1:], r[0]) for r in changes[t]["update"]])
        if changes[t]["insert"]:
            conn.executemany(f"INSERT INTO {t} ({', '.join(names)}) VALUES "
                             f"({', '.join('?' * len(names))})", changes[t]["insert"])
    conn.execute("COMMIT")
    conn.close()


def _timed(fn: Callable[..., Any], *args: Any) -> tuple[float, float, Any]:
    started = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - started, load(), result


def _revise(url: str, plan: Plan, cal: Any, tz: str) -> ImportResult:
    factory = open_session_factory(url)  # as `monev plan import` does
    try:
        with factory.begin() as s:
            return import_plan(s, plan, cal, REVISION_DAY, "revisi", tz)
    finally:
        factory.kw["bind"].dispose()


def prepare(tmp: Path, n: int) -> tuple[Path, Plan, Any, str]:
    sc = load_config(ROOT / "config" / "monev.yaml").satker("KPU Kabupaten Muaro Jambi")
    assert sc is not None
    first, revised = plans(n, sc.name)
    base = tmp / f"base{n}.db"
    factory = open_session_factory(f"sqlite:///{base}")
    with factory.begin() as s:
        import_plan(s, first, sc.calendar(), FIRST_DAY, "pertama", sc.tz)
    factory.kw["bind"].dispose()
    with sqlite3.connect(base) as conn:  # a tenth worked on: those stay
        conn.execute("UPDATE checkpoint SET status = 'open' WHERE id % 10 = 3")
    return base, revised, sc.calendar(), sc.tz


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="500,5000")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results-revision.json"))
    args = ap.parse_args()
    sizes = [int(x) for x in args.sizes.split(",") if x]
    runs: dict[int, dict[str, list[tuple[float, float]]]] = {
        n: {"revision": [], "floor": []} for n in sizes}
    facts: dict[int, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        os.environ["MONEV_HOME"] = name
        prepared = {n: prepare(tmp, n) for n in sizes}
        for r in range(args.rounds):  # interleaved: each round measures every size
            for n in sizes:
                base, revised, cal, tz = prepared[n]
                work, floor_db = tmp / f"r{r}-{n}.db", tmp / f"f{r}-{n}.db"
                shutil.copy(base, work)
                shutil.copy(base, floor_db)
                secs, avg, result = _timed(_revise, f"sqlite:///{work}", revised, cal, tz)
                runs[n]["revision"].append((secs, avg))
                changes = _changes(base, work)
                runs[n]["floor"].append(_timed(_floor, floor_db, result.plan_id,
                                               _columns(base), changes)[:2])
                facts[n] = {"checkpoints_removed": result.checkpoints_removed,
                            "checkpoints_added": result.checkpoints_added,
                            "items_removed": result.items_removed,
                            "items_added": result.items_added,
                            "rows_kept": len(result.kept)}
                print(f"round {r} rows {n}: revision {secs:.2f} s, floor "
                      f"{runs[n]['floor'][-1][0]:.2f} s, load {avg}", flush=True)
    out: dict[str, Any] = {"measured": time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime()),
                           "floor": "plain sqlite3: the plan's rows read, the same rows "
                                    "written (insert/update/delete by id), one transaction",
                           "sizes": []}
    for n in sizes:
        rev = statistics.median(s for s, _ in runs[n]["revision"])
        flo = statistics.median(s for s, _ in runs[n]["floor"])
        out["sizes"].append({"rows": n, **facts[n], "rounds": args.rounds,
                             "revision_median_s": round(rev, 3),
                             "floor_median_s": round(flo, 3),
                             "ratio": round(rev / flo, 2) if flo else None,
                             "revision_rounds": [{"s": round(s, 3), "load": a}
                                                 for s, a in runs[n]["revision"]],
                             "floor_rounds": [{"s": round(s, 3), "load": a}
                                              for s, a in runs[n]["floor"]]})
    if len(sizes) > 1:
        small, big = out["sizes"][0], out["sizes"][-1]
        out["growth"] = {"rows": round(big["rows"] / small["rows"], 1),
                         "revision": round(big["revision_median_s"]
                                           / small["revision_median_s"], 1),
                         "floor": round(big["floor_median_s"] / small["floor_median_s"], 1)}
    print(json.dumps(out, indent=2))
    Path(args.out).write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
