"""Benchmark ``monev plan show`` on the real plans and a national-scale ``monev plan import``.

Run ``.venv/bin/python bench/bench_plans.py [--plans N]``. PostgreSQL is measured too when
MONEV_BENCH_POSTGRES_URL is set (its schema ``public`` is dropped and recreated first).
Results are printed and written to bench/results-plans.json."""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import text as sql_text

ROOT = Path(__file__).resolve().parents[1]
MONEV = str(ROOT / ".venv" / "bin" / "monev")
GNU_TIME = "/usr/bin/time" if Path("/usr/bin/time").exists() else None
MONTHS = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
          "September", "Oktober", "November", "Desember")
MONTH_RE = re.compile(r"\b(" + "|".join(MONTHS) + r")\b", re.IGNORECASE)
ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X")
AREA_NO_RE = re.compile(r"^([IVX]+|\d{1,2})\.?(?=\s|$)")
MARK = "\u221a"  # √ in the RB month grid
COUNT_SQL = ("SELECT (SELECT count(*) FROM plan), (SELECT count(*) FROM item), "
             "(SELECT count(*) FROM checkpoint)")

sys.path.insert(0, str(ROOT))
from monev.plans import load_plan  # noqa: E402
from monev.store.db import make_engine  # noqa: E402


def source_plans() -> list[Path]:
    found = sorted((ROOT / "examples" / "plans").glob("*.txt"))
    return found or sorted(Path("/work/shared/plans").glob("*.txt"))


def like_case(new: str, m: re.Match[str]) -> str:
    """``new`` in the case of the matched text (UPPER or Title)."""
    return new.upper() if m.group(0).isupper() else new.title()


def vary_target(cell: str, rng: random.Random) -> str:
    """Shift the months of a TARGET WAKTU cell (monotonically) and sometimes drop the year."""
    shift = rng.choice((-2, -1, 1, 2))

    def repl(m: re.Match[str]) -> str:
        month = MONTHS[min(11, max(0, MONTHS.index(m.group(1).title()) + shift))]
        return like_case(month, m)

    cell = MONTH_RE.sub(repl, cell)
    if rng.random() < 0.3 and MONTH_RE.search(cell):
        cell = re.sub(r"\s*\b20\d\d\b", "", cell)
    return cell


def renumber_area(cell: str, style: int) -> str:
    """Area number ``II`` → ``2`` (style 1) or ``2`` → ``II.`` (style 2)."""
    m = AREA_NO_RE.match(cell)
    tok = m.group(1) if m else ""
    n = ROMAN.index(tok) + 1 if tok in ROMAN else int(tok) if tok.isdigit() else 0
    if not m or style == 0 or not 1 <= n <= len(ROMAN):
        return cell
    return (str(n) if style == 1 else ROMAN[n - 1] + ".") + cell[m.end():]


def vary(text: str, kind: str, rng: random.Random, style: int) -> str:
    """ZI: shift TARGET WAKTU months, renumber areas. RB: move the √ of some aligned rows."""
    out: list[str] = []
    in_table = False
    for line in text.split("\n"):
        cells = line.split("\t")
        if kind == "ZI" and cells[0].strip().upper() == "NO" and len(cells) >= 6:
            in_table = True
        elif kind == "ZI" and in_table and len(cells) >= 6:
            if cells[5].strip() and rng.random() < 0.4:
                cells[5] = vary_target(cells[5], rng)
            if cells[0].strip() and not any(c.strip() for c in cells[2:]):
                cells[0] = renumber_area(cells[0], style)
        elif (kind == "RB" and len(cells) >= 18 and MARK not in cells[4] and MARK in line
              and rng.random() < 0.25 and all(c.strip() in ("", MARK) for c in cells[5:17])):
            m = cells[5:17]
            cells[5:17] = m[-1:] + m[:-1] if rng.random() < 0.5 else m[1:] + m[:1]
        out.append("\t".join(cells))
    return "\n".join(out)


def generate(n_files: int, dest: Path) -> list[Path]:
    """One ZI (alternating sources) and one RB per synthetic satker; checks the first ones."""
    sources: dict[str, list[tuple[str, str, int]]] = {"ZI": [], "RB": []}
    for path in source_plans():
        plan = load_plan(path)
        sources[plan.header.kind].append((path.read_text("utf-8"),
                                          plan.header.satker.removeprefix("KPU "),
                                          len(plan.items)))
    files: list[Path] = []
    for i in range((n_files + 1) // 2):
        rng = random.Random(i)
        new = f"{'KOTA' if i % 2 else 'KABUPATEN'} SINTETIS {i:04d}"
        for kind, group in sources.items():
            text, old, n_items = group[i % len(group)]
            pattern = re.compile(r"\b" + r" +".join(old.split()) + r"\b", re.IGNORECASE)
            text = pattern.sub(partial(like_case, new), text)
            text = vary(text, kind, rng, i % 3)
            path = dest / f"rencana-aksi-{kind.lower()}-{i:04d}.txt"
            path.write_text(text, "utf-8")
            files.append(path)
            if i < 3:  # the import itself refuses the whole batch if any file fails
                plan = load_plan(path)
                assert plan.header.satker == "KPU " + new.title(), plan.header.satker
                assert len(plan.items) == n_items, (path, len(plan.items), n_items)
                print(f"  ok {path.name}: {plan.header.satker} {kind} {plan.header.year}, "
                      f"{n_items} items, {sum(len(it.periods) for it in plan.items)} periods")
    return files[:n_files]


def bench_show(paths: list[Path], runs: int = 5) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for path in paths:
        times: list[float] = []
        for _ in range(runs):
            t0 = time.perf_counter()
            proc = subprocess.run([MONEV, "plan", "show", str(path), "--json"], cwd=ROOT,
                                  capture_output=True, text=True, check=False)
            times.append(time.perf_counter() - t0)
            if proc.returncode != 0:
                raise SystemExit(f"plan show {path} failed: {proc.stderr}")
        out[path.name] = {"min_s": min(times), "median_s": statistics.median(times),
                          "runs_s": times, "items": len(json.loads(proc.stdout)["items"])}
    return out


def bench_import(files: list[Path], url: str | None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="monev-home-") as home:
        env = {k: v for k, v in os.environ.items() if k != "MONEV_DATABASE_URL"}
        env["MONEV_HOME"] = home
        if url:
            env["MONEV_DATABASE_URL"] = url
            with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
                conn.execute("DROP SCHEMA public CASCADE")
                conn.execute("CREATE SCHEMA public")
        timefile = Path(home) / "time.txt"
        cmd = [MONEV, "plan", "import", "-q", *map(str, files)]
        cmd = [GNU_TIME, "-v", "-o", str(timefile), *cmd] if GNU_TIME else cmd
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True, check=False)
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            raise SystemExit(f"plan import failed ({proc.returncode}): {proc.stderr[-3000:]}")
        if GNU_TIME:
            found = re.search(r"Maximum resident set size \(kbytes\): (\d+)", timefile.read_text())
            peak_kb = int(found.group(1)) if found else 0
        else:  # kilobytes on Linux; the maximum over every child so far
            peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        engine = make_engine(url or f"sqlite:///{home}/monev.db")
        with engine.connect() as conn:
            row = conn.execute(sql_text(COUNT_SQL)).one()
        engine.dispose()
    return {"files": len(files), "wall_s": wall, "plans_per_s": len(files) / wall,
            "peak_rss_mb": peak_kb / 1024, "rss_from": "time -v" if GNU_TIME else "getrusage",
            "plans": row[0], "items": row[1], "checkpoints": row[2]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--plans", type=int, default=1100, help="plan files to import (1100)")
    n = ap.parse_args().plans
    res: dict[str, Any] = {"plans": n, "python": sys.version.split()[0],
                           "date": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    print(f"plan show --json x5 on {len(source_plans())} real plans ...")
    res["plan_show"] = bench_show(source_plans())
    with tempfile.TemporaryDirectory(prefix="monev-plans-") as tmp:
        print(f"generating {n} plan files; checking the first ones parse:")
        files = generate(n, Path(tmp))
        print("import into SQLite ...")
        res["import_sqlite"] = bench_import(files, None)
        pg_url = os.environ.get("MONEV_BENCH_POSTGRES_URL")
        print("import into PostgreSQL ..." if pg_url else
              "note: MONEV_BENCH_POSTGRES_URL not set; PostgreSQL skipped")
        res["import_postgres"] = bench_import(files, pg_url) if pg_url else None
    print(f"\n{'plan show --json':<46} {'min s':>7} {'median s':>9} {'items':>6}")
    for name, r in res["plan_show"].items():
        print(f"{name:<46} {r['min_s']:>7.3f} {r['median_s']:>9.3f} {r['items']:>6}")
    print(f"\n{'import':<9} {'files':>6} {'wall s':>8} {'plans/s':>8} {'peak MB':>8} "
          f"{'plans':>6} {'items':>7} {'checkpts':>9}")
    for db in ("sqlite", "postgres"):
        if r := res[f"import_{db}"]:
            print(f"{db:<9} {r['files']:>6} {r['wall_s']:>8.2f} {r['plans_per_s']:>8.1f} "
                  f"{r['peak_rss_mb']:>8.1f} {r['plans']:>6} {r['items']:>7} "
                  f"{r['checkpoints']:>9}")
    out = ROOT / "bench" / "results-plans.json"
    out.write_text(json.dumps(res, indent=2) + "\n", encoding="utf-8")
    print(f"\nwritten: {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
