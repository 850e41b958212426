"""``monev portal …``: personal portal links — make/show, rotate, revoke, list."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from app.cli.app import app
from app.cli.common import ConfigOpt, fail, load_config, out
from app.cli.listing import Column, Listing
from monev.errors import MonevError

portal_app = typer.Typer(help="Tautan pribadi Portal monev: buat/tampilkan, ganti, cabut, "
                              "daftar.", no_args_is_help=True)
app.add_typer(portal_app, name="portal")

PersonArg = Annotated[str, typer.Argument(help="Nama orang seperti di konfigurasi.")]
SatkerOpt = Annotated[str | None, typer.Option(  # noqa: UP007 - typer needs Optional
    "--satker", help="Nama atau slug satker, bila nama orang ada di beberapa satker.")]
JsonOpt = Annotated[bool, typer.Option("--json", help='Cetak {"person", "url"}.')]


def _show(person: str, url: str, as_json: bool) -> None:
    if as_json:
        print(json.dumps({"person": person, "url": url}, ensure_ascii=False))
    else:
        out.print(f"{person}: {url}", highlight=False, soft_wrap=True)


@portal_app.command("link")
def portal_link(person: PersonArg, satker: SatkerOpt = None, as_json: JsonOpt = False,
                config: ConfigOpt = None) -> None:
    """Tautan pribadi seseorang (dibuat bila belum ada); membukanya memulai sesi portal."""
    from monev.links import base_url, ensure_link, find_person, person_url
    from monev.store.db import open_session_factory
    from monev.tokens import server_secret

    try:
        sc, who = find_person(load_config(config), person, satker)
        with open_session_factory().begin() as s:
            made = ensure_link(s, sc.name, who.name, server_secret())
        if made is None:
            raise MonevError(f"tautan {who.name} sudah dicabut; buat yang baru dengan "
                             f"`monev portal rotate \"{who.name}\"`")
    except MonevError as exc:
        raise fail(exc) from exc
    _show(who.name, person_url(base_url(), made[1]), as_json)


@portal_app.command("rotate")
def portal_rotate(person: PersonArg, satker: SatkerOpt = None, as_json: JsonOpt = False,
                  config: ConfigOpt = None) -> None:
    """Ganti tautan: yang lama dan sesi yang dibukanya langsung berhenti bekerja."""
    from monev.links import base_url, find_person, person_url, rotate_link
    from monev.store.db import open_session_factory
    from monev.tokens import server_secret

    try:
        sc, who = find_person(load_config(config), person, satker)
        with open_session_factory().begin() as s:
            token = rotate_link(s, sc.name, who.name, server_secret())
    except MonevError as exc:
        raise fail(exc) from exc
    _show(who.name, person_url(base_url(), token), as_json)


@portal_app.command("revoke")
def portal_revoke(person: PersonArg, satker: SatkerOpt = None,
                  config: ConfigOpt = None) -> None:
    """Cabut tautan: tautan dan sesinya menjawab 404/berakhir seketika."""
    from monev.links import find_person, revoke_link
    from monev.store.db import open_session_factory

    try:
        sc, who = find_person(load_config(config), person, satker)
        with open_session_factory().begin() as s:
            revoke_link(s, sc.name, who.name)
    except MonevError as exc:
        raise fail(exc) from exc
    out.print(f"tautan {who.name} dicabut", highlight=False)


@portal_app.command("list")
def portal_list(
    links: Annotated[bool, typer.Option("--links", help="Tampilkan juga tautannya.")] = False,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Keluaran JSON: larik objek (lihat docs/cli-json.md).")] = False,
    config: ConfigOpt = None,
) -> None:
    """Semua orang di konfigurasi dan keadaan tautan mereka (tanpa token, kecuali --links)."""
    from sqlalchemy import select

    from monev.links import base_url, person_url
    from monev.store import models as m
    from monev.store.db import open_session_factory
    from monev.tokens import server_secret, token_for

    cfg = load_config(config)
    listing = Listing("Tautan Portal monev", [
        Column("Satker", "text"), Column("Nama", "text"), Column("Peran", "text"),
        Column("Tautan"), Column("Dibuat"), Column("Diganti")])
    secret = server_secret() if links else b""
    shown: list[tuple[str, str]] = []
    factory = open_session_factory()
    with factory() as s:
        rows = {(r.satker, r.person): r for r in s.scalars(select(m.PortalLink))}
    factory.kw["bind"].dispose()
    for sc in cfg.satkers:
        for p in sc.people:
            row = rows.get((sc.name, p.name))
            state = "belum ada" if row is None else "dicabut" if row.revoked_at else "aktif"
            created = f"{row.created_at:%Y-%m-%d}" if row else None
            rotated = f"{row.rotated_at:%Y-%m-%d}" if row and row.rotated_at else None
            url = (person_url(base_url(), token_for(row.nonce, secret))
                   if links and row is not None and row.revoked_at is None else None)
            record = {"satker": sc.name, "person": p.name, "role": p.role, "admin": p.admin,
                      "link": {"belum ada": "none", "dicabut": "revoked"}.get(state, "active"),
                      "created": created, "rotated": rotated}
            if links:
                record["url"] = url
            listing.add(record, [sc.name, p.name, p.role + (" (admin)" if p.admin else ""),
                                 state, created or "-", rotated or "-"])
            if url is not None:
                shown.append((p.name, url))
    listing.print(as_json)
    if not as_json:
        for name, url in shown:
            _show(name, url, False)


def print_example_links(everyone: bool) -> int:
    """``monev up``: each configured person's portal link, for satkers with stored plans,
    made on first need. Links are secrets: all are printed in the demo (``everyone``),
    otherwise only those made right now; returns how many were not printed."""
    from sqlalchemy import select

    from monev.links import base_url, ensure_link, link_row, person_url
    from monev.store import models as m
    from monev.store.db import open_session_factory
    from monev.tokens import server_secret

    cfg = load_config(None)
    secret = server_secret()
    hidden = 0
    factory = open_session_factory()
    with factory.begin() as s:
        stored = {n.casefold() for n in s.scalars(select(m.Satker.name))}
        for sc in cfg.satkers:
            if sc.name.casefold() not in stored:
                continue
            for p in sc.people:
                new = link_row(s, sc.name, p.name) is None
                made = ensure_link(s, sc.name, p.name, secret)
                if made is None:
                    continue
                if everyone or new:
                    out.print(f"Portal     : {p.name} ({p.role}, {sc.name}): "
                              f"{person_url(base_url(), made[1])}", highlight=False,
                              soft_wrap=True)
                else:
                    hidden += 1
    factory.kw["bind"].dispose()
    return hidden
