"""``monev lke``: the LKE a plan's satker is judged on — its projected score and gates,
which question each row serves, the unit's answers, the version in use; the filled
workbook, the TPI's answers read back from it, and the evidence bundle."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from app.cli.app import app
from app.cli.common import check_output, fail, out, parse_day, today
from monev.errors import MonevError

if TYPE_CHECKING:
    from reports.lke_filing import LkePack

lke_app = typer.Typer(help="LKE ZI/RB: nilai proyeksi, syarat WBK/WBBM, pemetaan baris "
                           "rencana aksi ke butir LKE, jawaban unit.", no_args_is_help=True)
app.add_typer(lke_app, name="lke")

PlanOpt = Annotated[str, typer.Option(
    "--plan", help="ID rencana seperti di `monev plan list`, mis. kpu-kota-jambi/zi-2025.")]
AsOfOpt = Annotated[str | None, typer.Option(  # noqa: UP007
    "--as-of", help="Keadaan per tanggal ini (bawaan: hari ini).")]
ADMIN = "admin (CLI)"


@lke_app.command("score")
def score_cmd(plan: PlanOpt, as_json: Annotated[bool, typer.Option("--json")] = False,
              as_of: AsOfOpt = None) -> None:
    """Nilai LKE satker rencana ini: saat ini (bukti terverifikasi saja) dan proyeksi
    (baris rencana selesai tepat waktu), per area, dengan syarat WBK/WBBM."""
    from monev.engine.lke import standing
    from monev.lke.score import points_text, summary
    from monev.store.db import open_session_factory
    from monev.store.queries import find_plan
    from reports.lke_page import part_of

    try:
        day = parse_day(as_of, "--as-of") if as_of else today()
        factory = open_session_factory()
        try:
            with factory() as s:
                found, satker = find_plan(s, plan)
                where = standing(s, found, day)
        finally:
            factory.kw["bind"].dispose()
    except MonevError as exc:
        raise fail(exc) from exc
    if as_json:
        print(json.dumps(summary(where.projection.projected), ensure_ascii=False))
        return
    page = part_of(where)
    table = Table(title=f"LKE {where.lke.version} — {satker.name}, per {day:%d-%m-%Y}")
    for column in ("Area", "Bobot", "Saat ini", "Proyeksi"):
        table.add_column(column, justify="left" if column == "Area" else "right")
    for line in page.lines:
        bold = "[bold]{}[/]" if line.name == "Total" else "{}"
        table.add_row(bold.format(line.name), points_text(line.weight),
                      bold.format(points_text(line.now)), bold.format(points_text(line.ahead)))
    out.print(table)
    for gate in page.gates:
        verdict = "[green]terpenuhi[/]" if gate.met_ahead else "[red]belum terpenuhi[/]"
        out.print(f"Syarat {gate.name} (proyeksi): {verdict}", highlight=False)
        for reason in gate.short:
            out.print(f"  • {reason}", highlight=False)
    served = {c for codes in where.links.values() for c in codes}
    missing = [q.code for q in where.lke.questions() if q.code not in where.answers
               and q.code not in served and not q.from_capaian and q.scored]
    if missing:
        out.print(f"{len(missing)} butir tanpa rencana aksi belum dijawab unit "
                  "(`monev lke answer`): "
                  f"{', '.join(missing[:8])}{' …' if len(missing) > 8 else ''}",
                  highlight=False, soft_wrap=True)


@lke_app.command("map")
def map_cmd(plan: PlanOpt, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Baris rencana aksi dan butir LKE yang dilayaninya (saran otomatis atau pilihan
    admin); baris tanpa butir dan butir tanpa rencana aksi."""
    from monev.engine.lke import standing
    from monev.store.db import open_session_factory
    from monev.store.queries import find_plan

    try:
        factory = open_session_factory()
        try:
            with factory() as s:
                found, _ = find_plan(s, plan)
                where = standing(s, found, today())
        finally:
            factory.kw["bind"].dispose()
    except MonevError as exc:
        raise fail(exc) from exc
    rows = [{"key": r.key, "area": r.area, "komponen": r.komponen, "indikator": r.indikator,
             "codes": list(where.links[r.key]),
             "source": "admin" if r.key in where.chosen_by_admin else "saran",
             "confidence": where.confidence.get(r.key)} for r in where.rows]
    if as_json:
        print(json.dumps({"version": where.lke.version, "rows": rows,
                          "unserved": where.unserved}, ensure_ascii=False))
        return
    table = Table(title=f"Pemetaan ke LKE {where.lke.version}")
    for column in ("Kunci", "Indikator", "Butir LKE", "Asal"):
        table.add_column(column)
    for row in rows:
        codes = ", ".join(row["codes"]) or "[yellow]tidak ada[/]"  # type: ignore[arg-type]
        table.add_row(str(row["key"]), str(row["indikator"])[:60], codes, str(row["source"]))
    out.print(table)
    for code in where.unserved:
        question = where.lke.question(code)
        text = question.text if question else ""
        out.print(f"tidak ada rencana aksi untuk {code}: {text[:90]}", highlight=False)


@lke_app.command("link")
def link_cmd(
    plan: PlanOpt,
    row: Annotated[str, typer.Option("--row", help="Kunci baris (kolom Kunci `monev lke map`).")],
    codes: Annotated[list[str] | None, typer.Argument(  # noqa: UP007
        help="Kode butir LKE, mis. 1.i.a (boleh lebih dari satu).")] = None,
    none: Annotated[bool, typer.Option("--none", help="Baris ini tidak melayani butir "
                                                      "LKE mana pun.")] = False,
    reset: Annotated[bool, typer.Option("--reset", help="Kembali ke saran otomatis.")] = False,
) -> None:
    """Tetapkan butir LKE yang dilayani satu baris rencana aksi (menggantikan saran)."""
    from monev.clock import utcnow
    from monev.engine.lke import standing
    from monev.store import lke as store
    from monev.store.db import open_session_factory
    from monev.store.queries import find_plan

    chosen = list(codes or [])
    if sum((bool(chosen), none, reset)) != 1:
        raise fail(MonevError("berikan kode butir LKE, atau --none, atau --reset"))
    try:
        factory = open_session_factory()
        try:
            with factory.begin() as s:
                found, _ = find_plan(s, plan)
                where = standing(s, found, today())
                if row not in where.links:
                    raise MonevError(f"baris {row} tidak ada di rencana {plan}; lihat "
                                     "`monev lke map`")
                wrong = [c for c in chosen if where.lke.question(c) is None]
                if wrong:
                    raise MonevError(f"butir {', '.join(wrong)} tidak ada di LKE "
                                     f"{where.lke.version}")
                store.set_links(s, found.id, row, [] if reset else [""] if none else chosen,
                                ADMIN, utcnow())
        finally:
            factory.kw["bind"].dispose()
    except MonevError as exc:
        raise fail(exc) from exc
    shown = "saran otomatis" if reset else "tidak ada" if none else ", ".join(chosen)
    out.print(f"baris {row}: butir LKE {shown}", highlight=False)


@lke_app.command("answer")
def answer_cmd(
    plan: PlanOpt,
    code: Annotated[str, typer.Argument(help="Kode butir LKE, mis. 1.i.a atau H.I.a.")],
    value: Annotated[str | None, typer.Argument(  # noqa: UP007
        help="Jawaban: Ya/Tidak, A–E, atau angka.")] = None,
    note: Annotated[str, typer.Option("--note", help="Catatan (kolom L/Q).")] = "",
    tpi: Annotated[bool, typer.Option("--tpi", help="Jawaban TPI (kolom N/Q).")] = False,
    clear: Annotated[bool, typer.Option("--clear", help="Hapus jawaban.")] = False,
) -> None:
    """Catat jawaban unit (atau TPI) untuk satu butir LKE satker rencana ini."""
    from monev.clock import utcnow
    from monev.engine.lke import record_answer
    from monev.lke.score import AnswerError
    from monev.store.db import open_session_factory
    from monev.store.queries import find_plan

    if (value is None) != clear:
        raise fail(MonevError("berikan jawaban, atau --clear untuk menghapusnya"))
    try:
        factory = open_session_factory()
        try:
            with factory.begin() as s:
                found, _ = find_plan(s, plan)
                try:
                    stored = record_answer(s, found, code, value, note,
                                           "tpi" if tpi else "unit", ADMIN, utcnow())
                except AnswerError as exc:
                    raise MonevError(str(exc)) from exc
        finally:
            factory.kw["bind"].dispose()
    except MonevError as exc:
        raise fail(exc) from exc
    who = "TPI" if tpi else "unit"
    out.print(f"{code} ({who}): {'dihapus' if clear else stored}", highlight=False)


@lke_app.command("versions")
def versions_cmd() -> None:
    """Versi LKE yang tersedia (config/lke atau $MONEV_LKE_DIR), diperiksa jumlahnya."""
    from monev.lke.load import available_versions, load_lke

    try:
        found = available_versions()
        if not found:
            raise MonevError("tidak ada data LKE di config/lke (atau $MONEV_LKE_DIR)")
        for version in found:
            lke = load_lke(version)
            out.print(f"{version}: {lke.title} — {len(lke.questions())} pertanyaan, "
                      f"bobot 100,00 ✓", highlight=False)
    except MonevError as exc:
        raise fail(exc) from exc


OutOpt = Annotated[Path, typer.Option("-o", "--output", help="Berkas yang ditulis.")]


def _pack(plan: str, as_of: str | None) -> LkePack:
    """The plan's LKE as the workbook and the bundle show it."""
    from monev.store.db import open_session_factory
    from monev.store.queries import find_plan
    from reports.lke_filing import gather

    day = parse_day(as_of, "--as-of") if as_of else today()
    factory = open_session_factory()
    try:
        with factory() as s:
            found, _ = find_plan(s, plan)
            return gather(s, found, plan, day)
    finally:
        factory.kw["bind"].dispose()


@lke_app.command("workbook")
def workbook_cmd(plan: PlanOpt, output: OutOpt, as_of: AsOfOpt = None) -> None:
    """Lembar kerja LKE terisi (format resmi, lembar Jawaban: jawaban unit di K/L/M,
    TPI di N/Q) sebagai berkas .xlsx."""
    from reports.lke_workbook import workbook_bytes
    from reports.render import write_atomic

    try:
        check_output(output)
        pack = _pack(plan, as_of)
        write_atomic(output, workbook_bytes(pack))
    except MonevError as exc:
        raise fail(exc) from exc
    except OSError as exc:
        raise fail(MonevError(f"tidak dapat menulis {output}: {exc.strerror}")) from exc
    out.print(f"lembar kerja LKE {pack.lke.version} ditulis: {output}", highlight=False,
              soft_wrap=True)


@lke_app.command("bundle")
def bundle_cmd(plan: PlanOpt, output: OutOpt, as_of: AsOfOpt = None) -> None:
    """Paket bukti dukung (ZIP) per butir LKE, dalam folder AREA/sub-area seperti yang
    dipakai TPI, dengan index.xlsx dan lembar kerja terisi."""
    from monev.store.db import monev_home
    from reports.lke_bundle import write_bundle

    try:
        check_output(output)
        pack = _pack(plan, as_of)
        stats = write_bundle(pack, monev_home(), output)
    except MonevError as exc:
        raise fail(exc) from exc
    except OSError as exc:
        raise fail(MonevError(f"tidak dapat menulis {output}: {exc.strerror}")) from exc
    gone = f", {stats.missing} berkas hilang dari penyimpanan" if stats.missing else ""
    out.print(f"paket bukti ditulis: {output} ({stats.files} berkas, {stats.links} tautan"
              f"{gone})", highlight=False, soft_wrap=True)


@lke_app.command("import-tpi")
def import_tpi_cmd(
    plan: PlanOpt,
    file: Annotated[Path, typer.Argument(help="Lembar kerja LKE (.xlsx) berisi jawaban "
                                              "TPI di kolom N dan catatan di kolom Q.")],
) -> None:
    """Baca jawaban TPI (kolom N/Q lembar Jawaban) dan simpan semuanya, atau tidak sama
    sekali bila ada sel yang salah."""
    from monev.clock import utcnow
    from monev.engine.lke import version_for
    from monev.lke.load import available_versions, load_lke
    from monev.store.db import open_session_factory
    from monev.store.queries import find_plan
    from reports.lke_workbook import read_tpi, store_tpi

    if not file.is_file():
        raise fail(MonevError(f"berkas {file} tidak ditemukan; periksa nama dan "
                              "foldernya"))
    try:
        factory = open_session_factory()
        try:
            with factory.begin() as s:
                found, satker = find_plan(s, plan)
                lke = load_lke(version_for(found, available_versions()))
                stored, cleared = store_tpi(s, satker.id, lke, read_tpi(lke, file), ADMIN,
                                            utcnow())
        finally:
            factory.kw["bind"].dispose()
    except MonevError as exc:
        raise fail(exc) from exc
    out.print(f"jawaban TPI disimpan: {stored} butir"
              + (f", {cleared} dikosongkan" if cleared else ""), highlight=False, soft_wrap=True)
