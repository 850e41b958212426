"""``monev deploy`` and ``monev simulate``: Prefect registration and a virtual clock."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from app.cli.app import app
from app.cli.common import ConfigOpt, PolicyOpt, fail, load_config, load_plan_file, out, today
from monev.errors import MonevError


def compiled_deployments(include_safety_net: bool = True) -> list[Any]:
    from flows.deployments import compile_plan_deployments, fixed_deployments
    from monev.store.db import open_session_factory

    cfg = load_config(None)
    factory = open_session_factory()
    try:
        with factory() as s:
            deployments = compile_plan_deployments(s, cfg, today())
    finally:
        factory.kw["bind"].dispose()
    return deployments + (fixed_deployments() if include_safety_net else [])


def sync_deployments(work_pool: str) -> Any:
    """Sync the plans' deployments to the work pool of the server in ``PREFECT_API_URL``:
    only the plans changed since the last deploy are compiled and written; what no plan
    needs is deleted (:mod:`flows.deploy_record`)."""
    import asyncio
    import os

    from flows.deploy_record import deploy
    from flows.register import check_work_pool
    from monev.store.db import open_session_factory

    asyncio.run(check_work_pool(work_pool))
    factory = open_session_factory()
    try:
        return deploy(factory, load_config(None), today(), work_pool,
                      os.environ["PREFECT_API_URL"])
    finally:
        factory.kw["bind"].dispose()


@app.command("deploy")
def deploy(
    work_pool: Annotated[str, typer.Option("--work-pool", help="Nama work pool Prefect.")],
) -> None:
    """Selaraskan deployment semua rencana dengan server Prefect ($PREFECT_API_URL): buat
    yang baru, perbarui yang berubah, hapus yang tidak dibutuhkan lagi."""
    import time as _time

    started = _time.monotonic()
    try:
        report = sync_deployments(work_pool)
    except MonevError as exc:
        raise fail(exc) from exc
    out.print(f"work pool '{work_pool}': {len(report.created)} dibuat, {len(report.updated)} "
              f"diperbarui, {report.unchanged} tetap, {len(report.deleted)} dihapus "
              f"({_time.monotonic() - started:.1f} detik)")


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
        raise fail(MonevError(f"tanggal tidak sah: {exc}")) from exc
    try:
        plan = load_plan_file(plan_path, policy)
        cfg = load_config(config)
        records = simulate(plan, d1, d2, cfg.satker(plan.header.satker), submissions)
    except MonevError as exc:
        raise fail(exc) from exc
    if as_json:
        print(json.dumps([r.as_json() for r in records], ensure_ascii=False))
        return
    labels = {"open": "dibuka", "remind": "pengingat", "escalate": "eskalasi",
              "digest": "ringkasan", "cycle": "monev", "backlog": "tunggakan"}
    table = Table(title=f"Simulasi {plan.header.satker} {plan.header.kind} "
                        f"{plan.header.year}: {d1} s.d. {d2}")
    for col in ("Tanggal", "Tindakan", "Periode", "Peran", "Penerima", "Bukti fisik"):
        table.add_column(col, overflow="fold", no_wrap=col in ("Tanggal", "Tindakan", "Peran"))
    for r in records:
        table.add_row(r.date, labels.get(r.action, r.action), r.period[:40], r.recipient_role,
                      r.recipient or "(belum diatur)", r.bukti_fisik[:40])
    out.print(table)
    counts: dict[str, int] = {}
    for r in records:
        counts[r.action] = counts.get(r.action, 0) + 1
    out.print(", ".join(f"{labels.get(k, k)}: {v}" for k, v in sorted(counts.items())))
