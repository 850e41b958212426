"""The sweep keeps a plan's LKE snapshot when nothing it is computed from changed
(SQLite and PostgreSQL): over a run of fixed days — quiet days, a due date, the day its
checkpoints turn late, evidence verified, an answer, a link — the snapshot kept on a
quiet day is the one a full recomputation gives that day, and both are what the
plan's standing (the portal's and the CLI's computation, over all its rows) gives."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from monev.engine import lke as engine
from monev.engine import lke_alerts
from monev.engine.sweep import Left
from monev.lke.score import check_gate, rounded, summary
from monev.store import lke as store
from monev.store import models as m
from monev.store.queries import bump_plans
from tasks import sweep
from tests.test_lke_standing import AT, CFG, LKE_DIR, _import

START = date(2025, 9, 15)


def _snapshot(s: Session, plan_id: int) -> dict[str, Any]:
    snap = s.get(m.LkeSnapshot, plan_id)
    plan = s.get(m.Plan, plan_id)
    assert snap is not None and plan is not None
    return {"version": snap.version, "day": snap.day, "now_total": snap.now_total,
            "ahead_total": snap.ahead_total, "summary": snap.summary,
            "short_keys": snap.short_keys, "data_version": plan.data_version}


def _from_standing(s: Session, plan: m.Plan, day: date) -> dict[str, Any]:
    """What the snapshot must hold, from ``standing`` (every row, nothing kept)."""
    where = engine.standing(s, plan, day, LKE_DIR)
    now, ahead = where.projection.now, where.projection.projected
    gate = next(g for g in where.lke.gates if g.name == engine.TARGET_GATE)
    return {"summary": {**summary(ahead), "now": {"total": rounded(now.total),
                                                  "pengungkit": rounded(now.pengungkit),
                                                  "hasil": rounded(now.hasil)}},
            "short_keys": list(check_gate(ahead, gate).keys)}


def _recorded(sessions: sessionmaker[Session], plan_id: int, day: date,
              full: bool) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """``record`` on ``day``: kept (committed, as the sweep) or, with ``full``, forced
    to recompute from the same state and rolled back."""
    with sessions() as s:
        if full:
            s.execute(update(m.LkeSnapshot).values(inputs=None))
        plan = s.get(m.Plan, plan_id)
        assert plan is not None
        news = engine.record(s, plan, day, LKE_DIR)
        s.flush()
        s.expire_all()
        got = _snapshot(s, plan_id)
        if full:
            plan = s.get(m.Plan, plan_id)
            assert plan is not None
            expected = _from_standing(s, plan, day)
            assert {k: got[k] for k in expected} == expected, day
            s.rollback()
        else:
            s.commit()
    return got, news


def _counted_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The plan ids of every read of the checkpoints the score counts (a recomputation
    that did not reuse what its sweep read), as they happen."""
    reads: list[int] = []
    real = store.counted_checkpoints

    def counting(session: Session, pid: int) -> Any:
        reads.append(pid)
        return real(session, pid)

    monkeypatch.setattr(store, "counted_checkpoints", counting)
    return reads


def _verify(s: Session, plan_id: int, keys: list[str] | None, before: date) -> None:
    """Evidence verified as the review does it: status moved, the plan bumped."""
    ids = select(m.Item.id).where(m.Item.plan_id == plan_id)
    if keys is not None:
        ids = ids.where(m.Item.key.in_(keys))
    s.execute(update(m.Checkpoint).where(m.Checkpoint.item_id.in_(ids),
                                         m.Checkpoint.due < before)
              .values(status="verified"))
    bump_plans(s, [plan_id])


def test_a_kept_snapshot_is_the_recomputed_one_day_by_day(
        sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch) -> None:
    plan_id = _import(sessions)
    with sessions() as s:
        dues = sorted(set(s.scalars(select(m.Checkpoint.due).join(m.Item).where(
            m.Item.plan_id == plan_id))))
    due = next(d for d in dues if d > START + timedelta(days=2))  # the next due date
    with sessions.begin() as s:  # all evidence due before it is in: capaian A until then
        _verify(s, plan_id, None, due)
        satker_id = s.get(m.Plan, plan_id).satker_id  # type: ignore[union-attr]
    computed = _counted_reads(monkeypatch)
    one = timedelta(days=1)
    events = {
        due + 3 * one: lambda s: _verify(s, plan_id, [first_key], due + one),
        due + 4 * one: lambda s: store.set_answer(s, satker_id, "zi-2026", "H.I.a", "unit",
                                                  "3.6", "IPAK", "uji", AT),
        due + 5 * one: lambda s: store.set_links(s, plan_id, first_key, ["R.1.ii.a"], "uji", AT),
    }
    days = [START, START + one, due - one, due, due + one, due + 2 * one, *events,
            due + 6 * one]
    with sessions() as s:
        first_key = s.scalars(select(m.Item.key).join(m.Checkpoint).where(
            m.Item.plan_id == plan_id, m.Checkpoint.due == due)).first()
    assert first_key is not None
    seen: dict[date, dict[str, Any]] = {}
    for day in days:
        if day in events:
            with sessions.begin() as s:
                events[day](s)
        full, full_news = _recorded(sessions, plan_id, day, full=True)
        computed.clear()
        kept, news = _recorded(sessions, plan_id, day, full=False)
        assert kept == full and news == full_news, day
        seen[day] = kept | {"computed": bool(computed)}
    quiet = {START + one, due - one, due + 2 * one, due + 6 * one}
    assert {d for d in days if not seen[d]["computed"]} == quiet
    # the days it recomputed did change what it shows: a kept snapshot would be wrong
    assert seen[due]["summary"]["now"] != seen[due - one]["summary"]["now"]  # due, not in
    assert seen[due + one]["ahead_total"] != seen[due]["ahead_total"]  # now late
    for day in events:
        assert seen[day]["summary"] != seen[day - one]["summary"], day


def test_the_day_counts_hold_until_the_next_due_date() -> None:
    d = date(2025, 9, 30)
    assert engine.stable_until([d, date(2025, 10, 31)], date(2025, 9, 15)) == d
    assert engine.stable_until([d, date(2025, 10, 31)], d) == date(2025, 10, 1)
    assert engine.stable_until([d], date(2025, 10, 1)) is None
    assert engine.stable_until([], d) is None


def test_the_lke_step_reads_what_its_sweep_read_in_its_transaction(
        sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch) -> None:
    """The step runs in the sweep's transaction: it counts the checkpoints the sweep
    left, reads again only when the sweep could not tell, and keys the snapshot on the
    data version stored after this transaction's own bumps (a stale one would make the
    next sweep recompute a snapshot that did not change)."""
    monkeypatch.setenv("MONEV_LKE_DIR", str(LKE_DIR))
    sc = CFG.satker("KPU Kota Jambi")
    assert sc is not None
    plan_id = _import(sessions)
    reads = _counted_reads(monkeypatch)
    with sessions() as s:
        key = s.scalars(select(m.Item.key).join(m.Checkpoint).where(
            m.Item.plan_id == plan_id)).first()
    one = timedelta(days=1)
    for day, told in ((START, True), (START + one, False)):
        left = Left()
        reads.clear()
        with sessions.begin() as s:  # sweep_plans: the sweep, then its LKE step
            sweep._sweep(s, plan_id, day, sc, "sweep", left=left)
            assert left.data_version is not None and left.views
            if not told:  # the sweep could not tell (it changed the plan, whose copy the
                # session holds): evidence verified in its transaction, the plan bumped
                held = s.get(m.Plan, plan_id)
                _verify(s, plan_id, [key], date(2099, 1, 1))
                assert held is not None and held.data_version != s.scalar(
                    select(m.Plan.data_version).where(m.Plan.id == plan_id))  # stale copy
                left = Left()
            sweep._lke(s, plan_id, sc, day, True, left)
        assert reads == ([] if told else [plan_id]), day
        full, _ = _recorded(sessions, plan_id, day, full=True)
        with sessions() as s:
            assert _snapshot(s, plan_id) == full, day
        reads.clear()
        kept, _ = _recorded(sessions, plan_id, day, full=False)  # the same day again
        assert kept == full and reads == [], day  # its inputs held: kept, not recomputed


def test_a_failing_lke_step_leaves_the_sweep_done(
        sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("MONEV_LKE_DIR", str(LKE_DIR))
    sc = CFG.satker("KPU Kota Jambi")
    assert sc is not None
    plan_id = _import(sessions)
    real = engine.record

    def broken(session: Session, plan: m.Plan, *args: Any, **kwargs: Any) -> Any:
        real(session, plan, *args, **kwargs)
        session.flush()  # the snapshot is written, then the step fails
        raise RuntimeError("rusak")

    monkeypatch.setattr(lke_alerts, "record", broken)
    day = date(2025, 10, 28)
    with sessions.begin() as s:
        records, _ = sweep._sweep(s, plan_id, day, sc, "sweep", left=(left := Left()))
        sweep._lke(s, plan_id, sc, day, True, left)
    assert records and "nilai LKE rencana" in caplog.text
    with sessions() as s:
        assert s.get(m.LkeSnapshot, plan_id) is None  # the step undone …
        logged = s.scalar(select(func.count()).select_from(m.ActionLog)
                          .where(m.ActionLog.plan_id == plan_id))
        assert logged  # … not the sweep's work
