"""Table layouts other satkers use (issue 18), read whole or flagged where a file hides
its own text. Fixtures: tests/fixtures/plans/layouts/NAME/ from tools/plan_fixtures.py
--layouts (committed), made-up layouts of the same rows as the TAB export:

- months-two-row.xlsx  twelve month columns marked ✓/v/√/V under ``TARGET WAKTU``
                       (two-row header ``Jan`` … ``Des``), a KETERANGAN column of notes;
- months-beside.pdf    TARGET WAKTU text and a ``BULAN`` block ``1`` … ``12`` beside it;
- batas-pic.xlsx       ``BATAS WAKTU``, PENANGGUNG JAWAB and KETERANGAN columns, the
                       signature block typed in the cells under the table;
- second-sheet.xlsx    the plan on a second sheet under a ``LAMPIRAN KEPUTUSAN KETUA …``
                       title block, the table's title on two lines;
- narrow-header.pdf    ``KOMPONEN`` broken inside its narrow header cell;
- merged-break.pdf     the sheet printed by Calc: merged KOMPONEN cells cross page breaks
                       and their text is clipped away."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from monev.errors import PlanError
from monev.model import Plan
from monev.plans import load_plan
from monev.plans.loader import parse_text
from monev.plans.pdf_reader import read_pdf
from tests.conftest import ROOT, ZI_KOTA, ZI_MUARO
from tests.test_importers import run_cli

LAYOUTS = ROOT / "tests" / "fixtures" / "plans" / "layouts"
SOURCES = {
    "zi-2025-kpu-kab-muaro-jambi": ZI_MUARO,
    "zi-2025-kpu-kota-jambi": ZI_KOTA,
    "other-zi-2027-kpu-provinsi-sulawesi-tengah":
        ROOT / "tests/fixtures/plans/src/other-zi-2027-kpu-provinsi-sulawesi-tengah.txt",
}
FILES = ("months-two-row.xlsx", "months-beside.pdf", "batas-pic.xlsx", "second-sheet.xlsx",
         "narrow-header.pdf", "merged-break.pdf")
TEXTS = ("area", "komponen", "indikator", "langkah_aksi", "bukti_fisik")
PICS = {"Kasubbag Umum", "Sekretaris", "Kasubbag Teknis", "Koordinator Area"}
NOTES = ("Dokumen asli", "Dilaporkan pada rapat", "Lanjutan tahun lalu")
_CACHE: dict[Path, Plan] = {}


def read(path: Path) -> Plan:
    if path not in _CACHE:
        _CACHE[path] = load_plan(path)
    return _CACHE[path]


def periods(plan: Plan) -> list[list[str]]:
    return [[str(p) for p in i.periods] for i in plan.items]


def texts(plan: Plan, fields: tuple[str, ...] = TEXTS) -> list[tuple[str, ...]]:
    return [tuple(getattr(i, f) for f in fields) for i in plan.items]


def same_share(a: Plan, b: Plan, fields: tuple[str, ...] = TEXTS) -> float:
    return sum(x == y for x, y in zip(texts(a, fields), texts(b, fields), strict=True)) \
        / len(a.items)


def pair(name: str, fname: str) -> tuple[Plan, Plan]:
    return read(SOURCES[name]), read(LAYOUTS / name / fname)


def test_every_layout_fixture_is_there() -> None:
    for name in SOURCES:
        for f in FILES:
            assert (LAYOUTS / name / f).is_file(), f"{name}/{f}: tools/plan_fixtures.py --layouts"


@pytest.mark.parametrize("name", list(SOURCES))
def test_month_columns_under_a_two_row_header(name: str) -> None:
    """✓/v/√/V under Jan … Des give the months the target text gave; the notes column
    next to them is never read as a target."""
    tab, xlsx = pair(name, "months-two-row.xlsx")
    assert xlsx.header == tab.header
    assert texts(xlsx) == texts(tab)
    year = tab.header.year
    monthly = 0
    for got, orig in zip(xlsx.items, tab.items, strict=True):
        months = [p for p in orig.periods if p.year == year and not p.week]
        assert [str(p) for p in got.periods] == [str(p) for p in months], orig.source_line
        assert not any(n in got.target_text for n in NOTES)
        monthly += months == list(orig.periods)
    assert monthly >= 0.75 * len(tab.items)  # the layout carries most rows whole


@pytest.mark.parametrize("name", list(SOURCES))
def test_month_columns_beside_the_target_text(name: str) -> None:
    """TARGET WAKTU text with a BULAN 1 … 12 block beside it (PDF): the text's own
    checkpoints (weeks kept); the marks agree, so nothing is flagged about them."""
    tab, pdf = pair(name, "months-beside.pdf")
    assert pdf.header == tab.header
    assert periods(pdf) == periods(tab)
    assert same_share(pdf, tab) >= 0.85
    assert not any("tanda bulan" in w or "tidak dikenal" in w or "sel gabungan" in w
                   for w in pdf.all_warnings())  # a Word PDF hides no text


@pytest.mark.parametrize("name", list(SOURCES))
def test_batas_waktu_pic_notes_and_a_signature_in_the_cells(name: str) -> None:
    tab, xlsx = pair(name, "batas-pic.xlsx")
    assert xlsx.header == tab.header
    assert texts(xlsx) == texts(tab)
    assert [i.target_text for i in xlsx.items] == [i.target_text for i in tab.items]
    assert periods(xlsx) == periods(tab)
    assert all(i.pic in PICS for i in xlsx.items)  # kept, as the decree names them
    assert not any("tidak dikenal" in w for w in xlsx.all_warnings())
    flat = json.dumps([texts(xlsx, (*TEXTS, "target_text", "pic"))])
    assert "HENDRA SAPUTRA" not in flat and "NIP" not in flat and "Ditetapkan" not in flat


@pytest.mark.parametrize("name", list(SOURCES))
def test_plan_on_a_second_sheet_under_a_lampiran_title_block(name: str) -> None:
    tab, xlsx = pair(name, "second-sheet.xlsx")
    got, want = xlsx.header, tab.header
    assert (got.satker, got.kind, got.year) == (want.satker, want.kind, want.year)
    assert texts(xlsx) == texts(tab)
    assert periods(xlsx) == periods(tab)
    assert got.decided_on == date(want.year, 7, 14)  # from the signature under the table
    assert any("lembar 'Lampiran I'" in w for w in xlsx.warnings)


@pytest.mark.parametrize("name", list(SOURCES))
def test_header_word_broken_in_a_narrow_pdf_column(name: str) -> None:
    path = LAYOUTS / name / "narrow-header.pdf"
    first_row = next(ln for ln in read_pdf(path.read_bytes(), str(path)).lines if ln.is_row)
    assert "KOMPONEN" not in first_row.cells and any(
        c.replace(" ", "") == "KOMPONEN" for c in first_row.cells)  # the hard case
    tab, pdf = pair(name, "narrow-header.pdf")
    assert pdf.header == tab.header
    assert periods(pdf) == periods(tab)
    assert same_share(pdf, tab) >= 0.85
    assert not any("sel gabungan" in w or "tidak dikenal" in w for w in pdf.all_warnings())


@pytest.mark.parametrize("name", list(SOURCES))
def test_merged_cell_across_a_page_break_flags_its_rows(name: str) -> None:
    """An Excel sheet printed to PDF: a merged KOMPONEN cell that crosses a page break
    has its text clipped away. Every row read with the wrong komponen is flagged; the
    rest (rows, checkpoints) reads as the TAB text."""
    tab, pdf = pair(name, "merged-break.pdf")
    assert len(pdf.items) == len(tab.items)
    assert periods(pdf) == periods(tab)
    wrong = [got for got, orig in zip(pdf.items, tab.items, strict=True)
             if (got.area, got.komponen) != (orig.area, orig.komponen)]
    flagged = [i for i in pdf.items if any("sel gabungan terpotong" in w for w in i.warnings)]
    assert all(i in flagged for i in wrong), [i.source_line for i in wrong]
    assert len(flagged) <= len(tab.items) // 2
    if name != "other-zi-2027-kpu-provinsi-sulawesi-tengah":  # one page: no break
        assert wrong and flagged
        assert all(w.startswith(f"{LAYOUTS / name / 'merged-break.pdf'}:") for i in flagged
                   for w in i.warnings)


def test_pic_in_plan_show_json_only_when_the_decree_names_one() -> None:
    name = "zi-2025-kpu-kota-jambi"
    res = run_cli("plan", "show", str(LAYOUTS / name / "batas-pic.xlsx"), "--json", cwd=ROOT)
    assert res.returncode == 0, res.stderr
    items = json.loads(res.stdout)["items"]
    assert {i["pic"] for i in items} <= PICS and all(i["pic"] for i in items)
    plain = json.loads(run_cli("plan", "show", str(SOURCES[name]), "--json",
                               cwd=ROOT).stdout)["items"]
    assert not any("pic" in i for i in plain)  # the contract's keys, unchanged
    assert [{k: v for k, v in i.items() if k not in ("pic", "source_line", "warnings")}
            for i in items] == [{k: v for k, v in i.items()
                                 if k not in ("source_line", "warnings")} for i in plain]


# --- the same rules on TAB text ---------------------------------------------------------

def _tab(path: Path, header: str, row: str) -> list[str]:
    """The TAB export with ``header`` replacing its header line(s) and ``row`` applied
    to each data row (``{cells}`` are the row's own cells)."""
    out = []
    for line in path.read_text("utf-8").split("\n"):
        cells = (line.split("\t") + [""] * 6)[:6]
        if line.startswith("NO\t"):
            out.append(header)
        elif "\t" in line and all(c.strip().strip("()").isdigit() for c in cells if c.strip()):
            continue  # the column-number row
        elif "\t" in line and any(c.strip() for c in cells[2:]):
            out.append(row.format(*cells))
        else:
            out.append(line)  # prose, an area row
    return out


def test_tab_pic_and_notes_after_the_target_column() -> None:
    """Before issue 18 a cell after TARGET WAKTU refused the file ('sel bergeser')."""
    head = "NO\tKOMPONEN\tINDIKATOR\tLANGKAH AKSI\tBUKTI FISIK\tBATAS WAKTU\tPIC\tKET"
    lines = _tab(ZI_MUARO, head, "{0}\t{1}\t{2}\t{3}\t{4}\t{5}\tSekretaris\tJuni 2024")
    plan, tab = parse_text(lines, "pic.txt"), read(ZI_MUARO)
    assert periods(plan) == periods(tab)
    assert texts(plan) == texts(tab)
    assert {i.pic for i in plan.items} == {"Sekretaris"}


def test_tab_month_marks_that_disagree_with_the_text_are_flagged() -> None:
    months = "\t".join(["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt",
                        "Nov", "Des"])
    head = f"NO\tKOMPONEN\tINDIKATOR\tLANGKAH AKSI\tBUKTI FISIK\tTARGET WAKTU\t{months}"
    lines = _tab(ZI_MUARO, head, "{0}\t{1}\t{2}\t{3}\t{4}\t{5}" + "\t" * 11 + "\tV")
    plan, tab = parse_text(lines, "bulan.txt"), read(ZI_MUARO)
    assert periods(plan) == periods(tab)  # the text wins
    for item, orig in zip(plan.items, tab.items, strict=True):
        said = "Desember 2025" if orig.target_text else None
        disagree = [p.month for p in orig.periods] not in ([12], [])
        flags = [w for w in item.warnings if "tanda bulan (Desember 2025) berbeda" in w]
        assert bool(flags) == (disagree and said is not None), (item.source_line, flags)
        assert all(w.startswith(f"bulan.txt:{item.source_line}: ") for w in flags)


def test_tab_cells_beyond_the_header_are_still_refused() -> None:
    lines = ZI_MUARO.read_text("utf-8").split("\n")
    at = next(i for i, x in enumerate(lines) if x.count("\t") == 5 and "Agustus" in x)
    lines[at] += "\tsisa"
    with pytest.raises(PlanError) as info:
        parse_text(lines, "geser.txt")
    assert info.value.line == at + 1 and "sel bergeser" in info.value.message


def test_pic_goes_through_canonical_yaml(tmp_path: Path) -> None:
    """Export → import → export keeps the decree's PIC, byte for byte."""
    from monev.plans.canonical import dump_plan

    plan = read(LAYOUTS / "zi-2025-kpu-kota-jambi" / "batas-pic.xlsx")
    text = dump_plan(plan)
    assert text.count("\n  pic: ") == len(plan.items)
    path = tmp_path / "rencana.yaml"
    path.write_text(text, "utf-8")
    again = load_plan(path)
    assert [i.pic for i in again.items] == [i.pic for i in plan.items]
    assert dump_plan(again) == text
    assert "pic:" not in dump_plan(read(ZI_KOTA))


def test_tab_months_only_under_a_bulan_heading_numbered_1_to_12() -> None:
    """``BULAN`` spanning twelve columns, a second header row ``1`` … ``12`` (repeated
    on every page like the column numbers), marks only: the months of the TAB text."""
    tab = read(ZI_KOTA)
    head = "NO\tKOMPONEN\tINDIKATOR\tLANGKAH AKSI\tBUKTI FISIK\tBULAN" + "\t" * 11
    numbers = "\t" * 5 + "\t".join(str(m) for m in range(1, 13))
    rows = iter(tab.items)
    lines = []
    for line in _tab(ZI_KOTA, head, "{0}\t{1}\t{2}\t{3}\t{4}\t{5}"):
        if line == head:
            lines += [head, numbers]
            continue
        cells = line.split("\t")
        if len(cells) == 6 and any(cells[2:]) and cells[5].strip() and \
                not cells[5].startswith("{"):
            item = next(rows)
            while item.target_text != cells[5].strip():
                item = next(rows)
            months = {p.month for p in item.periods}
            line = "\t".join(cells[:5] + ["\u221a" if m in months else "" for m in range(1, 13)])
        lines.append(line)
    plan = parse_text(lines, "bulan.txt")
    assert len(plan.items) == len(tab.items)
    assert periods(plan) == periods(tab)
    assert not any("tidak dikenal" in w for w in plan.all_warnings())


def test_tab_month_marks_without_twelve_month_headings_are_refused_for_that() -> None:
    """Eleven month headings (one forgotten): not guessed, refused at the first marked
    row with what was expected."""
    months = "\t".join(["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt",
                        "Nov"])
    head = f"NO\tKOMPONEN\tINDIKATOR\tLANGKAH AKSI\tBUKTI FISIK\tTARGET WAKTU\t{months}"
    lines = _tab(ZI_MUARO, head, "{0}\t{1}\t{2}\t{3}\t{4}\t{5}" + "\t" * 12 + "\tv")
    with pytest.raises(PlanError) as info:
        parse_text(lines, "bulan.txt")
    assert "kolom bulan tidak dikenali" in info.value.message
    assert "Jan … Des" in info.value.message
    assert "\tv" in lines[info.value.line - 1]


@pytest.mark.parametrize("name", list(SOURCES))
def test_title_block_typed_in_one_cell_with_line_breaks(name: str, tmp_path: Path) -> None:
    """The LAMPIRAN block of second-sheet.xlsx moved into one cell (Alt+Enter between
    its lines): read line by line, the same header as the block over several rows."""
    from openpyxl import load_workbook

    src = LAYOUTS / name / "second-sheet.xlsx"
    wb = load_workbook(src)
    ws = wb["Lampiran I"]
    block: list[str] = []
    for r in range(1, ws.max_row + 1):
        value = ws.cell(r, 1).value
        if not isinstance(value, str) or value.upper().startswith("RENCANA AKSI"):
            break
        block.append(value)
        ws.cell(r, 1).value = None
    assert block[0] == "LAMPIRAN" and len(block) >= 4
    ws.cell(1, 1).value = "\n".join(block)
    path = tmp_path / "satu-sel.xlsx"
    wb.save(path)
    one, rows = load_plan(path), read(src)
    assert one.header == rows.header
    assert texts(one) == texts(rows) and periods(one) == periods(rows)


def test_tab_months_named_in_the_header_row_itself() -> None:
    """No TARGET WAKTU column at all: ``Jan`` … ``Des`` in the one header row."""
    months = "\t".join(["Januari", "Pebruari", "Maret", "April", "Mei", "Juni", "Juli",
                        "Agustus", "September", "Oktober", "Nopember", "Desember"])
    head = f"NO\tKOMPONEN\tINDIKATOR\tLANGKAH AKSI\tBUKTI FISIK\t{months}"
    lines = _tab(ZI_MUARO, head, "{0}\t{1}\t{2}\t{3}\t{4}" + "\t" * 9 + "\t\u2713")
    plan = parse_text(lines, "bulan.txt")
    assert len(plan.items) == len(read(ZI_MUARO).items)
    assert {str(p) for i in plan.items for p in i.periods} == {"2025-10"}
    assert all(i.target_text == "Oktober 2025" for i in plan.items)


def test_an_rb_grid_whose_month_marks_are_lost_is_refused_for_that_reason() -> None:
    """A narrow portrait PDF of an RB grid: the header is found but the √ marks fall
    outside the month columns. Stored, it would be rows without checkpoints (and a
    revision dropping the real ones): refused, saying why."""
    path = ROOT / "tests" / "fixtures" / "plans" / "other-rb-2027-bps-kota-sungai-penuh" / \
        "portrait.pdf"
    with pytest.raises(PlanError, match=r"tanda √ kolom bulan tidak terbaca pada \d+ dari"):
        load_plan(path)
