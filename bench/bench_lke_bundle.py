"""Benchmark the LKE evidence bundle (issue 22): a satker with 300 evidence files.

The Kota Jambi example plan is imported into a SQLite file; 300 files (200 PDF-like,
partly compressible; 100 JPEG-like, incompressible; ~0.3 MB each) are stored as
evidence on checkpoints of rows serving exactly one LKE question, and verified. Then,
interleaved for several rounds: ``write_bundle`` (the files in their LKE folders, plus
index.xlsx and the workbook, from a gathered pack) against the floor, Debian's
``zip -r -q`` of the same files hard-linked into the same folder tree — once as it
comes (deflates every file) and once with ``-n .jpg`` (stores the JPEGs, as the bundle
does: the same work). Medians, the ratio to each floor, the 1-minute load average
beside each round, the Python heap peak while writing (flat: files are copied in
chunks), and the time to gather the pack (the plan's standing) on its own.

Run ``.venv/bin/python bench/bench_lke_bundle.py [--rounds R] [--files N]``. Results
are printed and written to bench/results-lke-bundle.json."""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

from monev.config import load_config  # noqa: E402
from monev.engine import lifecycle  # noqa: E402
from monev.engine.blobs import blob_path, store_file  # noqa: E402
from monev.engine.lke import standing  # noqa: E402
from monev.plans import load_plan  # noqa: E402
from monev.store import lke as store  # noqa: E402
from monev.store import models as m  # noqa: E402
from monev.store.db import make_engine, upgrade_schema  # noqa: E402
from monev.store.imports import import_plan  # noqa: E402
from reports.lke_bundle import write_bundle  # noqa: E402
from reports.lke_filing import LkePack, gather  # noqa: E402

PLAN = ROOT / "examples" / "plans" / "rencana-aksi-zi-2025-kpu-kota-jambi.txt"
DAY = date(2025, 9, 15)
AT = datetime(2025, 9, 15, 9, 0)
SIZE = 300 * 1024


def _content(n: int, rng: random.Random) -> tuple[str, bytes]:
    """A PDF-like file (half text, half noise) or a JPEG-like one (noise)."""
    if n % 3 == 2:
        return f"foto kegiatan {n}.jpg", b"\xff\xd8\xff\xe0" + rng.randbytes(SIZE)
    text = (f"Berita acara rapat Tim ZI nomor {n}. " * 400).encode()[: SIZE // 2]
    return f"laporan {n}.pdf", b"%PDF-1.4\n" + text + rng.randbytes(SIZE // 2)


def setup(folder: Path, files: int) -> tuple[sessionmaker[Session], Path, int]:
    """A migrated SQLite database with the plan and ``files`` verified evidence files."""
    engine = make_engine(f"sqlite:///{folder / 'monev.db'}")
    upgrade_schema(engine)
    sessions = sessionmaker(engine, expire_on_commit=False)
    home = folder / "home"
    cfg = load_config(ROOT / "config" / "monev.yaml")
    plan_doc = load_plan(PLAN)
    sc = cfg.satker(plan_doc.header.satker)
    assert sc is not None
    with sessions.begin() as s:
        plan_id = import_plan(s, plan_doc, sc.calendar(), date(2025, 7, 7), PLAN.name,
                              sc.tz).plan_id
    rng = random.Random(22)
    src = folder / "src"
    src.mkdir()
    with sessions.begin() as s:
        plan = s.get(m.Plan, plan_id)
        assert plan is not None
        where = standing(s, plan, DAY, ROOT / "config" / "lke")
        for key, codes in where.links.items():  # fixed: gathering skips suggesting
            store.set_links(s, plan_id, key, list(codes) or [""], "bench", AT)
        single = [k for k, codes in where.links.items() if len(codes) == 1]
        cps = list(s.scalars(select(m.Checkpoint).join(m.Checkpoint.item).where(
            m.Item.plan_id == plan_id, m.Item.key.in_(single)).order_by(m.Checkpoint.id)))
        per_cp: dict[int, list[Path]] = {}
        for n in range(files):
            name, data = _content(n, rng)
            path = src / name
            path.write_bytes(data)
            per_cp.setdefault(cps[n % len(cps)].id, []).append(path)
        for cp in cps:
            if cp.id in per_cp:
                blobs = [store_file(home, p) for p in per_cp[cp.id]]
                lifecycle.submit(s, cp, "bench", blobs, now=AT)
                lifecycle.transition(s, cp, "accept", "bench", now=AT)
    shutil.rmtree(src)
    return sessions, home, plan_id


def pack_of(sessions: sessionmaker[Session], plan_id: int) -> tuple[LkePack, float]:
    t0 = time.perf_counter()
    with sessions() as s:
        plan = s.get(m.Plan, plan_id)
        assert plan is not None
        pack = gather(s, plan, "kpu-kota-jambi/zi-2025", DAY, ROOT / "config" / "lke")
    return pack, time.perf_counter() - t0


def stage(pack: LkePack, home: Path, tree: Path) -> int:
    """The bundle's files hard-linked into ``tree`` under the same paths."""
    n = 0
    for filed in pack.filed.values():
        for f in filed:
            source = blob_path(home, f.location, f.sha256) if f.path else None
            if source is not None:
                target = tree / f.path
                target.parent.mkdir(parents=True, exist_ok=True)
                os.link(source, target)
                n += 1
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--files", type=int, default=300)
    args = ap.parse_args()
    if shutil.which("zip") is None:
        sys.exit("Debian zip is missing: apt-get install -y zip")
    with tempfile.TemporaryDirectory(prefix="monev-bench-") as tmp:
        folder = Path(tmp)
        sessions, home, plan_id = setup(folder, args.files)
        pack, _ = pack_of(sessions, plan_id)  # warm up
        tree = folder / "tree"
        staged = stage(pack, home, tree)
        out = folder / "bundle.zip"
        cases = {
            "bundle": lambda: write_bundle(pack, home, out),
            "zip -r": lambda: subprocess.run(["zip", "-r", "-q", str(folder / "a.zip"), "."],
                                             cwd=tree, check=True),
            "zip -r -n .jpg": lambda: subprocess.run(
                ["zip", "-r", "-q", "-n", ".jpg", str(folder / "b.zip"), "."], cwd=tree,
                check=True),
        }
        times: dict[str, list[float]] = {k: [] for k in cases}
        loads: dict[str, list[float]] = {k: [] for k in cases}
        gathers: list[float] = []
        for _ in range(args.rounds):
            for name, run in cases.items():
                for stale in (folder / "a.zip", folder / "b.zip"):
                    stale.unlink(missing_ok=True)
                loads[name].append(round(os.getloadavg()[0], 2))
                t0 = time.perf_counter()
                run()
                times[name].append(time.perf_counter() - t0)
            gathers.append(pack_of(sessions, plan_id)[1])
        tracemalloc.start()
        stats = write_bundle(pack, home, out)
        heap_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        sizes = {"bundle": out.stat().st_size}
        for run in list(cases.values())[1:]:
            run()
        sizes["zip -r"] = (folder / "a.zip").stat().st_size
        sizes["zip -r -n .jpg"] = (folder / "b.zip").stat().st_size
        total = sum(p.stat().st_size for p in tree.rglob("*") if p.is_file())
    med = {k: statistics.median(v) for k, v in times.items()}
    result = {
        "files": stats.files, "staged": staged, "bytes": total,
        "rounds": args.rounds,
        "median_s": {k: round(v, 3) for k, v in med.items()},
        "times_s": {k: [round(t, 3) for t in v] for k, v in times.items()},
        "load_1min": loads,
        "ratio_to_zip_r": round(med["bundle"] / med["zip -r"], 2),
        "ratio_to_zip_r_store_jpg": round(med["bundle"] / med["zip -r -n .jpg"], 2),
        "zip_bytes": sizes,
        "heap_peak_mb_while_writing": round(heap_peak / 2**20, 1),
        "gather_median_s": round(statistics.median(gathers), 3),
    }
    print(json.dumps(result, indent=2))
    (ROOT / "bench" / "results-lke-bundle.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
