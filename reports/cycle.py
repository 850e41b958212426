"""Reports in the monev cycle: on a month end (and a quarter end) the plan's report of
that month (and quarter) is written under ``MONEV_HOME/reports``; when the plan closes,
its year-end report — once. Each new report goes to the Ketua Tim ZI and the Sekretaris
through the outbox (the e-mail carries the files, WhatsApp a short summary with the
link to the portal's archive), recorded in the action log in the same transaction:
re-running a cycle rewrites the same files and never sends twice."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from monev.config import MonevConfig, SatkerConfig
from monev.engine.people import holders
from monev.engine.rules import cycle_date, cycle_months
from monev.links import LinkBook
from monev.periods import Period
from monev.store import models as m
from monev.store.outbox import Delivery, enqueue
from monev.store.queries import find_plan
from monev.workdays import WorkCalendar
from reports.archive import record_file, report_path
from reports.build import build_report
from reports.model import Counts, Report
from reports.pdf import Printer
from reports.periods import ReportPeriod
from reports.render import Format, check_format, render, write_atomic

REPORT_ACTION = "report"  # action log: (plan, 0, "report", period code) once per report
RECIPIENTS = ("ketua_tim", "sekretaris")


def cycle_formats() -> tuple[Format, ...]:
    """Formats the cycle writes (``MONEV_REPORT_FORMATS``, default ``pdf,xlsx``)."""
    raw = os.environ.get("MONEV_REPORT_FORMATS", "pdf,xlsx")
    return tuple(check_format(f.strip()) for f in raw.split(",") if f.strip())


@dataclass
class Produced:
    """One report the cycle wrote: its files, numbers, and whether it was sent now."""

    plan: str
    period: ReportPeriod
    as_of: date
    files: dict[str, Path]
    counts: Counts
    closed: bool
    sent_to: list[str] = field(default_factory=list)

    def summary(self, plan_label: str) -> str:
        c = self.counts
        head = ("Laporan akhir" if self.period.kind == "tahun" else "Laporan monev") + \
            f" {self.period.label()} {plan_label}"
        missing = "tidak tercapai" if self.closed else "belum ada bukti"
        return (f"{head}: capaian {c.percent_text()} ({c.verified} dari {c.judged} "
                f"checkpoint terverifikasi), {c.ditolak} ditolak, {c.belum_ada} {missing}"
                + (f" (tunggakan {c.backlog})" if c.backlog else ""))


def due_reports(session: Session, plan: m.Plan, as_of: date,
                calendar: WorkCalendar) -> list[tuple[ReportPeriod, date]]:
    """(period, report date) of each report whose day has come: every month end of the
    plan's months (and the quarter with it), since the plan was imported; the year-end
    report once the plan is *selesai*."""
    periods = [Period.parse(p) for p in session.scalars(
        select(m.Checkpoint.period).join(m.Checkpoint.item).distinct()
        .where(m.Item.plan_id == plan.id, m.Item.active))]
    first = session.scalar(select(func.min(m.Checkpoint.imported_on)).join(m.Checkpoint.item)
                           .where(m.Item.plan_id == plan.id))
    out: list[tuple[ReportPeriod, date]] = []
    for month in cycle_months(periods):
        day = cycle_date(month, calendar)
        if day > as_of or (first is not None and day < first):
            continue
        out.append((ReportPeriod("bulan", month.year, month.month), day))
        if month.month % 3 == 0:
            out.append((ReportPeriod("triwulan", month.year, month.month // 3), day))
    if plan.status == "selesai" and plan.closed_on is not None:
        day = max(plan.closed_on, first) if first else plan.closed_on
        if day <= as_of:
            out.append((ReportPeriod("tahun", plan.year), day))
    return out


def _done(session: Session, plan_id: int) -> set[str]:
    return set(session.scalars(select(m.ActionLog.step).where(
        m.ActionLog.plan_id == plan_id, m.ActionLog.action == REPORT_ACTION)))


def run_cycle(factory: sessionmaker[Session], cfg: MonevConfig, ref: str, as_of: date,
              home: Path, printer: Printer | None = None,
              formats: Sequence[Format] | None = None, base_url: str = "",
              now: datetime | None = None) -> list[Produced]:
    """Write the reports due for plan ``ref`` by ``as_of`` and queue the new ones.

    A report already sent is written again only on its own day (a rerun of that day's
    cycle rewrites the same files); it is never queued twice."""
    formats = tuple(formats or cycle_formats())
    with factory() as s:
        plan, satker = find_plan(s, ref)
        sc = cfg.satker(satker.name)
        calendar = sc.calendar() if sc else WorkCalendar()
        done = _done(s, plan.id)
        todo = [(p, d) for p, d in due_reports(s, plan, as_of, calendar)
                if p.code not in done or d == as_of]
        built: list[tuple[Report, date]] = [
            (build_report(s, cfg, p, d, plan=ref, base_url=base_url), d) for p, d in todo]
        slug, kind, year, plan_id = satker.slug, plan.kind, plan.year, plan.id
    if not built:
        return []
    own = printer is None and "pdf" in formats
    printer = printer or (Printer() if own else None)
    produced: list[Produced] = []
    try:
        for report, day in built:
            files: dict[str, Path] = {}
            for fmt in formats:
                path = report_path(home, slug, kind, year, report.period.code, fmt)
                write_atomic(path, render(report, fmt, printer))
                files[fmt] = path
            produced.append(Produced(ref, report.period, day, files, report.counts,
                                     report.closed))
    finally:
        if own and printer is not None:
            printer.close()
    with factory.begin() as s:
        done = _done(s, plan_id)  # again, under the write lock: exactly once
        for p in produced:
            for name, path in p.files.items():
                record_file(s, home, plan_id, p.period.code, name, path, p.as_of)
            if p.period.code not in done:
                p.sent_to = _send(s, plan_id, f"{kind} {year}", sc, p, as_of, now)
    return produced


def _send(session: Session, plan_id: int, plan_label: str, sc: SatkerConfig | None,
          produced: Produced, as_of: date, now: datetime | None) -> list[str]:
    """Queue the report for the Ketua Tim ZI and the Sekretaris and record it as done."""
    people = sc.people if sc else []
    found = [(role, p) for role in RECIPIENTS for p in holders(role, "", "", people)]
    code = produced.period.code
    session.add(m.ActionLog(
        plan_id=plan_id, checkpoint_id=None, checkpoint_key=0, action=REPORT_ACTION,
        step=code, period=code, on_date=as_of, recipient_role=",".join(RECIPIENTS),
        recipient="; ".join(p.name for _, p in found)))
    if sc is None or not found:
        return []
    book = LinkBook(session)
    attach = "\n".join(str(path) for fmt, path in sorted(produced.files.items())
                       if fmt in ("pdf", "xlsx"))
    deliveries = [Delivery(p, role, [{
        "kind": "laporan", "ref": f"laporan-{code}", "step": code, "period": code,
        "due": "", "bukti_fisik": produced.summary(plan_label), "indikator": "", "area": "",
        "pic": "", "subbagian": "", "link": book.url(sc.name, p.name, "laporan"),
        "attach": attach}]) for role, p in found]
    zone = ZoneInfo(sc.tz)
    moment = now or datetime.combine(as_of, time(sc.settings().run_hour), zone)
    ketua_tim = [p for p in people if p.role == "ketua_tim"]
    contact = f"{ketua_tim[0].name} (Ketua Tim ZI)" if ketua_tim else "Tim ZI"
    enqueue(session, plan_id, sc.name, as_of, moment, sc.tz, sc.calendar(), deliveries,
            contact)
    return [p.name for _, p in found]
