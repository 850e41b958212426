"""Task: one idempotent sweep of one plan, in one database transaction."""

from __future__ import annotations

from datetime import UTC, date, datetime

from prefect import task

from monev.config import load_config
from monev.engine.rules import EngineSettings
from monev.engine.sweep import FLOW_ACTIONS, ActionRecord, sweep_plan
from monev.store.db import open_session_factory
from monev.store.queries import Capaian, area_progress, find_plan, overdue, progress
from monev.workdays import WorkCalendar


@task(name="monev-report")
def report_task(plan: str, as_of: date) -> str:
    """Markdown of the month-end monev: capaian per area and the overdue list."""
    factory = open_session_factory()
    with factory() as session:
        plan_row, satker = find_plan(session, plan)
        areas = area_progress(session, plan_row.id, as_of)
        late = overdue(session, plan_row.id, as_of)
    factory.kw["bind"].dispose()
    lines = [f"# Monev {satker.name} {plan_row.kind} {plan_row.year} per {as_of:%d-%m-%Y}", "",
             "| Area | Jatuh tempo | Terverifikasi | Dikirim | Terlambat | Capaian |",
             "|---|---:|---:|---:|---:|---:|"]
    for a in areas:
        pct = f"{100 * a.verified / a.due:.0f}%" if a.due else "-"
        lines.append(f"| {a.area} | {a.due} | {a.verified} | {a.submitted} | {a.overdue} "
                     f"| {pct} |")
    lines += ["", f"## Terlambat ({len(late)})", ""]
    lines += [f"- {cp.period} (tenggat {cp.due:%d-%m-%Y}): {item.bukti_fisik[:80]} — {area}"
              for cp, item, area in late[:50]]
    if len(late) > 50:
        lines.append(f"- … dan {len(late) - 50} lainnya")
    return "\n".join(lines)


@task(name="sweep-plan", retries=2, retry_delay_seconds=5)
def sweep_task(plan: str, as_of: date, flow: str) -> tuple[list[ActionRecord], Capaian]:
    """Run the ``flow`` part of the sweep for ``plan``; returns its actions and the
    plan's capaian after them."""
    cfg = load_config()
    factory = open_session_factory()
    with factory.begin() as session:
        plan_row, satker = find_plan(session, plan)
        sc = cfg.satker(satker.name)
        records = sweep_plan(session, plan_row.id, as_of,
                             sc.calendar() if sc else WorkCalendar(),
                             sc.settings() if sc else EngineSettings(), sc,
                             FLOW_ACTIONS[flow], now=datetime.now(UTC))
        capaian = progress(session, plan_row.id, as_of)
    factory.kw["bind"].dispose()
    return records, capaian


@task(name="sweep-all-plans")
def sweep_all_task(days: dict[str, date]) -> list[tuple[str, date, list[ActionRecord], Capaian]]:
    """Every plan swept in its own transaction through one connection pool, each as of
    ``days[zone]`` (its satker's date); returns what each did and its capaian. One task
    for all plans: a Prefect task per plan would cost more than most sweeps."""
    from monev.store.queries import all_plans, plan_ref

    cfg = load_config()
    factory = open_session_factory()
    done: list[tuple[str, date, list[ActionRecord], Capaian]] = []
    try:
        with factory() as session:
            plans = [(p.id, plan_ref(s.slug, p.kind, p.year), s.name, s.timezone)
                     for p, s in all_plans(session)]
        for plan_id, ref, satker, zone in plans:
            day = days.get(zone) or days["Asia/Jakarta"]
            sc = cfg.satker(satker)
            with factory.begin() as session:
                records = sweep_plan(session, plan_id, day,
                                     sc.calendar() if sc else WorkCalendar(),
                                     sc.settings() if sc else EngineSettings(), sc,
                                     FLOW_ACTIONS["sweep"], now=datetime.now(UTC))
                done.append((ref, day, records, progress(session, plan_id, day)))
    finally:
        factory.kw["bind"].dispose()
    return done
