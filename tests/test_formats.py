"""Every input format of a plan reads to the same plan as its TAB text (issue 12).

Fixtures come from tools/plan_fixtures.py (committed: CI needs no office suite): the
three real decrees and two made-up plans of other satkers, each as .docx (one table over
many pages, merged cells), a .docx cut into one table per page, .xlsx (three sheets,
merged cells, formulas, √/v/x/1 grid), LibreOffice PDFs on F4 and on A4 (other page
breaks), PDFs with an extra and with a missing column, and the flattened text that
``pdftotext -layout`` and pdfplumber's ``extract_text()`` give. Structured formats must
give the same items and checkpoints; flattened text the same checkpoints and row count,
with every row whose columns were guessed flagged."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import pytest

from monev.errors import PlanError
from monev.model import Plan
from monev.plans import load_plan
from monev.plans.canonical import dump_plan
from tests.conftest import ROOT
from tests.test_importers import run_cli

FIX = ROOT / "tests" / "fixtures" / "plans"
EXAMPLES = ROOT / "examples" / "plans"
SOURCES = {
    "zi-2025-kpu-kab-muaro-jambi": EXAMPLES / "rencana-aksi-zi-2025-kpu-kab-muaro-jambi.txt",
    "zi-2025-kpu-kota-jambi": EXAMPLES / "rencana-aksi-zi-2025-kpu-kota-jambi.txt",
    "rb-2026-kpu-kab-muaro-jambi": EXAMPLES / "rencana-aksi-rb-2026-kpu-kab-muaro-jambi.txt",
    "other-zi-2027-kpu-provinsi-sulawesi-tengah":
        FIX / "src/other-zi-2027-kpu-provinsi-sulawesi-tengah.txt",
    "other-rb-2027-bps-kota-sungai-penuh": FIX / "src/other-rb-2027-bps-kota-sungai-penuh.txt",
}
STRUCTURED = ["plan.docx", "split.docx", "plan.xlsx", "plan.pdf", "a4.pdf", "extra-col.pdf"]
FLAT = ["plan.pdftotext.txt", "plan.pdfplumber.txt"]
TEXT_FIELDS = ("area", "komponen", "indikator", "langkah_aksi", "bukti_fisik", "target_text")
_CACHE: dict[Path, Plan] = {}


def read(path: Path) -> Plan:
    if path not in _CACHE:
        _CACHE[path] = load_plan(path)
    return _CACHE[path]


def texts(plan: Plan) -> list[tuple[str, ...]]:
    return [tuple(getattr(i, f) for f in TEXT_FIELDS) for i in plan.items]


def periods(plan: Plan) -> list[list[str]]:
    return [[str(p) for p in i.periods] for i in plan.items]


def cases(files: list[str]) -> list[tuple[str, str]]:
    return [(name, f) for name in SOURCES for f in files if (FIX / name / f).exists()]


def test_every_fixture_is_there() -> None:
    """The generator ran for every source (a missing file would skip a case silently)."""
    for name in SOURCES:
        for f in [*STRUCTURED, *FLAT, "plan.pdftotext-raw.txt", "missing-col.pdf"]:
            assert (FIX / name / f).is_file(), f"{name}/{f}: run tools/plan_fixtures.py"


@pytest.mark.parametrize(("name", "fmt"), cases(STRUCTURED), ids=lambda x: x)
def test_structured_format_gives_the_tab_plan(name: str, fmt: str) -> None:
    tab, other = read(SOURCES[name]), read(FIX / name / fmt)
    assert other.header == tab.header
    assert periods(other) == periods(tab)
    same = sum(a == b for a, b in zip(texts(other), texts(tab), strict=True))
    if fmt in ("plan.docx", "split.docx", "plan.xlsx") or name.startswith("other"):
        assert texts(other) == texts(tab)
    else:
        # a word wider than its PDF column is broken without a hyphen ("Deregu lasi"):
        # nothing on the page tells it apart from two words; the rows still match
        assert same >= 0.85 * len(tab.items), (same, len(tab.items))
    for w in other.all_warnings():  # file and line (and page/table/sheet) in each flag
        assert re.match(rf"^{re.escape(str(FIX / name / fmt))}:\d+( \([^)]*\))?: ", w), w


@pytest.mark.parametrize("name", list(SOURCES), ids=lambda x: x)
def test_docx_and_xlsx_keep_the_item_identities(name: str) -> None:
    """Same stable keys: a plan re-imported from its Word or Excel file is 'unchanged'."""
    keys = [i.key for i in read(SOURCES[name]).items]
    assert [i.key for i in read(FIX / name / "plan.docx").items] == keys
    assert [i.key for i in read(FIX / name / "plan.xlsx").items] == keys


@pytest.mark.parametrize(("name", "fmt"), cases(FLAT), ids=lambda x: x)
def test_flattened_text_gives_the_checkpoints_and_rows(name: str, fmt: str) -> None:
    tab = read(SOURCES[name])
    if fmt == "plan.pdfplumber.txt" and tab.header.kind == "RB":
        with pytest.raises(PlanError) as info:  # the √ lost their month: refused, not guessed
            read(FIX / name / fmt)
        assert "tanda √ kehilangan bulannya" in info.value.message
        return
    flat = read(FIX / name / fmt)
    assert flat.header == tab.header
    assert len(flat.items) == len(tab.items)
    assert periods(flat) == periods(tab)
    for item, orig in zip(flat.items, tab.items, strict=True):
        if texts(Plan(tab.header, [item], ""))[0] != texts(Plan(tab.header, [orig], ""))[0]:
            assert any("salinan PDF" in w for w in item.warnings), (item.source_line, item)


@pytest.mark.parametrize("name", list(SOURCES), ids=lambda x: x)
def test_plain_pdftotext_is_refused_with_what_was_seen(name: str) -> None:
    path = FIX / name / "plan.pdftotext-raw.txt"
    with pytest.raises(PlanError) as info:
        load_plan(path)
    assert "tercerai-berai" in info.value.message and "-layout" in info.value.message
    lines = path.read_text("utf-8").split("\n")
    assert lines[info.value.line - 1].strip().rstrip(".") == "NO"  # where the table starts


@pytest.mark.parametrize("name", list(SOURCES), ids=lambda x: x)
def test_missing_column_is_read_and_flagged(name: str) -> None:
    tab, pdf = read(SOURCES[name]), read(FIX / name / "missing-col.pdf")
    assert periods(pdf) == periods(tab)
    assert len(pdf.items) == len(tab.items)
    if tab.header.kind == "ZI":
        assert all(i.bukti_fisik == "" for i in pdf.items)
        assert any("kolom BUKTI FISIK tidak ada" in w for w in pdf.warnings)


@pytest.mark.parametrize("name", list(SOURCES), ids=lambda x: x)
def test_pic_column_is_kept_on_the_items(name: str) -> None:
    """A PENANGGUNG JAWAB / PIC column is the decree's word on who answers for a row:
    kept as the item's ``pic``, never read as target, never dropped with a flag."""
    tab, pdf = read(SOURCES[name]), read(FIX / name / "extra-col.pdf")
    assert not any("tidak dikenal" in w for w in pdf.warnings), pdf.warnings
    assert periods(pdf) == periods(tab)
    assert {i.pic for i in pdf.items} <= {"Kasubbag Umum", "Sekretaris"}
    assert all(i.pic for i in pdf.items)
    assert not any("Kasubbag" in i.target_text for i in pdf.items)


def test_xlsx_says_which_sheet_and_reads_formulas() -> None:
    plan = read(FIX / "zi-2025-kpu-kota-jambi" / "plan.xlsx")
    assert any("dibaca dari lembar 'Lampiran'" in w and "'Keputusan'" in w
               for w in plan.warnings)
    assert plan.items[0].area == "MANAJEMEN PERUBAHAN"  # its row opens with =ROMAN(1)


def test_xlsx_marks_v_x_and_1_are_months() -> None:
    from openpyxl import load_workbook

    path = FIX / "other-rb-2027-bps-kota-sungai-penuh" / "plan.xlsx"
    cells = {str(c.value) for row in load_workbook(path)["Lampiran"].iter_rows()
             for c in row if c.value is not None}
    assert {"v", "x", "1"} <= cells
    assert periods(read(path)) == periods(read(SOURCES["other-rb-2027-bps-kota-sungai-penuh"]))


def test_docx_signature_table_is_not_a_plan_row() -> None:
    plan = read(FIX / "zi-2025-kpu-kab-muaro-jambi" / "plan.docx")
    assert not any("ALMUTTAQIN" in " ".join(t) for t in texts(plan))
    assert plan.header.decided_on is not None


# --- refusals ---------------------------------------------------------------------------

REFUSALS = {
    "locked.docx": "dilindungi kata sandi",
    "locked.xlsx": "dilindungi kata sandi",
    "locked.pdf": "PDF dilindungi kata sandi",
    "scanned.pdf": "PDF hasil pindaian",
    "corrupt.docx": "rusak",
}


@pytest.mark.parametrize(("fname", "words"), list(REFUSALS.items()), ids=list(REFUSALS))
def test_refusals_have_their_own_message(fname: str, words: str, tmp_path: Path) -> None:
    path = FIX / "refusals" / fname
    with pytest.raises(PlanError) as info:
        load_plan(path)
    assert words in info.value.message
    # the same through the CLI: exit code 2, one line, nothing written
    home = tmp_path / "home"
    res = run_cli("plan", "import", str(path), cwd=tmp_path, env={"MONEV_HOME": str(home)})
    assert res.returncode == 2, res.stdout + res.stderr
    assert words in res.stderr and "Traceback" not in res.stderr
    assert not (home / "monev.db").exists()


def test_format_is_told_from_content_not_name(tmp_path: Path) -> None:
    docx = tmp_path / "rencana.txt"  # a Word file with the wrong name
    docx.write_bytes((FIX / "zi-2025-kpu-kota-jambi" / "plan.docx").read_bytes())
    assert len(load_plan(docx).items) == 87
    legacy = tmp_path / "lama.doc"
    legacy.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    with pytest.raises(PlanError, match=r"\.doc/\.xls"):
        load_plan(legacy)
    other_zip = tmp_path / "arsip.docx"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("readme.txt", "bukan dokumen")
    other_zip.write_bytes(buf.getvalue())
    with pytest.raises(PlanError, match="bukan dokumen Word"):
        load_plan(other_zip)


def test_copy_paste_of_unknown_shape_names_the_table_line(tmp_path: Path) -> None:
    text = (FIX / "zi-2025-kpu-kota-jambi" / "plan.pdfplumber.txt").read_text("utf-8")
    start = text.split("\n").index("NO KOMPONEN INDIKATOR LANGKAH AKSI BUKTI FISIK TARGET WAKTU")
    broken = text.replace("NO KOMPONEN INDIKATOR LANGKAH AKSI BUKTI FISIK TARGET WAKTU",
                          "NO KOMPONEN URAIAN")
    path = tmp_path / "salinan.txt"
    path.write_text(broken, "utf-8")
    with pytest.raises(PlanError) as info:
        load_plan(path)
    assert "coba berkas .pdf/.docx aslinya atau format YAML" in info.value.message
    assert info.value.line <= start + 1


# --- CLI: one contract for every format -------------------------------------------------

@pytest.mark.parametrize("fmt", ["plan.docx", "plan.xlsx", "plan.pdf"])
def test_plan_show_json_is_the_same_for_every_format(fmt: str, tmp_path: Path) -> None:
    name = "other-zi-2027-kpu-provinsi-sulawesi-tengah"
    a = json.loads(run_cli("plan", "show", str(SOURCES[name]), "--json", cwd=tmp_path).stdout)
    res = run_cli("plan", "show", str(FIX / name / fmt), "--json", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    b = json.loads(res.stdout)
    assert b["plan"] == a["plan"]
    strip = ("source_line", "warnings")
    assert [{k: v for k, v in i.items() if k not in strip} for i in b["items"]] == \
        [{k: v for k, v in i.items() if k not in strip} for i in a["items"]]


def test_export_yaml_comments_every_flagged_row(tmp_path: Path) -> None:
    src = FIX / "zi-2025-kpu-kota-jambi" / "plan.pdfplumber.txt"
    out = tmp_path / "salinan.yaml"
    res = run_cli("plan", "export", str(src), "--format", "yaml", "-o", str(out), cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    text = out.read_text("utf-8")
    plan = read(src)
    blocks = text.split("\n- area:")[1:]
    assert len(blocks) == len(plan.items)
    entries = text.split("\nitems:\n", 1)[1].split("- area:")
    for item, before in zip(plan.items, entries[:-1], strict=True):
        comments = [x for x in before.split("\n") if x.startswith("# PERINGATAN: ")]
        assert bool(comments) == bool(item.warnings), item.source_line
    # the comments come back on import, and go when a row is fixed by hand
    again = load_plan(out)
    assert [bool(i.warnings) for i in again.items] == [bool(i.warnings) for i in plan.items]
    assert dump_plan(again) == text


def test_diff_across_formats_finds_no_change(tmp_path: Path) -> None:
    name = "rb-2026-kpu-kab-muaro-jambi"
    res = run_cli("plan", "diff", str(SOURCES[name]), str(FIX / name / "plan.xlsx"),
                  cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip().endswith("0 baru, 0 dihapus, 0 berubah, 75 tetap")


def test_import_from_xlsx_then_docx_changes_no_row(tmp_path: Path) -> None:
    name = "zi-2025-kpu-kota-jambi"
    env = {"MONEV_HOME": str(tmp_path / "home")}
    first = run_cli("plan", "import", str(FIX / name / "plan.xlsx"), cwd=tmp_path, env=env)
    assert first.returncode == 0, first.stderr
    second = run_cli("plan", "import", str(FIX / name / "plan.docx"), cwd=tmp_path, env=env)
    assert second.returncode == 0, second.stderr
    row = [x for x in second.stdout.splitlines() if "KPU Kota Jambi" in x][0]
    assert "│ 1      │" in row and "sama" in row, second.stdout  # same rows: no new revision


def test_heavy_readers_load_only_for_their_format() -> None:
    """``monev when`` and a text plan never load the Word/Excel/PDF readers; a PDF plan
    never loads Prefect (plan show/when/export/diff stay fast and Prefect-free)."""
    import subprocess
    import sys

    heavy = ("docx", "openpyxl", "pdfplumber", "pypdfium2", "prefect")

    def loaded(*argv: str) -> list[str]:
        code = (f"import sys; sys.argv=['monev', *{list(argv)!r}]\n"
                "from app.cli import app\ntry: app()\nexcept SystemExit: pass\n"
                f"print([m for m in {heavy!r} if m in sys.modules])")
        res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             timeout=120, cwd=ROOT)
        return list(json.loads(res.stdout.strip().split("\n")[-1].replace("'", '"')))

    assert loaded("when", "Maret", "--year", "2026", "--json") == []
    assert loaded("plan", "show", str(SOURCES["zi-2025-kpu-kota-jambi"]), "--json") == []
    pdf = loaded("plan", "show", str(FIX / "zi-2025-kpu-kota-jambi" / "plan.pdf"), "--json")
    assert "prefect" not in pdf and "pypdfium2" in pdf and "openpyxl" not in pdf
