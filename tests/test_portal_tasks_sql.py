"""Tugas saya filters, counts and pages in SQL (portal/tasks.py): on a varied data set it
shows exactly what reading all of a person's checkpoints and grouping them in Python
showed (the rule below is the one the page used before, kept here as the reference)."""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from monev.config import load_config
from monev.store import models as m
from portal.access import Light, Viewer, closed_plans, own_items, satker_rows
from portal.tasks import GROUPS, NEWEST_FIRST, PAGE, my_tasks, task_group, task_of
from tests.portal_app import CONFIG, MUARO, prepare

STATUSES = ("scheduled", "open", "submitted", "verified", "rejected", "backlog", "cancelled")
PEOPLE = ("Pegawai Contoh Dua", "Koordinator Pengawasan", "Kasubbag Umum Contoh",
          "Ketua Tim ZI Contoh")


def _reference_group(status: str, due: date, today: date) -> str | None:
    week_end = today + timedelta(days=6 - today.weekday())
    if status == "rejected":
        return "ditolak"
    if status in ("open", "backlog", "scheduled") and due < today:
        return "terlambat"
    if status in ("open", "scheduled") and due <= week_end:
        return "minggu_ini"
    return {"open": "dibuka", "submitted": "menunggu", "verified": "selesai"}.get(status)


def _reference(s: Session, viewer: Viewer, today: date) -> tuple[dict[str, list[Light]], int]:
    """All the viewer's live checkpoints, grouped in Python (the page's old way)."""
    closed = closed_plans(s, viewer, today)
    live = [i for i, plan in own_items(s, viewer).items() if plan not in closed]
    groups: dict[str, list[Light]] = {key: [] for key, _ in GROUPS}
    scheduled = 0
    for row in satker_rows(s, viewer, item_ids=live):
        key = _reference_group(row[0].status, row[0].due, today)
        if key is None:
            scheduled += 1
        else:
            groups[key].append(row)
    for key in NEWEST_FIRST:
        groups[key].sort(key=lambda r: r[0].due, reverse=True)
    return groups, scheduled


def _vary(factory: sessionmaker[Session], today: date) -> None:
    """Every status on checkpoints due around ``today`` (this week, last week, later)."""
    rng = random.Random(21)
    with factory.begin() as s:
        ids = list(s.scalars(select(m.Checkpoint.id).order_by(m.Checkpoint.id)))
        s.execute(update(m.Checkpoint), [
            {"id": cp_id, "status": rng.choice(STATUSES),
             "due": today + timedelta(days=rng.randint(-60, 40))} for cp_id in ids])


def test_sql_groups_show_what_python_grouping_showed(db_url: str, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    factory = prepare(db_url, home)
    cfg = load_config(CONFIG)
    satker = cfg.satker(MUARO)
    assert satker is not None
    checked = 0
    for today in (date(2025, 10, 29), date(2025, 11, 2)):  # a Wednesday, a Sunday
        _vary(factory, today)
        with factory() as s:
            row = s.scalar(select(m.Satker).where(m.Satker.name == MUARO))
            for name in PEOPLE:
                person = next(p for p in satker.people if p.name == name)
                viewer = Viewer(person, satker, row, 0, "", "")
                groups, scheduled = _reference(s, viewer, today)
                everything = [r for rows in groups.values() for r in rows]
                sorot = [everything[i][0].id for i in (0, 3) if i < len(everything)]
                shown = my_tasks(s, viewer, today, [*sorot, 999_999])
                assert shown.scheduled == scheduled
                assert [t.id for t in shown.sorot] == sorot
                for group in shown.groups:
                    rows = groups[group.key]
                    assert group.total == len(rows), (name, group.key)
                    if group.leading:
                        expected = [task_of(r, viewer, today, {}) for r in rows
                                    if r[0].id not in sorot][:5]
                        assert [(t.id, t.state, t.due) for t in group.tasks] == \
                            [(t.id, t.state, t.due) for t in expected], (name, group.key)
                    pages = max(1, -(-len(rows) // PAGE))
                    for page in range(1, pages + 2):  # one past the last: kept in range
                        one = task_group(s, viewer, today, group.key, page)
                        start = (min(page, pages) - 1) * PAGE
                        assert [t.id for t in one.tasks] == \
                            [r[0].id for r in rows[start:start + PAGE]], (name, group.key)
                        assert (one.total, one.pages) == (len(rows), pages)
                    checked += len(rows)
    assert checked > 200  # the data set reached every group with many items
