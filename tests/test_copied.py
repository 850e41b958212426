"""Text copied out of a PDF viewer cell by cell (issue 18, item 1).

Chrome/Edge (PDFium), Adobe, pdf.js and ``pdftotext -raw`` give a decree's table one
text fragment per line, the cells of a row one after another. The fixtures are PDFium's
and ``pdftotext -raw``'s text of the LibreOffice PDFs of every source plan (landscape F4,
A4, a narrow A4 portrait page; CRLF kept, and every line doubled) made by
``tools/plan_fixtures.py --copied``; the made-up copies below are built here in the
shape a real Chrome copy has (row numbers without a dot, header words split over lines,
target times split over lines)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monev.errors import PlanError
from monev.grammar import read_target
from monev.model import normalise_text
from monev.plans import load_plan
from monev.plans.copied import JOINED_FLAG, KOMPONEN_FLAG
from tests.test_formats import FIX, SOURCES, TEXT_FIELDS, periods, read
from tests.test_importers import run_cli

COPIED = ["plan.pdfium.txt", "a4.pdfium.txt", "portrait.pdfium.txt",
          "plan.pdfium-doubled.txt", "plan.pdftotext-rawmode.txt"]
CELLS = ("indikator", "langkah_aksi", "bukti_fisik")


def cases() -> list[tuple[str, str]]:
    return [(name, f) for name in SOURCES for f in COPIED]


def test_every_copied_fixture_is_there() -> None:
    for name, f in cases():
        assert (FIX / name / f).is_file(), f"{name}/{f}: run tools/plan_fixtures.py --copied"


@pytest.mark.parametrize(("name", "fmt"), cases(), ids=lambda x: x)
def test_copied_text_gives_the_rows_and_checkpoints(name: str, fmt: str) -> None:
    tab = read(SOURCES[name])
    if tab.header.kind == "RB":
        with pytest.raises(PlanError) as info:  # the √ lost their month: refused, not guessed
            load_plan(FIX / name / fmt)
        # (a narrow page wraps the grid's header letter by letter: no table is found)
        assert "tanda √ kehilangan bulannya" in info.value.message or \
            fmt in ("a4.pdfium.txt", "portrait.pdfium.txt")
        assert "coba berkas .pdf" in info.value.message
        return
    copy = read(FIX / name / fmt)
    assert copy.header == tab.header
    assert len(copy.items) == len(tab.items)
    assert periods(copy) == periods(tab)
    assert any("dibaca dari teks salinan PDF (sel demi sel)" in w for w in copy.warnings)
    # rows read differently from the TAB text are flagged, but for the rare row whose
    # pieces matched the columns yet were cut elsewhere (the text is all there); a word
    # broken by a narrow column ("Pengembanga n") or a hyphen at a line's end is no
    # difference here (see test_formats: a PDF cannot tell it either)
    silent = [item.source_line for item, orig in zip(copy.items, tab.items, strict=True)
              if any(normalise_text(getattr(item, f)) != normalise_text(getattr(orig, f))
                     for f in TEXT_FIELDS)
              and not any("salinan PDF" in w for w in item.warnings)]
    assert len(silent) <= max(1, 0.03 * len(tab.items)), silent


@pytest.mark.parametrize("name", [n for n in SOURCES if "-zi-" in f"-{n}"], ids=lambda x: x)
def test_rows_whose_cells_can_be_told_apart_are_split_the_rest_flagged(name: str) -> None:
    """PDFium ends a wrapped line inside a cell with a space: where that mark is, rows
    whose pieces match the columns are split (and almost always right) and carry no
    flag of their own; only the others carry the 'cannot be separated' flag, and rows
    below a numbered row that could not be split say their komponen is unknown.
    ``pdftotext -raw`` has no such mark: every row is flagged, none split by guess."""
    tab = read(SOURCES[name])
    copy = read(FIX / name / "plan.pdfium.txt")
    joined = [any(JOINED_FLAG in w for w in i.warnings) for i in copy.items]
    split = [not j for j in joined]
    assert sum(joined) > 0
    for item in copy.items:
        if any(KOMPONEN_FLAG in w for w in item.warnings):
            assert not any(JOINED_FLAG in w for w in item.warnings)
    if not name.startswith("other"):  # (the made-up plans' cells are all one-liners)
        assert sum(split) >= 0.2 * len(copy.items), (sum(split), len(copy.items))
    right = sum(all(getattr(a, f) == getattr(b, f) for f in CELLS)
                for a, b, s in zip(copy.items, tab.items, split, strict=True) if s)
    assert right >= 0.9 * sum(split), (right, sum(split))
    raw = read(FIX / name / "plan.pdftotext-rawmode.txt")
    assert all(any(JOINED_FLAG in w for w in i.warnings) for i in raw.items)


# --- made-up copies in Chrome's shape ---------------------------------------------------

AREAS = ["PEMBANGUNAN UNIT KERJA MENUJU WBK", "PENATAAN TATALAKSANA", "PENGUATAN PENGAWASAN"]
TARGETS = [["Januari minggu ke-", "2 tahun 2026"], ["Setiap bulan"], ["Maret-", "Desember 2026"],
           ["Triwulan II"], ["Paling lambat", "Juni 2026"], ["Agustus 2026"]]


def chrome_copy(komponen: int = 3, rows: int = 2, doubled: bool = False,
                with_targets: bool = True) -> tuple[str, list[list[str]]]:
    """A made-up decree as Chrome copies it, and the target text of each item."""
    out = ["SALINAN", "KEPUTUSAN KOMISI PEMILIHAN UMUM",
           "KABUPATEN SAROLANGUN TENTANG RENCANA AKSI",
           "NOMOR 5 TAHUN 2026", "PEMBANGUNAN ZONA INTEGRITAS TAHUN 2026",
           "RENCANA AKSI PEMBANGUNAN ZONA INTEGRITAS KPU KABUPATEN SAROLANGUN TAHUN 2026",
           "NO KOMPONEN INDIKATOR LANGKAH AKSI BUKTI FISIK", "TARGET", "WAKTU", "1 2 3 4 5 6"]
    targets: list[list[str]] = []
    n = 0
    for a, area in enumerate(AREAS):
        out.append(f"{'I' * (a + 1) if a < 3 else 'IV'} {area}")
        for k in range(komponen):
            for r in range(rows):
                n += 1
                lead = f"{k + 1} Komponen {a}{k} " if r == 0 else ""
                out += [f"{lead}Indikator {n} tentang pembangunan yang", "ditetapkan",
                        f"Langkah {n} menyusun laporan", f"Bukti {n} dokumen"]
                target = TARGETS[n % len(TARGETS)]
                if with_targets:
                    out += target
                targets.append(target)
            if a == 1 and k == 0:  # a page break: the header comes again
                out += ["NO KOMPONEN INDIKATOR LANGKAH AKSI BUKTI FISIK", "TARGET", "WAKTU",
                        "1 2 3 4 5 6"]
    out += ["Ditetapkan di Sarolangun", "pada tanggal 5 Januari 2026",
            "KETUA KOMISI PEMILIHAN UMUM", "KABUPATEN SAROLANGUN,"]
    sep = "\r\n\r\n" if doubled else "\r\n"
    return sep.join(out) + sep, targets


def tab_copy(komponen: int = 3, rows: int = 2) -> str:
    """The same made-up decree as a TAB export."""
    text, _ = chrome_copy(komponen, rows)
    lines = text.split("\r\n")
    head = lines.index("NO KOMPONEN INDIKATOR LANGKAH AKSI BUKTI FISIK")
    out = lines[:head] + ["NO\tKOMPONEN\tINDIKATOR\tLANGKAH AKSI\tBUKTI FISIK\tTARGET WAKTU"]
    n = 0
    for a, area in enumerate(AREAS):
        out.append(f"{'I' * (a + 1)}\t{area}\t\t\t\t")
        for k in range(komponen):
            for r in range(rows):
                n += 1
                no, komp = (f"{k + 1}", f"Komponen {a}{k}") if r == 0 else ("", "")
                out.append("\t".join((no, komp, f"Indikator {n} tentang pembangunan yang "
                                      "ditetapkan", f"Langkah {n} menyusun laporan",
                                      f"Bukti {n} dokumen",
                                      " ".join(TARGETS[n % len(TARGETS)]))))
    closing = lines.index("Ditetapkan di Sarolangun")
    return "\n".join(out + lines[closing:])


@pytest.mark.parametrize("doubled", [False, True])
@pytest.mark.parametrize(("komponen", "rows"), [(1, 1), (3, 2), (6, 3)])
def test_made_up_chrome_copy(komponen: int, rows: int, doubled: bool, tmp_path: Path) -> None:
    text, targets = chrome_copy(komponen, rows, doubled)
    path = tmp_path / "salinan.txt"
    path.write_bytes(text.encode("utf-8"))
    plan = load_plan(path)
    h = plan.header
    assert (h.satker, h.kind, h.year, h.number) == ("KPU Kabupaten Sarolangun", "ZI", 2026, "5")
    assert len(plan.items) == len(targets)
    assert [i.target_text for i in plan.items] == [" ".join(t) for t in targets]
    assert periods(plan) == [[str(p) for p in read_target(" ".join(t), 2026).periods]
                             for t in targets]
    assert [i.area for i in plan.items] == [a for a in AREAS for _ in range(komponen * rows)]
    for n, item in enumerate(plan.items, 1):
        assert f"Indikator {n} " in item.indikator and f"Bukti {n} " in item.indikator + " "
        assert any(JOINED_FLAG in w for w in item.warnings)  # no wrap marks: flagged


def test_copy_whose_rows_cannot_be_found_is_refused(tmp_path: Path) -> None:
    """NO runs to 18 but without target times only one row would be read: refused with
    the file and the line of the table, never a silent junk plan."""
    text, _ = chrome_copy(6, 1, with_targets=False)
    path = tmp_path / "salinan.txt"
    path.write_bytes(text.encode("utf-8"))
    with pytest.raises(PlanError) as info:
        load_plan(path)
    assert info.value.path == str(path)
    assert text.split("\r\n")[info.value.line - 1].startswith("NO KOMPONEN")
    res = run_cli("plan", "show", str(path), "--json", cwd=tmp_path)
    assert res.returncode != 0 and "Traceback" not in res.stderr
    assert f"{path}:{info.value.line}:" in res.stderr


def test_plan_show_json_of_a_copy(tmp_path: Path) -> None:
    name = "zi-2025-kpu-kota-jambi"
    res = run_cli("plan", "show", str(FIX / name / "plan.pdfium.txt"), "--json", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["plan"]["satker"] == "KPU Kota Jambi"
    assert len(data["items"]) == len(read(SOURCES[name]).items)


@pytest.mark.parametrize(("before", "after", "targets"), [
    (["-"], ["Indikator dua dokumen", "Maret 2026"], ["-", "Maret 2026"]),
    (["Oktober-"], ["laporan lanjutan", "Desember 2026", "Indikator dua dokumen", "Maret 2026"],
     ["Oktober- Desember 2026", "Maret 2026"]),
    (["Maret 2026"], ["lanjutan laporan", "Indikator dua dokumen", "April 2026"],
     ["Maret 2026", "April 2026"]),
])
def test_page_break_after_a_target(before: list[str], after: list[str], targets: list[str],
                                   tmp_path: Path) -> None:
    """An empty target ("-") right before a page break ends its row; a target cut by the
    break ("Oktober-") goes on after the rest of its row's cells on the next page; words
    in small letters right after the repeated header go on with the row above."""
    head = ["KEPUTUSAN KOMISI PEMILIHAN UMUM KOTA CONTOH", "NOMOR 1 TAHUN 2026",
            "TENTANG RENCANA AKSI ZONA INTEGRITAS TAHUN 2026", "pada tanggal 2 Januari 2026",
            "NO KOMPONEN INDIKATOR LANGKAH AKSI BUKTI FISIK", "TARGET", "WAKTU", "1 2 3 4 5 6"]
    rows = ["I MANAJEMEN PERUBAHAN", "1 Tim Kerja Indikator satu dokumen", *before,
            *head[4:], *after, "Ditetapkan di Contoh"]
    path = tmp_path / "salinan.txt"
    path.write_text("\r\n".join(head + rows), "utf-8")
    plan = load_plan(path)
    assert [i.target_text for i in plan.items] == targets
    assert "Indikator dua" in plan.items[1].indikator
    assert "lanjutan" not in plan.items[1].indikator  # a cell going on: the row above's
