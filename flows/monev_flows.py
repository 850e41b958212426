"""The monev flows. Each run is an idempotent sweep of one plan as of its scheduled
day (in the satker's time zone): it catches up on whatever a missed run left undone,
and a second run of the same day changes nothing. Each run leaves artifacts: a table
of what it did and the plan's progress (capaian)."""

from __future__ import annotations

import os
from datetime import date, datetime
from zoneinfo import ZoneInfo

from prefect import flow, get_run_logger
from prefect.artifacts import (
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
)
from prefect.runtime import flow_run

from monev.engine.rules import is_quarter_end
from monev.engine.sweep import ActionRecord
from monev.periods import Period
from tasks.sweep import report_task, sweep_task

LABELS = {"open": "dibuka", "remind": "pengingat", "escalate": "eskalasi",
          "digest": "ringkasan", "cycle": "monev", "backlog": "tunggakan"}


def _as_of(as_of: str | None, timezone: str) -> date:
    """The run's day: the given date, else the scheduled start in the satker's zone."""
    if as_of:
        return date.fromisoformat(as_of)
    scheduled = flow_run.scheduled_start_time
    moment = scheduled if isinstance(scheduled, datetime) else datetime.now(ZoneInfo("UTC"))
    return moment.astimezone(ZoneInfo(timezone)).date()


def _artifact_key(plan: str, flow_name: str) -> str:
    return "-".join(filter(None, (plan.replace("/", "-"), flow_name.replace("_", "-"))))


def _report(plan: str, flow_name: str, day: date, records: list[ActionRecord], done: int,
            due: int) -> None:
    rows = [{"tanggal": r.date, "tindakan": LABELS.get(r.action, r.action),
             "checkpoint": r.checkpoint or "-", "periode": r.period,
             "peran": r.recipient_role, "penerima": r.recipient or "(belum diatur)"}
            for r in records]
    create_table_artifact(
        key=_artifact_key(plan, flow_name), table=rows or [{"tanggal": day.isoformat(),
                                                            "tindakan": "tidak ada"}],
        description=f"{flow_name} {plan} per {day.isoformat()}: {len(records)} tindakan")
    percent = 100.0 * done / due if due else 100.0
    create_progress_artifact(progress=percent, key=_artifact_key(plan, "capaian"),
                             description=f"Capaian {plan}: {done}/{due} bukti terverifikasi")


def _run(plan: str, flow_name: str, as_of: str | None, timezone: str) -> int:
    day = _as_of(as_of, timezone)
    records, done, due = sweep_task(plan, day, flow_name)
    get_run_logger().info("%s %s per %s: %d tindakan, capaian %d/%d", flow_name, plan, day,
                          len(records), done, due)
    _report(plan, flow_name, day, records, done, due)
    if records and os.environ.get("MONEV_FEED_DIR"):
        publish_feeds(day.isoformat())  # statuses changed: republish the static feeds
    return len(records)


@flow(name="open_checkpoints", log_prints=True)
def open_checkpoints(plan: str, as_of: str | None = None,
                     timezone: str = "Asia/Jakarta") -> int:
    """Buka tugas pengumpulan bukti yang periodenya sudah mulai."""
    return _run(plan, "open_checkpoints", as_of, timezone)


@flow(name="remind")
def remind(plan: str, as_of: str | None = None, timezone: str = "Asia/Jakarta") -> int:
    """Pengingat H-7, H-3, H-1 dan hari tenggat."""
    return _run(plan, "remind", as_of, timezone)


@flow(name="escalate")
def escalate(plan: str, as_of: str | None = None, timezone: str = "Asia/Jakarta") -> int:
    """Eskalasi bukti yang terlambat menurut tangga eskalasi."""
    return _run(plan, "escalate", as_of, timezone)


@flow(name="monev_cycle")
def monev_cycle(plan: str, as_of: str | None = None, timezone: str = "Asia/Jakarta") -> int:
    """Monev akhir bulan dan akhir triwulan: capaian per area, daftar terlambat."""
    count = _run(plan, "monev_cycle", as_of, timezone)
    day = _as_of(as_of, timezone)
    kind = "triwulan" if is_quarter_end(Period(day.year, day.month)) else "bulan"
    create_markdown_artifact(key=_artifact_key(plan, "laporan-monev"),
                             markdown=report_task(plan, day),
                             description=f"Laporan monev akhir {kind} {plan}")
    return count


@flow(name="sweep_all")
def sweep_all(as_of: str | None = None, timezone: str = "Asia/Jakarta") -> int:
    """Penyapu harian: jalankan semua langkah untuk semua rencana (jaring pengaman)."""
    from monev.store.db import open_session_factory
    from monev.store.queries import all_plans, plan_ref

    factory = open_session_factory()
    with factory() as session:
        refs = [(plan_ref(s.slug, p.kind, p.year), s.timezone)
                for p, s in all_plans(session)]
    factory.kw["bind"].dispose()
    return sum(_run(ref, "sweep", as_of, tz) for ref, tz in refs)


FLOWS = {"open_checkpoints": open_checkpoints, "remind": remind, "escalate": escalate,
         "monev_cycle": monev_cycle}


@flow(name="dispatch")
def dispatch_outbox(limit: int = 1000, send_now: bool = False) -> int:
    """Kirim pesan keluar yang sudah waktunya melalui Apprise (satu pesan per baris)."""
    from tasks.dispatch import dispatch_task

    report = dispatch_task(limit, send_now)
    rows = ([{"outbox": i, "hasil": "terkirim", "galat": ""} for i in report.sent]
            + [{"outbox": i, "hasil": "gagal", "galat": e} for i, e in report.failed]
            + [{"outbox": i, "hasil": "diulang nanti", "galat": e} for i, e in report.retrying]
            + [{"outbox": i, "hasil": "tidak pasti", "galat": ""} for i in report.uncertain])
    create_table_artifact(key="outbox-dispatch", table=rows or [{"hasil": "tidak ada"}],
                          description=f"{len(report.sent)} terkirim, {len(report.failed)} "
                                      f"gagal, {len(report.uncertain)} tidak pasti")
    return len(report.sent)


@flow(name="publish_feeds")
def publish_feeds(as_of: str | None = None) -> int:
    """Terbitkan ulang kalender .ics ke MONEV_FEED_DIR (bila diatur) setelah perubahan."""
    from calendars.publish import publish_if_configured
    from monev.clock import today

    report = publish_if_configured(date.fromisoformat(as_of) if as_of else today())
    if report is None:
        return 0
    logger = get_run_logger()
    logger.info("kalender: %d ditulis, %d tetap, %d dihapus", len(report.written),
                report.unchanged, len(report.removed))
    for problem in report.failed:
        logger.error(problem)
    return len(report.written)
