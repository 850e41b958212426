"""One entry point for every plan file: detect its shape, read it, compile its
periods. Pure apart from reading the one file."""

from __future__ import annotations

from pathlib import Path

from monev.errors import PlanError
from monev.grammar import RangePolicy, read_target
from monev.model import Kind, Plan, PlanHeader, assign_keys
from monev.plans import rb, zi
from monev.plans.canonical import FORMAT, load_canonical
from monev.plans.prose import read_prose
from monev.plans.source import read_lines
from monev.plans.table import split_cells

_KIND_WORDS: dict[Kind, tuple[str, ...]] = {
    "ZI": ("ZONA INTEGRITAS",), "RB": ("REFORMASI BIROKRASI",)}


def load_plan(path: str | Path, range_policy: RangePolicy | None = None) -> Plan:
    """Read a plan document (ZI table, RB grid or canonical YAML) with its periods."""
    p = Path(path)
    source = str(path)
    lines = read_lines(p)
    text_head = "\n".join(lines[:40])
    if p.suffix.lower() in (".yaml", ".yml") or f"format: {FORMAT}" in text_head:
        plan, yaml_lines = load_canonical("\n".join(lines), source)
        if range_policy:
            plan.range_policy = range_policy
        _read_periods(plan, [yaml_lines[i] if i < len(yaml_lines) else 0
                             for i in range(len(plan.items))])
        assign_keys(plan.header.kind, plan.items)
        return plan
    return parse_text(lines, source, range_policy or "monthly")


def _find_table(lines: list[str]) -> tuple[Kind, int, dict[str, int]] | None:
    for i, line in enumerate(lines):
        if "\t" not in line:
            continue
        cells = split_cells(line)
        cols = zi.header_columns(cells)
        if cols is not None:
            return "ZI", i, cols
        cols = rb.header_columns(cells)
        if cols is not None:
            return "RB", i, cols
    return None


def parse_text(lines: list[str], source: str, range_policy: RangePolicy = "monthly") -> Plan:
    """A text export of a decree: prose header, then the ZI table or RB grid."""
    if not any(line.strip() for line in lines):
        raise PlanError(source, 1, "berkas kosong: diharapkan ekspor teks dokumen rencana aksi")
    found = _find_table(lines)
    if found is None:
        raise PlanError(
            source, 1,
            "bukan dokumen rencana aksi: tidak ditemukan baris judul tabel yang dipisah TAB, "
            "yaitu NO, KOMPONEN, INDIKATOR, LANGKAH AKSI, BUKTI FISIK, TARGET WAKTU (ZI) atau "
            "NO, AREA PERUBAHAN, KEGIATAN, SUB KEGIATAN, INDIKATOR KEBERHASILAN, 1–12, KET (RB)")
    kind, start, columns = found
    prose = read_prose(lines[:start], source)
    warnings = list(prose.warnings)
    year = prose.year
    if year is None:
        raise PlanError(source, 1, "tahun rencana tidak ditemukan: diharapkan 'TAHUN YYYY' "
                        "pada judul keputusan (TENTANG … TAHUN 2025)")
    title = prose.title.upper()
    other: Kind = "RB" if kind == "ZI" else "ZI"
    if any(w in title for w in _KIND_WORDS[other]) and not any(
            w in title for w in _KIND_WORDS[kind]):
        warnings.append(f"{source}:{start + 1}: judul menyebut {other} tetapi tabelnya "
                        f"berbentuk {kind}; dibaca sebagai {kind}")
    if prose.satker is None:
        raise PlanError(source, 1, "nama satker tidak ditemukan: diharapkan baris "
                        "'KEPUTUSAN <NAMA SATKER>' di awal dokumen")
    if kind == "ZI":
        items, table_warnings = zi.parse_zi(lines, start, columns, source, year)
    else:
        items, table_warnings = rb.parse_rb(lines, start, columns, source, year)
    warnings.extend(table_warnings)
    header = PlanHeader(satker=prose.satker, kind=kind, year=year, number=prose.number,
                        decided_on=prose.decided_on)
    plan = Plan(header=header, items=items, source=source, range_policy=range_policy,
                warnings=warnings)
    _read_periods(plan, [item.source_line for item in items])
    assign_keys(kind, items)
    return plan


def _read_periods(plan: Plan, lines: list[int]) -> None:
    """Fill each item's periods from its override or its target text, with flags."""
    for item, line in zip(plan.items, lines, strict=True):
        if item.override is not None:
            item.periods = item.override
            continue
        reading = read_target(item.target_text, plan.header.year, plan.range_policy)
        item.periods = reading.periods
        item.warnings.extend(f"{plan.source}:{line}: {w}" for w in reading.warnings)
