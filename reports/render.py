"""One entry point for every format: the bytes of a report, and writing them to a file
atomically (a rerun rewrites the same file; a reader never sees half of it)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from monev.errors import MonevError
from reports.html import environment, render_html
from reports.model import Report
from reports.pdf import Printer

Format = Literal["html", "pdf", "xlsx", "md"]
FORMATS: tuple[Format, ...] = ("html", "pdf", "xlsx", "md")


def check_format(fmt: str) -> Format:
    for f in FORMATS:
        if f == fmt:
            return f
    raise MonevError(f"format laporan '{fmt}' tidak dikenal; pilih html, pdf, xlsx atau md")


def render_md(report: Report) -> str:
    return environment().get_template("report.md.j2").render(r=report)


def render(report: Report, fmt: Format, printer: Printer | None = None) -> bytes:
    """The report in ``fmt``; PDF needs a :class:`Printer` (one is opened if not given)."""
    if fmt == "html":
        return render_html(report).encode("utf-8")
    if fmt == "md":
        return render_md(report).encode("utf-8")
    if fmt == "xlsx":  # openpyxl is slow to import; only an Excel report needs it
        from reports.xlsx import render_xlsx

        return render_xlsx(report)
    html = render_html(report)
    title = f"Laporan monev {report.subject} — {report.period.label()}"
    if printer is not None:
        return printer.pdf(html, title)
    with Printer() as own:
        return own.pdf(html, title)


def write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
