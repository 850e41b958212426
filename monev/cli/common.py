"""What every command group shares: consoles, option types, error reporting and the
small helpers that read plans and configuration."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from monev.clock import today as today
from monev.grammar import RangePolicy
from monev.model import Plan
from monev.workdays import WorkCalendar

if TYPE_CHECKING:
    from monev.config import MonevConfig

out = Console()
err = Console(stderr=True)

PolicyOpt = Annotated[str | None, typer.Option(  # noqa: UP007 - typer needs Optional
    "--policy", help="Arti rentang bulan: 'monthly' (tiap bulan, bawaan) atau 'end' "
    "(satu tenggat di akhir rentang).")]
ConfigOpt = Annotated[Path | None, typer.Option(  # noqa: UP007
    "--config", help="Berkas konfigurasi (bawaan: config/monev.yaml atau $MONEV_CONFIG).")]


def fail(exc: Exception) -> typer.Exit:
    err.print(f"[bold red]Galat:[/] {exc}", highlight=False, soft_wrap=True)
    return typer.Exit(code=2)


def policy_of(value: str | None) -> RangePolicy | None:
    if value is None:
        return None
    if value not in ("monthly", "end"):
        raise typer.BadParameter("harus 'monthly' atau 'end'")
    return "monthly" if value == "monthly" else "end"


def load_config(path: Path | None) -> MonevConfig:
    """The configuration; pydantic is imported only when a config file exists."""
    from monev.config import MonevConfig, default_config_path, load_config

    if not (path or default_config_path()).exists():
        return MonevConfig.model_construct(satkers=[])
    return load_config(path)


def calendar_for(cfg: MonevConfig, satker: str) -> WorkCalendar:
    sc = cfg.satker(satker)
    return sc.calendar() if sc else WorkCalendar()


def load_plan_file(path: Path, policy: str | None) -> Plan:
    from monev.plans import load_plan

    return load_plan(path, policy_of(policy))


def print_warnings(warnings: list[str]) -> None:
    if warnings:
        out.print(f"[yellow]{len(warnings)} peringatan:[/]")
        for w in warnings:
            out.print(f"  [yellow]•[/] {w}", highlight=False, soft_wrap=True)


def republish() -> None:
    """Static feeds follow every change when ``MONEV_FEED_DIR`` is set."""
    if os.environ.get("MONEV_FEED_DIR"):
        from calendars.publish import publish_if_configured

        report = publish_if_configured(today())
        if report is not None and report.written:
            err.print(f"kalender diterbitkan ulang: {len(report.written)} berkas")
        for problem in report.failed if report else []:
            err.print(f"[bold red]Galat:[/] {problem}", highlight=False)


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
