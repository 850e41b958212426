"""Task: one idempotent sweep of one plan, in one database transaction."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from prefect import get_run_logger, task
from sqlalchemy import select
from sqlalchemy.orm import defer

from monev.clock import DEFAULT_TZ, now
from monev.config import SatkerConfig, load_config
from monev.engine.lke import judged
from monev.engine.lke_alerts import sweep_lke
from monev.engine.rules import EngineSettings
from monev.engine.sweep import FLOW_ACTIONS, ActionRecord, Left, sweep_and_count
from monev.links import base_url
from monev.lke.load import available_versions
from monev.store import models as m
from monev.store.db import Sessions, monev_home, open_session_factory
from monev.store.queries import Capaian, all_plans, find_plan, plan_ref, progress
from monev.workdays import WorkCalendar
from reports.cycle import cycle_formats, run_cycle
from reports.pdf import Printer

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from reports.cycle import Produced


def _sweep(session: Session, plan_id: int, as_of: date, sc: SatkerConfig | None,
           flow: str, rules: tuple[WorkCalendar, EngineSettings] | None = None,
           left: Left | None = None) -> tuple[list[ActionRecord], Capaian]:
    """The ``flow`` part of the sweep of one plan, then its capaian, in ``session``'s
    transaction (the satker's calendar and settings — ``rules`` when already built —
    or the defaults); ``left`` is filled with what it read (for the LKE step)."""
    calendar, settings = rules or _rules(sc)
    records, capaian = sweep_and_count(session, plan_id, as_of, calendar, settings, sc,
                                       FLOW_ACTIONS[flow], now=now(sc.tz if sc else None),
                                       left=left)
    return records, capaian or progress(session, plan_id, as_of)


def _rules(sc: SatkerConfig | None) -> tuple[WorkCalendar, EngineSettings]:
    return (sc.calendar(), sc.settings()) if sc else (WorkCalendar(), EngineSettings())


@task(name="sweep-plan", retries=2, retry_delay_seconds=5)
def sweep_task(plan: str, as_of: date, flow: str) -> tuple[list[ActionRecord], Capaian]:
    """Run the ``flow`` part of the sweep for ``plan``; returns its actions and the
    plan's capaian after them."""
    cfg = load_config()
    factory = open_session_factory()
    with factory.begin() as session:
        plan_row, satker = find_plan(session, plan)
        result = _sweep(session, plan_row.id, as_of, cfg.satker(satker.name), flow)
    factory.kw["bind"].dispose()
    return result


Swept = tuple[str, date, list[ActionRecord], Capaian, list["Produced"]]


def _lke(factory: Sessions, plan_id: int, sc: SatkerConfig | None, day: date,
         judged: bool = True, left: Left | None = None) -> None:
    """The plan's LKE snapshot, and the gate reasons it newly misses told once (ZI plans
    with LKE data, not closed ones), in a transaction of its own: it never undoes or
    stops the sweep; a failure is logged and the next sweep computes it again. Not
    ``judged`` (no LKE of its kind): nothing to do."""
    if not judged:
        return
    try:
        with factory.begin() as session:
            # not the decree's text; its snapshot in the same query (``record`` then
            # finds it in the session)
            found = session.execute(
                select(m.Plan, m.LkeSnapshot)
                .outerjoin(m.LkeSnapshot, m.LkeSnapshot.plan_id == m.Plan.id)
                .where(m.Plan.id == plan_id)
                .options(defer(m.Plan.source), defer(m.Plan.warnings))).first()
            plan = found[0] if found else None
            if plan is not None and plan.status != "selesai":
                sweep_lke(session, plan, sc, day, now(sc.tz if sc else None), left)
    except Exception as exc:  # noqa: BLE001 - the LKE is a view on the sweep's work
        get_run_logger().warning("nilai LKE rencana %s belum diperbarui: %s", plan_id, exc)


@task(name="sweep-all-plans")
def sweep_all_task(days: dict[str, date]) -> list[Swept]:
    """Every plan swept in its own transaction through one connection pool, each as of
    ``days[zone]`` (its satker's date), then its due reports written and queued (month
    and quarter ends, a plan that closed); returns what each did, its capaian and its
    reports. One task for all plans: a Prefect task per plan would cost more than most
    sweeps."""
    cfg = load_config()
    factory = open_session_factory()
    printer = Printer() if "pdf" in cycle_formats() else None  # one browser, when needed
    done: list[Swept] = []
    try:
        with factory() as session:
            versions = available_versions()
            plans = [(p.id, plan_ref(s.slug, p.kind, p.year), s.name, s.timezone,
                      judged(p.kind, p.lke_version, versions)) for p, s in all_plans(session)]
        satkers = {sc.name.casefold(): sc for sc in reversed(cfg.satkers)}  # first wins
        rules: dict[str, tuple[WorkCalendar, EngineSettings]] = {}  # per satker, built once
        for plan_id, ref, satker, zone, lke in plans:
            day = days.get(zone) or days[DEFAULT_TZ]
            sc = satkers.get(satker.casefold())
            if satker not in rules:
                rules[satker] = _rules(sc)
            left = Left()
            with factory.begin() as session:
                records, capaian = _sweep(session, plan_id, day, sc, "sweep", rules[satker],
                                          left)
            _lke(factory, plan_id, sc, day, lke, left)
            produced = run_cycle(factory, cfg, ref, day, monev_home(), printer,
                                 base_url=base_url(), now=datetime.now(UTC))
            done.append((ref, day, records, capaian, produced))
    finally:
        if printer is not None:
            printer.close()
        factory.kw["bind"].dispose()
    return done
