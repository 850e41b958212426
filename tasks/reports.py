"""Task: the reports a monev cycle owes (month, quarter, year-end), written and queued."""

from __future__ import annotations

from datetime import UTC, date, datetime

from prefect import task

from monev.config import load_config
from monev.links import base_url
from monev.store.db import monev_home, open_session_factory
from reports.cycle import Produced, run_cycle


@task(name="laporan-monev", retries=1, retry_delay_seconds=10)
def report_cycle_task(plan: str, as_of: date) -> list[Produced]:
    """Write the reports of ``plan`` due by ``as_of``; queue each new one once."""
    factory = open_session_factory()
    try:
        return run_cycle(factory, load_config(), plan, as_of, monev_home(),
                         base_url=base_url(), now=datetime.now(UTC))
    finally:
        factory.kw["bind"].dispose()


def report_markdown(plan_title: str, day: date, produced: list[Produced]) -> str:
    """The Prefect artifact: the summary table of the reports and where their files are."""
    lines = [f"# Laporan monev {plan_title} per {day:%d-%m-%Y}", ""]
    if not produced:
        return "\n".join(lines + ["Tidak ada laporan yang jatuh tempo pada hari ini."])
    lines += ["| Laporan | Per tanggal | Jatuh tempo | Terverifikasi | Ditolak | "
              "Belum ada/tidak tercapai | Capaian | Dikirim ke | Berkas |",
              "|---|---|---:|---:|---:|---:|---:|---|---|"]
    for p in produced:
        c = p.counts
        files = "<br>".join(f"[{path.name}](file://{path})" for path in p.files.values())
        lines.append(f"| {p.period.label()} | {p.as_of:%d-%m-%Y} | {c.total} | {c.verified} | "
                     f"{c.ditolak} | {c.belum_ada} | {c.percent_text()} | "
                     f"{', '.join(p.sent_to) or 'sudah dikirim sebelumnya'} | {files} |")
    lines += ["", f"Arsip laporan di portal: {base_url()}/portal/laporan (Ketua Tim ZI, "
              "Sekretaris, Ketua, admin)."]
    return "\n".join(lines)
