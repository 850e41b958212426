"""``monev report``: the monev report of a plan, a satker or a province for a month, a
quarter or a year, as HTML, PDF (Chromium prints the same HTML), XLSX or Markdown."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from app.cli.app import app
from app.cli.common import (
    ConfigOpt,
    check_output,
    err,
    fail,
    load_config,
    parse_day,
    today,
)
from monev.errors import MonevError


@app.command("report")
def report_cmd(
    period: Annotated[str, typer.Option(
        "--period", help="Periode: 2026-11 (bulan), 2026-Q3 (triwulan) atau 2026 (tahun).")],
    output: Annotated[Path, typer.Option("--out", "-o", help="Berkas yang ditulis.")],
    plan: Annotated[str | None, typer.Option(  # noqa: UP007
        "--plan", help="ID rencana seperti di `monev plan list`, mis. "
                       "kpu-kabupaten-muaro-jambi/rb-2026.")] = None,
    satker: Annotated[str | None, typer.Option(  # noqa: UP007
        "--satker", help="Nama satker: semua rencananya pada periode itu.")] = None,
    province: Annotated[str | None, typer.Option(  # noqa: UP007
        "--province", help="Provinsi (dari config/monev.yaml): rekap satkernya, berperingkat;"
                           " 'semua' untuk seluruh satker.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="html, pdf, xlsx atau md.")] = "pdf",
    as_of: Annotated[str | None, typer.Option(  # noqa: UP007
        "--as-of", help="Keadaan per tanggal ini (bawaan: hari ini).")] = None,
    config: ConfigOpt = None,
) -> None:
    """Tulis laporan monev (sampul, ringkasan, grafik, rincian per area, keterlambatan,
    tunggakan, tanda tangan) satu rencana, satu satker atau satu provinsi."""
    from monev.links import base_url
    from monev.store.db import open_session_factory
    from reports.build import build_report
    from reports.periods import ReportPeriod
    from reports.render import check_format, render, write_atomic

    try:
        check_output(output)
        chosen = check_format(fmt)
        when = ReportPeriod.parse(period)
        day = parse_day(as_of, "--as-of") if as_of else today()
        cfg = load_config(config)
        factory = open_session_factory()
        try:
            with factory() as s:
                report = build_report(s, cfg, when, day, plan=plan, satker=satker,
                                      province=province, base_url=base_url())
        finally:
            factory.kw["bind"].dispose()
        data = render(report, chosen)
        try:
            write_atomic(output, data)
        except OSError as exc:
            raise MonevError(f"{output} tidak dapat ditulis: {exc.strerror}") from exc
    except MonevError as exc:
        raise fail(exc) from exc
    c = report.counts
    err.print(f"ditulis: {output} — {report.subject}, {when.label()} per {day:%d-%m-%Y}: "
              f"{c.total} checkpoint jatuh tempo, {c.verified} terverifikasi, capaian "
              f"{c.percent_text()}", highlight=False, soft_wrap=True)
