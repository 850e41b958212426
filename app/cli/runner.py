"""The Prefect runner of ``monev up``: a supervised child serving every deployment.

The dispatcher's deployment is registered before the runner says it is ready, so the
first sweep can already ask for a send run. While ``monev up`` runs, a plan imported,
revised, closed or reopened gets its deployments without a restart: the supervisor
watches the plans and starts the runner again when they change. It also gives the
runs Prefect schedules the readable names the runs get when they start."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from app.cli.app import app
from app.cli.common import err, out
from app.cli.console_logs import keep_tracebacks_in
from app.cli.engine import compiled_deployments
from monev.errors import MonevError

if TYPE_CHECKING:
    from monev.store.db import Sessions

RUNNER_READY_SECONDS = 300.0
WATCH_SECONDS = 10.0  # how often the supervisor looks at the plans
NAME_SECONDS = 30.0  # how often waiting runs get their names
RESTART_PATIENCE = 300.0  # how long a changed plan waits for running runs to end

PlanSignature = tuple[tuple[int, int, str, bool], ...]


def start_runner(home: Path) -> Any:
    """The runner as a supervised child; returns once it registered the dispatcher and
    compiled the rest (it prints how many)."""
    from monev.processes import spawn

    ready = home / "run" / "runner.ready"
    ready.unlink(missing_ok=True)
    runner = spawn([sys.executable, "-m", "app", "_serve", "--ready", str(ready)],
                   dict(os.environ))
    deadline = time.monotonic() + RUNNER_READY_SECONDS
    while not ready.exists():
        if runner.poll() is not None:
            raise MonevError(f"runner Prefect berhenti saat mulai (kode {runner.returncode})")
        if time.monotonic() > deadline:
            raise MonevError("runner Prefect tidak siap dalam "
                             f"{RUNNER_READY_SECONDS:.0f} detik")
        time.sleep(0.1)
    return runner


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

    def __init__(self, home: Path, runner: Any) -> None:
        from monev.store.db import open_session_factory

        self.home, self.runner = home, runner
        self.factory = open_session_factory()
        self.signature = plan_signature(self.factory)
        self.next_look = self.next_names = time.monotonic()
        self.changed_at: float | None = None  # when the plans were first seen changed

    def tick(self) -> Any:
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

    def _look(self, now: float) -> Any:
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
        from monev.processes import stop

        out.print("Rencana aksi berubah: deployment dimuat ulang …")
        stop(self.runner, sig=signal.SIGINT)
        self.runner = start_runner(self.home)
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


@app.command("_serve", hidden=True)
def serve_cmd(
    ready: Annotated[Path, typer.Option("--ready", help="Berkas tanda siap.")],
) -> None:
    """(internal) Runner of ``monev up``: serve every deployment of this server."""
    from flows.deployments import DISPATCHER, runner_deployments
    from flows.register import prune_deployments

    deployments = compiled_deployments()
    removed = prune_deployments(deployments)
    plans = len({d.parameters.get("plan") for d in deployments} - {None})
    n_sched = sum(len(d.schedules) for d in deployments)
    served = runner_deployments(deployments)
    for d, runner_deployment in zip(deployments, served, strict=True):
        if d.name == DISPATCHER:  # before anything can be queued (serve() registers
            runner_deployment.apply()  # the rest one by one, after this)
    out.print(f"[bold]{len(deployments)} deployment[/] ({n_sched} jadwal RRule) untuk "
              f"{plans} rencana aksi" + (f"; {removed} deployment lama dihapus" if removed
                                          else ""))
    ready.write_text(str(os.getpid()), encoding="utf-8")
    from prefect import serve

    keep_tracebacks_in(ready.parent / "runner.log")
    serve(*served, pause_on_shutdown=False, print_starting_message=False)
