"""Task: one idempotent sweep of one plan, in one database transaction.

A plan whose transaction cannot get the database (another writer held it past the busy
timeout) is tried again after RETRY_WAITS, then left for the next sweep with one
warning: a sweep never dies of a long writer (issue 24)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from prefect import get_run_logger, task
from prefect.exceptions import MissingContextError
from sqlalchemy import bindparam, select
from sqlalchemy.exc import DBAPIError
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
from monev.store.db import is_busy, monev_home, open_session_factory, retry_busy
from monev.store.queries import Capaian, all_plans, find_plan, plan_ref, progress
from monev.workdays import WorkCalendar
from reports.cycle import cycle_formats, run_cycle
from reports.pdf import Printer

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from reports.cycle import Produced

# seconds between tries of one plan's transaction while another writer holds the
# database (each try itself waits the busy timeout, MONEV_SQLITE_BUSY_SECONDS)
RETRY_WAITS: tuple[float, ...] = (2.0, 4.0, 8.0)
LATER = "disapu lagi pada sapuan berikutnya"
_log = logging.getLogger("monev.sweep")


def _logger() -> logging.Logger | logging.LoggerAdapter[Any]:
    """The flow run's logger (shown in the Prefect UI), or monev's outside a run."""
    try:
        return get_run_logger()
    except MissingContextError:
        return _log


def _retrying(ref: str, what: str) -> Callable[[int, float, BaseException], None]:
    def told(attempt: int, pause: float, _exc: BaseException) -> None:
        _logger().info("%s rencana %s: basis data sedang dipakai penulis lain; dicoba "
                       "lagi dalam %.1f detik (percobaan %d)", what, ref, pause, attempt + 1)
    return told


def _busy_or_raise(exc: DBAPIError, ref: str, what: str) -> None:
    """One warning line for a plan left for later; anything but a busy database raises."""
    if not is_busy(exc):
        raise exc
    _logger().warning("%s rencana %s ditunda: basis data terus dipakai penulis lain "
                      "(%s); %s", what, ref, type(exc.orig).__name__, LATER)


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

    def attempt() -> tuple[list[ActionRecord], Capaian]:
        with factory.begin() as session:
            plan_row, satker = find_plan(session, plan)
            return _sweep(session, plan_row.id, as_of, cfg.satker(satker.name), flow)

    try:
        return retry_busy(attempt, RETRY_WAITS, _retrying(plan, "Sapuan"))
    except DBAPIError as exc:
        _busy_or_raise(exc, plan, "Sapuan")
        with factory() as session:  # readers never wait for writers
            return [], progress(session, find_plan(session, plan)[0].id, as_of)
    finally:
        factory.kw["bind"].dispose()


Swept = tuple[str, date, list[ActionRecord], Capaian, list["Produced"]]


# built once (building it costs more than running it; it runs for every ZI plan)
_PLAN_AND_SNAPSHOT = (select(m.Plan, m.LkeSnapshot)
                      .outerjoin(m.LkeSnapshot, m.LkeSnapshot.plan_id == m.Plan.id)
                      .where(m.Plan.id == bindparam("plan"))
                      .options(defer(m.Plan.source), defer(m.Plan.warnings)))


def _lke(session: Session, plan_id: int, sc: SatkerConfig | None, day: date,
         judged: bool = True, left: Left | None = None) -> None:
    """The plan's LKE snapshot, and the gate reasons it newly misses told once (ZI plans
    with LKE data, not closed ones), in a savepoint of the plan's sweep transaction
    (``left``: what that sweep read): a failure undoes only the step and is logged, and
    the next sweep computes it again; a database too busy to write is the sweep's to
    retry. Not ``judged`` (no LKE of its kind): nothing to do."""
    if not judged:
        return
    try:
        with session.begin_nested():
            # the plan (the sweep's copy when the session still holds it; read without
            # the decree's text) and its snapshot in one query: ``record`` then finds the
            # snapshot in the session
            found = session.execute(_PLAN_AND_SNAPSHOT, {"plan": plan_id}).first()
            plan = found[0] if found else None
            if plan is not None and plan.status != "selesai":
                sweep_lke(session, plan, sc, day, now(sc.tz if sc else None), left)
    except Exception as exc:  # noqa: BLE001 - the LKE is a view on the sweep's work
        if isinstance(exc, DBAPIError) and is_busy(exc):
            raise
        _logger().warning("nilai LKE rencana %s belum diperbarui: %s", plan_id, exc)


@task(name="sweep-all-plans")
def sweep_all_task(days: dict[str, date]) -> list[Swept]:
    """Every plan swept in its own transaction through one connection pool, each as of
    ``days[zone]`` (its satker's date), then its due reports written and queued (month
    and quarter ends, a plan that closed); returns what each did, its capaian and its
    reports. One task for all plans: a Prefect task per plan would cost more than most
    sweeps."""
    return sweep_plans(None, days)


def sweep_plans(url: str | None, days: dict[str, date]) -> list[Swept]:
    """:func:`sweep_all_task`'s work on the database at ``url`` (None: the configured
    one). A plan the database stays too busy for is left out (a warning): the next
    sweep catches it up."""
    cfg = load_config()
    factory = open_session_factory(url)
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

            def attempt(plan_id: int = plan_id, day: date = day, sc: SatkerConfig | None = sc,
                        satker: str = satker, lke: bool = lke
                        ) -> tuple[list[ActionRecord], Capaian]:
                left = Left()  # what the sweep read, for the LKE step
                with factory.begin() as session:
                    records, capaian = _sweep(session, plan_id, day, sc, "sweep",
                                              rules[satker], left)
                    _lke(session, plan_id, sc, day, lke, left)
                return records, capaian

            try:
                records, capaian = retry_busy(attempt, RETRY_WAITS, _retrying(ref, "Sapuan"))
            except DBAPIError as exc:
                _busy_or_raise(exc, ref, "Sapuan")
                continue

            def cycle(ref: str = ref, day: date = day) -> list[Produced]:
                return run_cycle(factory, cfg, ref, day, monev_home(), printer,
                                 base_url=base_url(), now=datetime.now(UTC))

            try:
                produced = retry_busy(cycle, RETRY_WAITS, _retrying(ref, "Laporan"))
            except DBAPIError as exc:
                _busy_or_raise(exc, ref, "Laporan")
                produced = []
            done.append((ref, day, records, capaian, produced))
    finally:
        if printer is not None:
            printer.close()
        factory.kw["bind"].dispose()
    return done
