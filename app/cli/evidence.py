"""``monev tasks`` and ``monev evidence …``: who owes what; submit, add to or withdraw
from a submission waiting for verification, accept, reject."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from app.cli.app import app
from app.cli.common import err, fail, load_config, out, parse_day, republish, today
from app.cli.listing import Column, Listing
from monev.errors import MonevError
from monev.status import parse_status, word

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from monev.store.db import Sessions
    from monev.store.models import Checkpoint

evidence_app = typer.Typer(help="Kirim, terima atau tolak bukti fisik sebuah checkpoint.",
                           no_args_is_help=True)
app.add_typer(evidence_app, name="evidence")


@app.command("tasks")
def tasks_cmd(
    person: Annotated[str | None, typer.Option("--person", help="Nama PIC.")] = None,
    area: Annotated[str | None, typer.Option("--area", help="Bagian nama area.")] = None,
    status: Annotated[str | None, typer.Option(
        "--status", help="Status: terjadwal, dibuka (termasuk ditolak), terkirim, "
                         "terverifikasi, ditolak, tunggakan.")] = None,
    due_before: Annotated[str | None, typer.Option(
        "--due-before", help="Tenggat paling lambat (2026-12-31 atau 31-12-2026).")] = None,
    limit: Annotated[int, typer.Option("--limit", help="Jumlah baris.")] = 50,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Keluaran JSON: larik objek (lihat docs/cli-json.md).")] = False,
) -> None:
    """Daftar tugas bukti: per orang, area, status atau tenggat."""
    from sqlalchemy import select

    from monev.engine.people import holders
    from monev.store import models as m
    from monev.store.db import open_session_factory
    from monev.store.plan_status import closed_plan_ids
    from monev.store.queries import plan_ref

    try:
        statuses = parse_status(status) if status else None
        latest = parse_day(due_before, "--due-before") if due_before else None
    except MonevError as exc:
        raise fail(exc) from exc
    cfg = load_config(None)
    factory = open_session_factory()
    listing = Listing("Tugas bukti fisik", [  # the code is copied by hand: never wrapped
        Column("Checkpoint"), Column("Status"), Column("Tenggat"), Column("Satker", "text"),
        Column("Area", "text"), Column("PIC", "text"), Column("Bukti fisik", "text")])
    shown = 0
    with factory() as s:
        closed = closed_plan_ids(s, list(s.scalars(select(m.Plan.id))), today(),
                                 cfg.grace_months)  # their checkpoints are no work any more
        query = (select(m.Checkpoint, m.Item, m.Area.name, m.Satker.name, m.Satker.slug,
                        m.Plan.kind, m.Plan.year)
                 .join(m.Checkpoint.item).join(m.Item.area).join(m.Item.plan)
                 .join(m.Plan.satker).where(m.Item.active, m.Item.plan_id.not_in(closed))
                 .order_by(m.Checkpoint.due, m.Item.position))
        if statuses:
            query = query.where(m.Checkpoint.status.in_(statuses))
        if latest:
            query = query.where(m.Checkpoint.due <= latest)
        for cp, item, area_name, satker, slug, kind, year in s.execute(query).tuples():
            if area and area.casefold() not in area_name.casefold():
                continue
            sc = cfg.satker(satker)
            pics = [p.name for p in holders("pic", area_name, item.komponen,
                                            sc.people if sc else [])]
            if person and not any(person.casefold() in p.casefold() for p in pics):
                continue
            code = f"{item.key}@{cp.period}"
            listing.add(
                {"checkpoint": code, "checkpoint_id": cp.id, "status": cp.status,
                 "status_label": word(cp.status), "due": cp.due.isoformat(),
                 "period": cp.period, "plan_id": plan_ref(slug, kind, year),
                 "satker": satker, "area": area_name,
                 "komponen": item.komponen, "pic": pics, "bukti_fisik": item.bukti_fisik},
                [code, word(cp.status), cp.due.isoformat(), satker, area_name[:30],
                 ", ".join(pics) or "-", item.bukti_fisik[:50]])
            shown += 1
            if shown >= limit:
                break
    factory.kw["bind"].dispose()
    listing.print(as_json)


def _evidence_action(ref: str, verb: str, actor: str, note: str = "",
                     file: Path | None = None, link: str | None = None,
                     force: bool = False, which: str | None = None,
                     final: bool = False) -> None:
    from monev.config import PortalConfig
    from monev.engine import lifecycle, review
    from monev.engine.blobs import store_file
    from monev.store.db import monev_home, open_session_factory
    from monev.store.plan_status import closed_plan_ids

    if file is not None and not file.exists():
        raise fail(MonevError(f"berkas bukti {file} tidak ditemukan; periksa nama dan "
                              "foldernya"))
    factory = open_session_factory()
    try:
        with factory.begin() as s:
            cp = lifecycle.find_checkpoint(s, ref)
            plan = cp.item.plan
            if closed_plan_ids(s, [plan.id], today(), load_config(None).grace_months):
                raise MonevError(
                    f"rencana aksi {plan.kind} {plan.year} {plan.satker.name} sudah ditutup "
                    "(selesai): bukti tidak dapat dikirim atau diverifikasi lagi; buka "
                    "kembali dengan `monev plan reopen` bila memang perlu")
            if not cp.item.active and not force:
                raise MonevError(
                    f"baris checkpoint {ref} sudah dihapus dari rencana aksi pada revisi "
                    f"{cp.item.plan.revision}; bukti tidak dicatat. Tambahkan --force bila "
                    "bukti untuk baris lama ini tetap ingin dicatat")
            cfg = load_config(None)
            sc = cfg.satker(plan.satker.name)
            portal, people = (sc.portal, sc.people) if sc else (PortalConfig(), [])
            shown = ""
            if verb == "add":
                blobs = [store_file(monev_home(), file)] if file is not None else []
                lifecycle.add(s, cp, actor, blobs, [link] if link else [], note)
            elif verb == "withdraw" and which is not None:
                lifecycle.withdraw(s, cp, _evidence_of(s, cp, which), actor, note)
            elif verb == "submit" and file is not None:
                lifecycle.submit_file(s, cp, file, actor, monev_home())
            elif verb == "submit" and link is not None:
                lifecycle.submit_link(s, cp, link, actor)
            elif verb == "submit":
                raise MonevError("berikan --file BERKAS atau --link URL")
            elif verb == "reject":  # the PIC hears it in the next digest, with the reason
                review.reject(s, cp, portal, people, actor, [], note, cfg, admin=True)
            else:  # as an admin: the tier now waiting accepts (or every tier, --final)
                after = review.accept(s, cp, portal, people, actor, note, admin=True,
                                      final=final)
                if after.waiting is not None:
                    who = ", ".join(after.waiting.people) or "belum ada orangnya"
                    shown = (f" (diterima di tingkat {after.tier - 1}; menunggu tingkat "
                             f"{after.tier} dari {len(after.tiers)}: {who})")
            out.print(f"checkpoint {ref}: status sekarang [bold]{word(cp.status)}[/]{shown}")
        republish()
        if verb == "reject":
            _dispatch_soon(factory)
    except MonevError as exc:
        raise fail(exc) from exc


def _dispatch_soon(factory: Sessions) -> None:
    """The rejection goes out soon: ask Prefect for a dispatch run (when its API is set;
    else `monev notify send` or the next sweep's run sends it)."""
    import os

    if not os.environ.get("PREFECT_API_URL"):
        return
    from notifiers.trigger import request_dispatch

    try:
        err.print(f"pengirim: {request_dispatch(factory)}", highlight=False)
    except Exception as exc:  # noqa: BLE001 - the rejection itself is recorded
        err.print(f"[yellow]run pengirim belum dijadwalkan:[/] {exc}", highlight=False)


@evidence_app.command("submit")
def evidence_submit(
    checkpoint: Annotated[str, typer.Argument(help="KUNCI@PERIODE atau nomor checkpoint.")],
    by: Annotated[str, typer.Option("--by", help="Nama pengirim.")],
    file: Annotated[Path | None, typer.Option("--file", help="Berkas bukti.")] = None,
    link: Annotated[str | None, typer.Option("--link", help="Tautan bukti.")] = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Catat juga untuk baris yang sudah dihapus dari rencana.")] = False,
) -> None:
    """Kirim bukti fisik (berkas atau tautan)."""
    _evidence_action(checkpoint, "submit", by, file=file, link=link, force=force)


@evidence_app.command("accept")
def evidence_accept(
    checkpoint: Annotated[str, typer.Argument(help="KUNCI@PERIODE atau nomor checkpoint.")],
    by: Annotated[str, typer.Option("--by", help="Nama pemeriksa.")],
    note: Annotated[str, typer.Option("--note", help="Catatan.")] = "",
    final: Annotated[bool, typer.Option(
        "--final", help="Terima untuk semua tingkat pemeriksaan yang tersisa sekaligus.")] = False,
) -> None:
    """Terima bukti di tingkat pemeriksaan yang sedang menunggu (sebagai admin); setelah
    tingkat terakhir status menjadi terverifikasi."""
    _evidence_action(checkpoint, "accept", by, note, final=final)


@evidence_app.command("reject")
def evidence_reject(
    checkpoint: Annotated[str, typer.Argument(help="KUNCI@PERIODE atau nomor checkpoint.")],
    by: Annotated[str, typer.Option("--by", help="Nama pemeriksa.")],
    reason: Annotated[str, typer.Option("--reason", help="Alasan penolakan (wajib).")],
) -> None:
    """Tolak bukti dengan alasan: tugas kembali ke PIC."""
    _evidence_action(checkpoint, "reject", by, reason)


@evidence_app.command("add")
def evidence_add(
    checkpoint: Annotated[str, typer.Argument(help="KUNCI@PERIODE atau nomor checkpoint.")],
    by: Annotated[str, typer.Option("--by", help="Nama pengirim.")],
    file: Annotated[Path | None, typer.Option("--file", help="Berkas bukti.")] = None,
    link: Annotated[str | None, typer.Option("--link", help="Tautan bukti.")] = None,
) -> None:
    """Tambah berkas/tautan yang terlupa ke kiriman yang menunggu verifikasi."""
    _evidence_action(checkpoint, "add", by, file=file, link=link)


@evidence_app.command("withdraw")
def evidence_withdraw(
    checkpoint: Annotated[str, typer.Argument(help="KUNCI@PERIODE atau nomor checkpoint.")],
    evidence: Annotated[str, typer.Argument(
        help="Nama berkas, tautan, atau nomor bukti dari kiriman itu.")],
    by: Annotated[str, typer.Option("--by", help="Nama yang menarik.")],
    reason: Annotated[str, typer.Option("--reason", help="Alasan (tidak wajib).")] = "",
) -> None:
    """Tarik bukti yang salah dari kiriman yang menunggu verifikasi (tetap tercatat)."""
    _evidence_action(checkpoint, "withdraw", by, reason, which=evidence)


def _evidence_of(session: Session, cp: Checkpoint, which: str) -> int:
    """The evidence of the waiting submission named by its number, file name or link."""
    from monev.engine.lifecycle import current_evidence

    current = current_evidence(session, cp.id)
    found = [e.id for e in current if which in (str(e.id), e.original_name, e.location)]
    if len(found) != 1:
        listed = "; ".join(f"{e.id} {e.original_name or e.location}" for e in current)
        raise MonevError(f"bukti '{which}' tidak ada (satu-satunya) di kiriman yang menunggu "
                         f"verifikasi; yang ada: {listed or '-'}")
    return found[0]
