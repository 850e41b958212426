"""The store on SQLite and PostgreSQL: imports, revisions, transactions."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

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
