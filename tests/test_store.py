"""The store on SQLite and PostgreSQL: imports, revisions, transactions."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from monev.model import Item, Plan, PlanHeader, assign_keys
from monev.periods import Period
from monev.plans import load_plan
from monev.store import models as m
from monev.store.imports import import_plan
from monev.workdays import WorkCalendar
from tests.conftest import ALL_PLANS, ROOT, ZI_KOTA

CAL = WorkCalendar()


def _count(s: Session, model: type[m.Base]) -> int:
    return s.scalar(select(func.count()).select_from(model)) or 0


def test_all_plans_import_with_every_row(sessions: sessionmaker[Session]) -> None:
    expected_items = expected_cps = 0
    for path in ALL_PLANS:
        plan = load_plan(path)
        expected_items += len(plan.items)
        expected_cps += sum(len(i.periods) for i in plan.items)
        with sessions.begin() as s:
            res = import_plan(s, plan, CAL, date(2025, 10, 1), "sha-" + path.name)
        assert res.revision == 1 and res.items == len(plan.items)
    with sessions() as s:
        assert _count(s, m.Plan) == 3
        assert _count(s, m.Satker) == 2
        assert _count(s, m.Item) == expected_items
        assert _count(s, m.Checkpoint) == expected_cps
        assert _count(s, m.ImportLog) == 3
        statuses = set(s.scalars(select(m.Checkpoint.status)))
        assert statuses == {"scheduled"}


def _revised_kota(tmp_path: Path) -> Path:
    """A revised decree: one row's target shortened, one row dropped, one row added."""
    text = ZI_KOTA.read_text(encoding="utf-8")
    text = text.replace("Menyusun standar pelayanan publik\tSOP Pelayanan\tAgustus-September",
                        "Menyusun standar pelayanan publik\tSOP Pelayanan\tAgustus-November")
    text = re.sub(r"(?m)^.*\tMenetapkan SK Tim Agen Perubahan\t.*\n", "", text)
    text = text.replace(
        "iv\tPenilaian Kepuasan terhadap Pelayanan",
        "\t\tIndikator baru hasil revisi\tLangkah baru\tBukti baru\tNovember dan Desember\n"
        "iv\tPenilaian Kepuasan terhadap Pelayanan")
    path = tmp_path / "kota-revisi.txt"
    path.write_text(text, encoding="utf-8")
    return path


def test_revision_replans_future_and_keeps_past(sessions: sessionmaker[Session],
                                               tmp_path: Path) -> None:
    today = date(2025, 9, 15)  # August and earlier are past
    with sessions.begin() as s:
        import_plan(s, load_plan(ZI_KOTA), CAL, today, "v1")
    with sessions.begin() as s:  # someone worked on a past checkpoint
        cp = s.scalars(select(m.Checkpoint).where(m.Checkpoint.period == "2025-08")).first()
        assert cp is not None
        cp.status = "verified"
        worked_id, worked_item = cp.id, cp.item_id
    revised = load_plan(_revised_kota(tmp_path))
    with sessions.begin() as s:
        res = import_plan(s, revised, CAL, today, "v2")
    assert res.revision == 2
    assert (res.items_added, res.items_removed) == (1, 1)
    text = "\n".join(res.diff_lines)
    assert "Indikator baru hasil revisi" in text
    assert "checkpoint baru: 2025-10, 2025-11" in text
    with sessions() as s:
        kept = s.get(m.Checkpoint, worked_id)
        assert kept is not None and kept.status == "verified" and kept.item_id == worked_item
        removed = s.scalars(select(m.Item).where(m.Item.active.is_(False))).all()
        assert [r.indikator for r in removed] == ["Sudah ditetapkan agen perubahan"]
        # the removed row was due in September 2025 (future): its checkpoint is gone
        assert not s.scalars(select(m.Checkpoint).where(
            m.Checkpoint.item_id == removed[0].id)).all()
        sop = s.scalars(select(m.Item).where(
            m.Item.langkah_aksi == "Menyusun standar pelayanan publik")).one()
        assert [c.period for c in sop.checkpoints] == [
            "2025-08", "2025-09", "2025-10", "2025-11"]
        assert s.scalar(select(m.Plan.revision)) == 2
    # the same revision again changes nothing
    with sessions.begin() as s:
        again = import_plan(s, revised, CAL, today, "v2")
    assert again.unchanged


def test_failed_transaction_writes_nothing(sessions: sessionmaker[Session]) -> None:
    with pytest.raises(RuntimeError), sessions.begin() as s:
        import_plan(s, load_plan(ZI_KOTA), CAL, date(2025, 9, 1), "x")
        raise RuntimeError("crash after the rows were flushed")
    with sessions() as s:
        assert _count(s, m.Item) == 0 and _count(s, m.Plan) == 0


def _monev(args: list[str], db_url: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MONEV_DATABASE_URL": db_url, "MONEV_HOME": str(tmp_path / "home"),
           "MONEV_TODAY": "2025-09-15", "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "app", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_cli_import_is_all_or_nothing(db_url: str, tmp_path: Path) -> None:
    bad = tmp_path / "rusak.txt"
    bad.write_bytes(b"\x00\x01binary")
    res = _monev(["plan", "import", *map(str, ALL_PLANS), str(bad)], db_url, tmp_path)
    assert res.returncode == 2
    assert f"{bad}:1:" in res.stderr and "tidak ada yang disimpan" in res.stderr
    listed = _monev(["plan", "list"], db_url, tmp_path)
    assert listed.returncode == 0 and "KPU" not in listed.stdout
    ok = _monev(["plan", "import", *map(str, ALL_PLANS)], db_url, tmp_path)
    assert ok.returncode == 0, ok.stderr
    listed = _monev(["plan", "list"], db_url, tmp_path)
    for needle in ("KPU Kota Jambi", "KPU Kabupaten Muaro", "399", "252", "375"):
        assert needle in listed.stdout
    revised = _monev(["plan", "import", str(_revised_kota(tmp_path))], db_url, tmp_path)
    assert revised.returncode == 0, revised.stderr
    assert "ringkasan: 1 baru, 1 dihapus" in revised.stdout


def _rows(n: int, first: int, periods: tuple[Period, ...], note: str = "") -> list[Item]:
    items = [Item(area=("Manajemen Perubahan", "Penguatan Pengawasan")[i % 2],
                  komponen="Tim Kerja", indikator=f"Indikator {i}", langkah_aksi=f"Langkah {i}",
                  bukti_fisik=f"Bukti {i}{note}", target_text="-", source_line=i + 1,
                  periods=periods) for i in range(first, first + n)]
    assign_keys("ZI", items)
    return items


def test_a_revision_drops_exactly_the_untouched_future_checkpoints(
        sessions: sessionmaker[Session]) -> None:
    """Rows gone and periods moved: a future checkpoint nobody worked on goes, every
    other one stays (the same row, its id unchanged) — counted against the rule itself,
    on 60 rows of three periods each (one DELETE for all of them now, issue 24)."""
    sep, okt, nov, des = (Period(2025, mo) for mo in (9, 10, 11, 12))
    today = date(2025, 10, 15)  # September is past, October's due date not yet
    header = PlanHeader("KPU Uji", "ZI", 2025, "1", date(2025, 1, 6))
    first = _rows(60, 0, (sep, okt, des))
    with sessions.begin() as s:
        import_plan(s, Plan(header, first, "v1"), CAL, date(2025, 8, 1), "v1")
        cps = s.scalars(select(m.Checkpoint).order_by(m.Checkpoint.id)).all()
        for cp in cps[::7]:  # worked on: those stay whatever the revision says
            cp.status = "open" if cp.id % 2 else "submitted"
    revised = [replace(item, periods=(sep, nov, des) if i % 2 else item.periods,
                       bukti_fisik=f"{item.bukti_fisik} (revisi)" if i % 4 == 1
                       else item.bukti_fisik)
               for i, item in enumerate(first) if i % 3 != 2] + _rows(5, 100, (nov,))
    with sessions() as s:
        before = {(key, cp.period): (cp.id, cp.status, cp.due) for cp, key in s.execute(
            select(m.Checkpoint, m.Item.key).join(m.Checkpoint.item)).tuples()}
    with sessions.begin() as s:
        res = import_plan(s, Plan(replace(header, number="2"), revised, "v2"), CAL, today,
                          "v2")
    wanted = {i.key: {str(p) for p in i.periods} for i in revised}  # keys as stored
    stays = {k: v for k, v in before.items()
             if k[1] in wanted.get(k[0], ()) or v[2] < today or v[1] != "scheduled"}
    kept: dict[str, set[str]] = {}
    for key, period in stays:
        if period not in wanted.get(key, ()):
            kept.setdefault(key, set()).add(period)
    with sessions() as s:
        after = {(key, cp.period): (cp.id, cp.status, cp.due) for cp, key in s.execute(
            select(m.Checkpoint, m.Item.key).join(m.Checkpoint.item)).tuples()}
    assert {k: v for k, v in after.items() if k in before} == stays
    added = {k for k in after if k not in before}
    assert added == {(key, p) for key, ps in wanted.items() for p in ps
                     if (key, p) not in before}
    assert all(after[k][1] == "scheduled" for k in added)
    assert res.checkpoints_removed == len(before) - len(stays) > 20
    assert res.checkpoints_added == len(added)
    assert {k: set(v) for k, v in res.kept.items()} == kept
    assert res.items_removed - res.items_added == 20 - 5  # some new rows carry old ones
    assert res.checkpoints == len(after)
