"""``monev when`` and ``monev plan …``: read, show, export, compare and import plans."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from rich.table import Table

from app.cli.app import app
from app.cli.common import (
    ConfigOpt,
    PolicyOpt,
    calendar_for,
    check_output,
    describe_error,
    err,
    fail,
    load_config,
    load_plan_file,
    out,
    policy_of,
    print_warnings,
    republish,
    today,
)
from app.cli.engine import sync_deployments
from app.cli.listing import Column, Listing
from monev.errors import MonevError
from monev.model import Plan
from monev.workdays import WorkCalendar

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from monev.config import MonevConfig
    from monev.store.imports import ImportResult

YEARS = (1990, 2200)  # the years a plan can have (as in the canonical YAML)
FORMATS_HELP = ("Berkas rencana aksi: .docx, .xlsx, .pdf, ekspor teks (TAB), teks salinan "
                "PDF, atau YAML kanonik.")
plan_app = typer.Typer(help="Impor, tampilkan, ekspor dan bandingkan dokumen rencana aksi.",
                       no_args_is_help=True)
app.add_typer(plan_app, name="plan")


@app.command("when")
def when_cmd(
    text: Annotated[str, typer.Argument(help="Teks target waktu, mis. 'Agustus - Desember 2025'.")],
    year: Annotated[int, typer.Option("--year", help="Tahun rencana.")],
    as_json: Annotated[bool, typer.Option("--json", help="Keluaran JSON.")] = False,
    policy: PolicyOpt = None,
) -> None:
    """Jelaskan arti satu teks target waktu: checkpoint dan tenggatnya."""
    from monev.schedule import when_document

    if not YEARS[0] <= year <= YEARS[1]:
        raise fail(MonevError(f"--year harus tahun empat angka {YEARS[0]}–{YEARS[1]}, "
                              f"bukan {year}"))
    doc = when_document(text, year, WorkCalendar(), policy_of(policy) or "monthly")
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
    path: Annotated[Path, typer.Argument(help=FORMATS_HELP)],
    as_json: Annotated[bool, typer.Option("--json", help="Keluaran JSON (kontrak tetap).")] = False,
    policy: PolicyOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Tampilkan isi rencana aksi dan checkpoint-nya tanpa menyimpan apa pun."""
    from monev.schedule import plan_document

    try:
        plan = load_plan_file(path, policy)
        cfg = load_config(config)
    except MonevError as exc:
        raise fail(exc) from exc
    doc = plan_document(plan, calendar_for(cfg, plan.header.satker))
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
    print_warnings(plan.all_warnings())


@plan_app.command("export")
def plan_export(
    path: Annotated[Path, typer.Argument(help=FORMATS_HELP)],
    fmt: Annotated[str, typer.Option("--format", help="Format keluaran: yaml.")] = "yaml",
    output: Annotated[Path | None, typer.Option(  # noqa: UP007
        "--out", "-o", help="Tulis ke berkas ini (bawaan: layar).")] = None,
    policy: PolicyOpt = None,
) -> None:
    """Ekspor rencana aksi (format apa pun) ke YAML kanonik untuk diperbaiki lalu diimpor
    ulang; setiap baris bertanda diberi komentar '# PERINGATAN: …'."""
    from monev.plans.canonical import dump_plan

    if fmt != "yaml":
        raise fail(MonevError(f"format '{fmt}' tidak dikenal; yang tersedia: yaml"))
    try:
        if output is not None:
            check_output(output)
        text = dump_plan(load_plan_file(path, policy))
    except MonevError as exc:
        raise fail(exc) from exc
    if output is None:
        sys.stdout.write(text)
        return
    tmp = output.with_name(output.name + ".tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(output)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise fail(MonevError(f"{output} tidak dapat ditulis: {exc.strerror}")) from exc
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
        a, b = load_plan_file(old, policy), load_plan_file(new, policy)
    except MonevError as exc:
        raise fail(exc) from exc
    for line in render_diff(diff_plans(a, b)):
        out.print(line, highlight=False, soft_wrap=True)


@plan_app.command("import")
def plan_import(
    paths: Annotated[list[Path], typer.Argument(
        help="Satu atau beberapa berkas rencana aksi (.docx, .xlsx, .pdf, teks, YAML).")],
    policy: PolicyOpt = None,
    config: ConfigOpt = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Tanpa daftar peringatan.")] = False,
    force: Annotated[bool, typer.Option(
        "--force", help="Impor juga berkas yang isinya sama dengan revisi lama (menimpa "
                        "revisi yang lebih baru).")] = False,
    carry: Annotated[bool, typer.Option(
        "--carry-over", help="Bawa baris yang belum selesai dari rencana tahun sebelumnya "
                             "(satker dan jenis yang sama) ke rencana baru ini.")] = False,
) -> None:
    """Impor rencana aksi ke basis data (revisi bila satker/jenis/tahun sudah ada).

    Semua berkas disimpan dalam satu transaksi: satu gagal, tidak ada yang disimpan."""
    from monev.store.db import allow_creating_home

    allow_creating_home()
    try:
        cfg = load_config(config)
    except MonevError as exc:
        raise fail(exc) from exc
    try:
        parsed, results = import_files(paths, policy, cfg, force, carry)
    except MonevError as exc:
        err.print(f"[bold red]Galat:[/] {exc}", highlight=False, soft_wrap=True)
        err.print("tidak ada yang disimpan.")
        raise typer.Exit(code=2) from exc
    out.print(import_table(parsed, results))
    if len(parsed) == 1 and results[0].revision > 1 and not results[0].unchanged:
        for line in results[0].diff_lines:
            out.print(line, highlight=False, soft_wrap=True)
    republish()
    _sync_if_configured()
    if not quiet:
        from monev.schedule import plan_due_notes

        notes = [n for plan, _ in parsed
                 for n in plan.all_warnings() + [x for item in plan_due_notes(
                     plan, calendar_for(cfg, plan.header.satker)) for x in item]]
        print_warnings(notes)


def _sync_if_configured() -> None:
    """With a Prefect server (``PREFECT_API_URL``) and a work pool (``MONEV_WORK_POOL``)
    configured, an import brings the deployments up to date at once."""
    import os

    pool = os.environ.get("MONEV_WORK_POOL")
    if not (pool and os.environ.get("PREFECT_API_URL")):
        return

    try:
        report = sync_deployments(pool)
    except MonevError as exc:
        err.print(f"[yellow]deployment belum diselaraskan:[/] {exc}", highlight=False)
        return
    err.print(f"deployment di '{pool}': {len(report.created)} dibuat, {len(report.updated)} "
              f"diperbarui, {len(report.deleted)} dihapus")


def read_plans(paths: list[Path], policy: str | None,
               ) -> tuple[list[tuple[Plan, str]], list[str]]:
    """Parse every file (on every core when there are many): (plan, content hash)
    pairs and the error of each file that could not be read."""
    from monev.plans.parallel import read_all

    parsed: list[tuple[Plan, str]] = []
    failures: list[str] = []
    for found in read_all(paths, policy_of(policy)):
        if found.plan is None:
            failures.append(found.error or str(found.path))
        else:
            parsed.append((found.plan, found.sha256))
    return parsed, failures


class ImportFailed(MonevError):
    """Some files could not be read; the batch was not stored."""


def import_files(paths: list[Path], policy: str | None, cfg: MonevConfig,
                 force: bool = False, carry: bool = False,
                 ) -> tuple[list[tuple[Plan, str]], list[ImportResult]]:
    """Read and store every file in one transaction — files are parsed in worker
    processes while this one writes those already read — and keep nothing if any file
    fails to read or to store (every unreadable file is named)."""
    from contextlib import ExitStack

    from rich.progress import Progress
    from sqlalchemy.exc import SQLAlchemyError

    from monev.plans.parallel import read_all
    from monev.store.db import display_url, open_session_factory
    from monev.store.imports import Deferred, import_one, lock_imports

    found = read_all(paths, policy_of(policy))  # starts the workers before any connection
    parsed: list[tuple[Plan, str]] = []
    results: list[ImportResult] = []
    failures: list[str] = []
    factory = None
    defer = Deferred()  # first imports' rows, written many plans at a time
    try:
        with Progress(console=err, transient=True, disable=len(paths) < 2) as bar, \
                ExitStack() as stack:
            task = bar.add_task("membaca dan menyimpan", total=len(paths))
            session = None
            for item in found:
                bar.advance(task)
                if item.plan is None:
                    failures.append(item.error or str(item.path))
                    continue
                if failures:
                    continue  # nothing more is written; the rest is read to name every error
                if session is None:  # the database is opened (or made) for a readable plan
                    factory = open_session_factory()
                    session = stack.enter_context(factory.begin())
                    lock_imports(session)
                parsed.append((item.plan, item.sha256))
                results.append(import_one(session, item.plan, item.sha256, cfg, force, defer))
            if failures:
                for problem in failures:
                    err.print(f"[bold red]Galat:[/] {problem}", highlight=False,
                              soft_wrap=True)
                raise ImportFailed(f"{len(failures)} berkas gagal dibaca")
            if session is not None:
                defer.flush(session)
            if carry and session is not None:  # in the same transaction: all or nothing
                _carry(session, parsed, results, cfg)
    except SQLAlchemyError as exc:
        raise MonevError(f"penyimpanan ke {display_url()} gagal: "
                         f"{describe_error(exc) or type(exc).__name__}") from exc
    finally:
        if factory is not None:
            factory.kw["bind"].dispose()
    return parsed, results


def store_plans(parsed: list[tuple[Plan, str]], cfg: MonevConfig, force: bool = False,
                carry: bool = False) -> list[ImportResult]:
    """Write plans already parsed in one transaction (with the open rows of last year's
    plans when ``carry``); a database failure is one message and leaves nothing behind."""
    from sqlalchemy.exc import SQLAlchemyError

    from monev.store.db import display_url, open_session_factory
    from monev.store.imports import import_batch

    factory = open_session_factory()
    try:
        with factory.begin() as session:
            results = import_batch(session, parsed, cfg, force)
            if carry:  # in the same transaction: all or nothing
                _carry(session, parsed, results, cfg)
            return results
    except SQLAlchemyError as exc:
        raise MonevError(f"penyimpanan ke {display_url()} gagal: "
                         f"{describe_error(exc) or type(exc).__name__}") from exc
    finally:
        factory.kw["bind"].dispose()


def _carry(session: Session, parsed: list[tuple[Plan, str]], results: list[ImportResult],
           cfg: MonevConfig) -> None:
    from monev.clock import DEFAULT_TZ
    from monev.store.carry import carry_over

    for (plan, _), res in zip(parsed, results, strict=True):
        sc = cfg.satker(plan.header.satker)
        done = carry_over(session, res.plan_id, sc.calendar() if sc else WorkCalendar(),
                          today(sc.tz if sc else DEFAULT_TZ), _actor())
        h = plan.header
        if not done.source:
            err.print(f"{h.kind} {h.year} {h.satker}: tidak ada rencana {h.kind} "
                      f"{h.year - 1}; tidak ada yang dibawa")
        else:
            err.print(f"{h.kind} {h.year} {h.satker}: {done.rows} baris belum selesai dibawa "
                      f"dari {done.source}", highlight=False)


def _actor() -> str:
    """Who runs an admin command, for the audit trail."""
    import getpass

    try:
        return f"admin ({getpass.getuser()})"
    except (KeyError, OSError):
        return "admin"


def import_table(parsed: list[tuple[Plan, str]], results: list[ImportResult]) -> Table:
    table = Table(title="Hasil impor")
    for col in ("Satker", "Jenis", "Tahun", "Revisi", "Baris", "Checkpoint", "Perubahan"):
        table.add_column(col)
    for (plan, _), res in zip(parsed, results, strict=True):
        change = ("sama" if res.unchanged else "baru" if res.revision == 1 else
                  f"+{res.items_added} -{res.items_removed} ~{res.items_changed}")
        h = plan.header
        table.add_row(h.satker, h.kind, str(h.year), str(res.revision), str(res.items),
                      str(res.checkpoints), change)
    return table


@plan_app.command("list")
def plan_list(
    as_json: Annotated[bool, typer.Option(
        "--json", help="Keluaran JSON: larik objek (lihat docs/cli-json.md).")] = False,
) -> None:
    """Daftar rencana aksi yang tersimpan, dengan ID-nya (untuk --plan) dan capaiannya."""
    from sqlalchemy import case, func, select

    from monev.store import models as m
    from monev.store.db import open_session_factory
    from monev.store.plan_status import current_status
    from monev.store.queries import plan_ref

    factory = open_session_factory()
    cfg = load_config(None)
    day = today()
    listing = Listing(f"Rencana aksi tersimpan (capaian per {day:%d-%m-%Y})", [
        Column("ID rencana"), Column("Satker", "text"), Column("Jenis"), Column("Tahun"),
        Column("Nomor", "text"), Column("Revisi"), Column("Baris"), Column("Checkpoint"),
        Column("Capaian"), Column("Status")])
    with factory() as s:
        n_items = (select(m.Item.plan_id, func.count().label("n")).where(m.Item.active)
                   .group_by(m.Item.plan_id).subquery())
        is_due = m.Checkpoint.due <= day
        n_cps = (select(m.Item.plan_id, func.count(m.Checkpoint.id).label("n"),
                        func.sum(case((is_due, 1), else_=0)).label("due"),
                        func.sum(case((is_due & (m.Checkpoint.status == "verified"), 1),
                                      else_=0)).label("done"),
                        func.max(m.Checkpoint.due).label("last"))
                 .join(m.Checkpoint).where(m.Item.active).group_by(m.Item.plan_id)
                 .subquery())
        rows = s.execute(
            select(m.Satker.slug, m.Satker.name, m.Plan.kind, m.Plan.year, m.Plan.number,
                   m.Plan.revision, n_items.c.n, n_cps.c.n, n_cps.c.due, n_cps.c.done,
                   m.Plan.status, m.Plan.status_manual, n_cps.c.last)
            .join(m.Plan.satker).outerjoin(n_items, n_items.c.plan_id == m.Plan.id)
            .outerjoin(n_cps, n_cps.c.plan_id == m.Plan.id)
            .order_by(m.Satker.name, m.Plan.kind, m.Plan.year))
        for (slug, name, kind, year, number, revision, items, cps, due, done, status, manual,
             last) in rows:
            capaian = f"{done}/{due} ({100 * done / due:.0f}%)" if due else "-"
            # by the dates, as the next sweep will record it (and the portal shows it)
            status = current_status(status, manual, last, day, cfg.grace_months(name))
            ref = plan_ref(slug, kind, year)
            listing.add(
                {"plan_id": ref, "satker": name, "kind": kind, "year": year,
                 "number": number or None, "revision": revision, "items": items or 0,
                 "checkpoints": cps or 0, "as_of": day.isoformat(),
                 "checkpoints_due": due or 0, "checkpoints_verified": done or 0,
                 "achievement_percent": round(100 * done / due, 1) if due else None,
                 "last_due": last.isoformat() if last else None, "status": status,
                 "status_manual": bool(manual)},
                [ref, name, kind, str(year), number or "-", str(revision), str(items or 0),
                 str(cps or 0), capaian, status])
    factory.kw["bind"].dispose()
    listing.print(as_json)


PlanRef = Annotated[str, typer.Argument(
    help="ID rencana seperti di `monev plan list`, mis. kpu-kota-jambi/zi-2025.")]
ReasonOpt = Annotated[str, typer.Option("--reason", help="Alasan (dicatat di jejak audit).")]


@plan_app.command("close")
def plan_close(ref: PlanRef, reason: ReasonOpt = "") -> None:
    """Tutup rencana aksi sekarang (selesai): tanpa pengingat dan eskalasi, laporan akhir
    dibuat sekali, deployment-nya dihapus dari Prefect. Untuk admin; dicatat."""
    _change_status(ref, "close", reason)


@plan_app.command("reopen")
def plan_reopen(ref: PlanRef, reason: ReasonOpt = "") -> None:
    """Buka kembali rencana aksi yang selesai; tetap aktif sampai admin menutupnya lagi.
    Untuk admin; dicatat."""
    _change_status(ref, "reopen", reason)


def _change_status(ref: str, verb: Literal["close", "reopen"], reason: str) -> None:
    from monev.clock import DEFAULT_TZ
    from monev.store import plan_status
    from monev.store.db import open_session_factory
    from monev.store.queries import find_plan

    factory = open_session_factory()
    try:
        with factory.begin() as s:
            plan, satker = find_plan(s, ref)
            status = plan_status.change(s, plan.id, verb, _actor(), reason,
                                        today(satker.timezone or DEFAULT_TZ),
                                        load_config(None).grace_months(satker.name))
    except MonevError as exc:
        raise fail(exc) from exc
    finally:
        factory.kw["bind"].dispose()
    out.print(f"{ref}: {status}" + (
        "; laporan akhir dibuat pada sapuan berikutnya, deployment dihapus (monev up yang "
        "berjalan memuatnya ulang sendiri; dengan work pool: `monev deploy`)"
        if verb == "close" else
        "; pengingat berjalan lagi, deployment kembali (monev up yang berjalan memuatnya "
        "ulang sendiri; dengan work pool: `monev deploy`)"), highlight=False)
