"""Two doors submitting to one checkpoint at the same moment (a portal upload and a
WhatsApp reply, two replies): the second waits for the first and sees its submission,
so it joins it instead of making a second "first" one. Real threads, both databases."""

from __future__ import annotations

import threading
import time
from datetime import date
from pathlib import Path

from sqlalchemy import select

from monev.engine.evidence import Intake, locked
from monev.plans import load_plan
from monev.store import models as m
from monev.store.db import open_session_factory
from monev.store.imports import import_plan
from tests.conftest import ZI_MUARO
from tests.test_feeds import CFG


def test_a_second_submission_waits_and_sees_the_first(db_url: str, tmp_path: Path) -> None:
    factory = open_session_factory(db_url)
    plan = load_plan(ZI_MUARO)
    sc = CFG.satker(plan.header.satker)
    assert sc is not None
    with factory.begin() as s:
        import_plan(s, plan, sc.calendar(), date(2025, 7, 7), ZI_MUARO.name, sc.tz)
        cp = s.scalars(select(m.Checkpoint).order_by(m.Checkpoint.id)).first()
        assert cp is not None
        cp.status, cp_id = "open", cp.id
    first_in, seen = threading.Event(), {}

    def first() -> None:
        with factory.begin() as s:
            cp = s.get_one(m.Checkpoint, cp_id)
            Intake(tmp_path).submit(s, cp, "Pegawai A", links=["https://x.test/a"])
            first_in.set()
            time.sleep(0.6)  # the second door arrives while this is not committed

    def second() -> None:
        first_in.wait(10)
        with factory.begin() as s:
            cp = s.get_one(m.Checkpoint, cp_id)  # read before the first commits
            started = time.monotonic()
            seen["status"] = locked(s, cp).status
            seen["waited"] = time.monotonic() - started
            if seen["status"] == "submitted":
                Intake(tmp_path).submit(s, cp, "Pegawai B", links=["https://x.test/b"],
                                        adding=True)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert seen["status"] == "submitted", "the second door saw the first's submission"
    with factory() as s:
        versions = sorted(s.scalars(select(m.Evidence.version).where(
            m.Evidence.checkpoint_id == cp_id)))
    assert versions == [1, 1], "one submission, the second file joined it"
    factory.kw["bind"].dispose()
