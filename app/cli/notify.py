"""``monev outbox`` and ``monev notify …``: the message queue, sending, channel tests."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from app.cli.app import app
from app.cli.common import ConfigOpt, err, fail, load_config, out
from app.cli.listing import Column, Listing
from app.cli.up import running_state
from monev.errors import MonevError

if TYPE_CHECKING:
    from monev.store import models as m

notify_app = typer.Typer(help="Pengiriman pesan: uji kanal, kirim antrean.", no_args_is_help=True)
app.add_typer(notify_app, name="notify")


@app.command("outbox")
def outbox_cmd(
    status: Annotated[str | None, typer.Option(
        "--status", help="menunggu, sedang dikirim, terkirim, gagal, tidak pasti, "
                         "ditutup (atau pending, sending, sent, failed, uncertain, "
                         "dismissed)")] = None,
    limit: Annotated[int, typer.Option("--limit", help="Jumlah baris.")] = 50,
    resend: Annotated[list[int] | None, typer.Option(
        "--resend", help="Kirim ulang baris gagal/tidak pasti ini (keputusan admin).")] = None,
    dismiss: Annotated[list[int] | None, typer.Option(
        "--dismiss", help="Tutup baris gagal/tidak pasti ini tanpa mengirim.")] = None,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Keluaran JSON: larik objek (lihat docs/cli-json.md).")] = False,
) -> None:
    """Antrean pesan keluar: menunggu, terkirim, gagal, tidak pasti — dengan alasannya."""
    from sqlalchemy import func, select

    from monev.status import OUTBOX_WORDS, parse_status, word
    from monev.store import models as m
    from monev.store.db import open_session_factory
    from monev.store.outbox import dismiss_rows, resend_rows

    try:
        statuses = parse_status(status, OUTBOX_WORDS) if status else None
    except MonevError as exc:
        raise fail(exc) from exc
    factory = open_session_factory()
    refused: list[tuple[int, str]] = []
    for ids, verb, action in ((resend, "dikirim ulang", resend_rows),
                              (dismiss, "ditutup", dismiss_rows)):
        if not ids:
            continue
        with factory.begin() as s:
            changed = action(s, ids)
            refused += [(i, verb) for i in sorted(set(ids) - set(changed))]
        told = f"{verb}: {', '.join(map(str, sorted(changed))) or '-'}"
        (err if as_json else out).print(told, highlight=False)
    with factory() as s:
        counts = dict(s.execute(select(m.Outbox.status, func.count())
                                .group_by(m.Outbox.status)).tuples().all())
        query = select(m.Outbox).order_by(m.Outbox.id.desc()).limit(limit)
        if statuses:
            query = query.where(m.Outbox.status.in_(statuses))
        rows = s.scalars(query).all()
    listing = Listing("Pesan keluar", [
        Column("ID"), Column("Hari"), Column("Penerima", "text"), Column("Kanal"),
        Column("Status"), Column("Coba"), Column("Subjek", "text"), Column("Alasan", "text")])
    for r in rows:
        listing.add(
            {"id": r.id, "day": r.day.isoformat(), "person": r.person, "role": r.role,
             "channel": r.channel, "kind": r.kind, "status": r.status,
             "status_label": word(r.status, OUTBOX_WORDS), "attempts": r.attempts,
             "subject": r.subject, "last_error": r.last_error,
             "not_before": _iso(r.not_before), "sent_at": _iso(r.sent_at)},
            [str(r.id), r.day.isoformat(), r.person, r.channel, word(r.status, OUTBOX_WORDS),
             str(r.attempts), r.subject[:60], r.last_error[:60]])
    if not as_json:
        out.print(", ".join(f"{word(k, OUTBOX_WORDS)}: {v}"
                            for k, v in sorted(counts.items())) or "antrean kosong")
    listing.print(as_json)
    if counts.get("uncertain"):
        err.print(f"[yellow]{counts['uncertain']} pesan tidak pasti terkirim[/]: tanyakan "
                  "penerimanya, lalu `monev outbox --resend ID` (belum sampai) atau "
                  "`monev outbox --dismiss ID` (sudah sampai)", highlight=False)
    if refused:
        with factory() as s:
            found = {r.id: r for r in s.scalars(select(m.Outbox).where(
                m.Outbox.id.in_([i for i, _ in refused])))}
        err.print("[bold red]Galat:[/] hanya pesan gagal atau tidak pasti yang dapat dikirim "
                  f"ulang atau ditutup; bukan: {', '.join(str(i) for i, _ in refused)}",
                  highlight=False, soft_wrap=True)
        for row_id, verb in refused:
            err.print(f"  #{row_id} tidak {verb}: {_why_refused(found.get(row_id))}",
                      highlight=False, soft_wrap=True)
        raise typer.Exit(code=1)


def _why_refused(row: m.Outbox | None) -> str:
    """Why ``--resend``/``--dismiss`` left a row alone."""
    if row is None:
        return "tidak ada di antrean; lihat nomornya di `monev outbox`"
    return {"pending": "masih menunggu giliran; pengirim akan mengirimnya sendiri",
            "sending": "sedang dikirim saat ini",
            "sent": "sudah terkirim" + (f" pada {row.sent_at:%d-%m-%Y %H:%M} UTC"
                                        if row.sent_at else ""),
            "dismissed": "sudah ditutup sebelumnya"}.get(row.status, f"berstatus {row.status}")


def _iso(moment: datetime | None) -> str | None:
    """A stored moment (naive UTC) as ISO 8601 with its zone, for JSON."""
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()


@notify_app.command("send")
def notify_send(limit: Annotated[int, typer.Option("--limit")] = 1000) -> None:
    """Kirim sekarang pesan antrean yang sudah waktunya (tanpa Prefect)."""
    from datetime import UTC, datetime

    from monev.store.db import open_session_factory
    from notifiers.dispatch import dispatch
    from notifiers.outbox import tell_admins

    factory = open_session_factory()
    report = dispatch(factory, limit=limit)
    with factory.begin() as s:
        told = tell_admins(s, load_config(None), datetime.now(UTC))
    out.print(f"terkirim {len(report.sent)}, diulang nanti {len(report.retrying)}, "
              f"gagal {len(report.failed)}, tidak pasti {len(report.uncertain)}")
    for row_id, error in report.failed + report.retrying:
        out.print(f"  [yellow]#{row_id}[/]: {error}", highlight=False)
    if told:
        err.print(f"{told} pesan tidak pasti dilaporkan ke admin; lihat `monev outbox "
                  "--status 'tidak pasti'`")


@notify_app.command("test")
def notify_test(
    person: Annotated[str, typer.Argument(help="Nama orang di konfigurasi.")],
    config: ConfigOpt = None,
) -> None:
    """Kirim satu pesan uji ke setiap kanal orang ini."""
    from monev.store.outbox import address_of
    from notifiers.dispatch import SendError, send_message
    from notifiers.messages import render_test

    cfg = load_config(config)
    demo = demo_sinks()
    if demo is not None:
        err.print(f"memakai sink demo dari `monev up --sink` yang berjalan (PID {demo})")
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


def demo_sinks() -> int | None:
    """While ``make up`` (``monev up --sink``) runs and no channel is configured in
    this shell, point the channels at its local sinks; the demo's PID, or None."""
    import os

    from monev.store.db import monev_home
    from notifiers.sink import sink_env

    if os.environ.get("MONEV_SMTP_HOST") or os.environ.get("MONEV_WHATSAPP_URL"):
        return None
    info = running_state(monev_home())
    if info is None or not info.get("demo"):
        return None
    os.environ.update(sink_env(int(info["smtp_port"]), int(info["http_port"]),
                               str(info.get("whatsapp_token", ""))))
    return int(info["pid"])


@notify_app.command("reply")
def notify_reply(
    person: Annotated[str, typer.Argument(help="Nama orang yang membalas (nomor WhatsApp "
                                               "dari konfigurasi).")],
    file: Annotated[Path, typer.Argument(help="Berkas bukti (PDF/foto) yang dilampirkan.",
                                         exists=True, dir_okay=False, readable=True)],
    text: Annotated[str, typer.Option(
        "--text", help="Teks balasan, mis. kode dari pesan pengingat: '#1'.")] = "",
    config: ConfigOpt = None,
) -> None:
    """Demo (`make up`): balas pesan di sink WhatsApp dengan berkas, seperti dari ponsel."""
    import httpx

    from monev.store.db import monev_home
    from notifiers.sink import demo_reply

    info = running_state(monev_home())
    if info is None or not info.get("demo"):
        raise fail(MonevError("hanya untuk demo: jalankan `make up` (monev up --sink) "
                              "lebih dulu; di produksi balasan datang dari WhatsApp sendiri"))
    found = [p for sc in load_config(config).satkers for p in sc.people
             if p.name.casefold() == person.casefold()]
    if not found or not found[0].whatsapp:
        raise fail(MonevError(f"'{person}' tidak ada di konfigurasi atau belum punya nomor "
                              "WhatsApp"))
    who = found[0]
    try:
        msg_id = demo_reply(f"http://127.0.0.1:{info['http_port']}", monev_home() / "sink",
                            str(info.get("whatsapp_token", "")), who.whatsapp or "", file,
                            text)
    except httpx.HTTPError as exc:
        raise fail(MonevError(f"aplikasi tidak menerima balasan ({type(exc).__name__})")) \
            from None
    out.print(f"Balasan WhatsApp {who.name} ({who.whatsapp}) dengan {file.name} diterima "
              f"aplikasi (pesan {msg_id}).", highlight=False, soft_wrap=True)
    answer = _answer_to(msg_id)
    out.print(f"Jawaban monev: {answer}" if answer else
              "Jawaban monev belum ada setelah 60 detik; lihat `monev outbox`.",
              highlight=False, soft_wrap=True)


def _answer_to(msg_id: str, wait: float = 60.0) -> str:
    """The reply monev queued for the demo message (its body without the title line),
    once the app has handled the message in the background; "" if none came in time."""
    import time

    from sqlalchemy import select

    from monev.inbound.replies import reply_key
    from monev.store import models as m
    from monev.store.db import open_session_factory

    factory = open_session_factory()
    deadline = time.monotonic() + wait
    try:
        while True:
            with factory() as s:
                body = s.scalar(select(m.Outbox.body).where(
                    m.Outbox.idem_key == reply_key("whatsapp", msg_id)))
            if body is not None:
                return " ".join(body.split("\n", 1)[-1].split())
            if time.monotonic() > deadline:
                return ""
            time.sleep(0.2)
    finally:
        factory.kw["bind"].dispose()
