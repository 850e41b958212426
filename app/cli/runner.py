"""The Prefect runner of ``monev up``: a thread of the supervisor serving every deployment.

The dispatcher's deployment is registered before the runner says it is ready, so the
first sweep can already ask for a send run. While ``monev up`` runs, a plan imported,
revised, closed or reopened gets its deployments without a restart: the supervisor
watches the plans and starts the runner again when they change. It also gives the
runs Prefect schedules the readable names the runs get when they start."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import threading
import time
from typing import TYPE_CHECKING, Any

from app.cli.common import err, out
from app.cli.engine import compiled_deployments
from monev.errors import MonevError

if TYPE_CHECKING:
    from monev.store.db import Sessions

RUNNER_READY_SECONDS = 300.0
WATCH_SECONDS = 10.0  # how often the supervisor looks at the plans
NAME_SECONDS = 30.0  # how often waiting runs get their names
RESTART_PATIENCE = 300.0  # how long a changed plan waits for running runs to end

PlanSignature = tuple[tuple[int, int, str, bool], ...]


class ServedRunner:
    """Prefect's ``Runner`` serving every deployment, in a thread of the supervisor (a
    process of its own cost ~150 MB for an idle poll loop). Flow runs still start as
    processes of their own, as Prefect starts them; the ones still going when the
    runner stops are stopped with it, as they were with the runner's process group.

    ``poll()`` and ``returncode`` read like a child process's, for the supervisor."""

    def __init__(self) -> None:
        self.returncode: int | None = None
        self.failure = ""
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: Any = None
        self._thread = threading.Thread(target=self._main, name="monev-runner", daemon=True)

    def start(self) -> ServedRunner:
        """Returns once the dispatcher is registered and the rest compiled (it prints
        how many); serving goes on in the thread."""
        self._thread.start()
        if not self._ready.wait(RUNNER_READY_SECONDS):
            raise MonevError(f"runner Prefect tidak siap dalam {RUNNER_READY_SECONDS:.0f} detik")
        if self.returncode is not None:
            raise MonevError(f"runner Prefect berhenti saat mulai: {self.failure}")
        return self

    def poll(self) -> int | None:
        return None if self._thread.is_alive() else (self.returncode or 0)

    def stop(self, timeout: float = 20.0) -> None:
        """Stop serving (the runs going on are stopped too; the sweeps catch up)."""
        loop, runner = self._loop, self._runner
        if loop is not None and runner is not None and self._thread.is_alive():
            with contextlib.suppress(Exception):  # a loop that just ended
                asyncio.run_coroutine_threadsafe(runner.astop(), loop).result(timeout)
        self._thread.join(timeout)
        _stop_flow_run_processes()

    def _main(self) -> None:
        try:
            served = _registered()
            from prefect.runner import Runner

            runner = Runner(pause_on_shutdown=False)
            for deployment in served:
                runner.add_deployment(deployment)
            self._runner = runner
            asyncio.run(self._serve(runner))
            self.returncode = 0
        except BaseException as exc:  # noqa: BLE001 - the supervisor reports it in one line
            logging.getLogger("monev.runner").warning("runner berhenti", exc_info=exc)
            self.failure = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
            self.returncode = 1
        finally:
            self._ready.set()

    async def _serve(self, runner: Any) -> None:
        self._loop = asyncio.get_running_loop()
        self._ready.set()
        await runner.start()


def _registered() -> list[Any]:
    """Compile every deployment, delete the ones no plan needs any more and register
    the dispatcher's first (before anything can be queued; the rest are registered by
    the runner as it starts)."""
    from flows.deployments import DISPATCHER, runner_deployments
    from flows.register import prune_deployments

    deployments = compiled_deployments()
    removed = prune_deployments(deployments)
    plans = len({d.parameters.get("plan") for d in deployments} - {None})
    n_sched = sum(len(d.schedules) for d in deployments)
    served = runner_deployments(deployments)
    for d, runner_deployment in zip(deployments, served, strict=True):
        if d.name == DISPATCHER:
            runner_deployment.apply()
    out.print(f"[bold]{len(deployments)} deployment[/] ({n_sched} jadwal RRule) untuk "
              f"{plans} rencana aksi" + (f"; {removed} deployment lama dihapus" if removed
                                          else ""))
    return served


def _stop_flow_run_processes(timeout: float = 10.0) -> None:
    """Flow runs the runner started and left going: TERM, then KILL after ``timeout``."""
    children = multiprocessing.active_children()
    for child in children:
        child.terminate()
    deadline = time.monotonic() + timeout
    for child in children:
        child.join(max(0.0, deadline - time.monotonic()))
        if child.is_alive():
            child.kill()
            child.join()


def plan_signature(factory: Sessions) -> PlanSignature:
    """What the deployments are compiled from, read cheaply: each plan's id, revision
    and status (and whether an admin set it)."""
    from sqlalchemy import select

    from monev.store import models as m

    with factory() as s:
        return tuple(s.execute(select(m.Plan.id, m.Plan.revision, m.Plan.status,
                                      m.Plan.status_manual).order_by(m.Plan.id)).tuples())


class RunnerWatch:
    """Called from the supervisor's loop: restarts the runner when the plans changed
    (after the flow runs going on end, or after :data:`RESTART_PATIENCE` whatever is
    still marked running: a run cut off is caught up by the next sweep) and names the
    waiting runs."""

    def __init__(self, runner: ServedRunner) -> None:
        from monev.store.db import open_session_factory

        self.runner = runner
        self.factory = open_session_factory()
        self.signature = plan_signature(self.factory)
        self.next_look = self.next_names = time.monotonic()
        self.changed_at: float | None = None  # when the plans were first seen changed

    def tick(self) -> ServedRunner:
        """One look if it is time; returns the runner (a new one after a restart). Its
        calls to the server fail at once rather than retry: the supervisor's loop must
        stay free to notice a server that died."""
        from prefect.settings import (
            PREFECT_API_REQUEST_TIMEOUT,
            PREFECT_CLIENT_MAX_RETRIES,
            temporary_settings,
        )

        now = time.monotonic()
        if now < min(self.next_names, self.next_look):
            return self.runner
        with temporary_settings(updates={PREFECT_CLIENT_MAX_RETRIES: 0,
                                         PREFECT_API_REQUEST_TIMEOUT: 10}):
            return self._look(now)

    def _look(self, now: float) -> ServedRunner:
        if now >= self.next_names:
            self.next_names = now + NAME_SECONDS
            _name_waiting_runs()
        if now < self.next_look:
            return self.runner
        self.next_look = now + WATCH_SECONDS
        try:
            current = plan_signature(self.factory)
        except Exception:  # noqa: BLE001 - a busy database: the next look reads it
            return self.runner
        if current == self.signature:
            self.changed_at = None
            return self.runner
        self.changed_at = self.changed_at or now
        if now - self.changed_at < RESTART_PATIENCE and _busy():
            return self.runner  # a run is going on: after it (the sweeps catch up anyway)
        out.print("Rencana aksi berubah: deployment dimuat ulang …")
        self.runner.stop()
        self.runner = ServedRunner().start()
        self.signature, self.changed_at = current, None
        self.next_names = now  # the new runs get their names at once
        return self.runner

    def close(self) -> None:
        self.factory.kw["bind"].dispose()


def _name_waiting_runs() -> None:
    from flows.housekeeping import name_scheduled_runs

    try:
        name_scheduled_runs()
    except Exception as exc:  # noqa: BLE001 - names are a courtesy; serving goes on
        err.print(f"[yellow]nama flow run terjadwal belum diperbarui:[/] {exc}",
                  highlight=False)


def _busy() -> bool:
    """A flow run is running (a restart of the runner would cut it off)."""
    from flows.housekeeping import running_runs

    try:
        return running_runs() > 0
    except Exception:  # noqa: BLE001 - the server is checked by the supervisor itself
        return True
