"""Messages that are true when they arrive (issue 19, item 6): a digest decided earlier
says nothing about evidence sent or accepted since; a rejection reaches the PIC within
working hours, or at the next working morning — through the real SMTP sink, on fixed
days and times (Tuesday 28 and Friday 31 October 2025, WIB), SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from monev.config import load_config
from monev.engine import lifecycle
from monev.engine.sweep import sweep_plan
from monev.plans import load_plan
from monev.store import models as m
from monev.store.imports import import_plan
from monev.store.outbox import Delivery, enqueue
from notifiers.dispatch import dispatch
from notifiers.stale import STILL_TRUE
from tests.conftest import ROOT, ZI_MUARO, Sink, smtp_env
from tests.portal_app import AppFactory, pdf

CFG = load_config(ROOT / "config" / "monev.yaml")
MUARO = CFG.satker("KPU Kabupaten Muaro Jambi")
PIC, KOORD = "Pegawai Contoh Dua", "Koordinator Pengawasan"
PIC_MAIL, KOORD_MAIL = "pegawai2@example.org", "koord.pw@example.org"
WIB = ZoneInfo("Asia/Jakarta")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of October/November 2025 in WIB (days above 31 are in November)."""
    month, day = (10, day) if day <= 31 else (11, day - 31)
    return datetime(2025, month, day, hour, minute, tzinfo=WIB)


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def _refs(s: Session, person: str) -> dict[str, int]:
    """ref → checkpoint id of the checked items in the person's pending e-mail rows."""
    refs = {i["ref"] for row in s.scalars(select(m.Outbox).where(
        m.Outbox.person == person, m.Outbox.channel == "email",
        m.Outbox.status == "pending")) for i in row.items if i["kind"] in STILL_TRUE}
    ids = {f"{key}@{period}": cp for cp, key, period in s.execute(
        select(m.Checkpoint.id, m.Item.key, m.Checkpoint.period).join(m.Item)
        .where(m.Item.plan_id == 1)).tuples()}
    return {ref: ids[ref] for ref in refs}


def _scheduled(s: Session, n: int) -> list[m.Checkpoint]:
    """``n`` of the PIC's checkpoints not yet open (nobody was told about them)."""
    return list(s.scalars(select(m.Checkpoint).join(m.Item).where(
        m.Item.plan_id == 1, m.Item.komponen.ilike("%SPIP%") | m.Item.komponen.ilike(
            "%Gratifikasi%"), m.Checkpoint.status == "scheduled")
        .order_by(m.Checkpoint.due, m.Checkpoint.id).limit(n)))


def _send(box: Sink, sessions: sessionmaker[Session], port: int,
          moment: datetime) -> list[dict[str, object]]:
    """One dispatcher pass at ``moment``; the e-mails it delivered."""
    before = len(box.messages)
    dispatch(sessions, now=lambda: utc(moment), env=smtp_env(port))
    return box.messages[before:]


def test_digest_is_true_when_sent_and_rejections_go_out_promptly(
        sessions: sessionmaker[Session], db_url: str, smtp: tuple[Sink, int]) -> None:
    box, port = smtp
    assert MUARO is not None
    with sessions.begin() as s:
        import_plan(s, load_plan(ZI_MUARO), MUARO.calendar(), date(2025, 7, 7), "v1")
    for day in (1, 28):  # the 08:00 sweeps; 1 Oct's digests went out that day
        with sessions.begin() as s:
            sweep_plan(s, 1, date(2025, 10, day), MUARO.calendar(), MUARO.settings(), MUARO)
        if day == 1:
            assert _send(box, sessions, port, at(1, 9))

    # Tuesday 28 Oct, before the dispatcher ran: the PIC sends every piece of evidence
    # both digests name but one; the koordinator rejects a and b (sent earlier), then
    # accepts a's fix; b is rejected a second time with another reason
    with sessions.begin() as s:
        pic_refs, koord_refs = _refs(s, PIC), _refs(s, KOORD)
        still_open = next(cp for ref, cp in sorted(pic_refs.items()) if ref not in koord_refs)
        for cp_id in set(pic_refs.values()) | set(koord_refs.values()):
            cp = s.get(m.Checkpoint, cp_id)
            assert cp is not None
            if cp_id != still_open and cp.status in lifecycle.TRANSITIONS["submit"][0]:
                lifecycle.submit(s, cp, PIC, links=["https://drive.example/x"], now=at(28, 9))
        a, b, c, d = _scheduled(s, 4)
        for cp in (a, b, c, d):
            lifecycle.submit(s, cp, PIC, links=["https://drive.example/y"], now=at(28, 9))
        ids = {"a": a.id, "b": b.id, "c": c.id, "d": d.id}
        lifecycle.reject(s, a, KOORD, "Belum ditandatangani", CFG, now=at(28, 9, 30))
        lifecycle.reject(s, b, KOORD, "Alasan pertama", CFG, now=at(28, 9, 30))
        lifecycle.submit(s, a, PIC, links=["https://drive.example/a2"], now=at(28, 9, 40))
        lifecycle.transition(s, a, "accept", KOORD, now=at(28, 9, 50))
        lifecycle.submit(s, b, PIC, links=["https://drive.example/b2"], now=at(28, 9, 40))
        lifecycle.reject(s, b, KOORD, "Alasan kedua", CFG, now=at(28, 9, 55))
        pic_row = s.scalars(select(m.Outbox).where(
            m.Outbox.person == PIC, m.Outbox.channel == "email",
            m.Outbox.status == "pending")).one()
        assert pic_row.not_before <= utc(at(28, 9, 55)), "rejections go out at once"
        assert "Alasan pertama" in pic_row.body  # the text as decided, before the check
        assert "Belum ditandatangani" in pic_row.body
        sign_in = {"kind": "tautan masuk", "ref": "", "step": "x", "period": "", "due": "",
                   "bukti_fisik": "tautan masuk", "indikator": "", "area": "", "pic": "",
                   "subbagian": ""}  # a kind this check does not know passes as it is
        person = next(p for p in MUARO.people if p.name == PIC)
        enqueue(s, 1, MUARO.name, date(2025, 10, 28), at(28, 9, 56), MUARO.tz,
                MUARO.calendar(), [Delivery(person, "pic", [sign_in])],
                "Ketua Tim ZI Contoh (Ketua Tim ZI)")

    mails = _send(box, sessions, port, at(28, 10))
    assert KOORD_MAIL not in {to for x in mails for to in x["to"]}  # type: ignore[attr-defined]
    pic_mail = next(x for x in mails if x["to"] == [PIC_MAIL])
    body, subject = str(pic_mail["body"]), str(pic_mail["subject"])
    assert "1 bukti ditolak" in subject, subject
    assert f"/c/{ids['b']}" in body and "Alasan kedua" in body
    assert "Alasan pertama" not in body, "a rejection superseded by a later one is gone"
    assert f"/c/{ids['a']}" not in body and "Belum ditandatangani" not in body
    assert f"/c/{still_open}" in body
    sent_links = {int(x) for x in re.findall(r"/c/(\d+)", body)}
    assert sent_links == {ids["b"], still_open}, "nothing about evidence already sent"
    with sessions() as s:
        status = dict(s.execute(select(m.Checkpoint.id, m.Checkpoint.status)).tuples().all())
        key_of = {f"{k}@{p}": i for i, k, p in s.execute(select(
            m.Checkpoint.id, m.Item.key, m.Checkpoint.period).join(m.Item)).tuples()}
        rows = s.scalars(select(m.Outbox)).all()
        for row in rows:  # every message sent now is true as it goes out
            if row.status == "sent" and row.sent_at and row.sent_at >= utc(at(28, 10)):
                for it in row.items:
                    if it["kind"] in STILL_TRUE and it["ref"] in key_of:
                        assert status[key_of[it["ref"]]] in STILL_TRUE[it["kind"]], \
                            (row.person, it)
        pic_sent = next(r for r in rows if r.person == PIC and r.status == "sent"
                        and r.day == date(2025, 10, 28))
        assert sign_in in pic_sent.items
        koord = next(r for r in rows if r.person == KOORD and r.day == date(2025, 10, 28))
    assert koord.status == "dismissed", "all it said became moot: not sent, not lost"
    assert "tidak berlaku saat akan dikirim" in koord.last_error
    assert "bukti terkirim" in koord.last_error  # the checkpoints' state now, in words
    shown = CliRunner().invoke(__import__("app.cli", fromlist=["app"]).app,
                               ["outbox", "--status", "ditutup", "--json"],
                               env={"MONEV_DATABASE_URL": db_url, "COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    listed = {r["id"]: r for r in json.loads(shown.stdout)}
    assert "tidak berlaku" in listed[koord.id]["last_error"]

    # Friday 31 Oct, 18:00 WIB (after working hours): c and d are rejected; the PIC fixes
    # d over the weekend and it is accepted. Monday 07:00 the message names c only.
    with sessions.begin() as s:
        c_cp, d_cp = s.get(m.Checkpoint, ids["c"]), s.get(m.Checkpoint, ids["d"])
        assert c_cp is not None and d_cp is not None
        lifecycle.reject(s, c_cp, KOORD, "Foto kurang jelas", CFG, now=at(31, 18))
        lifecycle.reject(s, d_cp, KOORD, "Salah berkas", CFG, now=at(31, 18))
        held = s.scalars(select(m.Outbox).where(m.Outbox.person == PIC,
                                                m.Outbox.status == "pending")).one()
        assert held.not_before == utc(at(34, 7)), "the next working morning: Mon 3 Nov"
    assert not [x for x in _send(box, sessions, port, at(31, 18, 5)) if x["to"] == [PIC_MAIL]]
    with sessions.begin() as s:
        d_cp = s.get(m.Checkpoint, ids["d"])
        assert d_cp is not None
        lifecycle.submit(s, d_cp, PIC, links=["https://drive.example/d2"], now=at(32, 10))
        lifecycle.transition(s, d_cp, "accept", KOORD, now=at(33, 9))
    monday = [x for x in _send(box, sessions, port, at(34, 7) + timedelta(minutes=1))
              if x["to"] == [PIC_MAIL]]
    assert len(monday) == 1 and "1 bukti ditolak" in str(monday[0]["subject"])
    assert "Foto kurang jelas" in str(monday[0]["body"])
    assert "Salah berkas" not in str(monday[0]["body"]), "accepted over the weekend"


def _dispatch_runs() -> list[Any]:
    """The flow runs of the dispatcher's deployment in the test's Prefect server."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId

    with get_client(sync_client=True) as client:
        dep = client.read_deployment_by_name("dispatch/antrean")
        return list(client.read_flow_runs(deployment_filter=DeploymentFilter(
            id=DeploymentFilterId(any_=[dep.id]))))


def _clear_dispatch_runs() -> None:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        for run in _dispatch_runs():
            client.delete_flow_run(run.id)


def test_portal_rejection_asks_prefect_for_a_dispatch_run(
        portal_app: AppFactory, prefect_server: dict[str, str],
        smtp: tuple[Sink, int]) -> None:
    from flows.deployments import dispatcher, runner_deployments

    box, port = smtp
    app = portal_app(PREFECT_API_URL=prefect_server["PREFECT_API_URL"],
                     PREFECT_HOME=prefect_server["PREFECT_HOME"])
    runner_deployments([dispatcher()])[0].apply()  # as `monev up` registers it
    _clear_dispatch_runs()
    with app.sessions.begin() as s:  # the morning's digests went out already
        s.execute(update(m.Outbox).values(status="sent"))
    cp = app.checkpoints_of("open", komponen="SPIP")[0]
    pic, koord = app.browser(PIC), app.browser(KOORD)
    assert pic.upload(cp, [("notulen.pdf", pdf("notulen"))]).status_code == 303
    assert _dispatch_runs() == [], "a submission queues no message: no run"
    asked = datetime.now(UTC)
    assert koord.verify([cp], "tolak", reason="Tanda tangan belum ada").status_code == 303
    deadline = time.monotonic() + 30
    while not (runs := _dispatch_runs()) and time.monotonic() < deadline:
        time.sleep(0.2)  # the run is asked for after the response
    assert len(runs) == 1 and runs[0].state_type.value == "SCHEDULED", runs
    with app.sessions() as s:
        row = s.scalars(select(m.Outbox).where(m.Outbox.person == PIC,
                                               m.Outbox.status == "pending")).one()
    due = row.not_before.replace(tzinfo=UTC)
    assert runs[0].expected_start_time is not None
    start = datetime.fromtimestamp(runs[0].expected_start_time.timestamp(), UTC)
    # outside working hours (WIB) now: at the next working morning; inside them the
    # row is due the moment the rejection was decided (a few ms after ``asked``)
    if due > asked + timedelta(minutes=1):
        assert start == due
    else:  # inside them: within seconds
        assert asked - timedelta(seconds=1) <= start <= datetime.now(UTC)
    # a second rejection is covered by the run already waiting
    other = app.checkpoints_of("open", komponen="Gratifikasi")[0]
    assert pic.upload(other, [("foto.pdf", pdf("foto"))]).status_code == 303
    assert koord.verify([other], "tolak", reason="Foto buram").status_code == 303
    time.sleep(1.0)
    assert len(_dispatch_runs()) == 1
    # `monev evidence reject` asks the same way
    _clear_dispatch_runs()
    third = app.checkpoints_of("open", komponen="SPIP")[0]
    assert pic.upload(third, [("c.pdf", pdf("c"))]).status_code == 303
    from app.cli import app as cli

    done = CliRunner().invoke(cli, ["evidence", "reject", str(third), "--by", KOORD,
                                    "--reason", "Stempel belum ada"],
                              env={"MONEV_CONFIG": str(app.config), "COLUMNS": "200"})
    assert done.exit_code == 0, done.output
    assert "pengiriman dijadwalkan" in done.output
    assert len(runs := _dispatch_runs()) == 1
    start = datetime.fromtimestamp(runs[0].expected_start_time.timestamp(), UTC)
    # the run's pass, at its moment, delivers the rejections to the PIC
    dispatch(app.sessions, now=lambda: utc(start + timedelta(seconds=1)),
             env=smtp_env(port))
    mail = [x for x in box.messages if x["to"] == [PIC_MAIL]]
    assert len(mail) == 1 and "3 bukti ditolak" in str(mail[0]["subject"])
    assert "Tanda tangan belum ada" in str(mail[0]["body"])
    _clear_dispatch_runs()
