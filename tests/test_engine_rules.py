"""The engine's decision rules, lifecycle and simulation (no Prefect needed)."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from monev.config import load_config
from monev.engine.lifecycle import find_checkpoint, submit_file, submit_link, transition
from monev.engine.rules import CheckpointState, EngineSettings, decide
from monev.engine.simulate import simulate
from monev.engine.sweep import sweep_plan
from monev.errors import MonevError
from monev.periods import Period
from monev.plans import load_plan
from monev.store import models as m
from monev.store.imports import import_plan
from monev.workdays import WorkCalendar
from tests.conftest import ROOT, ZI_MUARO

CAL = WorkCalendar()
SET = EngineSettings()


def cp(period: str, status: str = "scheduled", imported: date | None = None,
       cid: int = 1) -> CheckpointState:
    p = Period.parse(period)
    return CheckpointState(cid, p, CAL.due_date(p), status, "Area", "Komponen", "SK",
                           imported or date(2025, 1, 1))


def steps(decisions: list, action: str) -> list[str]:  # type: ignore[type-arg]
    return [d.step for d in decisions if d.action == action]


def test_opens_on_period_start_and_reminds_latest_step_only() -> None:
    c = cp("2025-10")  # due Fri 31 Oct 2025
    assert not decide([c], date(2025, 9, 30), CAL, SET, set()).decisions
    opened = decide([c], date(2025, 10, 1), CAL, SET, set()).decisions
    assert steps(opened, "open") == ["open"] and not steps(opened, "remind")
    # a sweep that missed H-7 on the 24th sends only the H-3 reminder on the 28th
    late = decide([cp("2025-10", "open")], date(2025, 10, 28), CAL, SET, set()).decisions
    assert steps(late, "remind") == ["H-3"]
    due_day = decide([cp("2025-10", "open")], date(2025, 10, 31), CAL, SET, set()).decisions
    assert steps(due_day, "remind") == ["H-0"]


def test_escalation_ladder_counts_working_days_and_stops_on_submission() -> None:
    open_cp = cp("2025-08", "open")  # due Fri 29 Aug 2025; 5 Sep is a holiday
    assert steps(decide([open_cp], date(2025, 9, 1), CAL, SET, set()).decisions,
                 "escalate") == ["L1"]
    assert steps(decide([open_cp], date(2025, 9, 3), CAL, SET, set()).decisions,
                 "escalate") == ["L1", "L2"]
    assert steps(decide([open_cp], date(2025, 9, 9), CAL, SET, set()).decisions,
                 "escalate") == ["L1", "L2"]  # 9 Sep is only the 6th working day
    full = decide([open_cp], date(2025, 9, 10), CAL, SET, set()).decisions
    assert [d.roles for d in full if d.action == "escalate"] == [
        ("pic", "koordinator"), ("ketua_tim",), ("sekretaris",)]
    for status in ("submitted", "verified"):
        assert not decide([cp("2025-08", status)], date(2025, 9, 10), CAL, SET,
                          set()).decisions


def test_done_keys_make_a_rerun_a_no_op() -> None:
    c = cp("2025-08", "open")
    first = decide([c], date(2025, 9, 10), CAL, SET, set()).decisions
    done = {d.key for d in first}
    assert not decide([c], date(2025, 9, 10), CAL, SET, done).decisions


def test_overdue_at_import_becomes_backlog_with_one_digest() -> None:
    imported = date(2025, 7, 7)
    cps = [cp("2025-03", imported=imported, cid=1), cp("2025-04", imported=imported, cid=2),
           cp("2025-08", imported=imported, cid=3)]
    out = decide(cps, imported, CAL, SET, set()).decisions
    assert [d.checkpoint_id for d in out if d.action == "backlog"] == [1, 2]
    assert len([d for d in out if d.action == "digest"]) == 1
    assert not steps(out, "escalate") and not steps(out, "remind")


def test_simulated_plan_year_matches_checkpoints_and_reaches_sekretaris() -> None:
    plan = load_plan(ZI_MUARO)
    cfg = load_config(ROOT / "config" / "monev.yaml")
    start, end = date(2025, 7, 7), date(2025, 12, 31)
    records = simulate(plan, start, end, cfg.satker(plan.header.satker))
    expected = {(i.key, str(p)) for i in plan.items for p in i.periods}
    opened = {tuple((r.checkpoint or "").split("@")) for r in records if r.action == "open"}
    backlog = {tuple((r.checkpoint or "").split("@")) for r in records
               if r.action == "backlog"}
    assert not opened & backlog, "a checkpoint is either opened or backlog, never both"
    assert opened | backlog == expected
    per_day = [(r.date, r.action, r.checkpoint, r.recipient) for r in records]
    assert len(per_day) == len(set(per_day)), "no decision is carried out twice"
    due_in_window = {(i.key, str(p)) for i in plan.items for p in i.periods
                     if start <= CAL.due_date(p) and CAL.add_working_days(CAL.due_date(p), 7)
                     <= end}
    to_sekretaris = {tuple((r.checkpoint or "").split("@")) for r in records
                     if r.action == "escalate" and r.recipient_role == "sekretaris"}
    assert due_in_window and due_in_window <= to_sekretaris
    assert all(r.recipient == "Sekretaris Contoh" for r in records
               if r.recipient_role == "sekretaris")
    months = sorted({r.period for r in records if r.action == "cycle"})
    assert months[0] == "2025-07" and months[-1] == "2025-12"


@pytest.fixture
def imported(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    with sessions.begin() as s:
        import_plan(s, load_plan(ZI_MUARO), CAL, date(2025, 7, 7), "v1")
    return sessions


def test_submission_stops_escalation(imported: sessionmaker[Session]) -> None:
    with imported.begin() as s:
        sweep_plan(s, 1, date(2025, 10, 1), CAL, SET, None)
        target = s.scalars(select(m.Checkpoint).where(m.Checkpoint.period == "2025-10")).first()
        assert target is not None and target.status == "open"
        submit_link(s, target, "https://example.org/bukti.pdf", "Pegawai Contoh",
                    datetime(2025, 10, 20, 9))
        target_id = target.id
    with imported.begin() as s:
        sweep_plan(s, 1, date(2025, 11, 30), CAL, SET, None)
        esc = s.scalars(select(m.ActionLog).where(m.ActionLog.checkpoint_id == target_id,
                                                  m.ActionLog.action == "escalate")).all()
        assert esc == []
        others = s.scalars(select(m.ActionLog).where(m.ActionLog.action == "escalate")).all()
        assert others, "unsubmitted checkpoints of October are escalated"


def test_lifecycle_audit_trail_and_evidence_rules(imported: sessionmaker[Session],
                                                  tmp_path: Path) -> None:
    proof = tmp_path / "notulen.pdf"
    proof.write_bytes(b"%PDF-1.4 bukti")
    with imported.begin() as s:
        sweep_plan(s, 1, date(2025, 8, 1), CAL, SET, None)
        c = s.scalars(select(m.Checkpoint).where(m.Checkpoint.status == "open",
                                                 m.Checkpoint.period == "2025-08")).first()
        assert c is not None
        ref = f"{c.item.key}@{c.period}"
        assert find_checkpoint(s, ref).id == c.id
        with pytest.raises(MonevError, match="tidak ada"):
            submit_file(s, c, tmp_path / "x.exe", "Budi", tmp_path)
        (tmp_path / "x.exe").write_bytes(b"MZ")
        with pytest.raises(MonevError, match="tidak diizinkan"):
            submit_file(s, c, tmp_path / "x.exe", "Budi", tmp_path)
        ev = submit_file(s, c, proof, "Budi", tmp_path / "home")
        assert ev.sha256 and ev.mime == "application/pdf"
        assert (tmp_path / "home" / ev.location).read_bytes() == proof.read_bytes()
        assert ev.location == f"evidence/{ev.sha256[:2]}/{ev.sha256}", "stored by its hash"
        with pytest.raises(MonevError, match="alasan"):
            transition(s, c, "reject", "Ketua Tim", "")
        transition(s, c, "reject", "Ketua Tim", "foto buram")
        assert c.status == "rejected"
        submit_link(s, c, "https://example.org/foto.jpg", "Budi")
        transition(s, c, "accept", "Ketua Tim")
        with pytest.raises(MonevError, match="berstatus 'terverifikasi'"):
            transition(s, c, "accept", "Ketua Tim")
        trail = [(t.from_status, t.to_status, t.actor) for t in s.scalars(
            select(m.Transition).where(m.Transition.checkpoint_id == c.id)
            .order_by(m.Transition.id))]
    assert trail == [("scheduled", "open", "monev"), ("open", "submitted", "Budi"),
                     ("submitted", "rejected", "Ketua Tim"),
                     ("rejected", "submitted", "Budi"), ("submitted", "verified", "Ketua Tim")]


def test_simulate_cli_ladder_reaches_sekretaris_and_stops_on_submission() -> None:
    """`monev simulate` over the plan year: one item never gets evidence, one does."""
    from tests.test_config_cli import run

    plan = load_plan(ZI_MUARO)
    october = [f"{i.key}@{p}" for i in plan.items for p in i.periods if str(p) == "2025-10"]
    never, submitted = october[0], october[1]
    result = run("simulate", str(ZI_MUARO), "--from", "2025-07-07", "--to", "2025-12-31",
                 "--json", "--submit", f"{submitted}=2025-10-27")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    ladder = {(r["date"], r["recipient_role"], r["recipient"]) for r in rows
              if r["checkpoint"] == never and r["action"] == "escalate"}
    due = CAL.due_date(Period(2025, 10))
    on = {n: CAL.add_working_days(due, n).isoformat() for n in (1, 3, 7)}
    assert {d for d, _, _ in ladder} == set(on.values()), "each step once, on its day"
    assert (on[1], "pic", "Koordinator Manajemen Perubahan") in ladder  # no PIC: koordinator
    assert (on[3], "ketua_tim", "Ketua Tim ZI Contoh") in ladder
    assert (on[7], "sekretaris", "Sekretaris Contoh") in ladder
    mine = [r for r in rows if r["checkpoint"] == submitted]
    assert any(r["action"] == "remind" for r in mine), "reminded before the submission"
    assert not [r for r in mine if r["date"] >= "2025-10-27"
                and r["action"] in ("remind", "escalate")], "nothing after the submission"
    bad = run("simulate", str(ZI_MUARO), "--from", "2025-07-07", "--to", "2025-07-08",
              "--submit", "000000000000@2025-10=2025-07-07")
    assert bad.returncode != 0 and "tidak ditemukan" in bad.stderr
