"""The sweep's outbox rows written in bulk are the rows the one-by-one path wrote:
merged into a person's pending row, a new ``#2`` row after a claimed one, a fresh row
otherwise — and a key taken by a concurrent sweep in between still ends in one row.
The capaian a sweep counts from its own read is the one SQL counts."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

import monev.store.outbox as outbox
from monev.config import load_config
from monev.engine.sweep import sweep_and_count
from monev.plans.loader import load_plan
from monev.store import models as m
from monev.store.imports import import_plan
from monev.store.outbox import Delivery, enqueue
from monev.store.queries import progress

ROOT = Path(__file__).resolve().parent.parent
DAY = date(2026, 11, 11)
MOMENT = datetime(2026, 11, 11, 8, tzinfo=ZoneInfo("Asia/Jakarta"))


def _deliveries(tag: str) -> list[Delivery]:
    sc = load_config(ROOT / "config" / "monev.yaml").satker("KPU Kabupaten Muaro Jambi")
    assert sc is not None
    out = []
    for n, person in enumerate(p for p in sc.people if p.channels):
        items = [{"kind": ("pengingat", "terlambat", "dibuka")[(n + i) % 3], "step": "H-3",
                  "ref": f"{tag}{n}.{i}@2026-11", "period": "2026-11", "due": "2026-11-27",
                  "bukti_fisik": f"Bukti {n}.{i}", "indikator": "", "area": "Area",
                  "pic": person.name, "subbagian": ""} for i in range(n % 4 + 1)]
        out.append(Delivery(person, person.role, items))
    return out


def _setup(s: Session, satker: str, people: list[str]) -> None:
    """A pending row to merge into (first person), six claimed ones (second person:
    ``…|email`` to ``…|email#6``)."""
    keys = [(people[0], "", "pending")] + [(people[1], f"#{n}" if n > 1 else "", "sending")
                                          for n in range(1, 7)]
    for person, number, status in keys:
        s.add(m.Outbox(idem_key=f"{DAY}|{satker}|{person}|email{number}", person=person,
                       channel="email", address="x@example.org", kind="harian", day=DAY,
                       items=[{"kind": "dibuka", "ref": "old@2026-11", "step": "open",
                               "period": "2026-11", "due": "2026-11-27",
                               "bukti_fisik": "Lama", "indikator": "", "area": "Area",
                               "pic": person, "subbagian": ""}],
                       status=status, attempts=int(status != "pending"),
                       not_before=datetime(2026, 11, 11, 2)))
    s.flush()


def _rows(s: Session, satker: str) -> list[dict[str, Any]]:
    rows = s.scalars(select(m.Outbox).where(m.Outbox.idem_key.like(f"%|{satker}|%"))
                     .order_by(m.Outbox.id)).all()
    return [{"key": r.idem_key.replace(satker, "S"), "items": r.items, "subject":
             r.subject.replace(satker, "S"), "body": r.body.replace(satker, "S"),
             "status": r.status, "not_before": r.not_before, "attachments": r.attachments,
             "person": r.person, "channel": r.channel, "address": r.address, "role": r.role}
            for r in rows]


def _one_by_one(s: Session, satker: str, deliveries: list[Delivery]) -> None:
    cal = load_config(ROOT / "config" / "monev.yaml").satker(
        "KPU Kabupaten Muaro Jambi").calendar()  # type: ignore[union-attr]
    send_at = outbox.next_send_time(MOMENT, "Asia/Jakarta", cal)
    for d in deliveries:
        for channel in d.person.channels:
            address = outbox.address_of(d.person, channel)
            if address:
                outbox._merge_one(s, None, satker, DAY, "Ketua", send_at, d, channel,
                                  address, f"{DAY}|{satker}|{d.person.name}|{channel}")
    s.flush()


def test_bulk_enqueue_writes_what_the_one_by_one_path_wrote(
        sessions: sessionmaker[Session]) -> None:
    cal = load_config(ROOT / "config" / "monev.yaml").satker(
        "KPU Kabupaten Muaro Jambi").calendar()  # type: ignore[union-attr]
    people = [d.person.name for d in _deliveries("a")]
    with sessions.begin() as s:
        _setup(s, "Bulk", people)
        _setup(s, "Each", people)
        rows = enqueue(s, None, "Bulk", DAY, MOMENT, "Asia/Jakarta", cal, _deliveries("a"),
                       "Ketua")
        _one_by_one(s, "Each", _deliveries("a"))
        assert len(rows) == len({r.idem_key for r in rows}) > 3
    with sessions() as s:
        bulk, each = _rows(s, "Bulk"), _rows(s, "Each")
    assert bulk == each
    assert any(r["key"].endswith("|email#7") for r in bulk)  # after the claimed rows
    assert any(r["status"] == "pending" and len(r["items"]) > 1 and
               r["items"][0]["bukti_fisik"] == "Lama" for r in bulk)  # merged


def test_a_key_taken_meanwhile_still_ends_in_one_row(sessions: sessionmaker[Session],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A concurrent sweep inserts the rows after this one read the day's keys: the bulk
    insert fails on the unique key and each person is merged one by one instead."""
    cal = load_config(ROOT / "config" / "monev.yaml").satker(
        "KPU Kabupaten Muaro Jambi").calendar()  # type: ignore[union-attr]
    with sessions.begin() as s:
        enqueue(s, None, "Race", DAY, MOMENT, "Asia/Jakarta", cal, _deliveries("a"), "Ketua")
    monkeypatch.setattr(outbox, "_day_rows", lambda *_: ({}, {}))  # read before them
    with sessions.begin() as s:
        enqueue(s, None, "Race", DAY, MOMENT, "Asia/Jakarta", cal, _deliveries("b"), "Ketua")
    with sessions() as s:
        rows = _rows(s, "Race")
    assert rows and all("#" not in r["key"] for r in rows)  # no second row per key
    assert all({i["ref"][0] for i in r["items"]} == {"a", "b"} for r in rows)


def test_the_capaian_a_sweep_counts_is_the_one_sql_counts(
        sessions: sessionmaker[Session]) -> None:
    """``sweep_all`` takes each plan's capaian from the sweep's own read: the same
    numbers as the aggregate query after it, day after day."""
    cfg = load_config(ROOT / "config" / "monev.yaml")
    plan = load_plan(ROOT / "examples" / "plans" / "rencana-aksi-zi-2025-kpu-kab-muaro-jambi.txt")
    sc = cfg.satker(plan.header.satker)
    assert sc is not None
    with sessions.begin() as s:
        plan_id = import_plan(s, plan, sc.calendar(), date(2025, 8, 20), "x").plan_id
    for day in (date(2025, 8, 20), date(2025, 10, 2), date(2025, 12, 1)):
        with sessions.begin() as s:
            s.execute(update(m.Checkpoint).where(m.Checkpoint.id % 4 == 0,
                                                 m.Checkpoint.due < day)
                      .values(status="verified"))
            _, capaian = sweep_and_count(s, plan_id, day, sc.calendar(), sc.settings(), sc)
            assert capaian == progress(s, plan_id, day)
            assert capaian is not None and capaian.late and capaian.verified
