"""Benchmark ``monev report``: a plan (~400 checkpoints) in every format, a province of
12 satkers, and the national roll-up (1,100 plans, every satker ranked) — time and peak
memory as ratios to the floor measured in the same run: building the same report and
rendering its HTML *without charts*. Rounds are interleaved (every operation once per
round, in a rotating order); medians. Python memory by tracemalloc in separate rounds
(so it does not slow the timed ones); Chromium's own memory is another process and is
reported apart (RSS of its processes after a print).

Run ``.venv/bin/python bench/bench_reports.py [--plans 1100] [--rounds 5]``; results are
printed and written to bench/results-reports.json. The 1,100 plans are bench_plans.py's
synthetic national set, imported into SQLite, with a history of evidence written as
transitions (half verified, on time or late, some waiting, some rejected)."""

from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from bench_plans import generate  # noqa: E402

from monev.config import MonevConfig  # noqa: E402
from monev.store.db import open_session_factory  # noqa: E402
from reports.build import build_report  # noqa: E402
from reports.html import render_html  # noqa: E402
from reports.pdf import Printer  # noqa: E402
from reports.periods import ReportPeriod  # noqa: E402
from reports.render import render  # noqa: E402

AS_OF = date(2026, 11, 29)
PROVINCES = 38
# a history as the sweeps and the portal write it: opened, sent, verified or rejected
HISTORY = [
    """INSERT INTO transition (checkpoint_id, at, actor, from_status, to_status, note)
       SELECT id, datetime(date(due, 'start of month'), '+8 hours'), 'monev', 'scheduled',
              'open', '' FROM checkpoint WHERE due <= '{as_of}'""",
    """INSERT INTO transition (checkpoint_id, at, actor, from_status, to_status, note)
       SELECT id, datetime(due, CASE WHEN id % 10 < 3 THEN '-1 day' ELSE '+4 days' END,
                           '+9 hours'), 'pic', 'open', 'submitted', ''
       FROM checkpoint WHERE due <= '{as_of}' AND id % 10 < 8""",
    """INSERT INTO transition (checkpoint_id, at, actor, from_status, to_status, note)
       SELECT id, datetime(due, '+5 days', '+10 hours'), 'ketua tim', 'submitted',
              CASE WHEN id % 10 = 7 THEN 'rejected' ELSE 'verified' END,
              CASE WHEN id % 10 = 7 THEN 'tidak terbaca' ELSE '' END
       FROM checkpoint WHERE due <= date('{as_of}', '-6 days') AND id % 10 < 8
                           AND id % 10 NOT IN (5, 6)""",
    """UPDATE checkpoint SET status = COALESCE((SELECT to_status FROM transition t
       WHERE t.checkpoint_id = checkpoint.id ORDER BY t.id DESC LIMIT 1), status)""",
]


def prepare(work: Path, n_plans: int) -> tuple[str, MonevConfig, list[str]]:
    files = generate(n_plans, work)
    names = [f"KPU {'Kota' if i % 2 else 'Kabupaten'} Sintetis {i:04d}"
             for i in range((len(files) + 1) // 2)]
    example = yaml.safe_load((ROOT / "config" / "monev.yaml").read_text("utf-8"))
    template = dict(example["satkers"][0])
    satkers = [dict(copy.deepcopy(template), name=n,  # no shared nodes: no YAML anchors
                    province="Jambi" if i < 12 else f"Provinsi {i % PROVINCES}")
               for i, n in enumerate(names)]
    config = work / "monev.yaml"
    config.write_text(yaml.safe_dump({"satkers": satkers}, allow_unicode=True), "utf-8")
    url = f"sqlite:///{work / 'monev.db'}"
    env = {**os.environ, "MONEV_DATABASE_URL": url, "MONEV_HOME": str(work / "home"),
           "MONEV_CONFIG": str(config), "MONEV_TODAY": "2026-01-05"}
    print(f"importing {len(files)} plans into SQLite …", flush=True)
    t0 = time.perf_counter()
    subprocess.run([str(ROOT / ".venv" / "bin" / "monev"), "plan", "import", "-q",
                    *map(str, files)], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    print(f"  {time.perf_counter() - t0:.0f} s; writing the evidence history …", flush=True)
    factory = open_session_factory(url)
    with factory.begin() as s:
        for sql in HISTORY:
            s.execute(text(sql.format(as_of=AS_OF.isoformat())))
        s.execute(text("ANALYZE"))
        counts = s.execute(text("SELECT (SELECT count(*) FROM checkpoint), "
                                "(SELECT count(*) FROM transition)")).one()
    factory.kw["bind"].dispose()
    print(f"  {counts[0]} checkpoints, {counts[1]} transitions", flush=True)
    from monev.config import load_config

    return url, load_config(config), names


def chromium_rss_mb() -> float:
    """Resident memory of the Chromium processes started by this process (MB)."""
    mine, total = str(os.getpid()), 0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmd = (proc / "cmdline").read_bytes()
            status = (proc / "status").read_text()
        except OSError:
            continue
        if b"chromium" not in cmd:
            continue
        ancestors, pid = set(), proc.name
        while pid not in ("0", "1") and pid not in ancestors:
            ancestors.add(pid)
            try:
                pid = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1]
            except OSError:
                break
        if mine in ancestors:
            total += next(int(line.split()[1]) for line in status.splitlines()
                          if line.startswith("VmRSS:")) if "VmRSS:" in status else 0
    return total / 1024


def scenario(name: str, factory: Any, cfg: MonevConfig, period: ReportPeriod, rounds: int,
             printer: Printer, **scope: str) -> dict[str, Any]:
    """Interleaved rounds of: floor (build + HTML without charts), and build + each format."""
    def build() -> Any:
        with factory() as s:
            return build_report(s, cfg, period, AS_OF, base_url="https://monev.example",
                                **scope)

    ops: dict[str, Callable[[], object]] = {
        "floor_html_without_charts": lambda: render_html(build(), charts=False),
        "html": lambda: render(build(), "html"),
        "md": lambda: render(build(), "md"),
        "xlsx": lambda: render(build(), "xlsx"),
        "pdf": lambda: render(build(), "pdf", printer),
    }
    names = list(ops)
    times: dict[str, list[float]] = {n: [] for n in names}
    peaks: dict[str, list[float]] = {n: [] for n in names}
    sizes: dict[str, int] = {}
    chromium: list[float] = []
    ops["pdf"]()  # warm: imports, fonts, the page's first layout
    for r in range(rounds):
        order = names[r % len(names):] + names[:r % len(names)]
        for n in order:
            t0 = time.perf_counter()
            out = ops[n]()
            times[n].append(time.perf_counter() - t0)
            sizes[n] = len(out) if isinstance(out, (bytes, str)) else 0
            if n == "pdf":
                chromium.append(chromium_rss_mb())
        for n in order:  # memory rounds apart: tracemalloc slows what it watches
            tracemalloc.start()
            ops[n]()
            peaks[n].append(tracemalloc.get_traced_memory()[1] / 2**20)
            tracemalloc.stop()
    floor_t = statistics.median(times["floor_html_without_charts"])
    floor_m = statistics.median(peaks["floor_html_without_charts"])
    report = build()
    result: dict[str, Any] = {
        "scope": scope, "period": period.code, "as_of": AS_OF.isoformat(),
        "checkpoints_due": report.counts.total, "plans": len(report.plans),
        "satkers_ranked": len(report.rollup), "rounds": rounds, "formats": {}}
    for n in names:
        t, mem = statistics.median(times[n]), statistics.median(peaks[n])
        result["formats"][n] = {
            "median_s": round(t, 4), "time_ratio": round(t / floor_t, 2),
            "peak_python_mb": round(mem, 1), "memory_ratio": round(mem / floor_m, 2),
            "bytes": sizes[n], "runs_s": [round(x, 4) for x in times[n]]}
    result["chromium_rss_mb_median"] = round(statistics.median(chromium), 1)
    print(f"\n{name}: {report.counts.total} checkpoints due, {len(report.plans)} plans, "
          f"{len(report.rollup)} satkers ranked; floor {floor_t:.3f} s, {floor_m:.1f} MB")
    for n in names:
        f = result["formats"][n]
        print(f"  {n:26} {f['median_s']:8.3f} s  ×{f['time_ratio']:<6} "
              f"{f['peak_python_mb']:7.1f} MB ×{f['memory_ratio']}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--plans", type=int, default=1100)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="monev-bench-reports-") as tmp:
        work = Path(tmp)
        url, cfg, names = prepare(work, args.plans)
        factory = open_session_factory(url)
        results: dict[str, Any] = {"plans": args.plans, "python": sys.version.split()[0],
                                   "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                                   "cpus": os.cpu_count()}
        t0 = time.perf_counter()
        with Printer() as printer:
            printer.pdf("<p>mulai</p>")
            results["chromium_launch_s"] = round(time.perf_counter() - t0, 2)
            slug = names[0].lower().replace(" ", "-")
            results["plan"] = scenario("plan (RB 2026, year)", factory, cfg,
                                       ReportPeriod.parse("2026"), args.rounds, printer,
                                       plan=f"{slug}/rb-2026")
            results["province"] = scenario("province of 12 satkers (year)", factory, cfg,
                                           ReportPeriod.parse("2026"), args.rounds, printer,
                                           province="Jambi")
            results["national"] = scenario("national roll-up (year)", factory, cfg,
                                           ReportPeriod.parse("2026"),
                                           max(3, args.rounds - 2), printer,
                                           province="semua")
        factory.kw["bind"].dispose()
    out = ROOT / "bench" / "results-reports.json"
    out.write_text(json.dumps(results, indent=1) + "\n", "utf-8")
    print(f"\nwritten {out}")


if __name__ == "__main__":
    main()
