"""Issue 18 item 3: a day written in a plan (an Excel date cell, ``15 Januari 2026``,
``2026-02-14`` in the canonical YAML) falls due that day — or, when it is no working
day, on the next working day, flagged — and that due date reaches the store, the
engine's reminders and escalations, and a revision."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from monev.engine.rules import EngineSettings, schedule_dates
from monev.engine.sweep import sweep_plan
from monev.periods import Period
from monev.plans import load_plan
from monev.plans.canonical import dump_plan
from monev.plans.xlsx_reader import shows_day
from monev.schedule import plan_document
from monev.store import models as m
from monev.store.imports import import_plan
from monev.store.queries import checkpoint_views
from monev.workdays import WorkCalendar

CAL = WorkCalendar()
SET = EngineSettings()
# 14 February 2026 is a Saturday; 16 (cuti bersama) and 17 (Imlek) are days off
SATURDAY = date(2026, 2, 14)
NEXT_WORKING = date(2026, 2, 18)


def _plan_xlsx(path: Path, feb: object = datetime(2026, 2, 14)) -> Path:
    """A small ZI plan typed in Excel: a date cell, a date cell formatted as a month
    (Excel's reading of a typed ``Maret 2026``) and a day written as text."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Lampiran"
    ws.append(["RENCANA AKSI PEMBANGUNAN ZONA INTEGRITAS KPU KOTA CONTOH TAHUN 2026"])
    ws.append(["NO", "KOMPONEN", "INDIKATOR", "LANGKAH AKSI", "BUKTI FISIK", "TARGET WAKTU"])
    ws.append([1, 2, 3, 4, 5, 6])
    ws.append(["I", "MANAJEMEN PERUBAHAN"])
    ws.append(["1", "Tim Kerja", "SK Tim", "Menetapkan SK Tim", "SK Tim", feb])
    ws.append(["", "", "Rapat tim", "Rapat tim", "Notulen", datetime(2026, 3, 1)])
    ws["F6"].number_format = "[$-421]mmmm yyyy;@"
    ws.append(["", "", "Apel", "Apel pagi", "Foto", "15 Januari 2026"])
    ws.append(["", "", "Laporan", "Laporan", "Laporan", "Oktober 2026"])
    wb.save(path)
    return path


def _checkpoints(doc: dict[str, object]) -> list[list[dict[str, str]]]:
    return [i["checkpoints"] for i in doc["items"]]  # type: ignore[attr-defined]


def test_excel_date_cell_is_due_that_day_or_the_next_working_day(tmp_path: Path) -> None:
    plan = load_plan(_plan_xlsx(tmp_path / "plan.xlsx"))
    doc = plan_document(plan, CAL)
    assert _checkpoints(doc) == [
        [{"period": "2026-02", "due": NEXT_WORKING.isoformat()}],
        [{"period": "2026-03", "due": "2026-03-31"}],  # a month-formatted date: the month
        [{"period": "2026-01", "due": "2026-01-15"}],  # a Thursday: that very day
        [{"period": "2026-10", "due": "2026-10-30"}],  # no day: the last working day
    ]
    items = doc["items"]
    assert isinstance(items, list)
    assert [i["target_text"] for i in items][:3] == [
        "14 Februari 2026", "Maret 2026", "15 Januari 2026"]
    feb_flags = items[0]["warnings"]
    assert len(feb_flags) == 1 and "14 Februari 2026 bukan hari kerja" in feb_flags[0]
    assert NEXT_WORKING.isoformat() in feb_flags[0] and "plan.xlsx:5" in feb_flags[0]
    assert items[2]["warnings"] == [] and items[3]["warnings"] == []


def test_due_rule_last_day_keeps_the_written_day(tmp_path: Path) -> None:
    plan = load_plan(_plan_xlsx(tmp_path / "plan.xlsx"))
    doc = plan_document(plan, WorkCalendar(due_rule="last_day"))
    assert _checkpoints(doc)[0] == [{"period": "2026-02", "due": SATURDAY.isoformat()}]
    assert doc["items"][0]["warnings"] == []  # type: ignore[index]


def test_number_formats_that_show_a_day() -> None:
    for fmt in ("yyyy-mm-dd h:mm:ss", "d mmmm yyyy", "dd/mm/yyyy", "[$-421]dddd, d mmmm yyyy",
                None, ""):
        assert shows_day(fmt), fmt
    for fmt in ("mmmm yyyy", "mmm-yy", "[$-421]mmmm yyyy;@", 'mmmm "tanggal" yyyy', "mm/yyyy"):
        assert not shows_day(fmt), fmt


def test_written_day_reaches_store_reminders_and_escalation(
        sessions: sessionmaker[Session], tmp_path: Path) -> None:
    plan = load_plan(_plan_xlsx(tmp_path / "plan.xlsx"))
    with sessions.begin() as s:
        import_plan(s, plan, CAL, date(2026, 1, 5), "v1")
    with sessions() as s:
        dues = {c.period: c.due for c in s.scalars(select(m.Checkpoint))}
    assert dues == {"2026-02": NEXT_WORKING, "2026-03": date(2026, 3, 31),
                    "2026-01": date(2026, 1, 15), "2026-10": date(2026, 10, 30)}
    with sessions() as s:
        views = checkpoint_views(s, 1)
    runs = schedule_dates([v.state() for v in views], CAL, SET)
    assert {date(2026, 2, 11), date(2026, 2, 15), date(2026, 2, 17),  # H-7, H-3, H-1
            NEXT_WORKING} <= runs["remind"]
    assert CAL.add_working_days(NEXT_WORKING, 1) in runs["escalate"]
    for day in (date(2026, 2, 11), NEXT_WORKING, date(2026, 2, 19)):
        with sessions.begin() as s:
            sweep_plan(s, 1, day, CAL, SET, None)
    with sessions() as s:
        feb = s.scalars(select(m.Checkpoint).where(m.Checkpoint.period == "2026-02")).one()
        log = s.execute(select(m.ActionLog.action, m.ActionLog.step, m.ActionLog.on_date)
                        .where(m.ActionLog.checkpoint_id == feb.id)).tuples().all()
    steps = {(a, st, d) for a, st, d in log}
    assert ("remind", "H-7", date(2026, 2, 11)) in steps
    assert ("remind", "H-0", NEXT_WORKING) in steps
    assert ("escalate", "L1", date(2026, 2, 19)) in steps
    assert not any(a == "escalate" and d <= NEXT_WORKING for a, _, d in log)


def test_revision_moves_a_future_written_day(sessions: sessionmaker[Session],
                                             tmp_path: Path) -> None:
    with sessions.begin() as s:
        import_plan(s, load_plan(_plan_xlsx(tmp_path / "a.xlsx")), CAL, date(2026, 1, 5), "v1")
    revised = load_plan(_plan_xlsx(tmp_path / "b.xlsx", feb=datetime(2026, 2, 24)))
    with sessions.begin() as s:
        res = import_plan(s, revised, CAL, date(2026, 1, 5), "v2")
    assert res.revision == 2 and not res.unchanged
    with sessions() as s:
        feb = s.scalars(select(m.Checkpoint).where(m.Checkpoint.period == "2026-02")).one()
    assert feb.due == date(2026, 2, 24)  # a Tuesday: that day


def test_canonical_yaml_keeps_a_day_through_export_and_import(tmp_path: Path) -> None:
    plan = load_plan(_plan_xlsx(tmp_path / "plan.xlsx"))
    text = dump_plan(plan)
    text = text.replace("target: Oktober 2026\n",
                        "target: Oktober 2026\n  checkpoints: [2026-10-07, 2026-11]\n")
    path = tmp_path / "plan.yaml"
    path.write_text(text, encoding="utf-8")
    again = load_plan(path)
    assert again.items[3].periods == (Period(2026, 10), Period(2026, 11))
    assert again.items[3].days == {Period(2026, 10): date(2026, 10, 7)}
    assert again.items[0].days == {Period(2026, 2): SATURDAY}  # read again from the text
    assert _checkpoints(plan_document(again, CAL))[3] == [
        {"period": "2026-10", "due": "2026-10-07"}, {"period": "2026-11", "due": "2026-11-30"}]
    out = dump_plan(again)
    assert "  checkpoints:\n  - '2026-10-07'\n  - 2026-11\n" in out
    path.write_text(out, encoding="utf-8")
    assert dump_plan(load_plan(path)) == out  # export → import → export: the same bytes


def test_yaml_day_override_changed_is_a_revision(sessions: sessionmaker[Session],
                                                 tmp_path: Path) -> None:
    """Only the hand-written day changes (same texts, same periods): still a revision,
    and the future checkpoint moves to the new day."""
    base = dump_plan(load_plan(_plan_xlsx(tmp_path / "plan.xlsx")))
    dues = []
    for n, day in enumerate(("2026-10-07", "2026-10-09"), start=1):
        path = tmp_path / f"plan-{n}.yaml"
        path.write_text(base.replace("target: Oktober 2026\n", "target: Oktober 2026\n"
                                     f"  checkpoints: [{day}]\n"), encoding="utf-8")
        with sessions.begin() as s:
            res = import_plan(s, load_plan(path), CAL, date(2026, 1, 5), f"v{n}")
        assert res.revision == n and not res.unchanged
        with sessions() as s:
            dues.append(s.scalars(select(m.Checkpoint.due).where(
                m.Checkpoint.period == "2026-10")).one())
    assert dues == [date(2026, 10, 7), date(2026, 10, 9)]
