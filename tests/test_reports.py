"""`monev report`: numbers that agree with the database (counted independently here, from
every checkpoint's own transitions) and across HTML, PDF (read back with pdfplumber),
XLSX (openpyxl) and Markdown; as-of dates; province ranking on a made-up province; the
CLI contract. One database per backend and one Chromium for the whole module."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from html import unescape
from io import BytesIO
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from monev.config import MonevConfig, load_config
from monev.engine.lifecycle import submit_link, transition
from monev.engine.sweep import sweep_plan
from monev.model import Item, Plan, PlanHeader, assign_keys
from monev.periods import Period
from monev.plans import load_plan
from monev.store import models as m
from monev.store.db import open_session_factory
from monev.store.imports import import_plan
from monev.workdays import WorkCalendar
from reports.build import build_report, report_links
from reports.html import render_html
from reports.model import CATEGORIES, Counts, Report, Signer, delta_points, delta_text
from reports.pdf import Printer
from reports.periods import ReportPeriod
from reports.render import render, render_md
from tests.conftest import RB_MUARO, ROOT, fresh_database

CFG = load_config(ROOT / "config" / "monev.yaml")
MUARO = CFG.satker("KPU Kabupaten Muaro Jambi")
PLAN = "kpu-kabupaten-muaro-jambi/rb-2026"
AS_OF = date(2026, 10, 15)
Q3 = ReportPeriod.parse("2026-Q3")


@pytest.fixture(scope="module")
def printer() -> Iterator[Printer]:
    with Printer() as p:
        yield p


@dataclass
class World:
    factory: sessionmaker[Session]
    plan_id: int


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request: pytest.FixtureRequest,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The RB 2026 plan lived through to mid-October: sweeps (opening, escalations),
    evidence sent on time and late, accepted, rejected, resubmitted — and some verified
    only after the report date."""
    assert MUARO is not None
    url = fresh_database(str(request.param), tmp_path_factory.mktemp("reports"))
    factory = open_session_factory(url)
    cal, settings = MUARO.calendar(), MUARO.settings()
    with factory.begin() as s:
        plan_id = import_plan(s, load_plan(RB_MUARO), cal, date(2026, 1, 5), "rb").plan_id
    for day in (date(2026, 1, 5), *(date(2026, mo, 2) for mo in range(2, 11)),
                date(2026, 10, 14), date(2026, 10, 28)):
        with factory.begin() as s:
            sweep_plan(s, plan_id, day, cal, settings, MUARO)
            _evidence(s, plan_id, day)
    with factory.begin() as s:  # verified after the report date (15 Oct): still waiting in it
        waiting = s.scalars(select(m.Checkpoint).join(m.Checkpoint.item).where(
            m.Item.plan_id == plan_id, m.Checkpoint.status == "submitted",
            m.Checkpoint.due >= Q3.start, m.Checkpoint.due <= Q3.end)
            .order_by(m.Checkpoint.id).limit(3)).all()
        assert len(waiting) == 3
        for cp in waiting:
            transition(s, cp, "accept", "Ketua Tim ZI Contoh", "", _at(date(2026, 10, 20)))
    yield World(factory, plan_id)
    factory.kw["bind"].dispose()


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour))


def _evidence(s: Session, plan_id: int, today: date) -> None:
    """Evidence for checkpoints due in the month before ``today`` (by id, so every backend
    gets the same story)."""
    cps = s.scalars(select(m.Checkpoint).join(m.Checkpoint.item).where(
        m.Item.plan_id == plan_id, m.Checkpoint.status.in_(("open", "backlog")),
        m.Checkpoint.due < today, m.Checkpoint.due >= today - timedelta(days=40))
        .order_by(m.Checkpoint.id)).all()
    for cp in cps:
        pattern = (cp.id * 7) % 9
        if pattern >= 7:
            continue  # never sent
        sent = cp.due - timedelta(days=1) if pattern % 2 == 0 else cp.due + timedelta(days=4)
        submit_link(s, cp, f"https://drive.example.org/{cp.id}", "Pegawai Contoh Satu",
                    _at(sent))
        if pattern == 0:
            continue  # waiting for verification
        if pattern in (1, 4):
            transition(s, cp, "reject", "Ketua Tim ZI Contoh", "stempel tidak terbaca",
                       _at(sent, 14))
            if pattern == 4:  # fixed and accepted, later
                submit_link(s, cp, f"https://drive.example.org/{cp.id}b", "Pegawai Contoh Satu",
                            _at(sent + timedelta(days=6)))
                transition(s, cp, "accept", "Ketua Tim ZI Contoh", "",
                           _at(sent + timedelta(days=7)))
            continue
        transition(s, cp, "accept", "Koordinator Manajemen Perubahan", "", _at(sent, 15))


def expected(s: Session, plan_id: int, period: ReportPeriod, as_of: date,
             ) -> dict[str, Counter[str]]:
    """Counts per area, worked out here from each checkpoint's transitions."""
    cut = _at(as_of + timedelta(days=1), 0)
    out: dict[str, Counter[str]] = defaultdict(Counter)
    rows = s.execute(select(m.Checkpoint, m.Area.name).join(m.Checkpoint.item)
                     .join(m.Item.area).where(m.Item.plan_id == plan_id, m.Item.active)
                     ).tuples().all()
    for cp, area in rows:
        if not period.start <= cp.due <= period.end:
            continue
        trs = sorted((t for t in cp.transitions if t.at < cut), key=lambda t: t.id)
        status = trs[-1].to_status if trs else "scheduled"
        sent = [t.at for t in trs if t.to_status == "submitted"]
        if status == "verified":
            cat = "terlambat" if sent and max(sent).date() > cp.due else "tepat_waktu"
        elif status in ("submitted", "rejected"):
            cat = "terkirim" if status == "submitted" else "ditolak"
        else:
            cat = "belum_ada" if cp.due <= as_of else "belum_jatuh_tempo"
        out[area][cat] += 1
        out[area]["backlog"] += status == "backlog"
    return out


def _counts(c: Counts) -> Counter[str]:
    return Counter({k: getattr(c, k) for k in (*CATEGORIES, "backlog") if getattr(c, k)})


@pytest.fixture(scope="module")
def report(world: World) -> tuple[Report, dict[str, Counter[str]]]:
    with world.factory() as s:
        built = build_report(s, CFG, Q3, AS_OF, plan=PLAN, base_url="https://monev.test")
        want = expected(s, world.plan_id, Q3, AS_OF)
    return built, want


def test_model_agrees_with_the_database(report: tuple[Report, dict[str, Counter[str]]],
                                        world: World) -> None:
    built, want = report
    part = built.plans[0]
    assert {a.name: _counts(a.counts) for a in part.areas} == \
        {k: +v for k, v in want.items()}
    total = sum(want.values(), Counter())
    assert _counts(built.counts) == +total
    for cat in ("tepat_waktu", "terlambat", "terkirim", "ditolak", "belum_ada"):
        assert total[cat] > 0, f"the story has {cat}"
    with world.factory() as s:  # the report is as of 15 Oct: later verifications not in it
        later = s.scalar(select(m.Transition.id).where(m.Transition.at >= _at(AS_OF, 0) +
                                                       timedelta(days=1),
                                                       m.Transition.to_status == "verified"))
        prev = expected(s, world.plan_id, Q3.previous(), Q3.previous().end)
    assert later is not None
    before = sum(prev.values(), Counter())
    assert built.previous is not None and _counts(built.previous) == +before
    judged = sum(before.values()) - before["backlog"] - before["belum_jatuh_tempo"]
    assert built.previous.percent == pytest.approx(
        100 * (before["tepat_waktu"] + before["terlambat"]) / judged)
    lines = [ln for a in part.areas for r in a.rows for ln in r.lines] + \
        [ln for _, _, ln in part.backlog]
    assert len(lines) == built.counts.total
    assert all(ln.link == f"https://monev.test/portal/c/{ln.id}" for ln in lines)
    rejected = [ln for ln in lines if ln.category == "ditolak"]
    assert rejected and all("stempel tidak terbaca" in ln.reason for ln in rejected), \
        [(ln.id, ln.reason) for ln in rejected]
    assert any(ln.escalations for ln in lines), "escalations of late rows are listed"
    late = sum(1 for ln in lines if ln.due < AS_OF and ln.category in ("belum_ada", "ditolak"))
    assert sum(n for _, n in part.late_by_subbagian) == late


SUMMARY = ("Checkpoint jatuh tempo pada periode", "Terverifikasi tepat waktu",
           "Terverifikasi terlambat", "Terkirim, menunggu verifikasi", "Ditolak",
           "Belum ada bukti", "Belum jatuh tempo")


def _summary_numbers(c: Counts) -> list[int]:
    return [c.total, c.tepat_waktu, c.terlambat, c.terkirim, c.ditolak, c.belum_ada,
            c.belum_jatuh_tempo]


def test_every_format_says_the_same(report: tuple[Report, dict[str, Counter[str]]],
                                    printer: Printer) -> None:
    built, _ = report
    want = _summary_numbers(built.counts)
    pct = built.counts.percent_text()
    html = render(built, "html").decode()
    for label, n in zip(SUMMARY, want, strict=True):
        assert re.search(rf"<th scope=\"row\">{re.escape(label)}</th><td class=\"num\">{n}</td>",
                         html), label
    assert html.count("<svg") == 3, "capaian per area, trend, on time vs late"
    md = render_md(built)
    for label, n in zip(SUMMARY, want, strict=True):
        assert f"| {label} | {n} |" in md
    assert f"| Capaian | {pct} |" in md
    import pdfplumber

    with pdfplumber.open(BytesIO(render(built, "pdf", printer))) as pdf:
        pages = [p.extract_text() or "" for p in pdf.pages]
    whole = "\n".join(pages)
    for label, n in zip(SUMMARY, want, strict=True):
        assert re.search(rf"^{re.escape(label)} {n}$", whole, re.M), label
    assert re.search(rf"^Capaian {re.escape(pct)}$", whole, re.M)
    assert all(f"Halaman {i} dari {len(pages)}" in p for i, p in enumerate(pages, start=1))
    assert "Sengeti, 15 Oktober 2026" in whole and "Sekretaris Contoh" in whole
    headed = [p for p in pages if "Langkah aksi, bukti fisik, target" in p]
    assert len(headed) >= 2, "the rows table repeats its header on every page"
    from openpyxl import load_workbook

    wb = load_workbook(BytesIO(render(built, "xlsx")))
    summary = {r[0]: r[1] for r in wb["Ringkasan"].iter_rows(values_only=True) if r[0]}
    assert [summary["Checkpoint jatuh tempo pada periode"], *(summary[x] for x in SUMMARY[1:])] \
        == want
    assert summary["Capaian"] == pytest.approx(round(built.counts.percent / 100, 4))
    # the workbook's summary has every row of the HTML one, in the same order
    table = re.search(r'<table class="totals" id="ringkasan">(.*?)</table>', html, re.S)
    assert table is not None
    html_rows = [unescape(x) for x in re.findall(r'<th scope="row">(.*?)</th>', table[1])]
    sheet_rows = [r[0] for r in wb["Ringkasan"].iter_rows(values_only=True)]
    start = sheet_rows.index("Uraian") + 1
    assert sheet_rows[start:start + len(html_rows) + 1] == [*html_rows, None]
    delta = delta_points(built.counts, built.previous)
    assert "Perubahan" in html_rows and delta is not None
    assert summary["Perubahan"] == pytest.approx(round(delta, 1))
    assert f"| Perubahan | {delta_text(built.counts, built.previous)} |" in md
    for ws in wb.worksheets:  # prints as it is: A4 landscape, one page wide, header repeated
        setup = ws.page_setup
        assert (setup.orientation, int(setup.paperSize or 0)) == ("landscape", 9), ws.title
        assert setup.fitToWidth == 1 and setup.fitToHeight == 0, ws.title
        assert ws.sheet_properties.pageSetUpPr is not None
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert ws.print_title_rows == "$1:$1", ws.title
    part = built.plans[0]
    for area in part.areas:
        sheet = next(ws for ws in wb.worksheets[1:] if area.name.startswith(ws.title[:25]))
        assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref
        header = [c.value for c in sheet[1]]
        rows = list(sheet.iter_rows(min_row=2, values_only=True))
        statuses = Counter(r[header.index("Status")] for r in rows)
        from reports.html import label

        assert statuses == +Counter({label(k): getattr(area.counts, k) for k in CATEGORIES})
        tenggat = [r[header.index("Tenggat")] for r in rows]
        assert all(isinstance(d, datetime) for d in tenggat), "dates are dates"
        assert all(isinstance(r[header.index("No")], int) for r in rows), "numbers are numbers"
        fills = {sheet.cell(row=i, column=header.index("Status") + 1).fill.fgColor.rgb
                 for i in range(2, 2 + len(rows))}
        assert len(fills) == len(statuses), "one colour per status"


def test_a_closed_plan_reports_unfinished_items_as_not_achieved(world: World) -> None:
    with world.factory() as s:
        built = build_report(s, CFG, ReportPeriod.parse("2026"), date(2027, 2, 1), plan=PLAN)
    assert built.closed and built.plans[0].status == "selesai"
    md = render_md(built)
    assert f"| Tidak tercapai | {built.counts.belum_ada} |" in md
    assert "Belum ada bukti" not in md


def _made_up(satker: str, months: int, kind: str = "ZI") -> Plan:
    items = [Item(area=area, komponen=f"Komponen {area}", indikator=f"Indikator {i}",
                  langkah_aksi=f"Langkah {area} {i}", bukti_fisik=f"Bukti {area} {i}",
                  target_text="Januari-Desember 2026", source_line=10 + i,
                  periods=tuple(Period(2026, mo) for mo in range(1, months + 1)))
             for i, area in enumerate(("Manajemen Perubahan", "Pelayanan Publik"))]
    assign_keys(kind, items)
    return Plan(PlanHeader(satker, kind, 2026, "1", date(2026, 1, 2)), items, "dibuat-buat")


def test_province_report_ranks_its_satkers(tmp_path: Path) -> None:
    """Three satkers of a made-up province (and one elsewhere): ranked by capaian, then
    by fewer late items."""
    cfg = MonevConfig.model_validate({"satkers": [
        {"name": "KPU Kota Contoh", "province": "Sulawesi Contoh"},
        {"name": "KPU Kabupaten Alfa", "province": "Sulawesi Contoh"},
        {"name": "KPU Kabupaten Beta", "province": "Sulawesi Contoh"},
        {"name": "KPU Kabupaten Lain", "province": "Jambi"}]})
    factory = open_session_factory(f"sqlite:///{tmp_path / 'prov.db'}")
    cal = WorkCalendar()
    # verified per satker (of 6 due in Q1): Alfa 6, Kota 3 (+2 rejected), Beta 3, Lain 6
    story = {"KPU Kabupaten Alfa": (6, 0), "KPU Kota Contoh": (3, 2),
             "KPU Kabupaten Beta": (3, 0), "KPU Kabupaten Lain": (6, 0)}
    with factory.begin() as s:
        for name, (ok, bad) in story.items():
            pid = import_plan(s, _made_up(name, 6), cal, date(2026, 1, 2), name).plan_id
            cps = s.scalars(select(m.Checkpoint).join(m.Checkpoint.item).where(
                m.Item.plan_id == pid, m.Checkpoint.due <= date(2026, 3, 31))
                .order_by(m.Checkpoint.due, m.Checkpoint.id)).all()
            assert len(cps) == 6
            for cp in cps[:ok + bad]:
                submit_link(s, cp, "https://drive.example.org/x", "PIC", _at(cp.due))
                transition(s, cp, "accept" if cp in cps[:ok] else "reject", "Ketua",
                           "" if cp in cps[:ok] else "salah berkas", _at(cp.due, 16))
    with factory() as s:
        built = build_report(s, cfg, ReportPeriod.parse("2026-Q1"), date(2026, 4, 10),
                             province="sulawesi contoh")
    ranked = [(r.rank, r.satker, r.counts.verified, r.late) for r in built.rollup]
    assert ranked == [(1, "KPU Kabupaten Alfa", 6, 0), (2, "KPU Kabupaten Beta", 3, 3),
                      (3, "KPU Kota Contoh", 3, 3)] or ranked == [
        (1, "KPU Kabupaten Alfa", 6, 0), (2, "KPU Kabupaten Beta", 3, 3),
        (3, "KPU Kota Contoh", 3, 3)]
    assert built.counts.verified == 12 and built.counts.ditolak == 2
    from openpyxl import load_workbook

    wb = load_workbook(BytesIO(render(built, "xlsx")))
    table = list(wb["Peringkat"].iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[1], r[7]) for r in table] == [(a, b, d) for a, b, _, d in ranked]
    assert [r[8] for r in table] == [1.0, 0.5, 0.5]
    html = render(built, "html").decode()
    assert html.index("KPU Kabupaten Alfa") < html.index("KPU Kabupaten Beta") < \
        html.index("KPU Kota Contoh", html.index("Peringkat satker"))
    assert "KPU Kabupaten Lain" not in html
    with factory() as s:
        everyone = build_report(s, cfg, ReportPeriod.parse("2026-Q1"), date(2026, 4, 10),
                                province="semua")
    assert [r.satker for r in everyone.rollup][:2] == ["KPU Kabupaten Alfa",
                                                        "KPU Kabupaten Lain"]
    factory.kw["bind"].dispose()


def test_cli_contract_and_one_line_errors(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {**os.environ, "MONEV_HOME": str(home), "MONEV_TODAY": "2026-11-29"}
    env.pop("MONEV_DATABASE_URL", None)
    monev = [sys.executable, "-m", "app"]
    done = subprocess.run([*monev, "plan", "import", str(RB_MUARO), "-q"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    out = tmp_path / "laporan.xlsx"
    ran = subprocess.run([*monev, "report", "--plan", PLAN, "--period", "2026-Q3", "--format",
                          "xlsx", "-o", str(out), "--as-of", "2026-10-01"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stderr
    from openpyxl import load_workbook

    sheet = load_workbook(out)["Ringkasan"]
    assert sheet["A1"].value.startswith("Laporan Monitoring dan Evaluasi Rencana Aksi")
    for args, words in ((["--period", "2026-13"], "periode laporan"),
                        (["--period", "2026", "--format", "docx"], "format laporan"),
                        (["--period", "2026", "--satker", "KPU Entah"], "satker"),
                        (["--period", "2026", "--province", "Bali"], "provinsi")):
        plan = [] if "--satker" in args or "--province" in args else ["--plan", PLAN]
        bad = subprocess.run([*monev, "report", *plan, *args, "-o", str(tmp_path / "x")],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert bad.returncode == 2 and words in bad.stderr, bad.stderr
        assert "Traceback" not in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
        assert not (tmp_path / "x").exists(), "nothing half-written"


def test_satker_report_covers_its_plans_of_the_period(
        report: tuple[Report, dict[str, Counter[str]]], world: World) -> None:
    built, _ = report
    with world.factory() as s:
        whole = build_report(s, CFG, Q3, AS_OF, satker="KPU Kabupaten Muaro Jambi")
    assert whole.scope == "satker" and [p.ref for p in whole.plans] == [PLAN]
    assert _counts(whole.counts) == _counts(built.counts)
    assert "Rencana RB 2026" in render_md(whole)


def _words(text: str) -> set[str]:
    """Its words (letters only: numbers such as the page numbers don't count)."""
    return set(re.findall(r"[^\W\d_]+", text.casefold()))


def _plain(html: str) -> str:
    """The text a reader sees (tags, the style sheet gone; whitespace collapsed)."""
    html = re.sub(r"<style>.*?</style>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def test_the_pdf_never_breaks_a_word(report: tuple[Report, dict[str, Counter[str]]],
                                     printer: Printer) -> None:
    """Tables wrap between words only: every word of the printed PDF is a word of the
    HTML it was printed from (a header broken into "Period e" or a status into
    "Terverifika si" is not), and the headers and statuses stand whole on their lines."""
    import pdfplumber

    built, _ = report
    html = render_html(built, charts=False)  # chart labels are drawn, not typeset text
    title = f"Laporan monev {built.subject} — {built.period.label()}"
    with pdfplumber.open(BytesIO(printer.pdf(html, title))) as pdf:
        lines = [ln for p in pdf.pages for ln in (p.extract_text() or "").splitlines()]
    broken = set().union(*(_words(ln) for ln in lines)) - _words(_plain(html)) - \
        _words(title) - {"halaman", "dari"}
    assert not broken, sorted(broken)[:20]
    tokens = [ln.split() for ln in lines]
    for word in ("Periode", "tenggat", "Status", "Dikirim", "diverifikasi", "Terverifikasi",
                 "menunggu", "verifikasi", "Ditolak"):
        assert any(word in t for t in tokens), word
    assert any(t[:2] == ["Lewat", "tenggat"] for t in tokens)


def test_the_detail_table_shows_the_decree_text_whole(
        report: tuple[Report, dict[str, Counter[str]]]) -> None:
    from markupsafe import escape

    built, _ = report
    html = render(built, "html").decode()
    rows = [r for p in built.plans for a in p.areas for r in a.rows]
    assert any(len(r.bukti_fisik) > 300 for r in rows), "the story has long decree texts"
    for r in rows:
        for text in (r.langkah_aksi or r.indikator, r.bukti_fisik, r.target_text):
            assert str(escape(text)) in html, text[:80]
    assert "…" not in _plain(html)


def test_late_has_one_word_per_meaning(report: tuple[Report, dict[str, Counter[str]]]) -> None:
    """"Terverifikasi terlambat" is evidence accepted but sent after the due date; a
    checkpoint past its due date without verified evidence is "lewat tenggat". No bare
    "terlambat" is left to mean either."""
    from openpyxl import load_workbook

    built, _ = report
    part = built.plans[0]
    assert part.counts.terlambat and part.late_by_pic, "the story has both"
    html, md = render(built, "html").decode(), render_md(built)
    for text in (_plain(html), md.replace("|", " ")):
        text = re.sub(r"\s+", " ", text)
        assert re.search(r"terlambat", text, re.I)
        assert not re.search(r"(?<!terverifikasi )terlambat", text, re.I), \
            re.findall(r".{40}(?<!terverifikasi )terlambat.{20}", text, re.I)[:3]
        assert "Lewat tenggat" in text
    late = re.search(r"<h3>Lewat tenggat per PIC dan per subbagian</h3>(.*?)</table>", html, re.S)
    assert late is not None
    for name, n in part.late_by_pic:
        assert re.search(rf"<td>{re.escape(name)}</td><td class=\"num\">{n}</td>", late[1])
    wb = load_workbook(BytesIO(render(built, "xlsx")))
    cells = [c for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row
             if isinstance(c, str) and "terlambat" in c.casefold()]
    assert cells and all(c.startswith("Terverifikasi terlambat") for c in cells), set(cells)


def test_late_items_are_counted_by_their_real_subbagian(
        report: tuple[Report, dict[str, Counter[str]]]) -> None:
    """Each late checkpoint counts for the subbagian of its PIC (the area's koordinator
    when no PIC is named) as the configuration gives it, as the portal's board does."""
    assert MUARO is not None
    built, _ = report
    part = built.plans[0]
    sub_of = {p.name: p.subbagian for p in MUARO.people}
    lines = [ln for a in part.areas for r in a.rows for ln in r.lines] + \
        [ln for _, _, ln in part.backlog]
    want: Counter[str] = Counter()
    for ln in lines:
        if ln.due < AS_OF and ln.category in ("belum_ada", "ditolak"):
            for sub in {sub_of[n] for n in ln.pic.split(", ") if sub_of.get(n)} or \
                    {"Tanpa subbagian"}:
                want[sub] += 1
    assert dict(part.late_by_subbagian) == dict(want)
    real = {k: n for k, n in want.items() if k != "Tanpa subbagian"}
    assert len(real) >= 2 and sum(real.values()) > want["Tanpa subbagian"], want
    html = render(built, "html").decode()
    for name, n in real.items():
        assert f"<td>{unescape(name)}</td><td class=\"num\">{n}</td>" in unescape(html)


def test_links_go_to_the_public_address_never_to_loopback(tmp_path: Path) -> None:
    for url in ("http://127.0.0.1:8000", "http://localhost:8000/", "http://[::1]:8000",
                "http://0.0.0.0:8000", ""):
        assert report_links(url) == "", url
    assert report_links("https://monev.satker.example/") == "https://monev.satker.example"
    from openpyxl import load_workbook

    env = {**os.environ, "MONEV_HOME": str(tmp_path / "home"), "MONEV_TODAY": "2026-11-29"}
    for key in ("MONEV_DATABASE_URL", "MONEV_PUBLIC_URL", "MONEV_HTTP_HOST", "MONEV_HTTP_PORT"):
        env.pop(key, None)
    monev = [sys.executable, "-m", "app"]
    done = subprocess.run([*monev, "plan", "import", str(RB_MUARO), "-q"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    for public in ("https://monev.kpu-muarojambi.example", ""):
        for fmt in ("html", "xlsx"):
            out = tmp_path / f"laporan-{bool(public)}.{fmt}"
            ran = subprocess.run([*monev, "report", "--plan", PLAN, "--period", "2026-Q3",
                                  "--format", fmt, "-o", str(out)], cwd=ROOT,
                                 env={**env, "MONEV_PUBLIC_URL": public},
                                 capture_output=True, text=True, timeout=120)
            assert ran.returncode == 0, ran.stderr
            if fmt == "html":
                text = out.read_text()
            else:
                wb = load_workbook(out)
                text = " ".join(str(c.hyperlink.target if c.hyperlink else c.value)
                                for ws in wb.worksheets for row in ws.iter_rows()
                                for c in row)
            assert "127.0.0.1" not in text and "localhost" not in text, (public, fmt)
            if public:
                assert f"{public}/portal/c/" in text, fmt
            else:
                assert "/portal/c/" not in text, "no public address: no links at all"


def test_each_plan_kind_is_signed_by_its_own_team(tmp_path: Path, printer: Printer) -> None:
    """A ZI report is signed by the Ketua Tim Zona Integritas, an RB report by the Ketua
    Tim Reformasi Birokrasi — as config/monev.yaml says per satker, with defaults."""
    import pdfplumber

    from monev.config import ReportConfig, Signatory
    from monev.errors import ConfigError

    assert MUARO is not None
    satker, q1, day = "KPU Kabupaten Muaro Jambi", ReportPeriod.parse("2026-Q1"), \
        date(2026, 4, 10)
    factory = open_session_factory(f"sqlite:///{tmp_path / 'kinds.db'}")
    with factory.begin() as s:
        for kind in ("ZI", "RB"):
            import_plan(s, _made_up(satker, 6, kind), WorkCalendar(), date(2026, 1, 2), kind)

    def signers(cfg: MonevConfig, **scope: str) -> list[Signer]:
        with factory() as s:
            return build_report(s, cfg, q1, day, **scope).signers

    zi = signers(CFG, plan="kpu-kabupaten-muaro-jambi/zi-2026")
    rb = signers(CFG, plan="kpu-kabupaten-muaro-jambi/rb-2026")
    sekretaris = Signer("Sekretaris", "Sekretaris Contoh")
    assert zi == [sekretaris, Signer("Ketua Tim Zona Integritas", "Ketua Tim ZI Contoh")]
    assert rb == [sekretaris, Signer("Ketua Tim Reformasi Birokrasi", "Ketua Tim RB Contoh")]
    assert signers(CFG, satker=satker) == [sekretaris, rb[1], zi[1]], \
        "a satker report of both kinds (RB before ZI, as its plans): both teams"
    bare = MonevConfig(satkers=[MUARO.model_copy(update={"report": ReportConfig()})])
    assert signers(bare, plan="kpu-kabupaten-muaro-jambi/rb-2026") == \
        [sekretaris, Signer("Ketua Tim Reformasi Birokrasi", "Ketua Tim ZI Contoh")], \
        "the default: the title of the kind, the name of whoever is ketua_tim"
    own = MonevConfig(satkers=[MUARO.model_copy(update={"report": ReportConfig(signatories={
        "RB": [Signatory(title="Plt. Ketua Tim RB", name="Nama Pengganti", nip="1980")]})})])
    with factory() as s:
        report = build_report(s, own, q1, day, plan="kpu-kabupaten-muaro-jambi/rb-2026")
    assert report.signers == [Signer("Plt. Ketua Tim RB", "Nama Pengganti", "1980")]
    with factory() as s:
        report = build_report(s, CFG, q1, day, plan="kpu-kabupaten-muaro-jambi/rb-2026")
    html = render(report, "html").decode()
    signature = html[html.index('<table class="signature">'):]
    assert "Ketua Tim Reformasi Birokrasi" in signature and "Ketua Tim RB Contoh" in signature
    assert "Zona Integritas" not in signature and "Tim ZI" not in signature
    with pdfplumber.open(BytesIO(render(report, "pdf", printer))) as pdf:
        last = pdf.pages[-1].extract_text() or ""
    assert "Ketua Tim Reformasi Birokrasi" in last and "Ketua Tim RB Contoh" in last
    factory.kw["bind"].dispose()
    for bad, words in (("{RB: [{title: Ketua, jabatan: Ketua}]}", "jabatan"),
                       ("{WBK: [{title: Ketua}]}", "WBK"), ("{RB: []}", "RB")):
        path = tmp_path / "monev.yaml"
        path.write_text(f"satkers:\n  - name: KPU Contoh\n    report:\n"
                        f"      signatories: {bad}\n")
        with pytest.raises(ConfigError, match=words):
            load_config(path)
