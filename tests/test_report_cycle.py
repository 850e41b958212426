"""A plan lived through its whole year and past it, day by day, with the real sweep,
the report cycle, the outbox and the dispatcher delivering to a real SMTP server and a
real HTTP WhatsApp gateway on 127.0.0.1: exactly one month report per month and one
quarter report per quarter, each sent once (files attached to the e-mail, a summary with
the link on WhatsApp), the plan closes after its grace with its year-end report — and
then nothing is sent any more."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from email import message_from_bytes
from email.header import decode_header, make_header
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from monev.config import MonevConfig
from monev.engine.lifecycle import submit_link, transition
from monev.engine.sweep import sweep_plan
from monev.model import Item, Plan, PlanHeader, assign_keys
from monev.periods import Period
from monev.store import models as m
from monev.store.db import open_session_factory
from monev.store.imports import import_plan
from notifiers.dispatch import dispatch
from reports.cycle import run_cycle
from reports.pdf import Printer
from tests.conftest import free_port

SATKER = "KPU Kabupaten Simulasi"
REF = "kpu-kabupaten-simulasi/zi-2025"
CFG = MonevConfig.model_validate({"satkers": [{
    "name": SATKER, "province": "Jambi", "place": "Sengeti",
    "people": [
        {"name": "Ketua Tim Sim", "role": "ketua_tim", "email": "ketua.tim@sim.example",
         "whatsapp": "+6281200000099", "channels": ["email", "whatsapp"]},
        {"name": "Sekretaris Sim", "role": "sekretaris", "email": "sekretaris@sim.example"},
        {"name": "PIC Sim", "role": "pic", "email": "pic@sim.example",
         "areas": ["Manajemen Perubahan", "Pelayanan Publik"]}]}]})


class Mailbox:
    def __init__(self) -> None:
        self.mails: list[dict[str, Any]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        msg = message_from_bytes(envelope.content)
        files = [(p.get_filename(), p.get_payload(decode=True)) for p in msg.walk()
                 if p.get_filename()]
        self.mails.append({"to": envelope.rcpt_tos[0], "files": files,
                           "subject": str(make_header(decode_header(msg["Subject"])))})
        return "250 OK"


class Gateway(BaseHTTPRequestHandler):
    posts: list[dict[str, Any]] = []

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Gateway.posts.append(json.loads(body))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"status": true}')

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def channels() -> Iterator[tuple[Mailbox, dict[str, str]]]:
    box, smtp_port, http_port = Mailbox(), free_port(), free_port()
    ctl = Controller(box, hostname="127.0.0.1", port=smtp_port)
    ctl.start()
    server = ThreadingHTTPServer(("127.0.0.1", http_port), Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Gateway.posts = []
    env = {"MONEV_SMTP_HOST": "127.0.0.1", "MONEV_SMTP_PORT": str(smtp_port),
           "MONEV_SMTP_MODE": "plain", "MONEV_SMTP_FROM": "monev@sim.example",
           "MONEV_WHATSAPP_URL": f"json://127.0.0.1:{http_port}/wa?:to={{phone_digits}}"}
    yield box, env
    server.shutdown()
    ctl.stop()


def _plan() -> Plan:
    rows = [("Manajemen Perubahan", tuple(Period(2025, mo) for mo in range(1, 13))),
            ("Manajemen Perubahan", tuple(Period(2025, mo) for mo in (3, 6, 9, 12))),
            ("Pelayanan Publik", tuple(Period(2025, mo) for mo in range(2, 13, 2)))]
    items = [Item(area=a, komponen=f"Komponen {i}", indikator=f"Indikator {i}",
                  langkah_aksi=f"Langkah {i}", bukti_fisik=f"Bukti {i}", target_text="-",
                  source_line=10 + i, periods=ps) for i, (a, ps) in enumerate(rows)]
    assign_keys("ZI", items)
    return Plan(PlanHeader(SATKER, "ZI", 2025, "7", date(2025, 1, 2)), items, "simulasi")


def test_a_year_of_reports_sent_once_then_the_plan_closes_quietly(
        tmp_path: Path, channels: tuple[Mailbox, dict[str, str]]) -> None:
    box, env = channels
    sc = CFG.satker(SATKER)
    assert sc is not None
    cal, settings = sc.calendar(), sc.settings()
    factory = open_session_factory(f"sqlite:///{tmp_path / 'sim.db'}")
    home = tmp_path / "home"
    with factory.begin() as s:
        plan_id = import_plan(s, _plan(), cal, date(2025, 1, 2), "sim", sc.tz).plan_id
    sent_by_day: dict[date, int] = {}
    day, end = date(2025, 1, 2), date(2026, 4, 30)
    with Printer() as printer:
        while day <= end:
            if cal.is_working_day(day):
                with factory.begin() as s:
                    for cp in s.scalars(select(m.Checkpoint).join(m.Checkpoint.item).where(
                            m.Item.plan_id == plan_id, m.Checkpoint.due == day,
                            m.Checkpoint.id % 3 != 0)):  # two rows in three are done on time
                        submit_link(s, cp, "https://drive.example.org/b", "PIC Sim",
                                    datetime.combine(day, time(9)))
                        transition(s, cp, "accept", "Ketua Tim Sim", "",
                                   datetime.combine(day, time(11)))
                    sweep_plan(s, plan_id, day, cal, settings, sc)
                run_cycle(factory, CFG, REF, day, home, printer, ("pdf", "xlsx"),
                          "http://portal.test")
                before = len(box.mails) + len(Gateway.posts)
                report = dispatch(factory, now=lambda d=day: datetime.combine(d, time(3)),
                                  env=env, send_now=True)
                assert not report.failed and not report.uncertain, report
                sent_by_day[day] = len(box.mails) + len(Gateway.posts) - before
            day += timedelta(days=1)
        # a rerun of a quarter-end day rewrites that day's files and sends nothing
        q4 = home / "reports" / "kpu-kabupaten-simulasi" / "zi-2025" / "laporan-2025-Q4.pdf"
        stamp = q4.stat().st_mtime_ns
        with factory() as s:
            rows = s.scalar(select(func.count()).select_from(m.Outbox))
        again = run_cycle(factory, CFG, REF, date(2025, 12, 31), home, printer,
                          ("pdf", "xlsx"), "http://portal.test")
        assert {p.period.code for p in again} == {"2025-12", "2025-Q4"}
        assert all(not p.sent_to for p in again)
        assert q4.stat().st_mtime_ns > stamp
    folder = home / "reports" / "kpu-kabupaten-simulasi" / "zi-2025"
    periods = [f"2025-{mo:02d}" for mo in range(1, 13)] + [f"2025-Q{q}" for q in range(1, 5)]
    wanted = {f"laporan-{p}.{fmt}" for p in [*periods, "2025"] for fmt in ("pdf", "xlsx")}
    assert {p.name for p in folder.iterdir()} == wanted, "one report per month and quarter"
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(m.Outbox)) == rows
        steps = Counter(s.scalars(select(m.ActionLog.step).where(
            m.ActionLog.action == "report")))
        events = [(e.from_status, e.to_status, e.at.date()) for e in s.scalars(
            select(m.PlanEvent).order_by(m.PlanEvent.id))]
        plan = s.get(m.Plan, plan_id)
        assert plan is not None and plan.status == "selesai"
        closed_on = plan.closed_on
        archived = s.scalar(select(func.count()).select_from(m.ReportFile))
    assert steps == Counter({p: 1 for p in [*periods, "2025"]}), "each report decided once"
    assert archived == len(wanted)
    assert events == [("aktif", "penutupan", date(2026, 1, 2)),
                      ("penutupan", "selesai", date(2026, 2, 2))]
    assert closed_on == date(2026, 2, 1), "a month of penutupan after December"
    # each report's files reached the Ketua Tim ZI and the Sekretaris exactly once
    attached = Counter((mail["to"], name) for mail in box.mails for name, _ in mail["files"])
    for who in ("ketua.tim@sim.example", "sekretaris@sim.example"):
        for p in [*periods, "2025"]:
            assert attached[(who, f"laporan-{p}.pdf")] == 1, (who, p)
            assert attached[(who, f"laporan-{p}.xlsx")] == 1, (who, p)
    assert not any(mail["files"] for mail in box.mails if mail["to"] == "pic@sim.example")
    pdfs = [data for mail in box.mails for name, data in mail["files"] if name.endswith(".pdf")]
    assert pdfs and all(d.startswith(b"%PDF") for d in pdfs)
    import pdfplumber

    year_pdf = next(data for mail in box.mails for name, data in mail["files"]
                    if name == "laporan-2025.pdf")
    with pdfplumber.open(BytesIO(year_pdf)) as pdf:  # signed by the ZI team (the default)
        last = pdf.pages[-1].extract_text() or ""
    assert "Ketua Tim Zona Integritas" in last and "Ketua Tim Sim" in last, last
    assert "Sekretaris Sim" in last and "Sengeti, " in last
    year_end = [x for x in Gateway.posts if "Laporan akhir Tahun 2025 ZI 2025" in x["message"]]
    assert len(year_end) == 1 and "/laporan" in year_end[0]["message"]
    assert "tidak tercapai" in year_end[0]["message"]
    monthly = [x for x in Gateway.posts if "Laporan monev Juni 2025 ZI 2025" in x["message"]]
    assert len(monthly) == 1
    # closed: from the day after the year-end report nothing goes out, to anyone
    after = {d: n for d, n in sent_by_day.items() if d > date(2026, 2, 2)}
    assert after and not any(after.values()), after
    with factory() as s:
        late_rows = s.scalar(select(func.count()).select_from(m.Outbox).where(
            m.Outbox.day > date(2026, 2, 2)))
        assert late_rows == 0
        from flows.deployments import compile_plan_deployments

        assert compile_plan_deployments(s, CFG, date(2026, 2, 3)) == [], \
            "a closed plan has no deployments"
        assert compile_plan_deployments(s, CFG, date(2025, 11, 3)), "a live plan has"
    factory.kw["bind"].dispose()


def test_a_missing_attachment_is_a_failure_to_retry_not_a_mail_without_it(
        tmp_path: Path, channels: tuple[Mailbox, dict[str, str]]) -> None:
    box, env = channels
    factory = open_session_factory(f"sqlite:///{tmp_path / 'att.db'}")
    kept = tmp_path / "laporan-2025-10.pdf"
    kept.write_bytes(b"%PDF-1.4\n%%EOF\n")
    with factory.begin() as s:
        for i, files in enumerate(([str(kept)], [str(tmp_path / "hilang.pdf")])):
            s.add(m.Outbox(idem_key=f"k{i}", person="Ketua Tim Sim", role="ketua_tim",
                           channel="email", address="ketua.tim@sim.example", kind="harian",
                           day=date(2025, 10, 31), items=[], subject=f"s{i}", body="isi",
                           status="pending", attempts=0, not_before=datetime(2025, 10, 31),
                           attachments=files))
    report = dispatch(factory, now=lambda: datetime(2025, 10, 31, 3), env=env)
    assert len(report.sent) == 1 and len(report.retrying) == 1
    assert "lampiran tidak ada: hilang.pdf" in report.retrying[0][1]
    assert [(x["subject"], [n for n, _ in x["files"]]) for x in box.mails] == \
        [("s0", ["laporan-2025-10.pdf"])]
    factory.kw["bind"].dispose()
