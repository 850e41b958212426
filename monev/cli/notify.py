"""``monev outbox`` and ``monev notify …``: the message queue, sending, channel tests."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from monev.cli.app import app
from monev.cli.common import ConfigOpt, err, fail, load_config, out
from monev.errors import MonevError

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
        raise fail(MonevError(f"'{person}' tidak ada di konfigurasi"))
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
