"""Screenshots of a monev report's PDF pages for docs/ (``laporan-*.png``).

The RB 2026 plan of the examples lived to mid-October 2026 in a throwaway database
(sweeps, evidence sent on time and late, accepted, rejected), its Q3 report printed by
headless Chromium exactly as ``monev report --format pdf`` does, and the pages drawn
with pypdfium2 (which pdfplumber brings; no poppler needed).

Run: ``.venv/bin/python tools/report_screenshots.py [--out docs]``."""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import date, datetime, time, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from monev.config import load_config  # noqa: E402
from monev.engine.lifecycle import submit_link, transition  # noqa: E402
from monev.engine.sweep import sweep_plan  # noqa: E402
from monev.plans import load_plan  # noqa: E402
from monev.store import models as m  # noqa: E402
from monev.store.db import open_session_factory  # noqa: E402
from monev.store.imports import import_plan  # noqa: E402
from reports.build import build_report  # noqa: E402
from reports.periods import ReportPeriod  # noqa: E402
from reports.render import render  # noqa: E402

PAGES = {0: "sampul", 1: "ringkasan", 2: "grafik", 3: "rincian"}


def story(url: str) -> None:
    cfg = load_config(ROOT / "config" / "monev.yaml")
    sc = cfg.satker("KPU Kabupaten Muaro Jambi")
    assert sc is not None
    factory = open_session_factory(url)
    plan = load_plan(ROOT / "examples" / "plans" / "rencana-aksi-rb-2026-kpu-kab-muaro-jambi.txt")
    with factory.begin() as s:
        pid = import_plan(s, plan, sc.calendar(), date(2026, 1, 5), "rb").plan_id
    for day in (date(2026, 1, 5), *(date(2026, mo, 2) for mo in range(2, 11)),
                date(2026, 10, 14)):
        with factory.begin() as s:
            sweep_plan(s, pid, day, sc.calendar(), sc.settings(), sc)
            for cp in s.scalars(select(m.Checkpoint).join(m.Checkpoint.item).where(
                    m.Item.plan_id == pid, m.Checkpoint.status == "open",
                    m.Checkpoint.due < day).order_by(m.Checkpoint.id)):
                kind = (cp.id * 7) % 9
                if kind >= 7:
                    continue
                sent = cp.due + timedelta(days=-1 if kind % 2 == 0 else 4)
                submit_link(s, cp, "https://drive.example.org/bukti", "Pegawai Contoh Satu",
                            datetime.combine(sent, time(9)))
                if kind == 1:
                    transition(s, cp, "reject", "Ketua Tim ZI Contoh",
                               "stempel tidak terbaca", datetime.combine(sent, time(14)))
                elif kind:
                    transition(s, cp, "accept", "Ketua Tim ZI Contoh", "",
                               datetime.combine(sent, time(15)))
    factory.kw["bind"].dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    args = parser.parse_args()
    import pypdfium2 as pdfium

    with tempfile.TemporaryDirectory(prefix="monev-shots-") as tmp:
        import os

        os.environ["MONEV_HOME"] = str(Path(tmp) / "home")  # the sweeps' link secret
        (Path(tmp) / "home").mkdir(mode=0o700)
        url = f"sqlite:///{Path(tmp) / 'monev.db'}"
        story(url)
        factory = open_session_factory(url)
        with factory() as s:
            report = build_report(s, load_config(ROOT / "config" / "monev.yaml"),
                                  ReportPeriod.parse("2026-Q3"), date(2026, 10, 15),
                                  plan="kpu-kabupaten-muaro-jambi/rb-2026",
                                  base_url="https://monev.kpu-muarojambi.go.id")
        factory.kw["bind"].dispose()
        data = render(report, "pdf")
    pdf = pdfium.PdfDocument(data)
    pages = dict(PAGES)
    pages[len(pdf) - 1] = "tanda-tangan"
    for index, name in pages.items():
        path = args.out / f"laporan-{name}.png"
        pdf[index].render(scale=1.4).to_pil().convert("L").save(path, optimize=True)
        print(f"{path} (halaman {index + 1} dari {len(pdf)})")


if __name__ == "__main__":
    main()
