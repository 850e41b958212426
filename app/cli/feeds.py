"""``monev feed …``: calendar subscriptions — create, list, rotate, revoke, publish."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from app.cli.app import app
from app.cli.common import ConfigOpt, check_output, err, fail, load_config, out, today
from app.cli.listing import Column, Listing
from monev.errors import MonevError

feed_app = typer.Typer(help="Kalender iCal: buat, daftar, ganti token, cabut, terbitkan.",
                       no_args_is_help=True)
app.add_typer(feed_app, name="feed")


def _print_links(feed_id: int, title: str, token: str) -> None:
    from calendars.service import feed_links
    from monev.links import public_url

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
    from monev.store.db import open_session_factory

    scope = ("index" if index else "province" if province else "person" if person
             else "area" if area else "plan")
    value = province or person or area or ""
    try:
        cfg = load_config(config)
        with open_session_factory().begin() as s:
            row, token = create_feed(s, feed_secret(), scope, label, plan=plan,
                                     value=value, satker=satker, cfg=cfg)
            title = feed_title(s, row)
            feed_id = row.id
    except MonevError as exc:
        raise fail(exc) from exc
    if scope == "index":
        from monev.links import public_url

        out.print(f"[bold]#{feed_id}[/] Indeks kalender: {public_url()}/feeds/{token}/",
                  highlight=False, soft_wrap=True)
    else:
        _print_links(feed_id, title, token)


@feed_app.command("list")
def feed_list(
    links: Annotated[bool, typer.Option("--links", help="Tampilkan juga tautannya.")] = False,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Keluaran JSON: larik objek (lihat docs/cli-json.md).")] = False,
) -> None:
    """Daftar langganan kalender (tanpa token, kecuali --links)."""
    from sqlalchemy import select

    from calendars.pages import feed_title
    from calendars.service import feed_links
    from calendars.tokens import feed_secret, token_for
    from monev.links import public_url
    from monev.store import models as m
    from monev.store.db import open_session_factory

    listing = Listing("Kalender", [
        Column("ID"), Column("Cakupan"), Column("Kalender", "text"), Column("Untuk", "text"),
        Column("Dibuat"), Column("Status")])
    secret = feed_secret() if links else b""
    shown: list[tuple[int, str, str]] = []
    factory = open_session_factory()
    with factory() as s:
        for f in s.scalars(select(m.Feed).order_by(m.Feed.id)):
            state, title = "dicabut" if f.revoked_at else "aktif", feed_title(s, f)
            record = {"id": f.id, "scope": f.scope, "title": title, "label": f.label,
                      "created": f"{f.created_at:%Y-%m-%d}",
                      "rotated": f"{f.rotated_at:%Y-%m-%d}" if f.rotated_at else None,
                      "revoked": f"{f.revoked_at:%Y-%m-%d}" if f.revoked_at else None,
                      "active": f.revoked_at is None}
            token = token_for(f.nonce, secret) if links and not f.revoked_at else None
            if links:
                record["url"] = (None if token is None else
                                 f"{public_url()}/feeds/{token}/" if f.scope == "index"
                                 else feed_links(public_url(), token)["url"])
            listing.add(record, [str(f.id), f.scope, title, f.label,
                                 f"{f.created_at:%Y-%m-%d}", state])
            if token is not None and f.scope != "index":
                shown.append((f.id, title, token))
    factory.kw["bind"].dispose()
    listing.print(as_json)
    if not as_json:
        for feed_id, title, token in shown:
            _print_links(feed_id, title, token)


@feed_app.command("rotate")
def feed_rotate(feed_id: Annotated[int, typer.Argument(help="Nomor kalender.")]) -> None:
    """Ganti token: tautan lama langsung berhenti bekerja."""
    from calendars.pages import feed_title
    from calendars.service import rotate_feed
    from calendars.tokens import feed_secret
    from monev.store import models as m
    from monev.store.db import open_session_factory

    try:
        with open_session_factory().begin() as s:
            token = rotate_feed(s, feed_id, feed_secret())
            row = s.get(m.Feed, feed_id)
            title = feed_title(s, row) if row else ""
    except MonevError as exc:
        raise fail(exc) from exc
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
        raise fail(exc) from exc
    out.print(f"kalender #{feed_id} dicabut")


@feed_app.command("publish")
def feed_publish(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder tujuan berkas .ics.")],
) -> None:
    """Terbitkan semua kalender aktif sebagai berkas statis (atomik, hanya yang berubah)."""
    from calendars.publish import publish_dir

    try:
        check_output(out_dir, "folder")
    except MonevError as exc:
        raise fail(exc) from exc
    report = publish_dir(out_dir, today())
    out.print(f"{len(report.written)} ditulis, {report.unchanged} tidak berubah, "
              f"{len(report.removed)} dihapus → {out_dir}")
    for problem in report.failed:
        err.print(f"[bold red]Galat:[/] {problem}", highlight=False)
    if report.failed:
        raise typer.Exit(code=1)
