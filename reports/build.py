"""Building a report's data model (:mod:`reports.model`) for a plan, a satker (all its
plans with checkpoints in the period) or a province (its satkers ranked), as of a date.

Counts come from SQL aggregates (:mod:`reports.queries`); people (PIC, subbagian,
signers) and provinces from the configuration."""

from __future__ import annotations

import ipaddress
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monev.config import MonevConfig, Person, ReportConfig, SatkerConfig
from monev.engine.people import holders
from monev.errors import MonevError
from monev.periods import MONTH_NAMES_ID
from monev.store import models as m
from monev.store.plan_status import last_due, status_on
from monev.store.queries import find_plan, plan_ref
from reports import queries as q
from reports.lke_page import lke_part
from reports.model import (
    AreaPart,
    Counts,
    Line,
    PlanPart,
    Report,
    RollupLine,
    Row,
    Signer,
)
from reports.periods import ReportPeriod

NATIONAL = ("semua", "nasional")  # --province semua: every satker, ranked
KIND_WORDS = {"ZI": "Zona Integritas", "RB": "Reformasi Birokrasi"}
NO_SUBBAGIAN = "Tanpa subbagian"  # the PIC (or koordinator) has no subbagian configured


def build_report(session: Session, cfg: MonevConfig, period: ReportPeriod, as_of: date, *,
                 plan: str | None = None, satker: str | None = None,
                 province: str | None = None, base_url: str = "") -> Report:
    """The report of exactly one of ``plan`` (its id), ``satker`` or ``province``."""
    if sum(x is not None for x in (plan, satker, province)) != 1:
        raise MonevError("pilih tepat satu cakupan: --plan, --satker atau --province")
    if province is not None:
        return _province(session, cfg, period, as_of, province)
    if plan is not None:
        row, sk = find_plan(session, plan)
        plans = [(row, sk)]
    else:
        assert satker is not None
        sk = _satker(session, satker)
        plans = _plans_in(session, [sk.id], period)
        if not plans:
            raise MonevError(f"{sk.name} tidak punya checkpoint pada {period.label()}")
    return _detailed(session, cfg, period, as_of, plans, sk, "rencana" if plan else "satker",
                     report_links(base_url))


def _satker(session: Session, name: str) -> m.Satker:
    wanted = name.strip().casefold()
    for sk in session.scalars(select(m.Satker)):
        if wanted in (sk.name.casefold(), sk.slug):
            return sk
    raise MonevError(f"satker '{name}' tidak ada di basis data; lihat `monev plan list`")


def _plans_in(session: Session, satker_ids: list[int],
              period: ReportPeriod) -> list[tuple[m.Plan, m.Satker]]:
    """Plans of these satkers with checkpoints due in the period."""
    has = (select(m.Item.plan_id).join(m.Checkpoint).where(
        m.Item.active, m.Checkpoint.due >= period.start, m.Checkpoint.due <= period.end))
    return list(session.execute(
        select(m.Plan, m.Satker).join(m.Plan.satker)
        .where(m.Plan.satker_id.in_(satker_ids), m.Plan.id.in_(has))
        .order_by(m.Satker.name, m.Plan.year, m.Plan.kind)).tuples())


def _scope(plan_ids: list[int], start: date, end: date, as_of: date) -> q.Scope:
    return q.Scope(select(m.Plan.id).where(m.Plan.id.in_(plan_ids)), start, end, as_of)


def _previous_as_of(period: ReportPeriod, as_of: date) -> tuple[ReportPeriod, date]:
    prev = period.previous()
    return prev, min(prev.end, as_of)


def _trend(session: Session, scope_plans: Any, period: ReportPeriod,
           as_of: date) -> list[tuple[str, Counts]]:
    """Month by month of the period's year up to its end: checkpoints due that month."""
    rows = q.counts_by_month(session, q.Scope(scope_plans, date(period.year, 1, 1),
                                              period.end, as_of))
    months: dict[str, Counts] = defaultdict(Counts)
    for month, cat, n, backlog in rows:
        months[month].add(cat, n, backlog)
    return [(f"{MONTH_NAMES_ID[int(k[5:7]) - 1][:3]} {k[:4]}", months[k])
            for k in sorted(months)]


def _signers(sc: SatkerConfig | None, kinds: Iterable[str]) -> list[Signer]:
    """Who signs a report of plans of these kinds (the satker's ``report.signatories``):
    a ZI report its Ketua Tim Zona Integritas, an RB report its Ketua Tim Reformasi
    Birokrasi; a report of both, each signature once."""
    own = sc.report if sc else ReportConfig()
    people = sc.people if sc else []
    out: list[Signer] = []
    for kind in dict.fromkeys(kinds) or ("ZI",):
        for s in own.signers(kind):
            name = s.name or next((p.name for p in people if s.role and p.role == s.role), "")
            signer = Signer(s.title, name, s.nip or "")
            if signer not in out:
                out.append(signer)
    return out


def report_links(base_url: str) -> str:
    """Where a report's links point: ``base_url`` (``MONEV_PUBLIC_URL``), never a
    loopback address — a report is read on other machines, so without a public address
    it carries no links at all."""
    host = (urlsplit(base_url).hostname or "").casefold()
    if not host or host == "localhost" or host.endswith(".localhost"):
        return ""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return base_url.rstrip("/")
    return "" if ip.is_loopback or ip.is_unspecified else base_url.rstrip("/")


def place_of(sc: SatkerConfig | None, satker_name: str) -> str:
    """Where the report is signed: the configured place, else the satker's own name
    without "KPU Kabupaten/Kota/Provinsi"."""
    if sc is not None and sc.place:
        return sc.place
    words = satker_name.split()
    while words and words[0].casefold() in ("kpu", "kabupaten", "kab.", "kota", "provinsi"):
        words = words[1:]
    return " ".join(words) or satker_name


def _detailed(session: Session, cfg: MonevConfig, period: ReportPeriod, as_of: date,
              plans: list[tuple[m.Plan, m.Satker]], sk: m.Satker, scope: str,
              base_url: str) -> Report:
    ids = [p.id for p, _ in plans]
    sc = cfg.satker(sk.name)
    people = sc.people if sc else []
    grace = sc.settings().closing_grace_months if sc else 1
    now = _scope(ids, period.start, period.end, as_of)
    prev, prev_as_of = _previous_as_of(period, as_of)
    counts = _area_counts(q.counts_by_area(session, now))
    before = _area_counts(q.counts_by_area(session, _scope(ids, prev.start, prev.end,
                                                           prev_as_of)))
    details = q.detail_rows(session, now)
    cp_ids = [d.cp_id for d in details]
    reasons = q.rejection_notes(session, cp_ids, as_of)
    escalations = q.escalation_steps(session, cp_ids, as_of)
    parts: list[PlanPart] = []
    for plan, satker in plans:
        per_area = counts.get(plan.id, {})
        total = Counts()
        for c in per_area.values():
            total.merge(c[1])
        prev_total = None
        if plan.id in before:
            prev_total = Counts()
            for c in before[plan.id].values():
                prev_total.merge(c[1])
        status = status_on(plan, last_due(session, plan.id), as_of, grace)
        part = PlanPart(plan.id, plan_ref(satker.slug, plan.kind, plan.year), satker.name,
                        plan.kind, plan.year, plan.number or "-", plan.decided_on, status,
                        total, prev_total)
        areas = {name: AreaPart(name, c) for _, (name, c) in sorted(per_area.items())}
        _fill_rows(part, areas, [d for d in details if d.plan_id == plan.id], people,
                   reasons, escalations, base_url, as_of)
        part.areas = list(areas.values())
        part.lke = lke_part(session, plan, as_of)
        parts.append(part)
    total, prev_total = Counts(), Counts() if before else None
    for p in parts:
        total.merge(p.counts)
        if prev_total is not None and p.previous is not None:
            prev_total.merge(p.previous)
    first = parts[0]
    if scope == "rencana":
        title = (f"Laporan {'Akhir ' if period.kind == 'tahun' else ''}Monitoring dan Evaluasi "
                 f"Rencana Aksi {KIND_WORDS.get(first.kind, first.kind)} {first.year}")
    else:
        title = f"Laporan Monitoring dan Evaluasi Rencana Aksi {sk.name}"
    return Report(scope, sk.name, period, as_of, title, total, prev_total,
                  _trend(session, select(m.Plan.id).where(m.Plan.id.in_(ids)), period, as_of),
                  parts, place=place_of(sc, sk.name),
                  signers=_signers(sc, [p.kind for p in parts]))


def _area_counts(rows: list[tuple[int, int, str, str, int, int]],
                 ) -> dict[int, dict[int, tuple[str, Counts]]]:
    out: dict[int, dict[int, tuple[str, Counts]]] = {}
    for plan_id, pos, name, cat, n, backlog in rows:
        entry = out.setdefault(plan_id, {}).setdefault(pos, (name, Counts()))
        entry[1].add(cat, n, backlog)
    return out


def _fill_rows(part: PlanPart, areas: dict[str, AreaPart], details: list[q.DetailRow],
               people: list[Person], reasons: dict[int, str], escalations: dict[int, str],
               base_url: str, as_of: date) -> None:
    """Rows per area with their checkpoints; late items by PIC and subbagian; backlog."""
    rows: dict[int, Row] = {}
    memo: dict[tuple[str, str], list[Person]] = {}
    by_pic: Counter[str] = Counter()
    by_sub: Counter[str] = Counter()
    for d in details:
        row = rows.get(d.item_id)
        if row is None:
            row = Row(d.position + 1, d.komponen, d.indikator, d.langkah_aksi, d.bukti_fisik,
                      d.target_text)
            rows[d.item_id] = row
            areas.setdefault(d.area, AreaPart(d.area, Counts())).rows.append(row)
        pics = memo.get((d.area, d.komponen))
        if pics is None:
            pics = memo[(d.area, d.komponen)] = holders("pic", d.area, d.komponen, people)
        line = Line(d.cp_id, d.period, d.due, d.status, d.category,
                    d.submitted_at.date() if d.submitted_at else None,
                    d.verified_at.date() if d.verified_at else None,
                    f"{base_url}/portal/c/{d.cp_id}" if base_url else "",
                    d.status == "backlog", reasons.get(d.cp_id, "")
                    if d.category == "ditolak" else "", escalations.get(d.cp_id, ""),
                    ", ".join(p.name for p in pics) or "(belum diatur)",
                    ", ".join(sorted({p.subbagian for p in pics if p.subbagian}))
                    or NO_SUBBAGIAN)
        if line.backlog:
            part.backlog.append((d.area, row, line))
        else:
            row.lines.append(line)
        if d.due < as_of and d.category in ("belum_ada", "ditolak"):
            for name in line.pic.split(", "):
                by_pic[name] += 1
            for sub in {p.subbagian for p in pics if p.subbagian} or {NO_SUBBAGIAN}:
                by_sub[sub] += 1  # as the portal's board counts: each PIC's subbagian
    for area in areas.values():
        area.rows = [r for r in area.rows if r.lines]
    part.late_by_pic = sorted(by_pic.items(), key=lambda kv: (-kv[1], kv[0]))
    part.late_by_subbagian = sorted(by_sub.items(), key=lambda kv: (-kv[1], kv[0]))


def _province(session: Session, cfg: MonevConfig, period: ReportPeriod, as_of: date,
              province: str) -> Report:
    """Satkers of a province (from the configuration), ranked by capaian."""
    wanted = province.strip().casefold()
    national = wanted in NATIONAL
    provinces = {sc.name.casefold(): sc.province or "-" for sc in cfg.satkers}
    satkers = [sk for sk in session.scalars(select(m.Satker).order_by(m.Satker.name))
               if national or provinces.get(sk.name.casefold(), "").casefold() == wanted]
    if not satkers:
        raise MonevError(f"tidak ada satker tersimpan di provinsi '{province}' (provinsi "
                         "satker diambil dari config/monev.yaml)")
    ids = [s.id for s in satkers]
    plan_ids = select(m.Plan.id).where(m.Plan.satker_id.in_(ids))
    now = q.Scope(plan_ids, period.start, period.end, as_of)
    prev, prev_as_of = _previous_as_of(period, as_of)
    per_satker: dict[int, Counts] = defaultdict(Counts)
    for sid, cat, n, backlog in q.counts_by_satker(session, now):
        per_satker[sid].add(cat, n, backlog)
    before = Counts()
    for _sid, cat, n, backlog in q.counts_by_satker(
            session, q.Scope(plan_ids, prev.start, prev.end, prev_as_of)):
        before.add(cat, n, backlog)
    late = q.late_counts_by_satker(session, now)
    n_plans = dict(session.execute(
        select(m.Plan.satker_id, func.count(m.Plan.id)).where(m.Plan.satker_id.in_(ids))
        .group_by(m.Plan.satker_id)).tuples().all())
    lines = [RollupLine(0, s.name, provinces.get(s.name.casefold(), "-"), n_plans.get(s.id, 0),
                        per_satker[s.id], late.get(s.id, 0)) for s in satkers]
    lines.sort(key=lambda r: (-(r.counts.percent if r.counts.percent is not None else -1),
                              r.late, r.satker))
    for rank, line in enumerate(lines, start=1):
        line.rank = rank
    total = Counts()
    for line in lines:
        total.merge(line.counts)
    name = "Nasional" if national else next(
        (sc.province for sc in cfg.satkers if (sc.province or "").casefold() == wanted),
        province)
    office = cfg.satker(f"KPU Provinsi {name}")
    kinds = session.scalars(select(m.Plan.kind).where(m.Plan.satker_id.in_(ids)).distinct()
                            .order_by(m.Plan.kind.desc())).all()
    title = ("Rekapitulasi Monitoring dan Evaluasi Rencana Aksi "
             + ("" if national else "Provinsi ") + (name or province))
    return Report("provinsi", name or province, period, as_of, title, total,
                  before if before.total else None,
                  _trend(session, plan_ids, period, as_of), [], lines,
                  place=place_of(office, office.name) if office else name or "",
                  signers=_signers(office, kinds), details=False)
