"""What every command group shares: consoles, option types, error reporting and the
small helpers that read plans and configuration."""

from __future__ import annotations

import os
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from monev.clock import today as today
from monev.errors import MonevError
from monev.grammar import RangePolicy
from monev.model import Plan
from monev.workdays import WorkCalendar
from notifiers.redaction import redact

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


def run_guarded(app: typer.Typer) -> None:
    """Run the CLI; anything a command did not turn into a message becomes one line
    (what is wrong, what to do) and a non-zero exit code. The traceback goes to a log
    file for the admin, never to the screen."""
    try:
        app()
    except MonevError as exc:
        err.print(f"[bold red]Galat:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except KeyboardInterrupt:
        err.print("dibatalkan")
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - the last line of defence
        known = describe_error(exc)
        if known:
            err.print(f"[bold red]Galat:[/] {known}", highlight=False, soft_wrap=True)
            sys.exit(2)
        where = _log_traceback(exc)
        err.print(f"[bold red]Galat tak terduga[/] ({type(exc).__name__}): "
                  f"{first_line(exc)}. Laporkan ke admin; rincian: {where}",
                  highlight=False, soft_wrap=True)
        sys.exit(1)


def describe_error(exc: BaseException) -> str | None:
    """One Indonesian line for failures of the parts around monev (database, Prefect
    server), or None when the error is not one of those."""
    text = str(exc)
    name = type(exc).__name__
    if "database is locked" in text:
        return ("basis data sedang dipakai proses lain (terkunci); coba lagi sebentar lagi "
                "atau hentikan proses monev yang lain")
    if name == "OperationalError" and ("connect" in text or "Connection refused" in text):
        return ("basis data tidak terjangkau; periksa MONEV_DATABASE_URL dan apakah "
                "server basis datanya berjalan")
    if name in ("ConnectError", "ConnectTimeout") or (
            isinstance(exc, OSError) and "Connection refused" in text):
        api = os.environ.get("PREFECT_API_URL", "(PREFECT_API_URL belum diatur)")
        return f"server tidak terjangkau ({api}); jalankan `monev up` atau periksa alamatnya"
    if name == "PrefectHTTPStatusError" and "401" in text:
        return ("server Prefect menolak akses (401); atur PREFECT_API_AUTH_STRING sama "
                "dengan PREFECT_SERVER_API_AUTH_STRING server")
    return None


def first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return (lines[0][:200] if lines else "tanpa keterangan").rstrip(".")


def _log_traceback(exc: BaseException) -> str:
    """Append the traceback to ``MONEV_HOME/logs/cli.log`` (or a temp file); its path."""
    import tempfile
    import traceback

    from monev.store.db import monev_home

    home = monev_home()
    folder = home / "logs" if home.is_dir() else Path(tempfile.gettempdir())
    folder.mkdir(exist_ok=True)
    path = folder / ("cli.log" if home.is_dir() else "monev-cli.log")
    with path.open("a", encoding="utf-8") as f:
        f.write(redact(f"--- {' '.join(sys.argv)}\n"))
        f.write(redact("".join(traceback.format_exception(exc))))
    return str(path)


def parse_day(text: str, option: str) -> date:
    """A date as people write it: ``2026-12-31``, ``31-12-2026`` or ``31/12/2026`` (the
    form monev's own messages print)."""
    import re

    value = text.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return date.fromisoformat(value)
        found = re.fullmatch(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})", value)
        if found:
            return date(int(found.group(3)), int(found.group(2)), int(found.group(1)))
    except ValueError:
        pass
    raise MonevError(f"{option} '{text}' bukan tanggal yang sah; tulis 2026-12-31 atau "
                     "31-12-2026")


def policy_of(value: str | None) -> RangePolicy | None:
    if value is None:
        return None
    if value not in ("monthly", "end"):
        raise typer.BadParameter("harus 'monthly' atau 'end'")
    return "monthly" if value == "monthly" else "end"


def load_config(path: Path | None) -> MonevConfig:
    """The configuration; pydantic is imported only when a config file exists. A file
    named on purpose (``--config``, ``$MONEV_CONFIG``) must exist; without one, the
    default file may be absent (no satker configured)."""
    from monev.config import MonevConfig, default_config_path, load_config

    chosen = path or default_config_path()
    if not chosen.exists():
        if path is not None or os.environ.get("MONEV_CONFIG"):
            where = "--config" if path is not None else "MONEV_CONFIG"
            raise MonevError(f"berkas konfigurasi {chosen} ({where}) tidak ditemukan; "
                             "periksa nama dan foldernya")
        return MonevConfig.model_construct(satkers=[])
    return load_config(path)


def check_output(path: Path, what: str = "berkas") -> None:
    """Refuse an output path whose folder does not exist (nothing is created on the
    way), or that names a folder, before any work is done."""
    folder = path.parent
    if not folder.is_dir():
        raise MonevError(f"folder {folder} tidak ditemukan; buat foldernya dulu atau pilih "
                         f"tempat lain untuk {what} {path.name}")
    if path.is_dir() and what == "berkas":
        raise MonevError(f"{path} adalah folder; berikan nama berkas di dalamnya")


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

