"""``monev`` command line (typer + rich). Help and messages in Bahasa Indonesia.

Commands that need no Prefect never import it, to start fast."""

from __future__ import annotations

import hashlib
import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from monev.clock import today as _today
from monev.errors import MonevError
from monev.grammar import RangePolicy
from monev.model import Plan
from monev.workdays import WorkCalendar

if TYPE_CHECKING:
    from monev.config import MonevConfig

app = typer.Typer(help="monev — jadwal monitoring dan evaluasi Rencana Aksi ZI/RB.",
                  no_args_is_help=True, add_completion=False)
plan_app = typer.Typer(help="Impor, tampilkan, ekspor dan bandingkan dokumen rencana aksi.",
                       no_args_is_help=True)
app.add_typer(plan_app, name="plan")
out = Console()
err = Console(stderr=True)

PolicyOpt = Annotated[str | None, typer.Option(  # noqa: UP007 - typer needs Optional
    "--policy", help="Arti rentang bulan: 'monthly' (tiap bulan, bawaan) atau 'end' "
    "(satu tenggat di akhir rentang).")]
ConfigOpt = Annotated[Path | None, typer.Option(  # noqa: UP007
    "--config", help="Berkas konfigurasi (bawaan: config/monev.yaml atau $MONEV_CONFIG).")]


def _fail(exc: Exception) -> typer.Exit:
    err.print(f"[bold red]Galat:[/] {exc}", highlight=False, soft_wrap=True)
    return typer.Exit(code=2)


def _policy(value: str | None) -> RangePolicy | None:
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


def _calendar_for(cfg: MonevConfig, satker: str) -> WorkCalendar:
    sc = cfg.satker(satker)
    return sc.calendar() if sc else WorkCalendar()


def _load(path: Path, policy: str | None) -> Plan:
    from monev.plans import load_plan

    return load_plan(path, _policy(policy))


@app.command("when")
def when_cmd(
    text: Annotated[str, typer.Argument(help="Teks target waktu, mis. 'Agustus - Desember 2025'.")],
    year: Annotated[int, typer.Option("--year", help="Tahun rencana.")],
    as_json: Annotated[bool, typer.Option("--json", help="Keluaran JSON.")] = False,
    policy: PolicyOpt = None,
) -> None:
    """Jelaskan arti satu teks target waktu: checkpoint dan tenggatnya."""
    from monev.schedule import when_document

    doc = when_document(text, year, WorkCalendar(), _policy(policy) or "monthly")
    if as_json:
        print(json.dumps(doc, ensure_ascii=False))
        return
    table = Table(title=f"'{text}' (tahun {year})")
    table.add_column("Periode")
    table.add_column("Tenggat")
    for cp in doc["checkpoints"]:
        table.add_row(cp["period"], cp["due"])
    out.print(table)
    for w in doc["warnings"]:
        out.print(f"[yellow]peringatan:[/] {w}")


@plan_app.command("show")
def plan_show(
    path: Annotated[Path, typer.Argument(help="Berkas rencana aksi (teks atau YAML).")],
    as_json: Annotated[bool, typer.Option("--json", help="Keluaran JSON (kontrak tetap).")] = False,
    policy: PolicyOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Tampilkan isi rencana aksi dan checkpoint-nya tanpa menyimpan apa pun."""
    from monev.schedule import plan_document

    try:
        plan = _load(path, policy)
        cfg = load_config(config)
    except MonevError as exc:
        raise _fail(exc) from exc
    doc = plan_document(plan, _calendar_for(cfg, plan.header.satker))
    if as_json:
        print(json.dumps(doc, ensure_ascii=False))
        return
    p = doc["plan"]
    out.print(f"[bold]{p['satker']}[/] — {p['kind']} {p['year']} "
              f"(nomor {p['number'] or '-'}, ditetapkan {p['decided_on'] or '-'})")
    table = Table(show_lines=False)
    for col in ("Baris", "Area", "Bukti fisik", "Target waktu", "Checkpoint (tenggat)"):
        table.add_column(col, overflow="fold")
    for it in doc["items"]:
        cps = ", ".join(f"{c['period']} ({c['due'][5:]})" for c in it["checkpoints"]) or "—"
        table.add_row(str(it["source_line"]), it["area"][:24], it["bukti_fisik"][:50],
                      it["target_text"][:30], cps)
    out.print(table)
    n_cp = sum(len(i["checkpoints"]) for i in doc["items"])
    out.print(f"{len(doc['items'])} baris, {n_cp} checkpoint")
    _print_warnings(plan.all_warnings())


def _print_warnings(warnings: list[str]) -> None:
    if warnings:
        out.print(f"[yellow]{len(warnings)} peringatan:[/]")
        for w in warnings:
            out.print(f"  [yellow]•[/] {w}", highlight=False, soft_wrap=True)


@plan_app.command("export")
def plan_export(
    path: Annotated[Path, typer.Argument(help="Berkas rencana aksi.")],
    fmt: Annotated[str, typer.Option("--format", help="Format keluaran: yaml.")] = "yaml",
    output: Annotated[Path | None, typer.Option(  # noqa: UP007
        "--out", "-o", help="Tulis ke berkas ini (bawaan: layar).")] = None,
    policy: PolicyOpt = None,
) -> None:
    """Ekspor rencana aksi ke format kanonik YAML untuk diperbaiki lalu diimpor ulang."""
    from monev.plans.canonical import dump_plan

    if fmt != "yaml":
        raise _fail(MonevError(f"format '{fmt}' tidak dikenal; yang tersedia: yaml"))
    try:
        text = dump_plan(_load(path, policy))
    except MonevError as exc:
        raise _fail(exc) from exc
    if output is None:
        sys.stdout.write(text)
    else:
        tmp = output.with_name(output.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(output)
        err.print(f"ditulis: {output}")


@plan_app.command("diff")
def plan_diff(
    old: Annotated[Path, typer.Argument(help="Versi lama.")],
    new: Annotated[Path, typer.Argument(help="Versi baru (revisi).")],
    policy: PolicyOpt = None,
) -> None:
    """Bandingkan dua versi rencana aksi: baris baru, dihapus, berubah, dan checkpoint."""
    from monev.diff import diff_plans, render_diff

    try:
        a, b = _load(old, policy), _load(new, policy)
    except MonevError as exc:
        raise _fail(exc) from exc
    for line in render_diff(diff_plans(a, b)):
        out.print(line, highlight=False, soft_wrap=True)


@plan_app.command("import")
def plan_import(
    paths: Annotated[list[Path], typer.Argument(help="Satu atau beberapa berkas rencana aksi.")],
    policy: PolicyOpt = None,
    config: ConfigOpt = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Tanpa daftar peringatan.")] = False,
) -> None:
    """Impor rencana aksi ke basis data (revisi bila satker/jenis/tahun sudah ada)."""
    from rich.progress import Progress

    from monev.store.db import open_session_factory
    from monev.store.imports import import_plan

    try:
        cfg = load_config(config)
    except MonevError as exc:
        raise _fail(exc) from exc
    parsed: list[tuple[Plan, str]] = []
    failures: list[str] = []
    with Progress(console=err, transient=True, disable=len(paths) < 2) as bar:
        task = bar.add_task("membaca", total=len(paths))
        for path in paths:
            try:
                parsed.append((_load(path, policy), _sha256(path)))
            except MonevError as exc:
                failures.append(str(exc))
            bar.advance(task)
    if failures:
        for f in failures:
            err.print(f"[bold red]Galat:[/] {f}", highlight=False, soft_wrap=True)
        err.print(f"{len(failures)} berkas gagal dibaca; tidak ada yang disimpan.")
        raise typer.Exit(code=2)
    factory = open_session_factory()
    today = _today()
    table = Table(title="Hasil impor")
    for col in ("Satker", "Jenis", "Tahun", "Revisi", "Baris", "Checkpoint", "Perubahan"):
        table.add_column(col)
    all_warnings: list[str] = []
    with Progress(console=err, transient=True, disable=len(parsed) < 2) as bar:
        task = bar.add_task("menyimpan", total=len(parsed))
        for plan, sha in parsed:
            sc = cfg.satker(plan.header.satker)
            cal = sc.calendar() if sc else WorkCalendar()
            with factory.begin() as session:
                res = import_plan(session, plan, cal, today, sha,
                                  sc.tz if sc else "Asia/Jakarta")
            change = ("sama" if res.unchanged else "baru" if res.revision == 1 else
                      f"+{res.items_added} -{res.items_removed} ~{res.items_changed}")
            h = plan.header
            table.add_row(h.satker, h.kind, str(h.year), str(res.revision), str(res.items),
                          str(res.checkpoints), change)
            if res.revision > 1 and not res.unchanged and len(parsed) == 1:
                for line in res.diff_lines:
                    out.print(line, highlight=False, soft_wrap=True)
            all_warnings += plan.all_warnings()
            bar.advance(task)
    out.print(table)
    _republish()
    if not quiet:
        _print_warnings(all_warnings)


def _republish() -> None:
    """Static feeds follow every change when ``MONEV_FEED_DIR`` is set."""
    if os.environ.get("MONEV_FEED_DIR"):
        from calendars.publish import publish_if_configured

        report = publish_if_configured(_today())
        if report is not None and report.written:
            err.print(f"kalender diterbitkan ulang: {len(report.written)} berkas")
        for problem in report.failed if report else []:
            err.print(f"[bold red]Galat:[/] {problem}", highlight=False)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@plan_app.command("list")
def plan_list() -> None:
    """Daftar rencana aksi yang tersimpan."""
    from sqlalchemy import func, select

    from monev.store import models as m
    from monev.store.db import open_session_factory

    factory = open_session_factory()
    table = Table(title="Rencana aksi tersimpan")
    for col in ("Satker", "Jenis", "Tahun", "Nomor", "Revisi", "Baris", "Checkpoint"):
        table.add_column(col)
    with factory() as s:
        n_items = (select(m.Item.plan_id, func.count().label("n")).where(m.Item.active)
                   .group_by(m.Item.plan_id).subquery())
        n_cps = (select(m.Item.plan_id, func.count(m.Checkpoint.id).label("n"))
                 .join(m.Checkpoint).group_by(m.Item.plan_id).subquery())
        rows = s.execute(
            select(m.Satker.name, m.Plan.kind, m.Plan.year, m.Plan.number, m.Plan.revision,
                   n_items.c.n, n_cps.c.n)
            .join(m.Plan.satker).outerjoin(n_items, n_items.c.plan_id == m.Plan.id)
            .outerjoin(n_cps, n_cps.c.plan_id == m.Plan.id)
            .order_by(m.Satker.name, m.Plan.kind, m.Plan.year))
        for row in rows:
            table.add_row(*(str(v) if v is not None else "-" for v in row))
    out.print(table)


def main() -> None:
    app()


def _show_upcoming(limit: int) -> None:
    from sqlalchemy import select

    from monev.store import models as m
    from monev.store.db import open_session_factory

    today = _today()
    factory = open_session_factory()
    table = Table(title=f"Checkpoint terdekat sejak {today.isoformat()}")
    for col in ("Tenggat", "Periode", "Satker", "Jenis", "Bukti fisik"):
        table.add_column(col, overflow="fold")
    with factory() as s:
        rows = s.execute(
            select(m.Checkpoint.due, m.Checkpoint.period, m.Satker.name, m.Plan.kind,
                   m.Item.bukti_fisik)
            .join(m.Checkpoint.item).join(m.Item.plan).join(m.Plan.satker)
            .where(m.Checkpoint.due >= today, m.Item.active)
            .order_by(m.Checkpoint.due, m.Satker.name, m.Item.position).limit(limit))
        for due, period, satker, kind, bukti in rows:
            table.add_row(due.isoformat(), period, satker, kind, bukti[:60])
    out.print(table)


def _compiled_deployments(include_safety_net: bool = True) -> list[Any]:
    from flows.deployments import compile_plan_deployments, dispatcher, safety_net
    from monev.store.db import open_session_factory

    cfg = load_config(None)
    factory = open_session_factory()
    with factory() as s:
        deployments = compile_plan_deployments(s, cfg, _today())
    return deployments + ([safety_net(), dispatcher()] if include_safety_net else [])


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
        raise _fail(MonevError(f"tidak ada rencana aksi di {plans_dir}"))
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

        deployments = _compiled_deployments()
        from monev.web import create_app

        web_app = create_app()
        if sink:
            smtp_sink = _start_sinks(web_app, home / "sink", http_port)
        web = uvicorn.Server(uvicorn.Config(web_app, host="127.0.0.1", port=http_port,
                                            log_level="warning", access_log=False))
        threading.Thread(target=web.run, daemon=True).start()
        _catch_up(send_now=sink)
        _print_example_feeds()
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
        raise _fail(exc) from exc
    finally:
        err.print("menghentikan server Prefect …")
        stop_server(server)
        if smtp_sink is not None:
            smtp_sink.stop()


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

    actions = sweep_all(as_of=_today().isoformat())
    sent = dispatch_outbox(send_now=send_now)
    out.print(f"Penyapuan hari ini: {actions} tindakan; {sent} pesan terkirim"
              + ("" if send_now else " (sisanya menunggu jam kerja)"))


@app.command("deploy")
def deploy(
    work_pool: Annotated[str, typer.Option("--work-pool", help="Nama work pool Prefect.")],
) -> None:
    """Daftarkan deployment semua rencana ke server Prefect ($PREFECT_API_URL)."""
    import asyncio
    import time as _time

    from flows.register import register

    started = _time.monotonic()
    deployments = _compiled_deployments()
    count = asyncio.run(register(deployments, work_pool))
    out.print(f"{count} deployment terdaftar di work pool '{work_pool}' dalam "
              f"{_time.monotonic() - started:.1f} detik")


@app.command("simulate")
def simulate_cmd(
    plan_path: Annotated[Path, typer.Argument(help="Berkas rencana aksi (teks atau YAML).")],
    start: Annotated[str, typer.Option("--from", help="Tanggal awal (YYYY-MM-DD).")],
    end: Annotated[str, typer.Option("--to", help="Tanggal akhir (YYYY-MM-DD).")],
    as_json: Annotated[bool, typer.Option("--json", help="Keluaran JSON.")] = False,
    submit: Annotated[list[str] | None, typer.Option(
        "--submit", help="KUNCI@PERIODE=YYYY-MM-DD: bukti dianggap masuk pada tanggal itu "
                         "(boleh berulang).")] = None,
    config: ConfigOpt = None,
    policy: PolicyOpt = None,
) -> None:
    """Pratinjau: jalankan siklus monev hari demi hari tanpa mengirim apa pun."""
    from monev.engine.simulate import simulate

    try:
        d1, d2 = date.fromisoformat(start), date.fromisoformat(end)
        submissions = {ref: date.fromisoformat(on) for ref, _, on in
                       (s.partition("=") for s in submit or [])}
    except ValueError as exc:
        raise _fail(MonevError(f"tanggal tidak sah: {exc}")) from exc
    try:
        plan = _load(plan_path, policy)
        cfg = load_config(config)
        records = simulate(plan, d1, d2, cfg.satker(plan.header.satker), submissions)
    except MonevError as exc:
        raise _fail(exc) from exc
    if as_json:
        print(json.dumps([r.as_json() for r in records], ensure_ascii=False))
        return
    labels = {"open": "dibuka", "remind": "pengingat", "escalate": "eskalasi",
              "digest": "ringkasan", "cycle": "monev", "backlog": "tunggakan"}
    table = Table(title=f"Simulasi {plan.header.satker} {plan.header.kind} "
                        f"{plan.header.year}: {d1} s.d. {d2}")
    for col in ("Tanggal", "Tindakan", "Periode", "Peran", "Penerima", "Bukti fisik"):
        table.add_column(col, overflow="fold")
    for r in records:
        table.add_row(r.date, labels.get(r.action, r.action), r.period[:40], r.recipient_role,
                      r.recipient or "(belum diatur)", r.bukti_fisik[:40])
    out.print(table)
    counts: dict[str, int] = {}
    for r in records:
        counts[r.action] = counts.get(r.action, 0) + 1
    out.print(", ".join(f"{labels.get(k, k)}: {v}" for k, v in sorted(counts.items())))


evidence_app = typer.Typer(help="Kirim, terima atau tolak bukti fisik sebuah checkpoint.",
                           no_args_is_help=True)
app.add_typer(evidence_app, name="evidence")


@app.command("tasks")
def tasks_cmd(
    person: Annotated[str | None, typer.Option("--person", help="Nama PIC.")] = None,
    area: Annotated[str | None, typer.Option("--area", help="Bagian nama area.")] = None,
    status: Annotated[str | None, typer.Option("--status", help="Status checkpoint.")] = None,
    due_before: Annotated[str | None, typer.Option(
        "--due-before", help="Tenggat paling lambat (YYYY-MM-DD).")] = None,
    limit: Annotated[int, typer.Option("--limit", help="Jumlah baris.")] = 50,
) -> None:
    """Daftar tugas bukti: per orang, area, status atau tenggat."""
    from sqlalchemy import select

    from monev.engine.people import holders
    from monev.store import models as m
    from monev.store.db import open_session_factory

    cfg = load_config(None)
    factory = open_session_factory()
    table = Table(title="Tugas bukti fisik")
    for col in ("Checkpoint", "Status", "Tenggat", "Satker", "Area", "PIC", "Bukti fisik"):
        table.add_column(col, overflow="fold")
    shown = 0
    with factory() as s:
        query = (select(m.Checkpoint, m.Item, m.Area.name, m.Satker.name)
                 .join(m.Checkpoint.item).join(m.Item.area).join(m.Item.plan)
                 .join(m.Plan.satker).where(m.Item.active)
                 .order_by(m.Checkpoint.due, m.Item.position))
        if status:
            query = query.where(m.Checkpoint.status == status)
        if due_before:
            query = query.where(m.Checkpoint.due <= date.fromisoformat(due_before))
        for cp, item, area_name, satker in s.execute(query).tuples():
            if area and area.casefold() not in area_name.casefold():
                continue
            sc = cfg.satker(satker)
            pics = [p.name for p in holders("pic", area_name, item.komponen,
                                            sc.people if sc else [])]
            if person and not any(person.casefold() in p.casefold() for p in pics):
                continue
            table.add_row(f"{item.key}@{cp.period}", cp.status, cp.due.isoformat(), satker,
                          area_name[:30], ", ".join(pics) or "-", item.bukti_fisik[:50])
            shown += 1
            if shown >= limit:
                break
    out.print(table)


def _evidence_action(ref: str, verb: str, actor: str, note: str = "",
                     file: Path | None = None, link: str | None = None) -> None:
    from monev.engine import lifecycle
    from monev.store.db import monev_home, open_session_factory

    factory = open_session_factory()
    try:
        with factory.begin() as s:
            cp = lifecycle.find_checkpoint(s, ref)
            if verb == "submit" and file is not None:
                lifecycle.submit_file(s, cp, file, actor, monev_home())
            elif verb == "submit" and link is not None:
                lifecycle.submit_link(s, cp, link, actor)
            elif verb == "submit":
                raise MonevError("berikan --file BERKAS atau --link URL")
            else:
                lifecycle.transition(s, cp, verb, actor, note)
            out.print(f"checkpoint {ref}: status sekarang [bold]{cp.status}[/]")
        _republish()
    except MonevError as exc:
        raise _fail(exc) from exc


@evidence_app.command("submit")
def evidence_submit(
    checkpoint: Annotated[str, typer.Argument(help="KUNCI@PERIODE atau nomor checkpoint.")],
    by: Annotated[str, typer.Option("--by", help="Nama pengirim.")],
    file: Annotated[Path | None, typer.Option("--file", help="Berkas bukti.")] = None,
    link: Annotated[str | None, typer.Option("--link", help="Tautan bukti.")] = None,
) -> None:
    """Kirim bukti fisik (berkas atau tautan)."""
    _evidence_action(checkpoint, "submit", by, file=file, link=link)


@evidence_app.command("accept")
def evidence_accept(
    checkpoint: Annotated[str, typer.Argument(help="KUNCI@PERIODE atau nomor checkpoint.")],
    by: Annotated[str, typer.Option("--by", help="Nama pemeriksa.")],
    note: Annotated[str, typer.Option("--note", help="Catatan.")] = "",
) -> None:
    """Terima bukti: status menjadi terverifikasi."""
    _evidence_action(checkpoint, "accept", by, note)


@evidence_app.command("reject")
def evidence_reject(
    checkpoint: Annotated[str, typer.Argument(help="KUNCI@PERIODE atau nomor checkpoint.")],
    by: Annotated[str, typer.Option("--by", help="Nama pemeriksa.")],
    reason: Annotated[str, typer.Option("--reason", help="Alasan penolakan (wajib).")],
) -> None:
    """Tolak bukti dengan alasan: tugas kembali ke PIC."""
    _evidence_action(checkpoint, "reject", by, reason)


notify_app = typer.Typer(help="Pengiriman pesan: uji kanal, kirim antrean.", no_args_is_help=True)
app.add_typer(notify_app, name="notify")


@app.command("outbox")
def outbox_cmd(
    status: Annotated[str | None, typer.Option(
        "--status", help="pending, sending, sent, failed, uncertain, dismissed")] = None,
    limit: Annotated[int, typer.Option("--limit", help="Jumlah baris.")] = 50,
    resend: Annotated[list[int] | None, typer.Option(
        "--resend", help="Kirim ulang baris gagal/tidak pasti ini (keputusan admin).")] = None,
    dismiss: Annotated[list[int] | None, typer.Option(
        "--dismiss", help="Tutup baris gagal/tidak pasti ini tanpa mengirim.")] = None,
) -> None:
    """Antrean pesan keluar: menunggu, terkirim, gagal, tidak pasti — dengan alasannya."""
    from datetime import datetime

    from sqlalchemy import func, select, update

    from monev.store import models as m
    from monev.store.db import open_session_factory

    factory = open_session_factory()
    for ids, values in ((resend, {"status": "pending", "not_before": datetime.utcnow()}),
                        (dismiss, {"status": "dismissed"})):
        if not ids:
            continue
        with factory.begin() as s:
            changed = s.execute(update(m.Outbox).where(
                m.Outbox.id.in_(ids), m.Outbox.status.in_(("failed", "uncertain")))
                .values(**values).returning(m.Outbox.id)).scalars().all()
        missing = sorted(set(ids) - set(changed))
        out.print(f"{values['status']}: {', '.join(map(str, sorted(changed))) or '-'}")
        if missing:
            err.print(f"bukan baris gagal/tidak pasti: {', '.join(map(str, missing))}")
    with factory() as s:
        counts = dict(s.execute(select(m.Outbox.status, func.count())
                                .group_by(m.Outbox.status)).tuples().all())
        query = select(m.Outbox).order_by(m.Outbox.id.desc()).limit(limit)
        if status:
            query = query.where(m.Outbox.status == status)
        rows = s.scalars(query).all()
    out.print(", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "antrean kosong")
    table = Table(title="Pesan keluar")
    for col in ("ID", "Hari", "Penerima", "Kanal", "Status", "Coba", "Subjek", "Alasan"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(str(r.id), r.day.isoformat(), r.person, r.channel, r.status,
                      str(r.attempts), r.subject[:60], r.last_error[:60])
    out.print(table)


@notify_app.command("send")
def notify_send(limit: Annotated[int, typer.Option("--limit")] = 1000) -> None:
    """Kirim sekarang pesan antrean yang sudah waktunya (tanpa Prefect)."""
    from monev.store.db import open_session_factory
    from notifiers.dispatch import dispatch

    report = dispatch(open_session_factory(), limit=limit)
    out.print(f"terkirim {len(report.sent)}, diulang nanti {len(report.retrying)}, "
              f"gagal {len(report.failed)}, tidak pasti {len(report.uncertain)}")
    for row_id, error in report.failed + report.retrying:
        out.print(f"  [yellow]#{row_id}[/]: {error}", highlight=False)


@notify_app.command("test")
def notify_test(
    person: Annotated[str, typer.Argument(help="Nama orang di konfigurasi.")],
    config: ConfigOpt = None,
) -> None:
    """Kirim satu pesan uji ke setiap kanal orang ini."""
    from notifiers.dispatch import SendError, send_message
    from notifiers.messages import render_test
    from notifiers.outbox import address_of

    cfg = load_config(config)
    found = [(sc, p) for sc in cfg.satkers for p in sc.people
             if p.name.casefold() == person.casefold()]
    if not found:
        raise _fail(MonevError(f"'{person}' tidak ada di konfigurasi"))
    satker, who = found[0]
    failed = False
    for channel in who.channels:
        address = address_of(who, channel)
        if not address:
            err.print(f"{channel}: alamat belum diisi")
            failed = True
            continue
        subject, body = render_test(who.name, satker.name, channel)
        try:
            send_message(channel, address, subject, body)
            out.print(f"{channel}: terkirim ke {address}")
        except (SendError, MonevError) as exc:
            err.print(f"{channel}: gagal — {exc}")
            failed = True
    if failed:
        raise typer.Exit(code=1)


feed_app = typer.Typer(help="Kalender iCal: buat, daftar, ganti token, cabut, terbitkan.",
                       no_args_is_help=True)
app.add_typer(feed_app, name="feed")


def _print_links(feed_id: int, title: str, token: str) -> None:
    from calendars.service import feed_links
    from monev.web import public_url

    links = feed_links(public_url(), token)
    out.print(f"[bold]#{feed_id}[/] {title}", highlight=False)
    for label, key in (("https ", "url"), ("webcal", "webcal"), ("Google", "google")):
        out.print(f"  {label}: {links[key]}", highlight=False, soft_wrap=True)


@feed_app.command("create")
def feed_create(
    label: Annotated[str, typer.Option("--for", help="Pelanggan, mis. 'Tim ZI'.")],
    plan: Annotated[str | None, typer.Option(
        "--plan", help="Rencana aksi (satker-slug/zi-2025) untuk kalender Tim ZI.")] = None,
    area: Annotated[str | None, typer.Option("--area", help="Area (bersama --plan).")] = None,
    person: Annotated[str | None, typer.Option(
        "--person", help="Nama orang (bersama --satker).")] = None,
    satker: Annotated[str | None, typer.Option("--satker", help="Nama atau slug satker.")] = None,
    province: Annotated[str | None, typer.Option(
        "--province", help="Rekap semua satker satu provinsi.")] = None,
    index: Annotated[bool, typer.Option(
        "--index", help="Halaman indeks kalender satker (bersama --satker).")] = False,
    config: ConfigOpt = None,
) -> None:
    """Buat langganan kalender; tautannya rahasia dan hanya tampil di sini."""
    from calendars.pages import feed_title
    from calendars.service import create_feed
    from calendars.tokens import feed_secret
    from monev.store.db import monev_home, open_session_factory

    scope = ("index" if index else "province" if province else "person" if person
             else "area" if area else "plan")
    value = province or person or area or ""
    try:
        cfg = load_config(config)
        with open_session_factory().begin() as s:
            row, token = create_feed(s, feed_secret(monev_home()), scope, label, plan=plan,
                                     value=value, satker=satker, cfg=cfg)
            title = feed_title(s, row)
            feed_id = row.id
    except MonevError as exc:
        raise _fail(exc) from exc
    if scope == "index":
        from monev.web import public_url

        out.print(f"[bold]#{feed_id}[/] Indeks kalender: {public_url()}/feeds/{token}/",
                  highlight=False, soft_wrap=True)
    else:
        _print_links(feed_id, title, token)


@feed_app.command("list")
def feed_list(
    links: Annotated[bool, typer.Option("--links", help="Tampilkan juga tautannya.")] = False,
) -> None:
    """Daftar langganan kalender (tanpa token, kecuali --links)."""
    from sqlalchemy import select

    from calendars.pages import feed_title
    from calendars.tokens import feed_secret, token_for
    from monev.store import models as m
    from monev.store.db import monev_home, open_session_factory

    table = Table(title="Kalender")
    for col in ("ID", "Cakupan", "Kalender", "Untuk", "Dibuat", "Status"):
        table.add_column(col, overflow="fold")
    secret = feed_secret(monev_home()) if links else b""
    shown: list[tuple[int, str, str]] = []
    with open_session_factory()() as s:
        for f in s.scalars(select(m.Feed).order_by(m.Feed.id)):
            state, title = "dicabut" if f.revoked_at else "aktif", feed_title(s, f)
            table.add_row(str(f.id), f.scope, title, f.label, f"{f.created_at:%Y-%m-%d}",
                          state)
            if links and not f.revoked_at and f.scope != "index":
                shown.append((f.id, title, token_for(f.nonce, secret)))
    out.print(table)
    for feed_id, title, token in shown:
        _print_links(feed_id, title, token)


@feed_app.command("rotate")
def feed_rotate(feed_id: Annotated[int, typer.Argument(help="Nomor kalender.")]) -> None:
    """Ganti token: tautan lama langsung berhenti bekerja."""
    from calendars.pages import feed_title
    from calendars.service import rotate_feed
    from calendars.tokens import feed_secret
    from monev.store import models as m
    from monev.store.db import monev_home, open_session_factory

    try:
        with open_session_factory().begin() as s:
            token = rotate_feed(s, feed_id, feed_secret(monev_home()))
            row = s.get(m.Feed, feed_id)
            title = feed_title(s, row) if row else ""
    except MonevError as exc:
        raise _fail(exc) from exc
    _print_links(feed_id, title, token)


@feed_app.command("revoke")
def feed_revoke(feed_id: Annotated[int, typer.Argument(help="Nomor kalender.")]) -> None:
    """Cabut langganan: tautannya menjawab 404."""
    from calendars.service import revoke_feed
    from monev.store.db import open_session_factory

    try:
        with open_session_factory().begin() as s:
            revoke_feed(s, feed_id)
    except MonevError as exc:
        raise _fail(exc) from exc
    out.print(f"kalender #{feed_id} dicabut")


@feed_app.command("publish")
def feed_publish(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder tujuan berkas .ics.")],
) -> None:
    """Terbitkan semua kalender aktif sebagai berkas statis (atomik, hanya yang berubah)."""
    from calendars.publish import publish_dir

    report = publish_dir(out_dir, _today())
    out.print(f"{len(report.written)} ditulis, {report.unchanged} tidak berubah, "
              f"{len(report.removed)} dihapus → {out_dir}")
    for problem in report.failed:
        err.print(f"[bold red]Galat:[/] {problem}", highlight=False)
    if report.failed:
        raise typer.Exit(code=1)
