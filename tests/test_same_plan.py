"""The same plan in another file is the same rows (issue 18, item 5).

Importing a decree's TAB export and then another file of the same decree (its Word or
Excel file, its PDF, text copied out of the PDF in any of the shapes monev reads) must
not remove and re-add rows: a row keeps its identity, its checkpoints and what was done
on them, and only real changes count as changes."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from monev.diff import diff_plans
from monev.errors import PlanError
from monev.plans import load_plan
from monev.store import models as m
from monev.store.imports import import_plan
from monev.workdays import WorkCalendar
from tests.conftest import ROOT
from tests.test_copied import chrome_copy, tab_copy
from tests.test_formats import FIX, SOURCES
from tests.test_importers import run_cli
from tools.plan_fixtures import long_zi, tab_text

CAL = WorkCalendar()


def readable() -> list[tuple[str, str]]:
    """Every other file of every source plan that monev reads (refused ones are not)."""
    out = []
    for name in SOURCES:
        for path in sorted((FIX / name).iterdir()):
            try:
                load_plan(path)
            except PlanError:
                continue
            out.append((name, path.name))
    return out


CASES = readable()


def test_cases_cover_every_shape() -> None:
    shapes = {f for _, f in CASES}
    assert {"plan.docx", "plan.xlsx", "plan.pdf", "plan.pdftotext.txt", "plan.pdfplumber.txt",
            "plan.pdfium.txt", "plan.pdftotext-rawmode.txt"} <= shapes


@pytest.mark.parametrize(("name", "fmt"), CASES, ids=lambda x: x)
def test_tab_then_other_file_keeps_every_row(sessions: sessionmaker[Session], name: str,
                                             fmt: str) -> None:
    tab = load_plan(SOURCES[name])
    today = date(tab.header.year, 9, 15)  # earlier months are past
    with sessions.begin() as s:
        import_plan(s, tab, CAL, today, "tab")
    with sessions.begin() as s:  # work done on every past checkpoint
        worked = {}
        for cp in s.scalars(select(m.Checkpoint).where(m.Checkpoint.due < today)):
            cp.status = "verified"
            worked[cp.id] = cp.item_id
    other = load_plan(FIX / name / fmt)
    missing_column = fmt == "missing-col.pdf"
    with sessions.begin() as s:
        res = import_plan(s, other, CAL, today, "other")
    assert (res.items_added, res.items_removed) == (0, 0), res.diff_lines
    if not missing_column:  # (a whole column gone is a change of every row)
        assert res.unchanged or res.items_changed <= 0.15 * len(tab.items), res.diff_lines
    with sessions() as s:
        active = s.scalars(select(m.Item).where(m.Item.active.is_(True))).all()
        assert len(active) == len(tab.items)
        live = {i.id for i in active}
        for cp_id, item_id in worked.items():
            cp = s.get(m.Checkpoint, cp_id)
            assert cp is not None and cp.status == "verified" and cp.item_id == item_id
            assert item_id in live


@pytest.mark.parametrize("doubled", [False, True])
def test_made_up_plan_tab_then_chrome_copy_is_the_same(sessions: sessionmaker[Session],
                                                       doubled: bool, tmp_path: Path) -> None:
    """A made-up plan: its TAB export, then Chrome's copy of its PDF: 'sama', and the
    rows keep their TAB cells (the copy could not tell them apart)."""
    copy = tmp_path / "salinan.txt"
    copy.write_bytes(chrome_copy(3, 2, doubled)[0].encode("utf-8"))
    tab = tmp_path / "tab.txt"
    tab.write_text(tab_copy(3, 2), "utf-8")
    a, b = load_plan(tab), load_plan(copy)
    assert diff_plans(a, b).removed == [] and diff_plans(a, b).added == []
    with sessions.begin() as s:
        import_plan(s, a, CAL, date(2026, 3, 1), "tab")
    with sessions.begin() as s:
        res = import_plan(s, b, CAL, date(2026, 3, 1), "copy")
    assert res.unchanged, res.diff_lines
    with sessions() as s:
        items = s.scalars(select(m.Item).order_by(m.Item.position)).all()
        assert [i.langkah_aksi for i in items] == [i.langkah_aksi for i in a.items]


def test_cli_import_tab_then_layout_copy(tmp_path: Path) -> None:
    """The reported case: the TAB text, then the `pdftotext -layout` copy."""
    name = "zi-2025-kpu-kab-muaro-jambi"
    env = {"MONEV_HOME": str(tmp_path / "home"), "MONEV_TODAY": "2025-09-15"}
    first = run_cli("plan", "import", str(SOURCES[name]), cwd=tmp_path, env=env)
    assert first.returncode == 0, first.stderr
    second = run_cli("plan", "import", str(FIX / name / "plan.pdftotext.txt"), cwd=tmp_path,
                     env=env)
    assert second.returncode == 0, second.stderr
    assert "0 baru, 0 dihapus" in second.stdout, second.stdout


def test_real_changes_in_a_copy_still_count(sessions: sessionmaker[Session],
                                            tmp_path: Path) -> None:
    """Matching across formats hides no real change: a target moved and a row dropped
    in the copy are a changed row and a removed row, the rest stays."""
    text, targets = chrome_copy(3, 2)
    lines = text.split("\r\n")
    at = lines.index("Langkah 4 menyusun laporan")  # item 4: change its target time
    old_target = targets[3]
    k = at + 2
    assert lines[k: k + len(old_target)] == old_target
    lines[k: k + len(old_target)] = ["November 2026"]
    drop = lines.index("Indikator 10 tentang pembangunan yang")  # item 10 (no NO): gone
    end = drop + 4 + len(targets[9])
    del lines[drop:end]
    copy = tmp_path / "salinan.txt"
    copy.write_text("\r\n".join(lines), "utf-8")
    tab = tmp_path / "tab.txt"
    tab.write_text(tab_copy(3, 2), "utf-8")
    with sessions.begin() as s:
        import_plan(s, load_plan(tab), CAL, date(2026, 3, 1), "tab")
    with sessions.begin() as s:
        res = import_plan(s, load_plan(copy), CAL, date(2026, 3, 1), "copy")
    assert (res.items_added, res.items_removed, res.items_changed) == (0, 1, 1), res.diff_lines
    text = "\n".join(res.diff_lines)
    assert "- baris dihapus" in text and "Indikator 10 " in text
    assert "checkpoint baru: 2026-11" in text


def test_long_decree_tab_and_copy_are_the_same_rows(tmp_path: Path) -> None:
    """At scale (the ~59-page decree of bench/bench_copied.py, 870 rows): the TAB export
    and Chrome's copy of its PDF are the same rows; what reads differently is flagged."""
    tab = tmp_path / "tab.txt"
    tab.write_text(tab_text(long_zi(10)), "utf-8")
    a = load_plan(tab)
    b = load_plan(ROOT / "bench" / "fixtures" / "plan-long-zi.pdfium.txt")
    assert len(a.items) == len(b.items) == 870
    d = diff_plans(a, b)
    assert (len(d.added), len(d.removed)) == (0, 0)
    assert len(d.changed) <= 0.03 * len(a.items)
    assert all(any("salinan PDF" in w for w in c.new.warnings) for c in d.changed)
