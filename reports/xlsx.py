"""The report as an Excel workbook the Tim ZI can paste into their LKE work: a summary
sheet, a ranking (province) or one sheet per area with every checkpoint (frozen header,
filter, status colours, dates as dates, numbers as numbers)."""

from __future__ import annotations

import io
import re
from datetime import date
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from monev.engine.closing import STATUS_LABELS
from reports.html import backlog_label, label
from reports.model import CATEGORIES, Counts, Report, delta_points
from reports.periods import tanggal

FILLS = {"tepat_waktu": "C6EFCE", "terlambat": "FFEB9C", "terkirim": "DDEBF7",
         "ditolak": "F8CBAD", "belum_ada": "FFC7CE", "belum_jatuh_tempo": "EDEDED"}
POINTS = '+0.0" poin";-0.0" poin";0.0" poin"'  # change of capaian, percentage points
BOLD = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="D9D9D9")
AREA_COLUMNS = ("Rencana", "No", "Area", "Komponen", "Indikator", "Langkah aksi",
                "Bukti fisik", "Target waktu", "Periode", "Tenggat", "Status", "Dikirim",
                "Diverifikasi", "PIC", "Subbagian", "Tunggakan", "Alasan ditolak", "Eskalasi",
                "Tautan portal")
WIDTHS = {"Komponen": 28, "Indikator": 36, "Langkah aksi": 40, "Bukti fisik": 36,
          "Target waktu": 18, "Status": 24, "PIC": 24, "Subbagian": 24, "Alasan ditolak": 30,
          "Eskalasi": 22, "Tautan portal": 34, "Area": 26, "Satker": 34}


def _sheet_name(name: str, taken: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", " ", name).strip()[:31] or "Area"
    candidate, n = base, 2
    while candidate.casefold() in taken:
        suffix = f" ({n})"
        candidate, n = base[:31 - len(suffix)] + suffix, n + 1
    taken.add(candidate.casefold())
    return candidate


def _table(ws: Worksheet, top: int, headers: tuple[str, ...] | list[str],
           rows: list[list[Any]], freeze: bool = True) -> None:
    """A table at row ``top`` with a bold header, a filter and sensible widths."""
    for col, title in enumerate(headers, start=1):
        cell = ws.cell(row=top, column=col, value=title)
        cell.font, cell.fill = BOLD, HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.column_dimensions[get_column_letter(col)].width = WIDTHS.get(
            title, max(10, len(title) + 2))
    for r, values in enumerate(rows, start=top + 1):
        for col, value in enumerate(values, start=1):
            cell = ws.cell(row=r, column=col, value=value)
            if isinstance(value, date):
                cell.number_format = "DD-MM-YYYY"
    last = get_column_letter(len(headers))
    ws.auto_filter.ref = f"A{top}:{last}{top + max(1, len(rows))}"
    if freeze:
        ws.freeze_panes = ws.cell(row=top + 1, column=1)


def _print_setup(ws: Worksheet, title_rows: str) -> None:
    """A4 landscape, as wide as one page, ``title_rows`` repeated on every page and the
    page number in the footer: the sheet prints as it is, without fiddling."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages tall as it takes
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = title_rows
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.oddFooter.left.text = "&A"
    ws.oddFooter.right.text = "Halaman &P dari &N"


def _percent(c: Counts) -> float | None:
    return None if c.percent is None else round(c.percent / 100, 4)


def _summary(ws: Worksheet, report: Report) -> None:
    ws.title = "Ringkasan"
    _print_setup(ws, "1:1")
    ws["A1"] = report.title
    ws["A1"].font = Font(bold=True, size=13)
    facts = [("Cakupan", report.subject), ("Periode", report.period.label()),
             ("Tanggal laporan", report.as_of)]
    facts += [(f"Rencana {p.label}",
               f"{p.ref} · nomor {p.number} · status {STATUS_LABELS.get(p.status, p.status)}")
              for p in report.plans]
    for i, (k, v) in enumerate(facts, start=2):
        ws.cell(row=i, column=1, value=k).font = BOLD
        cell = ws.cell(row=i, column=2, value=v)
        if isinstance(v, date):
            cell.number_format = "DD-MM-YYYY"
    top = len(facts) + 3
    c = report.counts
    rows: list[list[Any]] = [["Checkpoint jatuh tempo pada periode", c.total]]
    rows += [[label(cat, report.closed), getattr(c, cat)] for cat in CATEGORIES]
    delta = delta_points(c, report.previous)
    rows += [[backlog_label(report.closed), c.backlog], ["Capaian", _percent(c)],
             [f"Capaian periode sebelumnya ({report.period.previous().label()})",
              _percent(report.previous) if report.previous else None],
             ["Perubahan", None if delta is None else round(delta, 1)]]
    _table(ws, top, ("Uraian", "Jumlah"), rows, freeze=False)
    last = top + len(rows)
    for r in (last - 2, last - 1):
        ws.cell(row=r, column=2).number_format = "0.0%"
    ws.cell(row=last, column=2).number_format = POINTS
    ws.column_dimensions["A"].width = 46
    ws.column_dimensions["B"].width = 40
    if report.plans:
        area_top = top + len(rows) + 3
        table = [[p.label, a.name, a.counts.total, a.counts.tepat_waktu, a.counts.terlambat,
                  a.counts.terkirim, a.counts.ditolak, a.counts.belum_ada,
                  a.counts.belum_jatuh_tempo, a.counts.backlog, _percent(a.counts)]
                 for p in report.plans for a in p.areas]
        _table(ws, area_top, ("Rencana", "Area", "Jatuh tempo", label("tepat_waktu"),
                              label("terlambat"), "Menunggu verifikasi", "Ditolak",
                              label("belum_ada", report.closed), "Belum jatuh tempo",
                              "Tunggakan", "Capaian"), table, freeze=False)
        for r in range(area_top + 1, area_top + 1 + len(table)):
            ws.cell(row=r, column=11).number_format = "0.0%"
        ws.column_dimensions["A"].width = 46


def _ranking(wb: Workbook, report: Report) -> None:
    ws = wb.create_sheet("Peringkat")
    _print_setup(ws, "1:1")
    rows = [[r.rank, r.satker, r.province, r.plans, r.counts.total, r.counts.judged,
             r.counts.verified, r.late, _percent(r.counts)] for r in report.rollup]
    _table(ws, 1, ("Peringkat", "Satker", "Provinsi", "Rencana", "Jatuh tempo pada periode",
                   "Jatuh tempo s.d. tanggal laporan", "Terverifikasi", "Lewat tenggat",
                   "Capaian"), rows)
    for r in range(2, 2 + len(rows)):
        ws.cell(row=r, column=9).number_format = "0.0%"


def _areas(wb: Workbook, report: Report) -> None:
    taken = {"ringkasan"}
    several = len(report.plans) > 1
    for part in report.plans:
        backlog = {(area, line.id): (row, line) for area, row, line in part.backlog}
        for area in part.areas:
            name = f"{part.kind}{str(part.year)[2:]} {area.name}" if several else area.name
            ws = wb.create_sheet(_sheet_name(name, taken))
            _print_setup(ws, "1:1")
            lines = [(row, line) for row in area.rows for line in row.lines]
            lines += [v for (a, _), v in backlog.items() if a == area.name]
            lines.sort(key=lambda rl: (rl[0].no, rl[1].due, rl[1].period))
            rows = [[part.label, row.no, area.name, row.komponen, row.indikator,
                     row.langkah_aksi, row.bukti_fisik, row.target_text, line.period, line.due,
                     label(line.category, part.closed), line.submitted_on, line.verified_on,
                     line.pic, line.subbagian, "ya" if line.backlog else "tidak", line.reason,
                     line.escalations, line.link or None] for row, line in lines]
            _table(ws, 1, AREA_COLUMNS, rows)
            status_col = AREA_COLUMNS.index("Status") + 1
            link_col = AREA_COLUMNS.index("Tautan portal") + 1
            for i, (_row, line) in enumerate(lines, start=2):
                ws.cell(row=i, column=status_col).fill = PatternFill(
                    "solid", fgColor=FILLS[line.category])
                if line.link:
                    ws.cell(row=i, column=link_col).hyperlink = line.link


LKE_COLUMNS = ("Rencana", "Area / sub-area", "Bobot", "Saat ini", "Proyeksi",
               "Proyeksi ÷ bobot")


def _lke(wb: Workbook, report: Report) -> None:
    """One sheet "LKE": each plan's areas, totals and weakest sub-areas, then the gates."""
    parts = [p for p in report.plans if p.lke is not None]
    if not parts:
        return
    ws = wb.create_sheet("LKE")
    _print_setup(ws, "1:1")
    rows: list[list[Any]] = []
    for part in parts:
        assert part.lke is not None
        for line in [*part.lke.lines, *part.lke.worst]:
            rows.append([f"{part.label} ({part.lke.version})", line.name, line.weight,
                         line.now, line.ahead, line.share])
    _table(ws, 1, LKE_COLUMNS, rows)
    for r in range(2, len(rows) + 2):
        for col in (3, 4, 5):
            ws.cell(row=r, column=col).number_format = "0.00"
        ws.cell(row=r, column=6).number_format = "0.0%"
    top = len(rows) + 3
    for part in parts:
        assert part.lke is not None
        for gate in part.lke.gates:
            ws.cell(row=top, column=1, value=f"{part.label} {gate.name}").font = BOLD
            ws.cell(row=top, column=2, value="proyeksi terpenuhi" if gate.met_ahead
                    else "proyeksi belum terpenuhi: " + "; ".join(gate.short))
            top += 1


def render_xlsx(report: Report) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    _summary(ws, report)
    if report.rollup:
        _ranking(wb, report)
    if report.details:
        _areas(wb, report)
        _lke(wb, report)
    wb.properties.title = f"{report.title} — {report.period.label()}"
    wb.properties.creator = "monev"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


__all__ = ["render_xlsx", "tanggal"]
