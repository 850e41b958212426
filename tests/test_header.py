"""The header reader (issue 12): satker, kind and year from the decree title and the
table title, never from the laws cited under Menimbang/Mengingat; names over two
lines; missing number/date empty and flagged; titles that disagree flagged."""

from __future__ import annotations

import subprocess

import pytest

from monev.plans.loader import parse_text
from tests.conftest import ROOT, ZI_KOTA

TABLE = ["NO\tKOMPONEN\tINDIKATOR\tLANGKAH AKSI\tBUKTI FISIK\tTARGET WAKTU",
         "I\tMANAJEMEN PERUBAHAN\t\t\t\t",
         "1.\tTim Kerja\tTim ditetapkan\tMenetapkan tim\tSK tim\tMaret"]


def plan_of(head: str):  # noqa: ANN201 - a Plan
    return parse_text(head.split("\n") + TABLE, "x.txt")


def test_citations_never_give_the_year_or_satker() -> None:
    """The issue's reproduction: a copied preamble without blank lines, the issuer's
    name over two lines, a law of 2020 cited right after the title."""
    plan = plan_of(
        "KEPUTUSAN KOMISI PEMILIHAN UMUM KABUPATEN\nMUARO JAMBI\nNOMOR 74 TAHUN 2025\n"
        "TENTANG\nRENCANA AKSI PEMBANGUNAN ZONA INTEGRITAS\nTAHUN 2025\n"
        "Menimbang : a. bahwa Peraturan Menteri Nomor 90 Tahun 2021 tentang ZI;\n"
        "Mengingat : 1. Peraturan KPU Nomor 14 Tahun 2020 tentang Tata Kerja;\n"
        "Ditetapkan di Sengeti\npada tanggal 7 Juli 2025\n"
        "RENCANA AKSI PEMBANGUNAN ZONA INTEGRITAS KPU KABUPATEN MUARO JAMBI TAHUN 2025")
    h = plan.header
    assert (h.satker, h.kind, h.year, h.number) == ("KPU Kabupaten Muaro Jambi", "ZI", 2025, "74")
    assert str(h.decided_on) == "2025-07-07"
    assert plan.warnings == []
    assert [str(p) for p in plan.items[0].periods] == ["2025-03"]


def test_subject_without_year_takes_the_table_title_not_a_citation() -> None:
    plan = plan_of(
        "KEPUTUSAN KOMISI PEMILIHAN UMUM KOTA JAMBI\nNOMOR 3 TAHUN 2026\nTENTANG\n"
        "RENCANA AKSI REFORMASI BIROKRASI\nKETUA KOMISI PEMILIHAN UMUM KOTA JAMBI,\n"
        "Mengingat : Undang-Undang Nomor 7 Tahun 2017;\npada tanggal 2 Januari 2026\n"
        "RENCANA AKSI ZONA INTEGRITAS KPU KOTA JAMBI TAHUN 2026")
    assert plan.header.year == 2026
    assert any("tahun rencana diambil dari judul tabel (2026)" in w for w in plan.warnings)
    assert any("judul tabel menyebut ZI, judul keputusan RB" in w for w in plan.warnings)


def test_missing_number_and_date_are_empty_and_flagged() -> None:
    plan = plan_of("KEPUTUSAN KOMISI PEMILIHAN UMUM KOTA SUNGAI PENUH\nNOMOR    TAHUN 2027\n"
                   "TENTANG\nRENCANA AKSI ZONA INTEGRITAS TAHUN 2027\nKETUA KOMISI,")
    assert plan.header.number is None and plan.header.decided_on is None
    assert any(w.startswith("x.txt:2: nomor keputusan kosong") for w in plan.warnings)
    assert any("tanggal penetapan tidak ditemukan" in w for w in plan.warnings)


def test_table_title_naming_another_satker_is_flagged() -> None:
    plan = plan_of("KEPUTUSAN KOMISI PEMILIHAN UMUM KABUPATEN MUARO JAMBI\nNOMOR 1 TAHUN 2025\n"
                   "TENTANG\nRENCANA AKSI ZONA INTEGRITAS TAHUN 2025\npada tanggal 1 Juli 2025\n"
                   "RENCANA AKSI ZONA INTEGRITAS KPU KABUPATEN JAMBI TAHUN 2025")
    assert plan.header.satker == "KPU Kabupaten Muaro Jambi"
    assert any("'KPU Kabupaten Jambi'" in w for w in plan.warnings)


@pytest.mark.parametrize(("issuer", "expected"), [
    ("KEPUTUSAN KEPALA BADAN PUSAT STATISTIK\nKOTA SUNGAI PENUH", "BPS Kota Sungai Penuh"),
    ("KEPUTUSAN KOMISI PEMILIHAN UMUM\nPROVINSI SULAWESI TENGAH", "KPU Provinsi Sulawesi Tengah"),
])
def test_issuer_over_two_lines(issuer: str, expected: str) -> None:
    plan = plan_of(f"{issuer}\nNOMOR 2 TAHUN 2027\nTENTANG\nRENCANA AKSI ZONA INTEGRITAS "
                   "TAHUN 2027\npada tanggal 1 Juli 2027")
    assert plan.header.satker == expected


def test_table_title_alone_is_enough_and_flagged() -> None:
    plan = plan_of("LAMPIRAN\nRENCANA AKSI PEMBANGUNAN ZONA INTEGRITAS\n"
                   "KPU KABUPATEN KERINCI TAHUN 2026")
    h = plan.header
    assert (h.satker, h.kind, h.year) == ("KPU Kabupaten Kerinci", "ZI", 2026)
    assert any("nama satker diambil dari judul tabel" in w for w in plan.warnings)


def test_real_decree_header_unchanged() -> None:
    from monev.plans import load_plan

    h = load_plan(ZI_KOTA).header
    assert (h.satker, h.kind, h.year, h.number, str(h.decided_on)) == (
        "KPU Kota Jambi", "ZI", 2025, "20", "2025-12-08")


@pytest.mark.parametrize("year", ["0", "99999", "-5"])
def test_when_with_impossible_year_is_one_line(year: str) -> None:
    if not (ROOT / ".venv/bin/monev").exists():
        pytest.skip("no .venv")
    res = subprocess.run([str(ROOT / ".venv/bin/monev"), "when", "Maret", f"--year={year}"],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    assert len(res.stderr.strip().split("\n")) == 1 and "--year" in res.stderr


@pytest.mark.parametrize("title", [
    "KEPUTUSAN KOMISI PEMILIHAN UMUM\nKABUPATEN SAROLANGUN TENTANG RENCANA AKSI\nNOMOR 5 "
    "TAHUN 2026\nPEMBANGUNAN ZONA INTEGRITAS TAHUN 2026",
    "KEPUTUSAN KOMISI PEMILIHAN UMUM KABUPATEN SAROLANGUN TENTANG\nRENCANA AKSI PEMBANGUNAN "
    "ZONA INTEGRITAS TAHUN 2026",
    "KEPUTUSAN KOMISI PEMILIHAN UMUM KABUPATEN SAROLANGUN NOMOR 5 TAHUN 2026 TENTANG RENCANA "
    "AKSI PEMBANGUNAN ZONA INTEGRITAS TAHUN 2026",
    "Keputusan Komisi Pemilihan Umum Kabupaten Sarolangun\nTentang Rencana Aksi Pembangunan "
    "Zona Integritas Tahun 2026",
])
def test_satker_never_takes_the_subject(title: str) -> None:
    """Issue 18: a copied title whose issuer runs on into ``TENTANG …`` on one line was
    stored as satker 'KPU Kabupaten Sarolangun Tentang Rencana Aksi'."""
    plan = plan_of(f"{title}\nKETUA KOMISI PEMILIHAN UMUM KABUPATEN SAROLANGUN,\n"
                   "pada tanggal 5 Januari 2026")
    assert plan.header.satker == "KPU Kabupaten Sarolangun"
    assert plan.header.year == 2026
