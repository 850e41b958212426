"""The monev flows. Each run is an idempotent sweep of one plan as of its scheduled
day (in the satker's time zone): it catches up on whatever a missed run left undone,
and a second run of the same day changes nothing. Each run is named after what it does
(``remind · kpu-kab-muaro-jambi rb-2026 · 2026-11-30``) and leaves artifacts an admin
can read: a table of what it did (bukti fisik, area, recipient, status) and the plan's
capaian in words."""

from __future__ import annotations

import asyncio
import os
from datetime import date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from prefect import flow, get_run_logger
from prefect.artifacts import (
    Artifact,
    TableArtifact,
    create_markdown_artifact,
    create_table_artifact,
)
from prefect.client.orchestration import get_client
from prefect.runtime import flow_run

from calendars.publish import publish_if_configured
from flows.housekeeping import name_scheduled_runs
from monev.clock import DEFAULT_TZ, today
from monev.engine.sweep import ActionRecord
from monev.periods import Period
from monev.status import OUTBOX_WORDS, word
from monev.store import models as m
from monev.store.db import open_session_factory
from monev.store.queries import Capaian, plan_label
from monev.workdays import INDONESIAN_TIMEZONES
from reports.capaian_artifact import artifact_key, capaian_progress
from tasks.dispatch import dispatch_task, schedule_dispatch
from tasks.naming import describe_run
from tasks.reports import report_cycle_task, report_markdown
from tasks.sweep import sweep_all_task, sweep_task

if TYPE_CHECKING:
    from reports.cycle import Produced

LABELS = {"open": "dibuka", "remind": "pengingat", "escalate": "eskalasi",
          "digest": "ringkasan", "cycle": "monev", "backlog": "tunggakan",
          "report": "laporan"}
ROLE_LABELS = {"pic": "PIC", "koordinator": "koordinator", "ketua_tim": "Ketua Tim ZI",
               "kasubbag": "kasubbag", "sekretaris": "Sekretaris", "ketua": "Ketua"}
ARTIFACT_ROWS = 500  # a table artifact longer than this is cut (with a count)


def _as_of(as_of: str | None, timezone: str) -> date:
    """The run's day: the given date, else ``MONEV_TODAY``, else the scheduled start
    in the satker's zone (a late run still sweeps the day it was planned for)."""
    if as_of:
        return date.fromisoformat(as_of)
    if os.environ.get("MONEV_TODAY"):
        return date.fromisoformat(os.environ["MONEV_TODAY"])
    scheduled = flow_run.scheduled_start_time
    moment = scheduled if isinstance(scheduled, datetime) else datetime.now(ZoneInfo("UTC"))
    return moment.astimezone(ZoneInfo(timezone)).date()


def run_name() -> str:
    """Flow-run name from what the run does: flow · plan · day (Prefect applies it when
    the run starts; :func:`flows.housekeeping.name_scheduled_runs` gives the same name
    to runs still waiting)."""
    scheduled = flow_run.scheduled_start_time
    params = flow_run.parameters or {}
    tz = str(params.get("timezone") or DEFAULT_TZ)
    moment = scheduled if isinstance(scheduled, datetime) else datetime.now(ZoneInfo(tz))
    if flow_run.flow_name != "dispatch":
        params = {**params, "as_of": _as_of(params.get("as_of"), tz).isoformat()}
    return describe_run(flow_run.flow_name or "monev", params, moment)


def _action_rows(records: list[ActionRecord]) -> list[dict[str, str]]:
    """One row per decision (its recipients together), in words an admin reads."""
    merged: dict[tuple[str, str | None, str], list[ActionRecord]] = {}
    for r in records:
        merged.setdefault((r.action, r.checkpoint, r.period), []).append(r)
    rows = []
    for group in merged.values():
        r = group[0]
        rows.append({
            "tindakan": LABELS.get(r.action, r.action),
            "bukti fisik": r.bukti_fisik[:80] or "-",
            "area": r.area or "-",
            "periode": Period.parse(r.period).label() if _is_period(r.period) else r.period,
            "tenggat": f"{date.fromisoformat(r.due):%d-%m-%Y}" if r.due else "-",
            "penerima": "; ".join(
                f"{x.recipient or '(belum diatur)'} "
                f"({ROLE_LABELS.get(x.recipient_role, x.recipient_role or '-')})"
                for x in group),
            "status": word(r.status) if r.status else "-",
            "kode": r.checkpoint or "-"})
    if len(rows) > ARTIFACT_ROWS:
        rest = len(rows) - ARTIFACT_ROWS
        rows = rows[:ARTIFACT_ROWS] + [{"tindakan": f"… dan {rest} tindakan lainnya"}]
    return rows


def _is_period(text: str) -> bool:
    try:
        Period.parse(text)
    except ValueError:
        return False
    return True


def _report(plan: str, flow_name: str, day: date, records: list[ActionRecord],
            capaian: Capaian) -> None:
    for artifact in _artifacts(plan, flow_name, day, records, capaian):
        artifact.create()


def _artifacts(plan: str, flow_name: str, day: date, records: list[ActionRecord],
               capaian: Capaian) -> list[Artifact]:
    """What a run did (a table) and the plan's capaian, not yet sent."""
    return [TableArtifact(
        key=artifact_key(plan, flow_name),
        table=_action_rows(records) or [{"tindakan": "tidak ada yang perlu dilakukan"}],
        description=f"{flow_name} {plan_label(plan)} per {day:%d-%m-%Y}: "
                    f"{len(records)} tindakan"), capaian_progress(plan, capaian, day)]


ARTIFACTS_AT_ONCE = 8  # requests in flight to the Prefect server


async def _send_artifacts(artifacts: list[Artifact]) -> None:
    """Many artifacts through one client, a few at a time: 1,100 plans make ~1,100
    artifacts on a reminder day, and one after the other they wait on the server."""
    gate = asyncio.Semaphore(ARTIFACTS_AT_ONCE)
    async with get_client() as client:
        async def send(artifact: Artifact) -> None:
            async with gate:
                await artifact.acreate(client)
        await asyncio.gather(*(send(a) for a in artifacts))


def _reported(plan: str, day: date, produced: list[Produced],
              always: bool) -> list[ActionRecord]:
    """The report artifact (when reports were made, or always for a cycle run) and a
    record per report sent."""
    if produced or always:
        create_markdown_artifact(
            key=artifact_key(plan, "laporan-monev"),
            markdown=report_markdown(plan_label(plan), day, produced),
            description=f"Laporan monev {plan_label(plan)} per {day:%d-%m-%Y}: "
                        f"{len(produced)} laporan")
    return [ActionRecord(day.isoformat(), "report", None, p.period.code, "", name)
            for p in produced for name in p.sent_to]


def _run(plan: str, flow_name: str, as_of: str | None, timezone: str,
         dispatch: bool = True) -> int:
    day = _as_of(as_of, timezone)
    records, capaian = sweep_task(plan, day, flow_name)
    get_run_logger().info("%s %s per %s: %d tindakan; %s", flow_name, plan, day,
                          len(records), capaian.sentence(day))
    _report(plan, flow_name, day, records, capaian)
    if flow_name in ("monev_cycle", "sweep"):  # month/quarter ends, and plans that closed
        records += _reported(plan, day, report_cycle_task(plan, day),
                             always=flow_name == "monev_cycle")
    if records:
        if dispatch:  # send what the sweep queued, now or at the next working hour
            schedule_dispatch()
        if os.environ.get("MONEV_FEED_DIR"):
            publish_feeds(day.isoformat())  # statuses changed: republish the static feeds
    return len(records)


@flow(name="open_checkpoints", log_prints=True, flow_run_name=run_name)
def open_checkpoints(plan: str, as_of: str | None = None, timezone: str = DEFAULT_TZ) -> int:
    """Buka tugas pengumpulan bukti yang periodenya sudah mulai."""
    return _run(plan, "open_checkpoints", as_of, timezone)


@flow(name="remind", flow_run_name=run_name)
def remind(plan: str, as_of: str | None = None, timezone: str = DEFAULT_TZ) -> int:
    """Pengingat H-7, H-3, H-1 dan hari tenggat."""
    return _run(plan, "remind", as_of, timezone)


@flow(name="escalate", flow_run_name=run_name)
def escalate(plan: str, as_of: str | None = None, timezone: str = DEFAULT_TZ) -> int:
    """Eskalasi bukti yang terlambat menurut tangga eskalasi."""
    return _run(plan, "escalate", as_of, timezone)


@flow(name="monev_cycle", flow_run_name=run_name)
def monev_cycle(plan: str, as_of: str | None = None, timezone: str = DEFAULT_TZ) -> int:
    """Monev akhir bulan dan akhir triwulan: laporan (PDF, Excel) ke Ketua Tim ZI dan
    Sekretaris; laporan akhir ketika rencana selesai."""
    return _run(plan, "monev_cycle", as_of, timezone)


@flow(name="sweep_all", flow_run_name=run_name)
def sweep_all(as_of: str | None = None) -> int:
    """Penyapu harian: jalankan semua langkah untuk semua rencana (jaring pengaman),
    masing-masing per hari ini di zona waktu satkernya."""
    days = {zone: _as_of(as_of, zone) for zone in INDONESIAN_TIMEZONES}
    results = sweep_all_task(days)
    total = 0
    artifacts: list[Artifact] = []
    for plan, day, records, capaian, produced in results:
        records += _reported(plan, day, produced, always=False)
        total += len(records)
        if records:  # artifacts only where something happened (1,100 plans, every day)
            artifacts += _artifacts(plan, "sweep", day, records, capaian)
    asyncio.run(_send_artifacts(artifacts))
    create_table_artifact(
        key="sweep-all", description=f"Penyapuan harian: {len(results)} rencana aksi, "
                                     f"{total} tindakan",
        table=[{"rencana": plan_label(plan), "per": f"{day:%d-%m-%Y}",
                "tindakan": str(len(records)), "capaian": capaian.sentence(day)}
               for plan, day, records, capaian, _ in results] or [{"rencana": "tidak ada"}])
    if total and os.environ.get("MONEV_FEED_DIR"):
        publish_feeds(days[DEFAULT_TZ].isoformat())
    schedule_dispatch()
    try:  # the day's waiting runs read like the ones that ran (any set-up, work pools too)
        name_scheduled_runs()
    except Exception as exc:  # noqa: BLE001 - a courtesy: the sweep itself is done
        get_run_logger().warning("nama flow run terjadwal belum diperbarui: %s", exc)
    return total


FLOWS = {"open_checkpoints": open_checkpoints, "remind": remind, "escalate": escalate,
         "monev_cycle": monev_cycle}


@flow(name="dispatch", flow_run_name=run_name)
def dispatch_outbox(limit: int = 1000, send_now: bool = False) -> int:
    """Kirim pesan keluar yang sudah waktunya melalui Apprise (satu pesan per baris),
    lalu jadwalkan pengiriman berikutnya bila masih ada yang menunggu."""
    from sqlalchemy import select


    report = dispatch_task(limit, send_now)
    outcome = ({i: "terkirim" for i in report.sent}
               | {i: "gagal" for i, _ in report.failed}
               | {i: "diulang nanti" for i, _ in report.retrying}
               | {i: word("uncertain", OUTBOX_WORDS) for i in report.uncertain}
               | {i: "menunggu jam kerja" for i in report.held})
    errors = dict(report.failed + report.retrying)
    factory = open_session_factory()
    with factory() as s:
        rows = {r.id: r for r in s.scalars(select(m.Outbox).where(m.Outbox.id.in_(outcome)))}
    factory.kw["bind"].dispose()
    table = [{"hasil": outcome[i], "penerima": rows[i].person, "kanal": rows[i].channel,
              "subjek": rows[i].subject[:90], "alasan": errors.get(i, rows[i].last_error),
              "outbox": str(i)} for i in sorted(outcome) if i in rows]
    create_table_artifact(key="outbox-dispatch", table=table or [{"hasil": "tidak ada"}],
                          description=f"{len(report.sent)} terkirim, {len(report.failed)} "
                                      f"gagal, {len(report.retrying)} diulang nanti, "
                                      f"{len(report.uncertain)} tidak pasti, "
                                      f"{len(report.held)} menunggu jam kerja")
    if not send_now:
        schedule_dispatch()
    return len(report.sent)


@flow(name="publish_feeds", flow_run_name="publish_feeds")
def publish_feeds(as_of: str | None = None) -> int:
    """Terbitkan ulang kalender .ics ke MONEV_FEED_DIR (bila diatur) setelah perubahan."""
    report = publish_if_configured(date.fromisoformat(as_of) if as_of else today())
    if report is None:
        return 0
    logger = get_run_logger()
    logger.info("kalender: %d ditulis, %d tetap, %d dihapus", len(report.written),
                report.unchanged, len(report.removed))
    for problem in report.failed:
        logger.error(problem)
    return len(report.written)
