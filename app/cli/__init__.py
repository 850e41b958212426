"""``monev`` command line (typer + rich), one module per command group (each registers
on the root app of ``app.cli.app``). Help and messages in Bahasa Indonesia. Commands
that need no Prefect never import it, to start fast: every module imports its heavy
dependencies (the store, flows, portal, reports) inside the commands — for start-up
time only; nothing below ``app`` imports it, so there is no cycle to dodge."""

from __future__ import annotations

from app.cli import (  # noqa: F401 - registers
    doctor,
    engine,
    evidence,
    feeds,
    lke,
    notify,
    plans,
    portal,
    reports,
    runner,
    up,
)
from app.cli.app import app
from app.cli.common import run_guarded

# The order `monev --help` lists commands and groups in, whatever order their modules
# happen to load in (a module that uses another's helpers loads it, and so registers its
# commands, first).
ORDER = ("_catch-up", "up", "doctor", "deploy", "simulate", "tasks", "outbox",
         "when", "report", "evidence", "feed", "notify", "plan", "portal", "lke")


def _rank(name: str | None) -> int:
    return ORDER.index(name) if name in ORDER else len(ORDER)


app.registered_commands.sort(key=lambda c: _rank(c.name or getattr(c.callback, "__name__", "")))
app.registered_groups.sort(key=lambda g: _rank(g.name or (g.typer_instance.info.name
                                                       if g.typer_instance else None)))


def main() -> None:
    """Entry point: no Python traceback ever reaches the person at the terminal."""
    run_guarded(app)


__all__ = ["app", "main"]
