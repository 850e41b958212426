"""``monev up``: the main job — a local Prefect server, the plans' deployments served,
the HTTP app, and in demo mode local message sinks."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from monev.cli.app import app
from monev.cli.common import err, fail, out, today
from monev.cli.engine import compiled_deployments
from monev.cli.plans import plan_import
from monev.errors import MonevError


@app.command("up")
def up(
    plans_dir: Annotated[Path, typer.Option(
        "--plans", help="Folder rencana aksi contoh yang diimpor.")] = Path("examples/plans"),
    limit: Annotated[int, typer.Option("--limit", help="Jumlah checkpoint terdekat.")] = 10,
    sink: Annotated[bool, typer.Option(
        "--sink", help="Demo: semua pesan ke SMTP dan gateway WhatsApp lokal "
                       "(MONEV_HOME/sink), dikirim segera tanpa jam tenang.")] = False,
) -> None:
    """Pekerjaan utama: server Prefect lokal, impor rencana contoh, jadwal dan layanan."""
    import threading

    import uvicorn

    from monev.store.db import monev_home

    files = sorted(p for p in plans_dir.glob("*") if p.suffix in (".txt", ".yaml", ".yml"))
    if not files:
        raise fail(MonevError(f"tidak ada rencana aksi di {plans_dir}"))
    prefect_port = int(os.environ.get("MONEV_PREFECT_PORT", "4200"))
    http_port = int(os.environ.get("MONEV_HTTP_PORT", "8000"))
    home = monev_home()
    from flows.server import server_env, start_server, stop_server, wait_healthy

    os.environ.update(server_env(home / "prefect", prefect_port))
    smtp_sink = None
    err.print(f"memulai server Prefect di 127.0.0.1:{prefect_port} …")
    server = start_server(home / "prefect", prefect_port)
    try:
        wait_healthy(prefect_port, server)
        plan_import(files, policy=None, config=None, quiet=True)
        _show_upcoming(limit)
        from flows.deployments import runner_deployments

        deployments = compiled_deployments()
        from monev.web import create_app

        web_app = create_app()
        if sink:
            smtp_sink = _start_sinks(web_app, home / "sink", http_port)
        from monev.web import http_host

        web = uvicorn.Server(uvicorn.Config(web_app, host=http_host(), port=http_port,
                                            log_level="warning", access_log=False))
        threading.Thread(target=web.run, daemon=True).start()
        _catch_up(send_now=sink)
        _print_example_feeds()
        from monev.cli.portal import print_example_links

        print_example_links()
        n_sched = sum(len(d.schedules) for d in deployments)
        out.print(f"[bold]{len(deployments)} deployment[/] ({n_sched} jadwal RRule) "
                  f"untuk {len(files)} rencana aksi")
        out.print(f"Prefect UI : http://127.0.0.1:{prefect_port}/deployments")
        out.print(f"Aplikasi   : http://127.0.0.1:{http_port}/health")
        out.print("Tekan Ctrl-C untuk berhenti.")
        from prefect import serve

        serve(*runner_deployments(deployments), pause_on_shutdown=False,
              print_starting_message=False)
    except KeyboardInterrupt:
        pass
    except MonevError as exc:
        raise fail(exc) from exc
    finally:
        err.print("menghentikan server Prefect …")
        stop_server(server)
        if smtp_sink is not None:
            smtp_sink.stop()


def _show_upcoming(limit: int) -> None:
    from sqlalchemy import select

    from monev.store import models as m
    from monev.store.db import open_session_factory

    day = today()
    factory = open_session_factory()
    table = Table(title=f"Checkpoint terdekat sejak {day.isoformat()}")
    for col in ("Tenggat", "Periode", "Satker", "Jenis", "Bukti fisik"):
        table.add_column(col, overflow="fold")
    with factory() as s:
        rows = s.execute(
            select(m.Checkpoint.due, m.Checkpoint.period, m.Satker.name, m.Plan.kind,
                   m.Item.bukti_fisik)
            .join(m.Checkpoint.item).join(m.Item.plan).join(m.Plan.satker)
            .where(m.Checkpoint.due >= day, m.Item.active)
            .order_by(m.Checkpoint.due, m.Satker.name, m.Item.position).limit(limit))
        for due, period, satker, kind, bukti in rows:
            table.add_row(due.isoformat(), period, satker, kind, bukti[:60])
    out.print(table)


def _print_example_feeds() -> None:
    """One Tim ZI feed per stored plan and one index page per satker (created once)."""
    from sqlalchemy import select

    from calendars.service import create_feed, first_active
    from calendars.tokens import feed_secret, token_for
    from monev.store import models as m
    from monev.store.db import monev_home, open_session_factory
    from monev.store.queries import all_plans, plan_ref
    from monev.web import public_url

    secret = feed_secret(monev_home())
    with open_session_factory().begin() as s:
        for plan, satker in all_plans(s):
            feed = first_active(s, "plan", plan_id=plan.id)
            if feed is None:
                feed, _ = create_feed(s, secret, "plan", "Tim ZI",
                                      plan=plan_ref(satker.slug, plan.kind, plan.year))
            out.print(f"Kalender   : {plan.kind} {plan.year} {satker.name}: "
                      f"{public_url()}/feeds/{token_for(feed.nonce, secret)}.ics",
                      highlight=False, soft_wrap=True)
        for satker in s.scalars(select(m.Satker).order_by(m.Satker.slug)):
            index = first_active(s, "index", satker_id=satker.id)
            if index is None:
                index, _ = create_feed(s, secret, "index", "admin", satker=satker.slug)
            out.print(f"Indeks     : {satker.name}: "
                      f"{public_url()}/feeds/{token_for(index.nonce, secret)}/",
                      highlight=False, soft_wrap=True)


def _start_sinks(web_app: Any, directory: Path, http_port: int) -> Any:
    """The local SMTP and WhatsApp sinks of the demo; every channel points at them."""
    from notifiers.sink import sink_env, start_smtp_sink, whatsapp_sink_router

    def arrived(channel: str, recipient: str, subject: str) -> None:
        out.print(f"[green]diterima[/] {channel:8} {recipient}: {subject}", highlight=False)

    smtp_port = int(os.environ.get("MONEV_SMTP_SINK_PORT", "8025"))
    controller = start_smtp_sink(directory, smtp_port, arrived)
    web_app.include_router(whatsapp_sink_router(directory, arrived))
    os.environ.update(sink_env(smtp_port, http_port))
    out.print(f"Sink lokal : SMTP 127.0.0.1:{smtp_port}, WhatsApp "
              f"http://127.0.0.1:{http_port}/sink/whatsapp → {directory}")
    return controller


def _catch_up(send_now: bool) -> None:
    """Today's sweep of every plan, then one dispatcher pass (both as Prefect runs)."""
    from flows.monev_flows import dispatch_outbox, sweep_all

    actions = sweep_all(as_of=today().isoformat())
    sent = dispatch_outbox(send_now=send_now)
    out.print(f"Penyapuan hari ini: {actions} tindakan; {sent} pesan terkirim"
              + ("" if send_now else " (sisanya menunggu jam kerja)"))
