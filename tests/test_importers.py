"""Importers on the three real decrees (examples/plans), the canonical YAML round trip,
and bad input refused with a PlanError naming file and line (exit code 2 on the CLI).

Item counts are checked twice: against the numbers read off the documents by hand and
against an independent scan written here (every table line with a target or a √, minus
the continuation lines right after a repeated page header)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from monev.errors import PlanError
from monev.model import Plan
from monev.periods import Period
from monev.plans import load_plan
from monev.plans.canonical import dump_plan
from tests.conftest import ALL_PLANS, RB_MUARO, ROOT, ZI_KOTA, ZI_MUARO

MONEV = ROOT / ".venv" / "bin" / "monev"


def text_of(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def lines_of(path: Path) -> list[str]:
    return text_of(path).split("\n")


def item_fields(plan: Plan, with_line: bool = True) -> list[tuple[object, ...]]:
    return [(i.area, i.komponen, i.indikator, i.langkah_aksi, i.bukti_fisik, i.target_text,
             tuple(str(p) for p in i.periods)) + ((i.source_line,) if with_line else ())
            for i in plan.items]


def by_line(plan: Plan, line: int):  # noqa: ANN201 - an Item
    found = [i for i in plan.items if i.source_line == line]
    assert len(found) == 1, f"no single item at line {line}"
    return found[0]


def monev_cmd() -> list[str]:
    return [str(MONEV)] if MONEV.exists() else [sys.executable, "-m", "app"]


def run_cli(*args: str, cwd: Path,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    # PYTHONPATH: `python -m app` run elsewhere than ROOT imports this tree's code
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return subprocess.run([*monev_cmd(), *args], cwd=cwd, text=True, capture_output=True,
                          timeout=120, env={**os.environ, "COLUMNS": "250", "PYTHONPATH": path,
                                            **(env or {})})


# --- an independent reading of the documents ------------------------------------------

_COLNUM = re.compile(r"^\(?\d{1,2}\)?$")


def _is_header(cells: list[str]) -> bool:
    return cells[0].upper().rstrip(".") == "NO" and len(cells) > 3


def _is_colnum(cells: list[str]) -> bool:
    filled = [c for c in cells if c]
    return len(filled) >= 3 and all(_COLNUM.match(c) for c in filled)


def scan_zi(lines: list[str]) -> list[int]:
    """Lines of ZI item rows: a text cell filled, not a continuation after a header."""
    rows: list[int] = []
    after = False
    for n, line in enumerate(lines, start=1):
        if "\t" not in line:
            continue
        cells = [c.strip() for c in line.split("\t")] + [""] * 6
        if _is_header(cells):
            after = True
            continue
        if _is_colnum(cells):
            continue
        if not any(cells[2:6]):  # area row
            after = False
            continue
        if after and not cells[0] and not cells[5]:  # the rest of the row before the break
            after = False
            continue
        after = False
        rows.append(n)
    return rows


def scan_rb(lines: list[str]) -> list[int]:
    """Lines of RB grid rows: any text or √, not a mark-less continuation after a header."""
    rows: list[int] = []
    after = False
    for n, line in enumerate(lines, start=1):
        if "\t" not in line:
            continue
        cells = [c.strip() for c in line.split("\t")] + [""] * 18
        if _is_header(cells):
            after = True
            continue
        if _is_colnum(cells) or not any(cells):
            continue
        if after and not cells[0] and not cells[1] and "√" not in cells:
            after = False
            continue
        after = False
        rows.append(n)
    return rows


# --- header fields and counts ---------------------------------------------------------

HEADERS = [
    (ZI_MUARO, "KPU Kabupaten Muaro Jambi", "ZI", 2025, "74", date(2025, 7, 7), 70),
    (ZI_KOTA, "KPU Kota Jambi", "ZI", 2025, "20", date(2025, 12, 8), 87),
    (RB_MUARO, "KPU Kabupaten Muaro Jambi", "RB", 2026, "10", date(2026, 1, 6), 75),
]


@pytest.mark.parametrize(("path", "satker", "kind", "year", "number", "decided", "count"),
                         HEADERS, ids=[h[0].name for h in HEADERS])
def test_header_fields_and_item_count(path: Path, satker: str, kind: str, year: int,
                                      number: str, decided: date, count: int) -> None:
    plan = load_plan(path)
    h = plan.header
    assert (h.satker, h.kind, h.year, h.number, h.decided_on) == (
        satker, kind, year, number, decided)
    assert len(plan.items) == count
    assert plan.range_policy == "monthly"


@pytest.mark.parametrize("path", ALL_PLANS, ids=lambda p: p.name)
def test_every_table_row_is_one_item(path: Path) -> None:
    lines = lines_of(path)
    expected = scan_rb(lines) if "-rb-" in path.name else scan_zi(lines)
    plan = load_plan(path)
    assert [i.source_line for i in plan.items] == expected
    assert len(set(i.key for i in plan.items)) == len(plan.items)


def test_counts_of_the_independent_scan() -> None:
    """The scan itself, against counts made by reading the documents."""
    assert len(scan_zi(lines_of(ZI_MUARO))) == 70
    assert len(scan_zi(lines_of(ZI_KOTA))) == 87
    assert len(scan_rb(lines_of(RB_MUARO))) == 75


@pytest.mark.parametrize("path", ALL_PLANS, ids=lambda p: p.name)
def test_items_have_area_komponen_and_text(path: Path) -> None:
    plan = load_plan(path)
    for item in plan.items:
        assert item.area and item.komponen, item
        assert item.indikator or item.langkah_aksi, item
        for text in (item.area, item.komponen, item.indikator, item.langkah_aksi,
                     item.bukti_fisik, item.target_text):
            assert "<i>" not in text and "\t" not in text and "  " not in text
            assert text == text.strip()


def test_zi_muaro_areas_in_order() -> None:
    areas = list(dict.fromkeys(i.area for i in load_plan(ZI_MUARO).items))
    assert areas == [
        "Pembangunan unit kerja untuk memperoleh predikat menuju WBK/WBBM KPU",
        "PENATAAN TATA LAKSANA", "PENATAAN SISTEM MANAJEMEN SDM", "PENGUATAN AKUNTABILITAS",
        "Penguatan Pengawasan", "PENINGKATAN KUALITAS PELAYANAN PUBLIK"]


def test_zi_kota_areas_in_order() -> None:
    areas = list(dict.fromkeys(i.area for i in load_plan(ZI_KOTA).items))
    assert areas == [
        "MANAJEMEN PERUBAHAN", "PENATAAN TATALAKSANA", "PENATAAN SISTEM MANAJEMEN SDM APARATUR",
        "PENGUATAN AKUNTABILITAS", "PENGUATAN PENGAWASAN",
        "PENINGKATAN KUALITAS PELAYANAN PUBLIK"]  # the last area row has no TAB at all


def test_rb_areas_in_order() -> None:
    areas = list(dict.fromkeys(i.area for i in load_plan(RB_MUARO).items))
    assert areas == [
        "Manajemen Perubahan", "Penataan Peraturan Perundang-undangan/Deregulasi Kebijakan",
        "Penataan Organisasi/Kelembagaan", "Penataan Tatalaksana",
        "Sistem Manajemen Sumber Daya Manusia", "Penguatan Akuntabilitas", "Pengawasan",
        "Pelayanan Publik"]


# --- rows and periods read off the documents ------------------------------------------

def test_zi_muaro_sample_rows() -> None:
    plan = load_plan(ZI_MUARO)
    first = plan.items[0]
    assert (first.source_line, first.komponen, first.indikator, first.target_text) == (
        198, "Tim Kerja", "Menerbitkan SK Tim Kerja/Kelompok Kerja", "Juli 2025")
    assert [str(p) for p in first.periods] == ["2025-07"]
    row = by_line(plan, 204)
    assert row.target_text == "Per-bulan (Agustus-Desember) 2025"
    assert [str(p) for p in row.periods] == ["2025-08", "2025-09", "2025-10", "2025-11",
                                             "2025-12"]
    row = by_line(plan, 207)
    assert row.target_text == "Paling lambat September-Oktober 2025"
    assert [str(p) for p in row.periods] == ["2025-10"]
    row = by_line(plan, 232)  # inline <i>…</i> removed
    assert row.indikator == ("Unit kerja melakukan training need analysis untuk "
                             "pengembangan kompetensi")
    assert by_line(plan, 289).komponen == "Whistle Blowing System"
    assert all(not i.warnings for i in plan.items)
    # the table's own title names another satker than the decree: flagged, decree wins
    assert plan.header.satker == "KPU Kabupaten Muaro Jambi"
    assert len(plan.all_warnings()) == 1
    assert "judul tabel menyebut 'KPU Kabupaten Jambi'" in plan.all_warnings()[0]


def test_zi_muaro_continuation_merged() -> None:
    plan = load_plan(ZI_MUARO)
    row = by_line(plan, 235)
    assert row.indikator == ("Pegawai di unit kerja telah memperoleh kesempatan/hak untuk "
                             "mengikuti diklat maupun pengembangan kompetensi lainnya")
    assert row.bukti_fisik == ("Rekapitulasi pegawai yang mengikuti pelatihan dan pelatihan "
                               "yang telah diikuti")
    assert row.langkah_aksi == "Menyusun rekapitulasi pegawai yang telah mengikuti pelatihan"
    assert [str(p) for p in row.periods] == ["2025-11"]
    assert not any(i.indikator.startswith("maupun") for i in plan.items)
    # the other four continuation lines of the document
    assert by_line(plan, 266).indikator.endswith("menangani akuntabilitas kinerja")
    assert by_line(plan, 289).indikator.endswith("diinternalisasikan dan diterapkan dengan "
                                                 "Inspektorat")
    assert by_line(plan, 297).langkah_aksi.endswith(
        "di lingkungan KPU Kabupaten Muaro Jambi berkoordinasi dengan Inspektorat")
    row = by_line(plan, 323)
    assert row.indikator == "Hasil survei kepuasan masyarakat dapat diakses secara terbuka"
    assert row.langkah_aksi == "Menayangkan hasil survei kepuasan pelayanan KPU melalui website KPU"


def test_zi_kota_spip_komponen_merged_across_page_break() -> None:
    plan = load_plan(ZI_KOTA)
    full = "Penerapan Sistem Pengendalian Intern Pemerintah (SPIP)"
    spip = [i for i in plan.items if "Pengendalian Intern" in i.komponen
            or i.komponen == "Penerapan Sistem Pengendalian"]
    assert [i.source_line for i in spip] == [177, 182, 183, 184]
    assert {i.komponen for i in spip} == {full}
    assert by_line(plan, 177).langkah_aksi == (
        "Pembangunan Lingkungan Pengendalian pada KPU Kota Jambi")
    assert by_line(plan, 177).indikator == "Telah dibangun lingkungan pengendalian"


def test_zi_kota_other_continuations() -> None:
    plan = load_plan(ZI_KOTA)
    assert by_line(plan, 101).bukti_fisik == (
        "Dokumen kegiatan penyusunan laporan tindak lanjut hasil monitoring dan evaluasi:")
    row = by_line(plan, 120)
    assert row.langkah_aksi == ("1) KPU Kota Jambi menerapkan keterbukaan informasi publik "
                                "2) KPU Kota Jambi menyediakan informasi publik secara jelas, "
                                "akurat dan tepat waktu")
    assert row.bukti_fisik.endswith("yang dapat diakses oleh publik melalui PPID maupun secara "
                                    "online melalui e-PPID, piagam-piagam penghargaan")
    assert by_line(plan, 129).indikator.endswith("telah memberikan perbaikan terhadap kinerja "
                                                 "unit kerja")
    row = by_line(plan, 156)
    assert row.indikator == ("Unit kerja telah melibatkan pimpinan secara langsung pada saat "
                             "penyusunan perencanaan")
    assert row.langkah_aksi == ("Sekretaris KPU Kota Jambi memberikan pengarahan dan "
                                "menandatangani RKKL 2025")


def test_zi_kota_flags() -> None:
    plan = load_plan(ZI_KOTA)
    source = str(ZI_KOTA)
    typo = by_line(plan, 187)
    assert typo.target_text == "Okttober-Desember"
    assert [str(p) for p in typo.periods] == ["2025-10", "2025-11", "2025-12"]
    assert len(typo.warnings) == 1 and typo.warnings[0].startswith(f"{source}:187: ")
    assert "okttober" in typo.warnings[0]
    dash = by_line(plan, 219)  # "-" in LANGKAH AKSI, BUKTI FISIK and TARGET WAKTU
    assert dash.target_text == "-" and dash.periods == ()
    assert dash.indikator.startswith("Terdapat media pengaduan")
    assert len(dash.warnings) == 1 and dash.warnings[0].startswith(f"{source}:219: ")
    assert plan.warnings == [f"{source}:11: nomor keputusan kosong; diambil dari baris 80 (20)"]
    # no year written: the plan year
    assert [str(p) for p in plan.items[0].periods] == ["2025-08"]
    flagged = {i.source_line for i in plan.items if i.warnings}
    assert flagged == {187, 219}


def test_rb_marks_and_continuations() -> None:
    plan = load_plan(RB_MUARO)
    y = 2026
    first = plan.items[0]
    assert first.komponen == "1) Perencanaan Reformasi Birokrasi"
    assert [str(p) for p in first.periods] == [f"{y}-01"]
    row = by_line(plan, 88)  # √ in all twelve months and in KET
    assert row.periods == tuple(Period(y, m) for m in range(1, 13))
    assert row.warnings == []
    row = by_line(plan, 110)
    assert [str(p) for p in row.periods] == [f"{y}-04", f"{y}-07", f"{y}-10", f"{y}-12"]
    row = by_line(plan, 90)  # continuation after the page header at 92
    assert row.indikator.endswith("yang bisa diakses stakeholder internal dan eksternal; "
                                  "2. Pembangunan kolom Reformasi Birokrasi Unit/Satuan Kerja "
                                  "di website resmi yang berisikan dokumentasi/ pelaporan "
                                  "pelaksanaan RB di lingkungan Unit Kerja;")
    assert row.bukti_fisik == row.indikator
    assert by_line(plan, 118).komponen.endswith("menjadi kewenangan di lingkungan unit "
                                                "kerja/satuan kerja")
    row = by_line(plan, 150)
    assert row.komponen == ("3) Tata kelola dan implementasi Sistem Pemerintahan Berbasis "
                            "Elektronik (SPBE) di lingkungan unit/satuan kerja")
    for item in plan.items:
        assert item.target_text == "" or item.periods, item
        assert all(p.year == y for p in item.periods)


def test_rb_kegiatan_continuation_renames_the_whole_kegiatan() -> None:
    plan = load_plan(RB_MUARO)
    names = {by_line(plan, n).komponen for n in (150, 160, 161)}
    assert names == {"3) Tata kelola dan implementasi Sistem Pemerintahan Berbasis "
                     "Elektronik (SPBE) di lingkungan unit/satuan kerja"}


def _ket_only_lines(lines: list[str]) -> set[int]:
    """RB rows whose only √ stands under KET (read with the header's own KET index)."""
    out: set[int] = set()
    ket = -1
    for n, line in enumerate(lines, start=1):
        cells = [c.strip() for c in line.split("\t")]
        if "KET" in cells:
            ket = cells.index("KET")
            continue
        marks = [i for i, c in enumerate(cells) if c == "√"]
        text = [i for i, c in enumerate(cells) if c and c != "√"]
        if marks == [ket] and text and max(text) <= 4:
            out.add(n)
    return out


def test_rb_ket_only_rows_flagged() -> None:
    plan = load_plan(RB_MUARO)
    ket_only = _ket_only_lines(lines_of(RB_MUARO))
    assert ket_only == {104, 111, 112, 203, 214, 215}
    for n in ket_only:
        item = by_line(plan, n)
        assert [str(p) for p in item.periods] == ["2026-12"]
        assert any(w.startswith(f"{RB_MUARO}:{n}: ") and "KET" in w and "saja" in w
                   for w in item.warnings), item.warnings
    flagged_only = {i.source_line for i in plan.items
                    if any("KET saja" in w for w in i.warnings)}
    assert flagged_only == ket_only


@pytest.mark.parametrize("path", ALL_PLANS, ids=lambda p: p.name)
def test_every_warning_names_file_and_line(path: Path) -> None:
    plan = load_plan(path)
    pattern = re.compile(rf"^{re.escape(str(path))}:\d+: ")
    for w in plan.all_warnings():
        assert pattern.match(w), w
        line = int(w[len(str(path)) + 1:].split(":", 1)[0])
        assert 1 <= line <= len(lines_of(path))


def test_relative_and_absolute_paths_both_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    rel = ZI_KOTA.relative_to(ROOT)
    plan = load_plan(rel)
    assert plan.source == str(rel)
    assert all(w.startswith(f"{rel}:") for w in plan.all_warnings())


def test_prose_flags_name_a_line(tmp_path: Path) -> None:
    text = "\n".join(x for x in lines_of(ZI_MUARO) if not x.startswith("pada tanggal"))
    path = tmp_path / "tanpa-tanggal.txt"
    path.write_text(text, encoding="utf-8")
    plan = load_plan(path)
    assert plan.header.decided_on is None
    assert plan.warnings
    for w in plan.all_warnings():
        assert re.match(rf"^{re.escape(str(path))}:\d+: ", w), w


# --- canonical YAML round trip --------------------------------------------------------

@pytest.mark.parametrize("policy", ["monthly", "end"])
@pytest.mark.parametrize("path", ALL_PLANS, ids=lambda p: p.name)
def test_yaml_round_trip_is_byte_identical(path: Path, policy: str, tmp_path: Path) -> None:
    text_plan = load_plan(path, policy)  # type: ignore[arg-type]
    first = dump_plan(text_plan)
    out = tmp_path / "plan.yaml"
    out.write_bytes(first.encode("utf-8"))
    yaml_plan = load_plan(out)
    second = dump_plan(yaml_plan)
    assert second.encode("utf-8") == first.encode("utf-8")
    assert yaml_plan.header == text_plan.header
    assert yaml_plan.range_policy == policy
    assert item_fields(yaml_plan) == item_fields(text_plan)
    assert [i.key for i in yaml_plan.items] == [i.key for i in text_plan.items]
    # and once more through a second file
    again = tmp_path / "again.yaml"
    again.write_text(second, encoding="utf-8")
    assert dump_plan(load_plan(again)) == first


def test_yaml_override_survives_round_trip(tmp_path: Path) -> None:
    first = dump_plan(load_plan(ZI_KOTA))
    marker = "  target: '-'\n"
    assert first.count(marker) == 1  # the row with "-" everywhere
    fixed = first.replace(marker, marker + "  checkpoints:\n  - 2025-12\n  - 2026-01-W2\n")
    path = tmp_path / "fixed.yaml"
    path.write_text(fixed, encoding="utf-8")
    plan = load_plan(path)
    row = next(i for i in plan.items if i.target_text == "-")
    assert [str(p) for p in row.periods] == ["2025-12", "2026-01-W2"]
    assert row.warnings == []
    assert "- 2026-01-W2" in dump_plan(plan)
    again = tmp_path / "again.yaml"
    again.write_text(dump_plan(plan), encoding="utf-8")
    assert dump_plan(load_plan(again)) == dump_plan(plan)


def test_yaml_round_trip_through_cli(tmp_path: Path) -> None:
    out = tmp_path / "export.yaml"
    res = run_cli("plan", "export", str(ZI_MUARO), "-o", str(out), cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert out.read_text(encoding="utf-8") == dump_plan(load_plan(ZI_MUARO))
    res = run_cli("plan", "export", str(out), cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert res.stdout == out.read_text(encoding="utf-8")


# --- bad input ------------------------------------------------------------------------

def _header_index(lines: list[str]) -> int:
    return next(i for i, x in enumerate(lines) if x.startswith(("NO\t", "NO.\t")))


def _replace_line(path: Path, line: int, edit) -> tuple[bytes, int]:  # noqa: ANN001
    lines = lines_of(path)
    cells = lines[line - 1].split("\t")
    lines[line - 1] = "\t".join(edit(cells))
    return "\n".join(lines).encode("utf-8"), line


def bad_binary() -> tuple[bytes, int | None]:
    data = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + bytes(range(256))
    return data, 3  # the first NUL byte follows the second "\n"


def bad_pdf() -> tuple[bytes, int | None]:
    """Told from its content (a PDF, whatever its name) and refused as a broken PDF."""
    return b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", 1


def bad_cp1252() -> tuple[bytes, int | None]:
    text = text_of(ZI_MUARO)
    first = next(n for n, x in enumerate(text.split("\n"), 1) if any(ord(c) > 127 for c in x))
    return text.encode("cp1252"), first


def bad_cp1252_in_table() -> tuple[bytes, int | None]:
    lines = lines_of(ZI_MUARO)
    lines[197] = lines[197].replace("Juli 2025", "Juli 2025 \u2013 Agustus")
    data = "\n".join(lines).encode("ascii", errors="replace")  # prose now pure ASCII
    data = data.replace(b"Juli 2025 ? Agustus", b"Juli 2025 \x96 Agustus")
    return data, 198


def bad_empty() -> tuple[bytes, int | None]:
    return b"", 1


def bad_blank() -> tuple[bytes, int | None]:
    return b"\n \n\t\n\r\n", 1


def bad_prose() -> tuple[bytes, int | None]:
    """A decree without its table: refused at its RENCANA AKSI title."""
    lines = lines_of(ZI_MUARO)[:_header_index(lines_of(ZI_MUARO)) - 1]
    title = next(n for n, x in enumerate(lines, 1) if x.lstrip("*").startswith("RENCANA AKSI"))
    return "\n".join(lines).encode("utf-8"), title


def bad_header_only_zi() -> tuple[bytes, int | None]:
    lines = lines_of(ZI_MUARO)
    h = _header_index(lines)
    return "\n".join(lines[:h + 2]).encode("utf-8"), h + 1


def bad_header_and_area_only_zi() -> tuple[bytes, int | None]:
    lines = lines_of(ZI_KOTA)
    h = _header_index(lines)
    return "\n".join(lines[:h + 3] + ["", "Ditetapkan di Jambi"]).encode("utf-8"), h + 1


def bad_header_only_rb() -> tuple[bytes, int | None]:
    lines = lines_of(RB_MUARO)
    h = _header_index(lines)
    return "\n".join(lines[:h + 3]).encode("utf-8"), h + 1


def bad_zi_shift_right() -> tuple[bytes, int | None]:
    # an extra empty cell before KOMPONEN: TARGET WAKTU lands in a 7th column
    return _replace_line(ZI_MUARO, 198, lambda c: [c[0], "", *c[1:]])


def bad_zi_shift_right_extra_text() -> tuple[bytes, int | None]:
    return _replace_line(ZI_KOTA, 93, lambda c: [*c, "Desember"])


def bad_zi_shift_left() -> tuple[bytes, int | None]:
    # BUKTI FISIK cell lost: the target stands under BUKTI FISIK
    return _replace_line(ZI_MUARO, 199, lambda c: [*c[:4], c[5]])


def bad_zi_shift_left_kota() -> tuple[bytes, int | None]:
    return _replace_line(ZI_KOTA, 91, lambda c: [*c[:4], c[5]])


def bad_rb_shift_right_no_room() -> tuple[bytes, int | None]:
    return _replace_line(RB_MUARO, 87, lambda c: ["X", *c])


def bad_no_satker() -> tuple[bytes, int | None]:
    lines = lines_of(ZI_MUARO)
    h = _header_index(lines)
    head = ["RENCANA AKSI", "TENTANG PEMBANGUNAN ZONA INTEGRITAS TAHUN 2025", ""]
    return "\n".join(head + lines[h:]).encode("utf-8"), 1


BAD = [bad_binary, bad_pdf, bad_cp1252, bad_cp1252_in_table, bad_empty, bad_blank,
       bad_prose, bad_header_only_zi, bad_header_and_area_only_zi, bad_header_only_rb,
       bad_zi_shift_right, bad_zi_shift_right_extra_text, bad_zi_shift_left,
       bad_zi_shift_left_kota, bad_rb_shift_right_no_room, bad_no_satker]


@pytest.mark.parametrize("make", BAD, ids=lambda f: f.__name__)
def test_bad_input_raises_plan_error_with_file_and_line(make, tmp_path: Path) -> None:  # noqa: ANN001
    data, line = make()
    path = tmp_path / f"{make.__name__}.txt"
    path.write_bytes(data)
    with pytest.raises(PlanError) as info:
        load_plan(path)
    err = info.value
    assert err.path == str(path)
    assert err.line >= 1
    if line is not None:
        assert err.line == line, err
    assert str(err).startswith(f"{path}:{err.line}: ")
    assert len(err.message) > 20  # says what was expected


@pytest.mark.parametrize("make", [bad_binary, bad_cp1252, bad_empty, bad_prose,
                                  bad_header_only_zi, bad_zi_shift_right, bad_zi_shift_left],
                         ids=lambda f: f.__name__)
def test_bad_input_exit_code_2_through_cli(make, tmp_path: Path) -> None:  # noqa: ANN001
    data, line = make()
    path = tmp_path / f"{make.__name__}.txt"
    path.write_bytes(data)
    res = run_cli("plan", "show", str(path), cwd=tmp_path)
    assert res.returncode == 2, (res.stdout, res.stderr)
    assert f"{path}:{line}: " in res.stderr
    assert "Traceback" not in res.stderr


def test_bad_input_exit_code_2_with_json_and_export(tmp_path: Path) -> None:
    data, line = bad_zi_shift_left()
    path = tmp_path / "geser.txt"
    path.write_bytes(data)
    for args in (("plan", "show", str(path), "--json"), ("plan", "export", str(path))):
        res = run_cli(*args, cwd=tmp_path)
        assert res.returncode == 2, args
        assert res.stdout == ""
        assert f"{path}:{line}: " in res.stderr


def test_missing_file_exit_code_2(tmp_path: Path) -> None:
    path = tmp_path / "tidak-ada.txt"
    with pytest.raises(PlanError) as info:
        load_plan(path)
    assert info.value.path == str(path)
    res = run_cli("plan", "show", str(path), cwd=tmp_path)
    assert res.returncode == 2
    assert str(path) in res.stderr


def test_good_document_exit_code_0(tmp_path: Path) -> None:
    res = run_cli("plan", "show", str(ZI_KOTA), cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "87 baris" in res.stdout
