"""``monev up``: the main job. A supervisor that starts, in order, a local Prefect server
(its own home, basic auth), the plans, the HTTP app (and in demo mode local message
sinks), today's catch-up, and a Prefect runner serving the deployments — each child in
its own process group. Every port is checked before anything starts; the server that
answers must be the one we started; TERM or INT stop every child; a child that dies
stops the whole with a clear message and a non-zero exit code."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from app.cli.app import app
from app.cli.common import err, fail, load_config, out, today
from app.cli.console_logs import keep_tracebacks_in
from app.cli.home_lock import hold_home, release_home
from app.cli.plans import import_table, read_plans, store_plans
from app.cli.portal import print_example_links
from app.cli.runner import RunnerWatch, ServedRunner
from monev.errors import MonevError

EXAMPLES = Path("examples/plans")
PLAN_SUFFIXES = (".txt", ".yaml", ".yml", ".docx", ".xlsx", ".pdf")


@dataclass
class UpSettings:
    home: Path
    demo: bool
    prefect_port: int
    http_host: str
    http_port: int
    smtp_port: int
    plans_dir: Path | None

    @property
    def state_file(self) -> Path:
        return self.home / "run" / "up.json"


def port_setting(variable: str, default: int) -> int:
    """A port number from the environment (``MONEV_PREFECT_PORT`` …), checked."""
    raw = os.environ.get(variable, str(default))
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise MonevError(f"{variable}={raw!r} bukan nomor port (1–65535)")
    return int(raw)


def _settings(demo: bool, plans_dir: Path | None) -> UpSettings:
    from monev.links import http_host
    from monev.store.db import ensure_home

    folder = plans_dir or (Path(os.environ["MONEV_PLANS_DIR"])
                           if os.environ.get("MONEV_PLANS_DIR") else None)
    if folder is None and demo:
        folder = EXAMPLES
    if folder is not None and not folder.is_dir():
        raise MonevError(f"folder rencana aksi {folder} tidak ada")
    settings = UpSettings(
        home=Path(), demo=demo, prefect_port=port_setting("MONEV_PREFECT_PORT", 4200),
        http_host=http_host(),
        http_port=port_setting("MONEV_HTTP_PORT", 8000),
        smtp_port=port_setting("MONEV_SMTP_SINK_PORT", 8025), plans_dir=folder)
    from monev.processes import check_ports

    wanted = [("server Prefect", "127.0.0.1", settings.prefect_port, "MONEV_PREFECT_PORT"),
              ("aplikasi HTTP", settings.http_host, settings.http_port, "MONEV_HTTP_PORT")]
    if demo:
        wanted.append(("sink SMTP demo", "127.0.0.1", settings.smtp_port,
                       "MONEV_SMTP_SINK_PORT"))
    check_ports(wanted)
    settings.home = ensure_home()
    return settings


def running_state(home: Path) -> dict[str, Any] | None:
    """What the ``monev up`` running from ``home`` wrote in ``run/up.json`` (its PID and
    ports), or None when none runs (no file, or its process is gone)."""
    try:
        info = json.loads((home / "run" / "up.json").read_text(encoding="utf-8"))
        os.kill(int(info["pid"]), 0)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return info if isinstance(info, dict) else None


@dataclass
class Stack:
    """The running parts, stopped in reverse order of starting."""

    server: Any = None
    runner: ServedRunner | None = None
    web: Any = None
    web_thread: threading.Thread | None = None
    smtp: Any = None
    watch: RunnerWatch | None = None
    state_file: Path | None = None
    notes: list[str] = field(default_factory=list)

    def failure(self, home: Path) -> str | None:
        """Why the stack cannot go on (a child died), or None."""
        if self.server is not None and self.server.poll() is not None:
            return (f"server Prefect berhenti tiba-tiba (kode {self.server.returncode}); "
                    f"lihat {home / 'prefect' / 'server.log'}")
        if self.runner is not None and self.runner.poll() is not None:
            return f"runner Prefect berhenti tiba-tiba ({self.runner.failure or 'tanpa galat'})"
        if self.web_thread is not None and not self.web_thread.is_alive():
            return "aplikasi HTTP berhenti tiba-tiba"
        return None

    def stop(self) -> None:
        from monev.processes import stop

        if self.watch is not None:
            self.watch.close()
        if self.runner is not None:
            err.print("menghentikan runner …")
            self.runner.stop()
        if self.server is not None and self.server.poll() is None:
            _close_stale_runs("monev up berhenti")
            _drain_prefect_services()
        if self.web is not None:
            self.web.should_exit = True
            if self.web_thread is not None:
                self.web_thread.join(timeout=10)
        if self.smtp is not None:
            self.smtp.stop()
        if self.server is not None:
            err.print("menghentikan server Prefect …")
            stop(self.server)
        if self.state_file is not None:
            self.state_file.unlink(missing_ok=True)


@app.command("up")
def up(
    plans_dir: Annotated[Path | None, typer.Option(  # noqa: UP007
        "--plans", help="Folder rencana aksi yang diimpor saat mulai (bawaan: "
                        "$MONEV_PLANS_DIR; demo: examples/plans, hanya yang belum ada).")] = None,
    limit: Annotated[int, typer.Option("--limit", help="Jumlah checkpoint terdekat.")] = 10,
    sink: Annotated[bool, typer.Option(
        "--sink", help="Demo: rencana contoh, semua pesan ke SMTP dan gateway WhatsApp "
                       "lokal (MONEV_HOME/sink), dikirim segera tanpa jam tenang.")] = False,
) -> None:
    """Pekerjaan utama: server Prefect lokal, rencana aksi, jadwal dan layanan."""
    from monev.processes import StopRequest
    from monev.store.db import allow_creating_home, monev_home

    allow_creating_home()
    try:  # one instance per home (a home not yet made has none): before anything starts
        lock = hold_home(monev_home()) if monev_home().is_dir() else None
        settings = _settings(sink, plans_dir)
        lock = lock if lock is not None else hold_home(settings.home)
    except MonevError as exc:
        raise fail(exc) from exc
    stop = StopRequest()
    stop.install(interrupt=True)
    stack = Stack()
    code = 0
    try:
        _start(stack, settings, limit)
        stop.interrupt = False
        out.print("Tekan Ctrl-C untuk berhenti.")
        code = _supervise(stack, settings, stop)
    except MonevError as exc:
        err.print(f"[bold red]Galat:[/] {exc}", highlight=False, soft_wrap=True)
        code = 2
    except BaseException as exc:  # noqa: BLE001 - TERM/INT during start-up, Prefect's too
        if not (isinstance(exc, KeyboardInterrupt) or type(exc).__name__ == "TerminationSignal"):
            raise
    finally:
        stack.stop()
        release_home(lock)
    # Every child is stopped, our Prefect server too: Prefect's own exit hooks would only
    # retry sending to it (a minute or more). What they held was sent while it ran.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _supervise(stack: Stack, settings: UpSettings, stop: Any) -> int:
    """Wait for TERM/INT or a dead child; the exit code."""
    while not stop.event.wait(0.5):
        problem = stack.failure(settings.home)
        if problem:
            err.print(f"[bold red]Galat:[/] {problem}; monev up dihentikan.", highlight=False)
            return 1
        if stack.watch is not None:
            stack.runner = stack.watch.tick()
    return 0


def _start(stack: Stack, settings: UpSettings, limit: int) -> None:
    from flows.server import auth_string, server_env, start_server, wait_healthy
    from monev.store.db import display_url

    home = settings.home
    out.print(f"MONEV_HOME : {home} (basis data {display_url()})", highlight=False)
    auth = auth_string(home)
    prefect_home = home / "prefect"
    os.environ.update(server_env(prefect_home, settings.prefect_port, auth))
    err.print(f"memulai server Prefect di 127.0.0.1:{settings.prefect_port} …")
    stack.server = start_server(prefect_home, settings.prefect_port, auth=auth)
    keep_tracebacks_in(home / "run" / "up.log")
    wait_healthy(settings.prefect_port, stack.server, auth=auth, home=prefect_home)
    closed = _close_stale_runs("monev up sebelumnya berhenti sebelum run ini selesai")
    if closed:
        err.print(f"{closed} flow run yang tertinggal dari monev up sebelumnya ditandai Crashed")
    if settings.plans_dir is not None:
        _import_folder(settings.plans_dir, only_missing=settings.demo)
    _show_upcoming(limit)
    from app.web import create_app

    web_app = create_app()
    if settings.demo:
        stack.smtp = _start_sinks(web_app, home / "sink", settings)
    stack.web, stack.web_thread = _start_web(web_app, settings)
    _write_state(stack, settings)
    stack.runner = ServedRunner().start()  # registers the dispatcher before the catch-up
    _catch_up(send_now=settings.demo)
    _print_plans(home)
    _print_links(settings.demo)
    stack.watch = RunnerWatch(stack.runner)
    out.print(f"Prefect UI : http://127.0.0.1:{settings.prefect_port}/deployments "
              f"(masuk dengan isi {home / 'prefect-auth'})", highlight=False)
    from monev.links import public_url

    out.print(f"Aplikasi   : {public_url()}/health", highlight=False)


def _drain_prefect_services(timeout: float = 10.0) -> None:
    """Send the flow-run logs and events this process still holds while the server can
    take them."""
    from prefect._internal.concurrency.services import QueueService

    with contextlib.suppress(Exception):  # best effort while stopping
        QueueService.drain_all(timeout=timeout, at_exit=False)


def _close_stale_runs(reason: str) -> int:
    """Runs left Pending/Running by a runner that is gone are marked Crashed, so the
    Prefect UI never shows a run "Submitting" forever; the next sweep catches up."""
    try:
        from flows.housekeeping import crash_unfinished_runs

        return crash_unfinished_runs(reason)
    except Exception:  # noqa: BLE001 - best effort while stopping
        return 0


def _import_folder(folder: Path, only_missing: bool) -> None:
    """Import the plan files of a folder one by one; a file that is refused (older than
    what is stored, unreadable) is reported and the others go on. In the demo, plans
    already stored are left alone: a fix made since is never undone by a restart."""
    from monev.store.db import open_session_factory
    from monev.store.imports import stored_plan

    files = sorted(p for p in folder.glob("*") if p.suffix.lower() in PLAN_SUFFIXES)
    if not files:
        err.print(f"tidak ada berkas rencana aksi di {folder}")
        return
    cfg = load_config(None)
    parsed, failures = read_plans(files, None)
    for problem in failures:
        err.print(f"[yellow]dilewati:[/] {problem}", highlight=False, soft_wrap=True)
    if only_missing:
        factory = open_session_factory()
        with factory() as s:
            present = [p for p in parsed if stored_plan(s, p[0].header) is not None]
        factory.kw["bind"].dispose()
        if present:
            out.print(f"{len(present)} rencana contoh sudah tersimpan; tidak diimpor ulang "
                      "(perbaikan yang sudah dibuat tetap)")
        parsed = [p for p in parsed if p not in present]
    done: list[Any] = []
    results: list[Any] = []
    for item in parsed:
        try:
            results += store_plans([item], cfg)
            done.append(item)
        except MonevError as exc:
            err.print(f"[yellow]dilewati:[/] {exc}", highlight=False, soft_wrap=True)
    if done:
        out.print(import_table(done, results))


def _show_upcoming(limit: int) -> None:
    from sqlalchemy import select

    from monev.status import word
    from monev.store import models as m
    from monev.store.db import open_session_factory

    day = today()
    factory = open_session_factory()
    table = Table(title=f"Checkpoint terdekat sejak {day:%d-%m-%Y}")
    for col in ("Tenggat", "Periode", "Satker", "Rencana", "Status", "Bukti fisik"):
        # dates, periods, plans and status words whole; names and evidence fold
        table.add_column(col, overflow="fold", no_wrap=col not in ("Satker", "Bukti fisik"))
    with factory() as s:
        rows = s.execute(
            select(m.Checkpoint.due, m.Checkpoint.period, m.Checkpoint.status, m.Satker.name,
                   m.Plan.kind, m.Plan.year, m.Item.bukti_fisik)
            .join(m.Checkpoint.item).join(m.Item.plan).join(m.Plan.satker)
            .where(m.Checkpoint.due >= day, m.Item.active)
            .order_by(m.Checkpoint.due, m.Satker.name, m.Item.position).limit(limit))
        for due, period, status, satker, kind, year, bukti in rows:
            table.add_row(f"{due:%d-%m-%Y}", period, satker, f"{kind} {year}", word(status),
                          bukti[:60])
    factory.kw["bind"].dispose()
    out.print(table)


def _print_links(demo: bool) -> None:
    """Calendar links: one Tim ZI feed per plan and an index page per satker, created
    once. Links are secrets: printed when created (and always in the demo); otherwise
    ``monev feed list --links`` shows them on demand."""
    from sqlalchemy import select

    from calendars.service import create_feed, first_active
    from calendars.tokens import feed_secret, token_for
    from monev.links import public_url
    from monev.store import models as m
    from monev.store.db import open_session_factory
    from monev.store.queries import all_plans, plan_ref

    secret = feed_secret()
    hidden = 0
    factory = open_session_factory()
    with factory.begin() as s:
        for plan, satker in all_plans(s):
            feed = first_active(s, "plan", plan_id=plan.id)
            new = feed is None
            if feed is None:
                feed, _ = create_feed(s, secret, "plan", "Tim ZI",
                                      plan=plan_ref(satker.slug, plan.kind, plan.year))
            if demo or new:
                out.print(f"Kalender   : {plan.kind} {plan.year} {satker.name}: "
                          f"{public_url()}/feeds/{token_for(feed.nonce, secret)}.ics",
                          highlight=False, soft_wrap=True)
            else:
                hidden += 1
        for satker in s.scalars(select(m.Satker).order_by(m.Satker.slug)):
            index = first_active(s, "index", satker_id=satker.id)
            new = index is None
            if index is None:
                index, _ = create_feed(s, secret, "index", "admin", satker=satker.slug)
            if demo or new:
                out.print(f"Indeks     : {satker.name}: "
                          f"{public_url()}/feeds/{token_for(index.nonce, secret)}/",
                          highlight=False, soft_wrap=True)
            else:
                hidden += 1
    factory.kw["bind"].dispose()

    hidden += print_example_links(everyone=demo)
    if hidden:
        out.print(f"Tautan     : {hidden} tautan kalender/portal aktif tidak ditampilkan; "
                  "lihat `monev feed list --links` dan `monev portal list --links`",
                  highlight=False)


def _start_sinks(web_app: Any, directory: Path, settings: UpSettings) -> Any:
    """The local SMTP and WhatsApp sinks of the demo; every channel points at them."""
    from notifiers.sink import sink_env, start_smtp_sink, whatsapp_sink_router

    def arrived(channel: str, recipient: str, subject: str) -> None:
        out.print(f"[green]diterima[/] {channel:8} {recipient}: {subject}", highlight=False)

    controller = start_smtp_sink(directory, settings.smtp_port, arrived)
    env = sink_env(settings.smtp_port, settings.http_port)
    web_app.app.include_router(  # the FastAPI app behind FeedFront
        whatsapp_sink_router(directory, arrived, env["MONEV_WHATSAPP_TOKEN"]))
    os.environ.update(env)
    out.print(f"Sink lokal : SMTP 127.0.0.1:{settings.smtp_port}, WhatsApp "
              f"http://127.0.0.1:{settings.http_port}/sink/whatsapp → {directory}",
              highlight=False)
    out.print("Balas demo : monev notify reply \"NAMA\" bukti.pdf --text \"KODE\" (kirim "
              "bukti lewat WhatsApp seperti dari ponsel; NAMA punya nomor WhatsApp di "
              "konfigurasi, KODE dari pesan pengingat atau `monev tasks`)", highlight=False)
    return controller


def _start_web(web_app: Any, settings: UpSettings) -> tuple[Any, threading.Thread]:
    """uvicorn in a thread (no access log: URLs carry secret tokens); wait until it
    listens, or say why not."""
    import uvicorn

    web = uvicorn.Server(uvicorn.Config(web_app, host=settings.http_host,
                                        port=settings.http_port, log_level="error",
                                        access_log=False))
    thread = threading.Thread(target=web.run, name="monev-web", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not web.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise MonevError(f"aplikasi HTTP tidak dapat mendengarkan di {settings.http_host}:"
                             f"{settings.http_port}; pilih port lain dengan MONEV_HTTP_PORT")
        time.sleep(0.05)
    return web, thread


def _write_state(stack: Stack, settings: UpSettings) -> None:
    """``MONEV_HOME/run/up.json``: lets other commands find this instance (e.g. ``monev
    notify test`` uses the demo sinks while ``make up`` runs)."""
    path = settings.state_file
    path.parent.mkdir(mode=0o700, exist_ok=True)
    state = {"pid": os.getpid(), "demo": settings.demo, "http_port": settings.http_port,
             "smtp_port": settings.smtp_port, "prefect_port": settings.prefect_port,
             "whatsapp_token": os.environ.get("MONEV_WHATSAPP_TOKEN", "") if settings.demo
             else ""}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(state, f)
    stack.state_file = path


def _catch_up(send_now: bool) -> None:
    """Today's sweep of every plan, then one dispatcher pass (both as Prefect runs), in a
    child process: closing a plan builds its year-end report (charts, PDF), and the
    libraries that takes (~100 MB) must not stay in the supervisor for its whole life."""
    import subprocess

    command = [sys.executable, "-m", "app", "_catch-up", *(["--send-now"] if send_now else [])]
    done = subprocess.run(command, env=dict(os.environ), check=False)
    if done.returncode != 0:
        raise MonevError(f"penyapuan awal berhenti dengan kode {done.returncode}; lihat "
                         "pesan di atas, perbaiki, lalu jalankan `monev up` lagi")


@app.command("_catch-up", hidden=True)
def catch_up_cmd(send_now: Annotated[bool, typer.Option("--send-now")] = False) -> None:
    """(internal) The start-up catch-up of ``monev up``: sweep every plan, send once."""
    from flows.monev_flows import dispatch_outbox, sweep_all

    actions = sweep_all()
    sent = dispatch_outbox(send_now=send_now)
    out.print(f"Penyapuan hari ini: {actions} tindakan; {sent} pesan terkirim"
              + ("" if send_now else " (sisanya menunggu jam kerja)"))


def _print_plans(home: Path) -> None:
    """Each plan's life after today's sweep: live, in its grace, or closed with the
    year-end report (where the file is)."""
    from sqlalchemy import select

    from monev.store import models as m
    from monev.store.db import open_session_factory
    from monev.store.queries import all_plans

    factory = open_session_factory()
    with factory() as s:
        for plan, satker in all_plans(s):
            line = f"Rencana    : {plan.kind} {plan.year} {satker.name} — {plan.status}"
            if plan.status == "selesai":
                path = s.scalar(select(m.ReportFile.path).where(
                    m.ReportFile.plan_id == plan.id, m.ReportFile.period == str(plan.year),
                    m.ReportFile.fmt == "pdf"))
                closed = f" sejak {plan.closed_on:%d-%m-%Y}" if plan.closed_on else ""
                line += f"{closed}; laporan akhir: {home / path if path else 'belum ada'}"
            out.print(line, highlight=False, soft_wrap=True)
    factory.kw["bind"].dispose()
