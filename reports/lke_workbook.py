"""The filled LKE of a plan's satker in the official workbook's layout — sheet *Jawaban*,
every question on its own row, the unit's answer, note and evidence in K/L/M, the TPI's
answer and note in N/Q — and the TPI's N/Q read back. Columns A–J carry the tree
(numbering A/I/1/i/a, text, weight, answer options, criteria, monev's code), S/T the
points monev computes (proyeksi / saat ini), and a *Nilai* sheet the whole score and
the gates, the same figures ``monev lke score`` shows."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy.orm import Session

from monev.engine.lke import stored_text
from monev.errors import MonevError
from monev.lke.model import Lke, Node, Question, Ratio
from monev.lke.score import AnswerError, Score, check_gate, parse_answer, rounded
from monev.store import lke as store
from reports.lke_filing import STATUS_WORDS, Filed, LkePack

SHEET = "Jawaban"
HEADERS = {"A": "Komponen", "B": "Sub-komponen", "C": "Area", "D": "Sub-area",
           "E": "Butir", "F": "Uraian", "G": "Bobot", "H": "Pilihan jawaban",
           "I": "Kriteria", "J": "Kode monev", "K": "Jawaban unit", "L": "Catatan unit",
           "M": "Bukti dukung unit", "N": "Jawaban TPI", "Q": "Catatan TPI",
           "S": "Nilai monev proyeksi (poin)", "T": "Nilai monev saat ini (poin)"}
WIDTHS = {"A": 6, "B": 6, "C": 6, "D": 6, "E": 6, "F": 60, "G": 8, "H": 14, "I": 50,
          "J": 14, "K": 12, "L": 36, "M": 50, "N": 12, "Q": 36, "S": 14, "T": 14}
KIND_WORDS = {"number": "Angka (jumlah)", "survey": "Nilai survei 0–4"}
BOLD = Font(bold=True)
HEAD_FILL = PatternFill("solid", fgColor="D9D9D9")
NODE_FILL = PatternFill("solid", fgColor="EDEDED")
POINTS = "0.00"
CELL_MAX = 32_000  # Excel keeps at most 32 767 characters in a cell


def _options(question: Question) -> str:
    return KIND_WORDS.get(question.answer) or "/".join(o.key for o in question.options)


def _evidence_text(filed: list[Filed]) -> str:
    """Column M: one line per file (its name in the bundle) or link (its URL)."""
    lines = []
    for f in filed:
        name = f.path.rsplit("/", 1)[-1] if f.path else f.url
        lines.append(name if f.status == "verified" else
                     f"{name} ({STATUS_WORDS.get(f.status, f.status)})")
    text = "\n".join(lines)
    if len(text) > CELL_MAX:
        text = text[:CELL_MAX].rsplit("\n", 1)[0] + "\n… (selengkapnya di index.xlsx)"
    return text


def _answer_cell(question: Question, raw: str) -> str | float:
    """A stored answer as the cell holds it: numbers as numbers."""
    if question.answer in ("number", "survey"):
        try:
            return float(raw)
        except ValueError:
            return raw
    return raw


def _node_rows(lke: Lke) -> dict[int, tuple[Node, int]]:
    """Row → (node, depth) for the heading rows: each node on the row just above its
    first part, where the workbook leaves that row free."""
    used = {q.row for q in lke.questions()}
    found: dict[int, tuple[Node, int]] = {}

    def first(node: Node, depth: int) -> int:
        starts = [q.row for q in node.questions] + [first(c, depth + 1) for c in node.children]
        row = min(starts) - 1
        if row < 2 or row in used:
            return min(starts)
        used.add(row)
        found[row] = (node, depth)
        return row

    for top in lke.tree:
        first(top, 0)
    return found


def _ratio_rows(lke: Lke, taken: set[int]) -> dict[int, Ratio]:
    """Row → ratio, on the row after its last number where that row is free (the
    rest show on the *Nilai* sheet only)."""
    found: dict[int, Ratio] = {}
    for node in (n for top in lke.tree for n in top.walk()):
        for ratio in node.ratios:
            rows = [q.row for c in ratio.inputs if (q := lke.question(c)) is not None]
            row = max(rows) + 1 if rows else 0
            if row and row not in taken:
                taken.add(row)
                found[row] = ratio
    return found


def _put(ws: Worksheet, ref: str, value: Any, fmt: str | None = None) -> None:
    cell = ws[ref]
    cell.value = value
    cell.alignment = Alignment(wrap_text=True, vertical="top")
    if fmt:
        cell.number_format = fmt


def _points(ws: Worksheet, row: int, code: str, ahead: Score, now: Score) -> None:
    if code in ahead.points:
        _put(ws, f"S{row}", rounded(ahead.points[code]), POINTS)
        _put(ws, f"T{row}", rounded(now.points[code]), POINTS)


def _jawaban(ws: Worksheet, pack: LkePack) -> None:
    lke, where = pack.lke, pack.where
    ahead, now = where.projection.projected, where.projection.now
    for col, title in HEADERS.items():
        _put(ws, f"{col}1", title)
        ws[f"{col}1"].font, ws[f"{col}1"].fill = BOLD, HEAD_FILL
        ws.column_dimensions[col].width = WIDTHS[col]
    ws.freeze_panes = "A2"
    heads = _node_rows(lke)
    for row, (node, depth) in heads.items():
        col = "ABCDE"[min(depth, 4)]
        label = node.code.rsplit(".", 1)[-1]
        _put(ws, f"{col}{row}", {"P": "I", "R": "II"}.get(label, label))
        _put(ws, f"F{row}", node.name.upper() if depth < 3 else node.name)
        _put(ws, f"G{row}", node.weight, POINTS)
        _put(ws, f"J{row}", node.code)
        _points(ws, row, node.code, ahead, now)
        for col in HEADERS:
            ws[f"{col}{row}"].font, ws[f"{col}{row}"].fill = BOLD, NODE_FILL
    taken = set(heads) | {q.row for q in lke.questions()}
    for row, ratio in _ratio_rows(lke, taken).items():
        _put(ws, f"F{row}", f"{ratio.name} (dihitung)")
        _put(ws, f"J{row}", ratio.code)
        _points(ws, row, ratio.code, ahead, now)
    checks: dict[str, DataValidation] = {}
    for q in lke.questions():
        r = q.row
        _put(ws, f"E{r}", ".".join(q.code.split(".")[3:]) or q.code.rsplit(".", 1)[-1])
        _put(ws, f"F{r}", q.text)
        if q.weight:
            _put(ws, f"G{r}", q.weight, POINTS)
        _put(ws, f"H{r}", _options(q))
        _put(ws, f"I{r}", q.criteria)
        _put(ws, f"J{r}", q.code)
        raw, note = where.answers.get(q.code, ("", ""))
        if q.from_capaian:
            option = next((o for o in q.options if o.value == now.values.get(q.code)), None)
            raw = option.key if option else raw
            note = (f"dihitung monev dari capaian rencana aksi per {pack.day:%d-%m-%Y} "
                    "(checkpoint jatuh tempo yang terverifikasi)")
        if raw:
            _put(ws, f"K{r}", _answer_cell(q, raw))
        _put(ws, f"L{r}", note or None)
        _put(ws, f"M{r}", _evidence_text(pack.filed.get(q.code, [])) or None)
        tpi_raw, tpi_note = pack.tpi.get(q.code, ("", ""))
        _put(ws, f"N{r}", _answer_cell(q, tpi_raw) if tpi_raw else None)
        _put(ws, f"Q{r}", tpi_note or None)
        _points(ws, r, q.code, ahead, now)
        if q.options:
            keys = ",".join(o.key for o in q.options)
            if keys not in checks:
                checks[keys] = DataValidation(type="list", formula1=f'"{keys}"',
                                              allow_blank=True)
                ws.add_data_validation(checks[keys])
            checks[keys].add(f"N{r}")


def _nilai(ws: Worksheet, pack: LkePack) -> None:
    """The score as ``monev lke score`` reports it: every node and item, then gates."""
    lke, ahead, now = pack.lke, pack.where.projection.projected, pack.where.projection.now
    info = [("Satker", pack.satker), ("Rencana", pack.plan_id),
            ("LKE", f"{lke.version} — {lke.title}"), ("Per tanggal", f"{pack.day:%d-%m-%Y}")]
    for r, (key, value) in enumerate(info, start=1):
        ws.cell(r, 1, key).font = BOLD
        ws.cell(r, 2, value)
    top = len(info) + 2
    for c, title in enumerate(("Kode", "Uraian", "Bobot", "Saat ini", "Proyeksi"), start=1):
        ws.cell(top, c, title).font = BOLD
        ws.cell(top, c).fill = HEAD_FILL
    lines: list[tuple[str, str, float, float, float]] = [
        ("", "TOTAL", 100.0, rounded(now.total), rounded(ahead.total))]
    for node in (n for t in lke.tree for n in t.walk()):
        lines.append((node.code, node.name, node.weight, rounded(now.points[node.code]),
                      rounded(ahead.points[node.code])))
        for unit in node.units:
            name = unit.text if isinstance(unit, Question) else f"{unit.name} (dihitung)"
            weight = unit.weight if isinstance(unit, Question) and unit.weight \
                else node.weight / len(node.units)
            lines.append((unit.code, name, weight, rounded(now.points[unit.code]),
                          rounded(ahead.points[unit.code])))
    for r, line in enumerate(lines, start=top + 1):
        for c, shown in enumerate(line, start=1):
            cell = ws.cell(r, c, shown)
            if c >= 3:
                cell.number_format = POINTS
    r = top + len(lines) + 2
    for gate in lke.gates:
        result = check_gate(ahead, gate)
        ws.cell(r, 1, f"Syarat {gate.name} (proyeksi)").font = BOLD
        ws.cell(r, 2, "terpenuhi" if result.met else "belum terpenuhi: "
                + "; ".join(result.short))
        r += 1
    for col, width in zip("ABCDE", (14, 70, 10, 10, 10), strict=True):
        ws.column_dimensions[col].width = width


def workbook_bytes(pack: LkePack) -> bytes:
    """The .xlsx of ``pack`` (the caller writes it, e.g. ``write_atomic``)."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = SHEET
    _jawaban(ws, pack)
    _nilai(wb.create_sheet("Nilai"), pack)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@dataclass(frozen=True)
class TpiAnswers:
    """What a TPI's workbook says: question code → (answer, note), None where N and Q
    are both empty (no TPI answer)."""

    answers: dict[str, tuple[str, str] | None]

    @property
    def filled(self) -> int:
        return sum(1 for a in self.answers.values() if a is not None)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_tpi(lke: Lke, path: Path) -> TpiAnswers:
    """N/Q of every question's row, checked; the first bad cell raises a one-line
    MonevError naming the file, sheet and cell and what the cell should hold."""
    where = path.name
    try:
        wb = load_workbook(path, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise MonevError(f"{where}: bukan berkas Excel (.xlsx) yang bisa dibaca "
                         f"({type(exc).__name__})") from None
    if SHEET not in wb.sheetnames:
        raise MonevError(f"{where}: tidak ada lembar '{SHEET}' (lembar kerja LKE)")
    ws = wb[SHEET]
    codes = {q.code for q in lke.questions()}
    out: dict[str, tuple[str, str] | None] = {}
    for q in lke.questions():
        marker = _text(ws[f"J{q.row}"].value)
        if marker in codes and marker != q.code:
            raise MonevError(f"{where}, lembar {SHEET}, sel J{q.row}: berisi butir {marker}, "
                             f"seharusnya {q.code} (lembar kerja LKE versi lain?)")
        raw, note = ws[f"N{q.row}"].value, _text(ws[f"Q{q.row}"].value)
        if isinstance(raw, datetime):
            raise MonevError(f"{where}, lembar {SHEET}, sel N{q.row} (butir {q.code}): "
                             f"berisi tanggal, seharusnya {_options(q)}")
        if _text(raw) == "":
            if note:
                raise MonevError(f"{where}, lembar {SHEET}, sel N{q.row} (butir {q.code}): "
                                 f"kosong padahal Q{q.row} berisi catatan; isi jawaban "
                                 f"TPI ({_options(q)})")
            out[q.code] = None
            continue
        value: str | float = float(raw) if isinstance(raw, int | float) else _text(raw)
        try:
            parsed = parse_answer(q, value, lke.survey_max)
        except AnswerError as exc:
            reason = str(exc).removeprefix(f"{q.code}: ")
            raise MonevError(f"{where}, lembar {SHEET}, sel N{q.row} (butir {q.code}): "
                             f"{reason}") from None
        out[q.code] = (stored_text(parsed), note)
    return TpiAnswers(out)


def store_tpi(session: Session, satker_id: int, lke: Lke, found: TpiAnswers,
              actor: str, at: datetime) -> tuple[int, int]:
    """Replace the satker's TPI answers with the workbook's (the caller's transaction
    commits all or nothing). Returns (answers stored, answers cleared)."""
    before: Mapping[str, tuple[str, str]] = store.answers(session, satker_id, lke.version,
                                                          "tpi")
    cleared = 0
    for code, answer in found.answers.items():
        if answer is None:
            cleared += code in before
            if code in before:
                store.set_answer(session, satker_id, lke.version, code, "tpi", None, "",
                                 actor, at)
            continue
        store.set_answer(session, satker_id, lke.version, code, "tpi", answer[0], answer[1],
                         actor, at)
    return found.filled, cleared
