"""Where a stored plan's satker stands on its LKE (SQLite and PostgreSQL): rows serve
questions, the projection counts them full and "saat ini" only as far as their evidence
is verified; the unit's answers count in both; the admin's links replace suggestions;
the question monev answers from capaian follows the checkpoints late. And the command
line: the JSON contract of DOMAIN.md §4, answers checked, one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from monev.config import load_config
from monev.engine.lke import standing
from monev.lke.model import Lke
from monev.plans import load_plan
from monev.store import lke as store
from monev.store import models as m
from monev.store.imports import import_plan
from monev.store.queries import WAITING
from tests.conftest import ROOT, ZI_KOTA

CFG = load_config(ROOT / "config" / "monev.yaml")
LKE_DIR = ROOT / "config" / "lke"
DAY = date(2025, 9, 15)
AT = datetime(2025, 9, 15, 9, 0)


def _import(sessions: sessionmaker[Session]) -> int:
    plan = load_plan(ZI_KOTA)
    sc = CFG.satker(plan.header.satker)
    assert sc is not None
    with sessions.begin() as s:
        return import_plan(s, plan, sc.calendar(), date(2025, 7, 7), ZI_KOTA.name,
                           sc.tz).plan_id


def _standing(sessions: sessionmaker[Session], plan_id: int):  # type: ignore[no-untyped-def]
    with sessions() as s:
        plan = s.get(m.Plan, plan_id)
        assert plan is not None
        return standing(s, plan, DAY, LKE_DIR)


def test_the_projection_follows_rows_answers_links_and_evidence(
        sessions: sessionmaker[Session]) -> None:
    plan_id = _import(sessions)
    first = _standing(sessions, plan_id)
    ahead, now = first.projection.projected, first.projection.now
    assert first.lke.version == "zi-2026"  # a 2025 plan, judged on the oldest LKE there is
    served = {c for codes in first.links.values() for c in codes}
    assert "1.i.a" in served and "H.I.a" not in served
    assert ahead.values["1.i.a"] == 1.0 and now.values["1.i.a"] == 0.0
    assert "R.1.ii.a" in first.unserved and "1.i.a" not in first.unserved

    # the unit's answer to a question no row serves counts in both
    with sessions.begin() as s:
        satker_id = s.scalars(select(m.Plan.satker_id).where(m.Plan.id == plan_id)).one()
        store.set_answer(s, satker_id, "zi-2026", "H.I.a", "unit", "3.6", "IPAK 2025",
                         "uji", AT)
    answered = _standing(sessions, plan_id)
    assert answered.projection.projected.hasil == pytest.approx(ahead.hasil + 15.75)
    assert answered.projection.now.hasil == pytest.approx(now.hasil + 15.75)

    # evidence verified for every checkpoint of the rows serving 1.i.a: full "saat ini"
    keys = [k for k, codes in first.links.items() if "1.i.a" in codes]
    with sessions.begin() as s:
        items = s.scalars(select(m.Item.id).where(m.Item.plan_id == plan_id,
                                                  m.Item.key.in_(keys))).all()
        s.execute(update(m.Checkpoint).where(m.Checkpoint.item_id.in_(items))
                  .values(status="verified"))
    verified = _standing(sessions, plan_id)
    assert verified.projection.now.values["1.i.a"] == 1.0
    assert verified.projection.now.points["1.i"] == pytest.approx(0.25)  # 0.5 over 2

    # the admin says those rows serve nothing: 1.i.a is unserved, and worth its answer (none)
    with sessions.begin() as s:
        for key in keys:
            store.set_links(s, plan_id, key, [""], "uji", AT)
    unlinked = _standing(sessions, plan_id)
    assert "1.i.a" in unlinked.unserved and unlinked.links[keys[0]] == ()
    assert unlinked.projection.projected.values["1.i.a"] == 0.0
    assert unlinked.projection.projected.total == pytest.approx(
        verified.projection.projected.total - 0.25)
    with sessions.begin() as s:  # back to the suggestion
        for key in keys:
            store.set_links(s, plan_id, key, [], "uji", AT)
    assert _standing(sessions, plan_id).links == first.links


def test_the_capaian_question_follows_late_checkpoints(sessions: sessionmaker[Session]) -> None:
    plan_id = _import(sessions)
    with sessions() as s:
        rows = s.execute(select(m.Checkpoint.due, m.Checkpoint.status).join(m.Item).where(
            m.Item.plan_id == plan_id, m.Item.active,
            m.Checkpoint.status != "cancelled")).all()
    late = sum(1 for due, status in rows if due < DAY and status in WAITING)
    due = sum(1 for d, _ in rows if d <= DAY)
    assert late and due
    share = 1 - late / len(rows)
    expected = "A" if share >= 1 else "B" if share >= 0.5 else "C"
    found = _standing(sessions, plan_id)
    question = found.lke.question("1.iii.a")
    assert question is not None and question.from_capaian
    assert found.projection.projected.values["1.iii.a"] == question.option(expected).value  # type: ignore[union-attr]
    assert found.projection.now.values["1.iii.a"] == 0.0  # nothing verified yet: D


def _monev(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MONEV_HOME": str(home), "MONEV_TODAY": DAY.isoformat(),
           "MONEV_CONFIG": str(ROOT / "config" / "monev.yaml"),
           "MONEV_LKE_DIR": str(LKE_DIR)}
    env.pop("MONEV_DATABASE_URL", None)
    res = subprocess.run([sys.executable, "-m", "app", *args], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=180)
    assert "Traceback" not in res.stdout + res.stderr, res.stderr
    return res


def test_the_command_line_keeps_the_contract(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert _monev(home, "plan", "import", str(ZI_KOTA), "-q").returncode == 0
    plan = "kpu-kota-jambi/zi-2025"
    before = json.loads(_monev(home, "lke", "score", "--plan", plan, "--json").stdout)
    assert list(before) == ["version", "total", "pengungkit", "hasil", "areas", "gates"]
    assert before["version"] == "zi-2026" and isinstance(before["total"], float)
    assert [list(a) for a in before["areas"]] == [["name", "score", "weight"]] * 6
    assert set(before["gates"]) == {"WBK", "WBBM"}
    assert all(set(g) == {"met", "short"} for g in before["gates"].values())
    assert before["gates"]["WBK"]["met"] is False and before["gates"]["WBK"]["short"]
    assert before["total"] == pytest.approx(before["pengungkit"] + before["hasil"], abs=0.011)

    bad = _monev(home, "lke", "answer", "--plan", plan, "H.I.a", "4,5")
    assert bad.returncode == 2
    assert bad.stderr.strip() == "Galat: H.I.a: nilai survei 0 sampai 4"
    unknown = _monev(home, "lke", "answer", "--plan", plan, "9.z", "Ya")
    assert unknown.returncode == 2 and "butir 9.z tidak ada di LKE zi-2026" in unknown.stderr
    assert _monev(home, "lke", "answer", "--plan", plan, "H.II.a", "3,2").returncode == 0
    after = json.loads(_monev(home, "lke", "score", "--plan", plan, "--json").stdout)
    assert after["hasil"] == pytest.approx(before["hasil"] + 14.0)

    mapped = json.loads(_monev(home, "lke", "map", "--plan", plan, "--json").stdout)
    assert len(mapped["rows"]) == 87 and "R.1.ii.a" in mapped["unserved"]
    assert {r["source"] for r in mapped["rows"]} == {"saran"}


def test_the_monev_report_gains_an_lke_page(sessions: sessionmaker[Session]) -> None:
    from io import BytesIO

    from openpyxl import load_workbook

    from reports.build import build_report
    from reports.lke_page import lke_part
    from reports.periods import ReportPeriod
    from reports.render import render
    from tests.conftest import RB_MUARO

    plan_id = _import(sessions)
    rb = load_plan(RB_MUARO)
    sc = CFG.satker(rb.header.satker)
    assert sc is not None
    with sessions.begin() as s:
        rb_id = import_plan(s, rb, sc.calendar(), date(2026, 1, 5), RB_MUARO.name,
                            sc.tz).plan_id
    with sessions() as s:
        built = build_report(s, CFG, ReportPeriod.parse("2025-09"), DAY,
                             plan="kpu-kota-jambi/zi-2025")
        plan = s.get(m.Plan, plan_id)
        rb_plan = s.get(m.Plan, rb_id)
        assert plan is not None and rb_plan is not None
        where = standing(s, plan, DAY, LKE_DIR)
        assert lke_part(s, rb_plan, DAY) is None  # no LKE RB data yet: no page
    page = built.plans[0].lke
    assert page is not None and page.version == "zi-2026"
    total = page.lines[-1]
    assert (total.name, total.weight) == ("Total", 100.0)
    assert total.ahead == round(where.projection.projected.total, 2)
    assert [g.name for g in page.gates] == ["WBK", "WBBM"] and not page.gates[0].met_ahead
    assert page.worst and all(w.share < 1 for w in page.worst)
    html = render(built, "html").decode()
    ahead = f"{total.ahead:.2f}".replace(".", ",")
    assert "<th scope=\"row\">Total</th><td class=\"num\">100,00</td>" in html
    assert ahead in html and "Sub-area terlemah (proyeksi)" in html
    md = render(built, "md").decode()
    assert f"| Total | 100,00 | 0,00 | {ahead} |" in md
    sheet = load_workbook(BytesIO(render(built, "xlsx")))["LKE"]
    rows = [[c.value for c in r] for r in sheet.iter_rows(min_row=2, max_col=6)]
    assert ["ZI 2025 (zi-2026)", "Total", 100.0, 0.0, total.ahead] == rows[8][:5]


def _answer_reform_of_pengawasan(s: Session, satker_id: int, lke: Lke) -> None:
    """Reform of Penguatan Pengawasan answered at its best (its area then clears 60 %
    with its Pemenuhan rows served)."""
    for q in lke.questions():
        if q.code.startswith("R.5."):
            best = q.options[0].key if q.options else ("30" if q.code.endswith(".4") else "10")
            store.set_answer(s, satker_id, "zi-2026", q.code, "unit", best, "", "uji", AT)


def test_a_gate_reason_is_announced_once_the_day_it_appears(
        sessions: sessionmaker[Session]) -> None:
    from monev.engine.lke import record

    plan_id = _import(sessions)
    lke = _standing(sessions, plan_id).lke
    with sessions.begin() as s:
        plan = s.get(m.Plan, plan_id)
        assert plan is not None
        _answer_reform_of_pengawasan(s, plan.satker_id, lke)
    with sessions.begin() as s:
        plan = s.get(m.Plan, plan_id)
        assert plan is not None
        assert record(s, plan, DAY, LKE_DIR) == []  # the first snapshot says nothing
        snap = s.get(m.LkeSnapshot, plan_id)
        assert snap is not None and snap.version == "zi-2026" and snap.day == DAY
        assert "area:5" not in snap.short_keys and "total" in snap.short_keys
        assert snap.summary["total"] == snap.ahead_total
    # every row of Penguatan Pengawasan said to serve nothing: the area falls below 60 %
    first = _standing(sessions, plan_id)
    pengawasan = {k for k, codes in first.links.items()
                  if any(c.startswith("5.") for c in codes)}
    assert pengawasan
    with sessions.begin() as s:
        for key in pengawasan:
            store.set_links(s, plan_id, key, [""], "uji", AT)
    later = date(2025, 9, 16)
    with sessions.begin() as s:
        plan = s.get(m.Plan, plan_id)
        assert plan is not None
        news = record(s, plan, later, LKE_DIR)
    assert len(news) == 1 and news[0][0] == "area:5"
    assert news[0][1].startswith("Area Penguatan Pengawasan ")
    assert news[0][1].endswith(" % < 60 %")
    with sessions.begin() as s:  # the next sweep: nothing new, nothing said again
        plan = s.get(m.Plan, plan_id)
        assert plan is not None
        assert record(s, plan, date(2025, 9, 17), LKE_DIR) == []


def test_the_sweep_tells_the_ketua_tim_and_the_sekretaris_once(
        sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch) -> None:
    from monev.engine.lke_alerts import sweep_lke

    monkeypatch.setenv("MONEV_LKE_DIR", str(LKE_DIR))
    plan_id = _import(sessions)
    sc = CFG.satker("KPU Kota Jambi")
    assert sc is not None
    first = _standing(sessions, plan_id)
    with sessions.begin() as s:
        plan = s.get(m.Plan, plan_id)
        assert plan is not None
        _answer_reform_of_pengawasan(s, plan.satker_id, first.lke)
        assert sweep_lke(s, plan, sc, DAY, AT) == []  # first snapshot: nothing said
        for key, codes in first.links.items():  # Penguatan Pengawasan's rows unlinked
            if any(c.startswith("5.") for c in codes):
                store.set_links(s, plan_id, key, [""], "uji", AT)
    later = date(2025, 9, 16)
    with sessions.begin() as s:
        plan = s.get(m.Plan, plan_id)
        assert plan is not None
        said = sweep_lke(s, plan, sc, later, AT)
    assert said, "some reason newly short"
    with sessions() as s:
        rows = s.scalars(select(m.Outbox).where(m.Outbox.day == later)).all()
        assert {r.person for r in rows} == {"Sekretaris Kota Contoh",
                                            "Ketua Tim ZI Kota Contoh"}
        for row in rows:
            assert all(text in row.body for text in said), row.body
            assert "syarat WBK tidak terpenuhi" in row.subject
    with sessions.begin() as s:  # the next day: nothing new, no new message
        plan = s.get(m.Plan, plan_id)
        assert plan is not None
        assert sweep_lke(s, plan, sc, date(2025, 9, 17), AT) == []
