"""The filled LKE workbook and the evidence bundle of a stored plan (SQLite and
PostgreSQL), through the command line: answers land in K/L/M and N/Q of their question's
row, the score sheet says what `monev lke score` says; the TPI's N/Q come back whole or
not at all (a bad cell named by file, sheet and cell); the bundle files every current
evidence file under its question's folder, lists each in index.xlsx, and no name from
a unit can escape its folder."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from app.cli import app
from monev.engine import lifecycle
from monev.engine.lke import standing
from monev.lke.load import load_lke
from monev.store import lke as store
from monev.store import models as m
from monev.store.db import open_session_factory
from reports.lke_filing import folders
from tests.conftest import ROOT, ZI_KOTA

PLAN = "kpu-kota-jambi/zi-2025"
DAY = "2025-09-15"
AT = datetime(2025, 9, 15, 9, 0)
LKE = load_lke("zi-2026", ROOT / "config" / "lke")
ROW = {q.code: q.row for q in LKE.questions()}
HOSTILE = ("../../etc/passwd", "a/b.pdf", "/abs/c:\\win\\x.pdf", "ḍ" * 300 + ".pdf")
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _run(*args: str) -> Any:
    res = CliRunner().invoke(app, list(args))
    assert "Traceback" not in res.output, res.output
    return res


def _served_checkpoints(s: Session, plan: m.Plan, code: str) -> list[m.Checkpoint]:
    """The checkpoints of the rows serving ``code``. Every row's suggestion is stored as
    the admin's choice on the way: the commands that follow skip suggesting (slow)."""
    where = standing(s, plan, datetime.fromisoformat(DAY).date(), ROOT / "config" / "lke")
    for key, codes in where.links.items():
        if key not in where.chosen_by_admin:
            store.set_links(s, plan.id, key, list(codes) or [""], "uji", AT)
    keys = [k for k, codes in where.links.items() if code in codes]
    return list(s.scalars(select(m.Checkpoint).join(m.Checkpoint.item).where(
        m.Item.plan_id == plan.id, m.Item.key.in_(keys)).order_by(m.Checkpoint.due)))


def _setup(db_url: str, home: Path, tmp: Path) -> int:
    """The plan, its unit's answers, a TPI answer, and evidence on the rows serving
    1.i.a: a waiting file sent first, then verified ones (hostile names among them),
    a link, and a submission later withdrawn."""
    assert _run("plan", "import", str(ZI_KOTA), "-q").exit_code == 0
    factory = open_session_factory(db_url)
    with factory.begin() as s:
        plan = s.scalars(select(m.Plan)).one()
        # the admin says the two rows with most checkpoints serve 1.i.a too
        sizes = s.execute(select(m.Item.key, func.count(m.Checkpoint.id)).join(
            m.Checkpoint.item).where(m.Item.plan_id == plan.id).group_by(m.Item.key)
            .order_by(func.count(m.Checkpoint.id).desc(), m.Item.key).limit(2)).all()
        for key, _ in sizes:
            store.set_links(s, plan.id, key, ["1.i.a"], "uji", AT)
        s.flush()
        cps = _served_checkpoints(s, plan, "1.i.a")
        assert len(cps) >= 7
        (tmp / "tunggu.txt").write_text("menunggu verifikasi\n")
        lifecycle.submit_file(s, cps[0], tmp / "tunggu.txt", "Budi", home, AT)
        for n, (cp, hostile) in enumerate(zip(cps[1:5], HOSTILE, strict=True)):
            (tmp / f"p{n}.pdf").write_bytes(PDF + str(n).encode())
            ev = lifecycle.submit_file(s, cp, tmp / f"p{n}.pdf", "Budi", home, AT)
            ev.original_name = hostile
            lifecycle.transition(s, cp, "accept", "Ketua Tim", now=AT)
        lifecycle.submit_link(s, cps[5], "https://example.org/foto-rapat", "Budi", AT)
        lifecycle.transition(s, cps[5], "accept", "Ketua Tim", now=AT)
        (tmp / "salah.txt").write_text("salah kirim\n")
        wrong = lifecycle.submit_file(s, cps[6], tmp / "salah.txt", "Budi", home, AT)
        lifecycle.withdraw(s, cps[6], wrong.id, "Budi", now=AT)
        for code, answer, note in (("1.i.b", "A", "SK Tim 12/2025"), ("R.1.i.a", "10", ""),
                                   ("H.I.a", "3.6", "IPAK 2025")):
            store.set_answer(s, plan.satker_id, "zi-2026", code, "unit", answer, note, "uji",
                             AT)
        store.set_answer(s, plan.satker_id, "zi-2026", "1.i.a", "tpi", "Tidak", "belum ada SK",
                         "uji", AT)
        satker_id = plan.satker_id
    factory.kw["bind"].dispose()
    return satker_id


def test_the_workbook_the_tpi_answers_and_the_bundle(
        db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """One plan per backend (its standing is the slow part), checked three ways: the
    bundle (with the workbook inside), the workbook's cells, the TPI's import."""
    home = tmp_path / "home"
    for key, value in {"MONEV_DATABASE_URL": db_url, "MONEV_TODAY": DAY,
                       "MONEV_CONFIG": str(ROOT / "config" / "monev.yaml"),
                       "MONEV_HOME": str(home),
                       "MONEV_LKE_DIR": str(ROOT / "config" / "lke")}.items():
        monkeypatch.setenv(key, value)
    satker_id = _setup(db_url, home, tmp_path)
    out = tmp_path / "bukti.zip"
    res = _run("lke", "bundle", "--plan", PLAN, "-o", str(out))
    assert res.exit_code == 0, res.output
    assert "5 berkas, 1 tautan" in res.output
    workbook = _check_bundle(out)
    (tmp_path / "tpi.xlsx").write_bytes(workbook)
    _check_workbook(tmp_path / "tpi.xlsx")
    _check_tpi_import(tmp_path / "tpi.xlsx", db_url, satker_id)
    # the command writes the same workbook
    res = _run("lke", "workbook", "--plan", PLAN, "-o", str(tmp_path / "lke.xlsx"))
    assert res.exit_code == 0 and "lembar kerja LKE zi-2026 ditulis" in res.output
    gone = tmp_path / "tidak" / "ada"
    for args in (("bundle", "-o", str(gone / "b.zip")), ("workbook", "-o", str(gone / "w.xlsx")),
                 ("import-tpi", str(gone / "tpi.xlsx"))):
        bad = _run("lke", args[0], "--plan", PLAN, *args[1:])
        assert bad.exit_code == 2 and "tidak ditemukan" in bad.output, bad.output
        assert len(bad.output.strip().splitlines()) == 1
    assert not (tmp_path / "tidak").exists()


def _check_workbook(out: Path) -> None:
    wb = load_workbook(out)
    ws = wb["Jawaban"]
    r = ROW["1.i.b"]
    assert (ws[f"J{r}"].value, ws[f"K{r}"].value, ws[f"L{r}"].value) == (
        "1.i.b", "A", "SK Tim 12/2025")
    assert ws[f"K{ROW['R.1.i.a']}"].value == 10 and ws[f"K{ROW['H.I.a']}"].value == 3.6
    r = ROW["1.i.a"]
    assert ws[f"K{r}"].value is None  # the unit did not answer; rows serve it
    assert (ws[f"N{r}"].value, ws[f"Q{r}"].value) == ("Tidak", "belum ada SK")
    lines = ws[f"M{r}"].value.split("\n")
    assert lines[-1].endswith("(menunggu verifikasi)") and "tunggu.txt" in lines[-1]
    files = sorted(lines[:5])
    assert files[:3] == ["1.i.a b.pdf", "1.i.a passwd", "1.i.a x.pdf"], "verified first"
    assert files[3].startswith("1.i.a ḍḍ") and files[3].endswith(".pdf")
    assert len(files[3]) == 80 and files[4] == "https://example.org/foto-rapat"
    assert len(lines) == 6 and "salah.txt" not in ws[f"M{r}"].value  # withdrawn
    assert ws["A2"].value == "A" and ws["F2"].value == "PENGUNGKIT" and ws["J5"].value == "1.i"

    score = json.loads(_run("lke", "score", "--plan", PLAN, "--json").output)
    nilai = {row[0].value: row for row in wb["Nilai"].iter_rows(min_row=7)}
    total = next(row for row in wb["Nilai"].iter_rows() if row[1].value == "TOTAL")
    assert total[4].value == score["total"]
    assert nilai["A"][4].value == ws["S2"].value == score["pengungkit"]
    assert nilai["B"][4].value == score["hasil"]


def _check_tpi_import(out: Path, db_url: str, satker_id: int) -> None:
    wb = load_workbook(out)
    ws = wb["Jawaban"]
    ws[f"N{ROW['1.i.a']}"], ws[f"Q{ROW['1.i.a']}"] = None, None  # withdrawn by the TPI
    ws[f"N{ROW['1.i.b']}"], ws[f"Q{ROW['1.i.b']}"] = "b", "prosedur sebagian"
    ws[f"N{ROW['H.II.a']}"] = 3.2
    ws[f"N{ROW['R.4.i.a']}"] = "12"
    wb.save(out)
    res = _run("lke", "import-tpi", "--plan", PLAN, str(out))
    assert res.exit_code == 0, res.output
    assert "3 butir" in res.output and "1 dikosongkan" in res.output

    factory = open_session_factory(db_url)
    with factory() as s:
        got = store.answers(s, satker_id, "zi-2026", "tpi")
    assert got == {"1.i.b": ("B", "prosedur sebagian"), "H.II.a": ("3.2", ""),
                   "R.4.i.a": ("12", "")}

    good = out.read_bytes()
    for cell, value, said in (
            (f"N{ROW['1.ii.a']}", "Mungkin",
             "jawaban harus salah satu dari Ya/Tidak, bukan 'Mungkin'"),
            (f"N{ROW['H.I.a']}", 4.5, "nilai survei 0 sampai 4"),
            (f"N{ROW['R.4.i.b']}", "2,5", "jumlah harus bilangan bulat")):
        out.write_bytes(good)
        wb = load_workbook(out)
        wb["Jawaban"][f"N{ROW['2.i.a']}"] = "D"  # a good change before the bad cell…
        wb["Jawaban"][cell] = value
        wb.save(out)
        bad = _run("lke", "import-tpi", "--plan", PLAN, str(out))
        code = next(c for c, r in ROW.items() if r == int(cell[1:]))
        assert bad.exit_code == 2
        assert bad.output.strip() == (f"Galat: tpi.xlsx, lembar Jawaban, sel {cell} "
                                      f"(butir {code}): {said}"), bad.output
    with factory() as s:  # … is not stored either
        assert store.answers(s, satker_id, "zi-2026", "tpi") == got
    factory.kw["bind"].dispose()

    (out.parent / "rusak.xlsx").write_bytes(b"bukan excel")
    bad = _run("lke", "import-tpi", "--plan", PLAN, str(out.parent / "rusak.xlsx"))
    assert bad.exit_code == 2 and "rusak.xlsx: bukan berkas Excel" in bad.output


def _check_bundle(out: Path) -> bytes:
    """Checks the ZIP; returns the workbook inside it."""
    folder = folders(LKE)["1.i.a"]
    assert folder == "AREA I MANAJEMEN PERUBAHAN/i. Penyusunan Tim Kerja"
    with zipfile.ZipFile(out) as zf:
        names = zf.namelist()
        assert zf.testzip() is None
        index = load_workbook(io.BytesIO(zf.read("index.xlsx")))["Indeks"]
        inside = zf.read("LKE zi-2026 - Jawaban.xlsx")
        content = sorted(zf.read(n) for n in names if n.startswith("AREA "))
    files = [n for n in names if n.startswith("AREA ")]
    assert len(files) == 5 and all(n.startswith(f"{folder}/1.i.a ") for n in files)
    for n in names:
        assert not n.startswith("/") and ".." not in n.split("/") and "\\" not in n
        assert all(len(part) <= 80 for part in n.split("/"))
    assert f"{folder}/1.i.a passwd" in names and f"{folder}/1.i.a b.pdf" in names
    assert f"{folder}/1.i.a x.pdf" in names
    assert content == sorted([PDF + str(n).encode() for n in range(4)]
                             + [b"menunggu verifikasi\n"])

    rows = [[c.value for c in row] for row in index.iter_rows(min_row=2)]
    linked = [r[6] for r in rows if r[6]]
    assert sorted(linked) == sorted(files), "every file in the index is in the ZIP"
    assert any(r[7] == "https://example.org/foto-rapat" for r in rows)
    assert [r[3] for r in rows if r[0] == "1.i.a"][-1] == "menunggu verifikasi"
    assert any(r[0] == "1.i.b" and r[3] == "belum ada bukti" for r in rows)
    cell = next(row[6] for row in index.iter_rows(min_row=2) if row[6].value)
    assert cell.hyperlink is not None and cell.hyperlink.target == cell.value
    return inside
