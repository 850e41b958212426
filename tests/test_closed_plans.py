"""Closed plans stay closed everywhere (issue 17): once a plan is *selesai* — closed by
an admin, or past its grace by the dates — none of its checkpoints is open work in the
portal (Tugas saya, Verifikasi, Papan), in the calendar feeds or in the messages queued
before it closed; uploads and verification are refused with one clear sentence and
nothing stored. A plan in *penutupan* still takes late evidence. Real app, real
databases (SQLite and PostgreSQL), real SMTP sink."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import httpx
from icalendar import Calendar
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from calendars.service import create_feed
from monev.config import load_config
from monev.engine.sweep import sweep_plan
from monev.plans import load_plan
from monev.store import models as m
from monev.store import plan_status
from monev.store.imports import import_plan
from monev.store.outbox import Delivery, enqueue
from monev.tokens import server_secret
from notifiers.dispatch import dispatch
from portal.format import CLOSED_PLAN
from tests.conftest import ROOT, ZI_KOTA, ZI_MUARO, Sink, smtp_env
from tests.portal_app import MUARO, App, AppFactory, Browser, pdf

CFG = load_config(ROOT / "config" / "monev.yaml")
PIC = "Pegawai Contoh Dua"  # PIC of Penerapan SPIP / Pengendalian Gratifikasi
KOORD = "Koordinator Pengawasan"
KETUA = "Ketua Tim ZI Contoh"
SENTENCE = "Rencana aksi ini sudah ditutup (selesai)"


def _mine(app: App) -> list[int]:
    return app.checkpoints_of("open", komponen="Gratifikasi") + \
        app.checkpoints_of("open", komponen="SPIP")


def _close_muaro(sessions: sessionmaker[Session], on: date = date(2025, 10, 28)) -> int:
    """An admin closes Muaro Jambi's ZI 2025 (as ``monev plan close`` does)."""
    with sessions.begin() as s:
        plan = s.scalars(select(m.Plan).join(m.Plan.satker).where(
            m.Satker.name == MUARO, m.Plan.kind == "ZI")).one()
        plan_status.close(s, plan, "admin:uji", "LKE terkirim", on)
        return plan.id


def _stored(app: App) -> tuple[int, int, int, int]:
    """Blobs on disk, evidence rows, audit records, messages queued."""
    with app.sessions() as s:
        return (len(app.stored_blobs()), s.scalar(select(func.count(m.Evidence.id))) or 0,
                s.scalar(select(func.count(m.Transition.id))) or 0,
                s.scalar(select(func.count(m.Outbox.id))) or 0)


def _feed_events(browser: Browser) -> dict[str, str]:
    """The person's own calendar feed (from Kalender saya): checkpoint id → status."""
    page = browser.get("/portal/kalender").text
    url = re.search(r"(http://127\.0\.0\.1:\d+/feeds/[A-Za-z0-9_-]{43}\.ics)", page)
    assert url, page
    cal = Calendar.from_ical(httpx.get(url.group(1), timeout=30).content)
    return {str(e["URL"]).rsplit("/", 1)[1]: str(e["DESCRIPTION"])
            for e in cal.walk("VEVENT")}


def _status(app: App, cp_id: int) -> str:
    with app.sessions() as s:
        cp = s.get(m.Checkpoint, cp_id)
        assert cp is not None
        return cp.status


def test_closed_plan_is_no_work_anywhere_and_refuses_uploads_and_verification(
        portal_app: AppFactory) -> None:
    app = portal_app()
    pic, koord, ketua = app.browser(PIC), app.browser(KOORD), app.browser(KETUA)
    sent, late, done = _mine(app)[:3]
    assert pic.upload(sent, [("a.pdf", pdf("a"))]).status_code == 303
    assert pic.upload(done, [("c.pdf", pdf("c"))]).status_code == 303
    assert koord.verify([done], "terima").status_code == 303
    assert ketua.verify([done], "terima").status_code == 303  # the last review tier
    # while the plan is open: work on every page, and in the feed (Tugas saya lists the
    # first few of each group: ?sorot= puts this one on top, as a message's link does)
    tasks = pic.get(f"/portal/?sorot={late}").text
    assert f"/portal/c/{late}" in tasks and "/portal/arsip" not in tasks
    assert f'value="{sent}"' in koord.get("/portal/verifikasi").text
    board = ketua.get("/portal/papan").text
    assert 'class="cell terlambat"' in board and SENTENCE not in board
    before = _feed_events(pic)
    assert {str(sent), str(late), str(done)} <= set(before)
    with app.sessions.begin() as s:  # the Tim ZI's feed of the whole plan
        _, token = create_feed(s, server_secret(app.home), "plan", "Tim ZI",
                               plan="kpu-kabupaten-muaro-jambi/zi-2025")
        refs = {cp_id: f"{key}@{period}" for cp_id, key, period in s.execute(
            select(m.Checkpoint.id, m.Item.key, m.Checkpoint.period).join(m.Checkpoint.item)
            .where(m.Checkpoint.id.in_([late, done])))}
    plan_feed = f"{app.url}/feeds/{token}.ics"
    assert len(Calendar.from_ical(httpx.get(plan_feed).content).walk("VEVENT")) > 100
    assert httpx.get(f"{app.url}/feeds/{token}/c/{refs[late]}").status_code == 200

    _close_muaro(app.sessions)

    # Tugas saya: nothing of it (Muaro Jambi has only this plan), a pointer to the Arsip
    tasks = pic.get(f"/portal/?sorot={late}").text
    assert "/portal/c/" not in tasks
    assert re.search(r"\d+ checkpoint dari rencana aksi yang sudah ditutup", tasks)
    archive = pic.get("/portal/arsip").text
    assert f"/portal/c/{late}" in archive and "tidak tercapai" in archive
    assert "ZI 2025 — ditutup" in archive
    # its checkpoint page opens read-only
    page = pic.get(f"/portal/c/{late}")
    assert page.status_code == 200 and CLOSED_PLAN in page.text
    assert "/kirim" not in page.text and 'name="berkas"' not in page.text
    assert "tidak tercapai (rencana ditutup)" in page.text
    # an upload is refused with the sentence, and nothing is stored
    kept = _stored(app)
    token = pic.csrf(f"/portal/c/{late}")
    refused = pic.upload(late, [("late.pdf", pdf("late"))], csrf=token,
                         link="https://drive.google.com/file/d/x/view")
    assert refused.status_code == 409 and CLOSED_PLAN in refused.text
    assert _stored(app) == kept and _status(app, late) == "open"
    # Verifikasi: not in the queue, and accepting or rejecting is refused
    queue = koord.get("/portal/verifikasi").text
    assert f'value="{sent}"' not in queue
    assert "Terima bukti" not in koord.get(f"/portal/c/{sent}").text
    for action, reason in (("terima", ""), ("tolak", "kurang tanda tangan")):
        token = koord.csrf("/portal/")
        answer = koord.verify([sent], action, reason=reason, csrf=token)
        assert answer.status_code == 409 and CLOSED_PLAN in answer.text
    assert _status(app, sent) == "submitted" and _stored(app) == kept
    # Papan: the closed plan, marked so, with nothing late or open
    board = ketua.get("/portal/papan").text
    assert "ZI 2025 (selesai)" in board and CLOSED_PLAN in board
    for css in ("terlambat", "dibuka", "tunggakan", "ditolak", "terkirim"):
        assert f'class="cell {css}"' not in board
    assert 'class="cell ditutup"' in board and 'class="cell selesai"' in board
    assert "tidak tercapai." in board
    # the feed keeps only what was verified: history, not work
    after = _feed_events(pic)
    assert set(after) == {str(done)} and "terverifikasi" in after[str(done)]
    whole = Calendar.from_ical(httpx.get(plan_feed).content).walk("VEVENT")
    assert [str(e["URL"]).rsplit("/", 1)[1] for e in whole] == [refs[done]]
    assert httpx.get(f"{app.url}/feeds/{token}/c/{refs[late]}").status_code == 404


def test_penutupan_takes_late_evidence_until_the_dates_close_it(
        portal_app: AppFactory) -> None:
    """The last checkpoints fall in December 2025: *penutupan* until 31 January 2026,
    *selesai* from 1 February — also before any sweep has recorded it."""
    first = portal_app()
    late = _mine(first)[0]
    sc = CFG.satker(MUARO)
    assert sc is not None
    with first.sessions.begin() as s:
        plan_id = s.scalar(select(m.Plan.id).join(m.Plan.satker).where(m.Satker.name == MUARO))
        assert plan_id is not None
        sweep_plan(s, plan_id, date(2026, 1, 15), sc.calendar(), sc.settings(), sc)
        plan = s.get(m.Plan, plan_id)
        assert plan is not None and plan.status == "penutupan"
    app = portal_app(MONEV_TODAY="2026-01-15")  # same database, the app of 15 January
    pic = app.browser(PIC)
    tasks = pic.get(f"/portal/?sorot={late}").text
    assert f"/portal/c/{late}" in tasks and "Terlambat" in tasks
    page = pic.get(f"/portal/c/{late}").text
    assert CLOSED_PLAN not in page and 'name="berkas"' in page
    assert pic.upload(late, [("telat.pdf", pdf("telat"))]).status_code == 303
    assert _status(app, late) == "submitted"
    koord = app.browser(KOORD)
    assert f'value="{late}"' in koord.get("/portal/verifikasi").text

    # 2 February: selesai by the dates (the stored status still says penutupan)
    closed = portal_app(MONEV_TODAY="2026-02-02")
    other = next(i for i in _mine(closed) if i != late)
    pic = closed.browser(PIC)
    assert "/portal/c/" not in pic.get(f"/portal/?sorot={late},{other}").text
    kept = _stored(closed)
    refused = pic.upload(other, [("terlambat.pdf", pdf("terlambat"))],
                         csrf=pic.csrf(f"/portal/c/{other}"))
    assert refused.status_code == 409 and CLOSED_PLAN in refused.text
    assert _stored(closed) == kept
    koord = closed.browser(KOORD)
    assert f'value="{late}"' not in koord.get("/portal/verifikasi").text



def test_messages_queued_before_the_plan_closed_do_not_nag(
        sessions: sessionmaker[Session], smtp: tuple[Sink, int]) -> None:
    box, port = smtp
    plans: dict[str, int] = {}
    for path in (ZI_MUARO, ZI_KOTA):
        plan = load_plan(path)
        sc = CFG.satker(plan.header.satker)
        assert sc is not None
        with sessions.begin() as s:
            res = import_plan(s, plan, sc.calendar(), date(2025, 7, 7), path.name, sc.tz)
        with sessions.begin() as s:
            assert sweep_plan(s, res.plan_id, date(2025, 10, 28), sc.calendar(),
                              sc.settings(), sc, links=False)
        plans[plan.header.satker] = res.plan_id
    muaro = CFG.satker(MUARO)
    assert muaro is not None
    ketua = next(p for p in muaro.people if p.role == "ketua_tim")
    report = {"kind": "laporan", "ref": "", "step": "laporan-2025", "period": "2025",
              "due": "", "indikator": "", "area": "", "pic": "", "subbagian": "",
              "bukti_fisik": "Laporan Akhir Monev ZI 2025 (terlampir)"}
    with sessions.begin() as s:  # the year-end report joins the Ketua's queued digest
        rows = enqueue(s, plans[MUARO], muaro.name, date(2025, 10, 28),
                       datetime(2025, 10, 28, 3, tzinfo=UTC), muaro.tz, muaro.calendar(),
                       [Delivery(ketua, "ketua_tim", [report])], "Tim ZI")
        assert rows and all(len(r.items) > 1 for r in rows), "merged into a pending digest"
    with sessions() as s:
        queued = {r.id: (r.plan_id, r.person, r.channel) for r in s.scalars(
            select(m.Outbox).where(m.Outbox.status == "pending"))}
    muaro_rows = {i for i, (plan_id, _, _) in queued.items() if plan_id == plans[MUARO]}
    assert muaro_rows and len(muaro_rows) < len(queued)

    _close_muaro(sessions)
    with sessions.begin() as s:  # a sweep of the closed plan queues nothing new
        assert sweep_plan(s, plans[MUARO], date(2025, 10, 29), muaro.calendar(),
                          muaro.settings(), muaro) == []
    dispatch(sessions, env=smtp_env(port), send_now=True)

    with sessions() as s:
        rows = {r.id: r for r in s.scalars(select(m.Outbox).where(
            m.Outbox.id.in_(list(queued))))}
        for row_id in muaro_rows:
            row = rows[row_id]
            kinds = {i["kind"] for i in row.items}
            if row.person == ketua.name:  # only the report is left of the Ketua's digest
                assert kinds == {"laporan"}, kinds
                assert row.status != "dismissed"
                assert "Laporan Akhir Monev ZI 2025" in row.body
                assert "Terlambat" not in row.body and "Eskalasi" not in row.body
            else:
                assert row.status == "dismissed", (row.person, row.channel, row.status)
                assert "sudah ditutup (selesai)" in row.last_error
        kota = [r for i, r in rows.items() if i not in muaro_rows and r.channel == "email"]
        assert kota and all(r.status == "sent" for r in kota)
        addresses = {r.address for r in kota}
    received = {to for msg in box.messages for to in msg["to"]}
    assert addresses <= received
    mine = [msg for msg in box.messages if ketua.email in msg["to"]]
    if ketua.email and "email" in ketua.channels:
        assert len(mine) == 1 and "laporan" in mine[0]["subject"]
        assert "Terlambat" not in mine[0]["body"]
    muaro_people = {p.email for p in muaro.people if p.email and p.name != ketua.name}
    assert not muaro_people & received, "no Muaro Jambi digest about the closed plan"


def test_current_status_one_rule() -> None:
    """Stored status moved on by the dates; an admin's decision holds either way."""
    last, grace = date(2025, 12, 31), 1
    assert plan_status.current_status("aktif", False, last, date(2026, 1, 15), grace) == \
        "penutupan"
    assert plan_status.current_status("aktif", False, last, date(2026, 2, 1), grace) == "selesai"
    assert plan_status.current_status("selesai", False, last, date(2025, 11, 1), grace) == \
        "selesai", "a plan never moves back by the dates"
    assert plan_status.current_status("aktif", True, last, date(2027, 1, 1), grace) == "aktif"
    assert plan_status.current_status("penutupan", False, last, None, grace) == "penutupan"
    assert [plan_status.is_closed(x) for x in ("aktif", "penutupan", "selesai")] == \
        [False, False, True]
