"""A plan's life: close and reopen by an admin (audited, reminders stop and come back),
and open rows carried into the next plan year only when asked."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from app.cli import app
from app.cli.plans import store_plans
from monev.config import load_config
from monev.engine.sweep import sweep_plan
from monev.model import Item, Plan, PlanHeader, assign_keys
from monev.periods import Period
from monev.plans import load_plan
from monev.store import models as m
from monev.store.db import open_session_factory
from tests.conftest import ROOT, ZI_MUARO

CFG = load_config(ROOT / "config" / "monev.yaml")
ZI = "kpu-kabupaten-muaro-jambi/zi-2025"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = {"MONEV_DATABASE_URL": f"sqlite:///{tmp_path / 'life.db'}",
              "MONEV_TODAY": "2026-11-29", "MONEV_CONFIG": str(ROOT / "config" / "monev.yaml")}
    for k, v in values.items():
        monkeypatch.setenv(k, v)
    return values


def test_close_and_reopen_are_audited_and_stop_or_resume_reminders(
        env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    from app.cli import common

    monkeypatch.setattr(common.out, "_width", 220)  # whatever width an earlier test left
    runner = CliRunner()
    assert runner.invoke(app, ["plan", "import", str(ZI_MUARO), "-q"]).exit_code == 0
    listed = runner.invoke(app, ["plan", "list"], env={"COLUMNS": "220"})
    assert "selesai" in listed.output, "ZI 2025 is past its grace on 29 Nov 2026"
    factory = open_session_factory()
    sc = CFG.satker("KPU Kabupaten Muaro Jambi")
    assert sc is not None
    with factory.begin() as s:  # the sweep records it, and does nothing else
        assert sweep_plan(s, 1, date(2026, 11, 29), sc.calendar(), sc.settings(), sc) == []
    reopened = runner.invoke(app, ["plan", "reopen", ZI, "--reason", "evaluasi TPN diundur"])
    assert reopened.exit_code == 0, reopened.output
    with factory.begin() as s:
        acted = sweep_plan(s, 1, date(2026, 11, 30), sc.calendar(), sc.settings(), sc)
    assert acted, "a reopened plan is swept again"
    closed = runner.invoke(app, ["plan", "close", ZI, "--reason", "LKE terkirim"])
    assert closed.exit_code == 0 and "selesai" in closed.output
    again = runner.invoke(app, ["plan", "close", ZI])
    assert again.exit_code == 2 and "sudah selesai" in again.output
    with factory() as s:
        events = [(e.from_status, e.to_status, e.actor.startswith("admin"), e.note)
                  for e in s.scalars(select(m.PlanEvent).order_by(m.PlanEvent.id))]
        plan = s.get(m.Plan, 1)
        assert plan is not None and plan.status_manual and plan.closed_on == date(2026, 11, 29)
    assert events == [("aktif", "selesai", False, events[0][3]),
                      ("selesai", "aktif", True, "evaluasi TPN diundur"),
                      ("aktif", "selesai", True, "LKE terkirim")]
    assert "masa penutupan sampai 31-01-2026" in events[0][3]
    with factory.begin() as s:
        assert sweep_plan(s, 1, date(2026, 12, 31), sc.calendar(), sc.settings(), sc) == []
    factory.kw["bind"].dispose()


def _next_year(note: str = "") -> Plan:
    items = [Item(area="Manajemen Perubahan", komponen="Tim Kerja", indikator=f"Baru {i}{note}",
                  langkah_aksi=f"Langkah baru {i}", bukti_fisik=f"Bukti baru {i}",
                  target_text="Maret 2026", source_line=20 + i, periods=(Period(2026, 3),))
             for i in range(3)]
    assign_keys("ZI", items)
    return Plan(PlanHeader("KPU Kabupaten Muaro Jambi", "ZI", 2026, "3", date(2026, 1, 5)),
                items, "zi-2026.txt")


def test_open_rows_are_carried_only_when_asked(env: dict[str, str]) -> None:
    old = load_plan(ZI_MUARO)
    store_plans([(old, "zi25")], CFG)
    factory = open_session_factory()
    with factory.begin() as s:  # the first ten rows were finished in 2025
        done = select(m.Item.id).where(m.Item.plan_id == 1, m.Item.position < 10)
        for cp in s.scalars(select(m.Checkpoint).where(m.Checkpoint.item_id.in_(done))):
            cp.status = "verified"
    store_plans([(_next_year(), "zi26")], CFG)

    def rows() -> tuple[int, int, list[str]]:
        with factory() as s:
            items = s.scalars(select(m.Item).where(m.Item.plan_id == 2, m.Item.active)).all()
            cps = s.scalar(select(func.count()).select_from(m.Checkpoint).join(m.Item)
                           .where(m.Item.plan_id == 2)) or 0
            return len(items), cps, [i.target_text for i in items]

    assert rows()[:2] == (3, 3), "nothing carried without --carry-over"
    store_plans([(_next_year(), "zi26")], CFG, carry=True)
    n_items, n_cps, targets = rows()
    open_rows = len(old.items) - 10 - sum(1 for i in old.items[10:] if not i.periods)
    assert n_items == 3 + open_rows and n_cps == 3 + open_rows
    carried = [t for t in targets if t.startswith("Lanjutan ZI 2025: ")]
    assert len(carried) == open_rows
    with factory() as s:
        periods = set(s.scalars(select(m.Checkpoint.period).join(m.Item).where(
            m.Item.plan_id == 2, m.Item.source_line == 0)))
        note = s.scalar(select(m.PlanEvent.note).where(m.PlanEvent.plan_id == 2))
    assert periods == {"2026-03"}, "in the new plan's first month"
    assert note == f"{open_rows} baris lanjutan dari ZI 2025 (checkpoint 2026-03)"
    store_plans([(_next_year(), "zi26")], CFG, carry=True)
    assert rows()[0] == n_items, "carrying twice adds nothing"
    store_plans([(_next_year(" (revisi)"), "zi26-r2")], CFG)
    assert rows()[0] == n_items, "a revision of the new decree keeps the carried rows"
    factory.kw["bind"].dispose()


def test_a_closed_plan_is_no_work_for_the_admin_s_commands_either(
        env: dict[str, str], tmp_path: Path) -> None:
    """`monev tasks` lists no checkpoint of a closed plan, and `monev evidence` refuses
    to record evidence or a verification for it (nothing stored) until it is reopened."""
    import json

    runner = CliRunner()
    assert runner.invoke(app, ["plan", "import", str(ZI_MUARO), "-q"]).exit_code == 0
    factory = open_session_factory()
    with factory() as s:
        code = s.execute(select(m.Item.key, m.Checkpoint.period).join(m.Checkpoint.item)
                         .limit(1)).one()
    ref = f"{code[0]}@{code[1]}"
    listed = runner.invoke(app, ["tasks", "--json", "--limit", "1000"])
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.stdout) == [], "ZI 2025 is closed on 29 Nov 2026"
    refused = runner.invoke(app, ["evidence", "submit", ref, "--by", "Pegawai Contoh Satu",
                                  "--link", "https://contoh.test/sk.pdf"])
    assert refused.exit_code != 0 and "sudah ditutup" in refused.output, refused.output
    accept = runner.invoke(app, ["evidence", "accept", ref, "--by", "Ketua Tim ZI Contoh"])
    assert accept.exit_code != 0 and "sudah ditutup" in accept.output, accept.output
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(m.Evidence)) == 0
    assert runner.invoke(app, ["plan", "reopen", ZI, "--reason", "uji"]).exit_code == 0
    reopened = runner.invoke(app, ["tasks", "--json", "--limit", "1000"])
    assert any(t["checkpoint"] == ref for t in json.loads(reopened.stdout))
    sent = runner.invoke(app, ["evidence", "submit", ref, "--by", "Pegawai Contoh Satu",
                               "--link", "https://contoh.test/sk.pdf"])
    assert sent.exit_code == 0, sent.output
