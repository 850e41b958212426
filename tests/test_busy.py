"""Long writers never surface as a 500 (issue 24): while another connection holds
SQLite's write lock (``BEGIN IMMEDIATE``) longer than the busy timeout, a portal upload
answers the "Sedang sibuk" page (503, ``Retry-After``) and stores nothing, and a sweep
tries its plan again with backoff, or leaves it for the next sweep — never a traceback.
A real SQLite file, the real app under uvicorn, ``MONEV_SQLITE_BUSY_SECONDS`` short."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from monev.store import models as m
from tests.portal_app import App, AppFactory, pdf

PIC = "Pegawai Contoh Dua"  # PIC of Penerapan SPIP / Pengendalian Gratifikasi
BUSY = "0.3"  # seconds a writer waits for the lock in these tests


@contextmanager
def write_lock(url: str, until: threading.Event | None = None) -> Iterator[None]:
    """Another connection holds the database's write lock until ``until`` is set (in a
    thread), or until the block ends."""
    path = make_url(url).database
    assert path
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("UPDATE plan SET data_version = data_version")  # a real pending write
    waiter = threading.Thread(target=lambda: (until.wait(30), conn.rollback())) \
        if until is not None else None
    if waiter is not None:
        waiter.start()
    try:
        yield
    finally:
        if waiter is not None:
            waiter.join()
        else:
            conn.rollback()
        conn.close()


class _Told(logging.Handler):
    """What the sweep logs; ``retried`` is set when it says it tries a plan again."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.retried = threading.Event()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        if "dicoba lagi" in record.getMessage():
            self.retried.set()


def _stored(app: App) -> tuple[list[Path], int, int, int]:
    """Files under evidence/ (temporary ones too), evidence rows, audit records,
    messages queued."""
    with app.sessions() as s:
        return (app.stored_blobs(), s.scalar(select(func.count(m.Evidence.id))) or 0,
                s.scalar(select(func.count(m.Transition.id))) or 0,
                s.scalar(select(func.count(m.Outbox.id))) or 0)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_an_upload_while_the_database_is_held_answers_busy_and_keeps_nothing(
        portal_app: AppFactory, db_url: str) -> None:
    app = portal_app(MONEV_SQLITE_BUSY_SECONDS=BUSY)
    pic = app.browser(PIC)
    cp = app.checkpoints_of("open", komponen="Gratifikasi")[0]
    token = pic.csrf(f"/portal/c/{cp}")
    before = _stored(app)
    with write_lock(db_url):
        answer = pic.upload(cp, [("laporan.pdf", pdf("sibuk"))], csrf=token)
    assert answer.status_code == 503, answer.text
    assert answer.headers["retry-after"].isdigit()
    assert answer.headers["content-type"].startswith("text/html")
    assert "Sedang sibuk, coba lagi sebentar" in answer.text
    assert "Traceback" not in answer.text and "Internal Server Error" not in answer.text
    assert _stored(app) == before, "no blob, no evidence row, no audit record, no message"
    again = pic.upload(cp, [("laporan.pdf", pdf("sibuk"))])  # the lock gone: it goes in
    assert again.status_code == 303, again.text
    blobs, evidence, *_ = _stored(app)
    assert (len(blobs), evidence) == (len(before[0]) + 1, before[1] + 1)


def test_a_sweep_waits_for_a_long_writer_and_never_dies(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """sweep_all's plan loop: a lock held past the busy timeout (until the sweep said
    it tries again) is waited out; held for good, each plan is left for the next sweep
    with one warning line, and the sweep returns."""
    from tasks import sweep as sweep_task
    from tests.portal_app import CONFIG, prepare

    url = f"sqlite:///{tmp_path / 'monev.db'}"
    monkeypatch.setenv("MONEV_CONFIG", str(CONFIG))
    monkeypatch.setenv("MONEV_SQLITE_BUSY_SECONDS", BUSY)
    monkeypatch.setenv("MONEV_REPORT_FORMATS", "md")
    monkeypatch.setattr(sweep_task, "RETRY_WAITS", (0.1, 0.2))
    prepare(url, tmp_path).kw["bind"].dispose()
    told, logger = _Told(), logging.getLogger("monev.sweep")
    logger.addHandler(told)
    monkeypatch.setattr(logger, "level", logging.INFO)
    try:
        with write_lock(url, until=told.retried):
            swept = sweep_task.sweep_plans(url, {"Asia/Jakarta": date(2025, 11, 3)})
        assert told.retried.is_set()
        assert [ref for ref, *_ in swept] == ["kpu-kabupaten-muaro-jambi/zi-2025",
                                              "kpu-kota-jambi/zi-2025"]
        assert all(len(records) > 0 for _, _, records, *_ in swept), "both swept"
        told.records.clear()
        with write_lock(url):
            swept = sweep_task.sweep_plans(url, {"Asia/Jakarta": date(2025, 11, 4)})
    finally:
        logger.removeHandler(told)
    assert swept == []
    skipped = [r.getMessage() for r in told.records if r.levelno == logging.WARNING]
    assert len(skipped) == 2 and all("sapuan berikutnya" in w for w in skipped), skipped
    assert not any(r.exc_info for r in told.records), "no traceback"
