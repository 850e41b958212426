"""The Papan monev: one plan of the satker at a glance — capaian per area and per month,
a row × month grid coloured by status (the shape of the RB plan's own month grid),
overdue per PIC and per subbagian, escalations, backlog, and the way to the plan's
deployments, runs and capaian artifact in the (private) Prefect UI."""

from __future__ import annotations

import os
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import date, timedelta

from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from monev.engine.review import without_verifier
from monev.periods import MONTH_NAMES_ID
from monev.store import models as m
from monev.store.queries import plan_ref
from portal.access import Light, Viewer, closed_plans, satker_rows
from portal.format import CLOSED_PLAN, SHOWN, shown_state, tanggal

# Which state a grid cell shows when a row has several checkpoints in one month.
PRIORITY = ("missed", "backlog", "late", "rejected", "open", "submitted", "scheduled", "verified",
            "cancelled")
STATUS_FILTERS = {"terlambat": ("late",), "tunggakan": ("backlog",), "ditolak": ("rejected",),
                  "dibuka": ("open",), "terkirim": ("submitted",), "selesai": ("verified",),
                  "terjadwal": ("scheduled",), "tidak tercapai": ("missed",)}


@dataclass
class Capaian:
    label: str
    due: int = 0  # due on or before today
    verified: int = 0
    submitted: int = 0
    late: int = 0  # terlambat or ditolak (chased by the ladder)
    backlog: int = 0  # tunggakan: already overdue when the plan was imported
    missed: int = 0  # a closed plan's checkpoints not verified: tidak tercapai

    @property
    def percent(self) -> int:
        return round(100 * self.verified / self.due) if self.due else 0


@dataclass
class Cell:
    state: str = ""
    cp_id: int = 0
    title: str = ""

    @property
    def css(self) -> str:
        return SHOWN[self.state][0] if self.state else "kosong"

    @property
    def mark(self) -> str:
        return SHOWN[self.state][1] if self.state else ""


@dataclass
class GridRow:
    no: int
    area: str
    text: str
    pic: str
    cells: list[Cell]
    html: Markup = field(default_factory=Markup)  # the cells, rendered once


def cells_html(cells: list[Cell], months: list[str]) -> Markup:
    """A row's month cells (hundreds per page: built here, not in the template loop)."""
    out = []
    for month, c in zip(months, cells, strict=True):
        if c.cp_id:
            label = escape(f"{month}: {c.title}")
            out.append(f'<td class="cell {c.css}"><a href="/portal/c/{c.cp_id}" '
                       f'title="{escape(c.title)}" aria-label="{label}">{c.mark}</a></td>')
        else:
            out.append(f'<td class="cell {c.css}"></td>')
    return Markup("".join(out))


@dataclass
class Board:
    plans: list[tuple[int, str]]
    plan_id: int | None
    plan_label: str = ""
    areas: list[str] = field(default_factory=list)
    total: Capaian = field(default_factory=lambda: Capaian("Seluruh rencana"))
    by_area: list[Capaian] = field(default_factory=list)
    by_month: list[Capaian] = field(default_factory=list)
    months: list[str] = field(default_factory=list)
    grid: list[GridRow] = field(default_factory=list)
    late_by_pic: list[tuple[str, int]] = field(default_factory=list)
    late_by_subbagian: list[tuple[str, int]] = field(default_factory=list)
    escalations: list[tuple[str, str, str, int]] = field(default_factory=list)
    backlog: int = 0
    prefect: dict[str, str] = field(default_factory=dict)
    closed: str = ""  # the sentence saying the chosen plan is closed (selesai)
    # rows nobody can verify (no tier has anyone): (no, row text, area, PIC)
    unverifiable: list[tuple[int, str, str, str]] = field(default_factory=list)
    lke: LkeGap | None = None  # the plan's LKE standing as the last sweep left it


@dataclass(frozen=True)
class LkeGap:
    """What the Papan says of the LKE: the projected and current totals, the day the
    sweep computed them, and the WBK gate's reasons (the gap)."""

    version: str
    day: date
    ahead: float
    now: float
    met: bool
    short: list[str]


def lke_gap(session: Session, plan_id: int) -> LkeGap | None:
    snap = session.get(m.LkeSnapshot, plan_id)
    if snap is None:
        return None
    gate = snap.summary.get("gates", {}).get("WBK", {})
    return LkeGap(snap.version, snap.day, snap.ahead_total, snap.now_total,
                  bool(gate.get("met")), list(gate.get("short", [])))


def build_board(session: Session, viewer: Viewer, today: date, plan_id: int | None,
                area: str | None, status: str | None) -> Board:
    if viewer.satker_row is None:
        return Board([], None)
    plans = session.execute(select(m.Plan.id, m.Plan.kind, m.Plan.year)
                            .where(m.Plan.satker_id == viewer.satker_row.id)
                            .order_by(m.Plan.year.desc(), m.Plan.kind.desc())).tuples().all()
    closed = closed_plans(session, viewer, today, [pid for pid, _, _ in plans])
    choices = [(pid, f"{kind} {year}" + (" (selesai)" if pid in closed else ""))
               for pid, kind, year in plans]
    if not choices:
        return Board([], None)
    # the newest plan still open unless asked otherwise: closed plans hold no work
    default = next((pid for pid, _ in choices if pid not in closed), choices[0][0])
    chosen = plan_id if plan_id in {c[0] for c in choices} else default
    board = Board(choices, chosen, dict(choices)[chosen],
                  closed=CLOSED_PLAN if chosen in closed else "")
    rows = satker_rows(session, viewer, chosen)
    board.areas = list(dict.fromkeys(r[2] for r in rows))
    if area in board.areas:
        rows = [r for r in rows if r[2] == area]
    is_closed = chosen in closed
    _capaian(board, rows, today, is_closed)
    _grid(board, rows, today, STATUS_FILTERS.get(status or ""), is_closed)
    _late(board, viewer, rows, today, is_closed)
    _escalations(board, session, chosen, today)
    _unverifiable(board, viewer, rows)
    board.lke = lke_gap(session, chosen)
    plan = session.get(m.Plan, chosen)
    if plan is not None:
        board.prefect = prefect_links(plan_ref(viewer.satker_row.slug, plan.kind, plan.year))
    return board


def _capaian(board: Board, rows: list[Light], today: date, closed: bool) -> None:
    areas: dict[str, Capaian] = {}
    months: dict[str, Capaian] = {}
    for cp, _item, area, _plan in rows:
        state = shown_state(cp.status, cp.due, today, closed)
        month = cp.period[:7]
        label = f"{MONTH_NAMES_ID[int(month[5:]) - 1]} {month[:4]}"
        for c in (board.total, areas.setdefault(area, Capaian(area)),
                  months.setdefault(month, Capaian(label))):
            if cp.due <= today:
                c.due += 1
                c.verified += cp.status == "verified"
                c.submitted += cp.status == "submitted"
                c.late += state in ("late", "rejected")
                c.backlog += state == "backlog"
                c.missed += state == "missed"
    board.backlog = board.total.backlog
    board.by_area = list(areas.values())
    board.by_month = [months[k] for k in sorted(months)]


def _grid(board: Board, rows: list[Light], today: date,
          wanted: tuple[str, ...] | None, closed: bool) -> None:
    months = sorted({cp.period[:7] for cp, *_ in rows})
    board.months = [f"{MONTH_NAMES_ID[int(k[5:]) - 1][:3]} {k[2:4]}" for k in months]
    col = {k: i for i, k in enumerate(months)}
    by_item: dict[int, GridRow] = {}
    states: dict[int, set[str]] = defaultdict(set)
    for cp, item, area, _plan in rows:
        grid_row = by_item.get(item.id)
        if grid_row is None:
            grid_row = GridRow(item.position + 1, area,
                               " ".join((item.langkah_aksi or item.indikator).split())[:140],
                               "", [Cell() for _ in months])
            by_item[item.id] = grid_row
        state = shown_state(cp.status, cp.due, today, closed)
        states[item.id].add(state)
        cell = grid_row.cells[col[cp.period[:7]]]
        if not cell.state or PRIORITY.index(state) < PRIORITY.index(cell.state):
            cell.state, cell.cp_id = state, cp.id
            cell.title = f"{SHOWN[state][2]}, tenggat {tanggal(cp.due)}"
    grid = sorted(by_item.items(), key=lambda kv: kv[1].no)
    board.grid = [g for item_id, g in grid if wanted is None or states[item_id] & set(wanted)]
    for g in board.grid:
        g.html = cells_html(g.cells, board.months)


def _late(board: Board, viewer: Viewer, rows: list[Light], today: date, closed: bool) -> None:
    per_pic: Counter[str] = Counter()
    per_sub: Counter[str] = Counter()
    for cp, item, area, _plan in rows:
        if shown_state(cp.status, cp.due, today, closed) not in ("late", "backlog", "rejected"):
            continue
        pics = viewer.people.holders("pic", area, item.komponen)
        for p in pics or []:
            per_pic[p.name] += 1
        subs = {p.subbagian for p in pics if p.subbagian} or {"Tanpa subbagian"}
        for s in subs:
            per_sub[s] += 1
        if not pics:
            per_pic["(belum diatur)"] += 1
    board.late_by_pic = per_pic.most_common()
    board.late_by_subbagian = per_sub.most_common()


def _unverifiable(board: Board, viewer: Viewer, rows: list[Light]) -> None:
    """Rows with a review tier nobody can act in (people missing from the config)."""
    seen: set[int] = set()
    for _cp, item, area, _plan in rows:
        if item.id in seen:
            continue
        seen.add(item.id)
        if without_verifier(viewer.people.tiers(area, item.komponen)):
            board.unverifiable.append((
                item.position + 1, " ".join((item.langkah_aksi or item.indikator).split())[:140],
                area, ", ".join(viewer.people.names("pic", area, item.komponen)) or "-"))
    board.unverifiable.sort()


def _escalations(board: Board, session: Session, plan_id: int, today: date) -> None:
    """Escalation steps of the last 30 days, per level and recipients."""
    since = today - timedelta(days=30)
    found: Counter[tuple[str, str, str]] = Counter()
    for step, role, who in session.execute(
            select(m.ActionLog.step, m.ActionLog.recipient_role, m.ActionLog.recipient)
            .where(m.ActionLog.plan_id == plan_id, m.ActionLog.action == "escalate",
                   m.ActionLog.on_date >= since)).tuples():
        found[(step, role, who or "(belum diatur)")] += 1
    board.escalations = [(step, role, who, n) for (step, role, who), n in sorted(found.items())]


_DEPLOYMENTS: dict[str, tuple[float, dict[str, str]]] = {}
_LOCK = threading.Lock()
LOOKUP_SECONDS = 300


def prefect_ui() -> str | None:
    """The Prefect UI (``MONEV_PREFECT_UI_URL``, else ``PREFECT_API_URL`` minus ``/api``)."""
    ui = os.environ.get("MONEV_PREFECT_UI_URL")
    api = os.environ.get("PREFECT_API_URL")
    if not ui and api:
        ui = api.rstrip("/").removesuffix("/api")
    return ui.rstrip("/") if ui else None


def links_epoch() -> Hashable:
    """What the Papan's Prefect links depend on besides the plan: the UI's address and
    the 5-minute period of the deployment lookup (a cached Papan is rebuilt after it)."""
    ui = prefect_ui()
    return (ui, int(time.monotonic() // LOOKUP_SECONDS)) if ui else None


def prefect_links(plan: str) -> dict[str, str]:
    """Links to the plan's capaian artifact, deployments and runs in the Prefect UI
    (deployment ids looked up once every 5 minutes; plain lists when unreachable)."""
    ui = prefect_ui()
    if not ui:
        return {}
    key = plan.replace("/", "-")
    links = {"Capaian (artefak)": f"{ui}/artifacts/key/{key}-capaian",
             "Laporan monev (artefak)": f"{ui}/artifacts/key/{key}-laporan-monev"}
    found = _deployment_ids(key)
    for flow, dep_id in sorted(found.items()):
        links[f"Deployment {flow}"] = f"{ui}/deployments/deployment/{dep_id}"
    if not found:
        links["Deployment"] = f"{ui}/deployments"
    links["Flow run"] = f"{ui}/runs"
    return links


def _deployment_ids(name: str) -> dict[str, str]:
    with _LOCK:
        hit = _DEPLOYMENTS.get(name)
    if hit and time.monotonic() - hit[0] < LOOKUP_SECONDS:
        return hit[1]
    api = os.environ.get("PREFECT_API_URL", "").rstrip("/")
    found: dict[str, str] = {}
    if api:
        import httpx

        auth = os.environ.get("PREFECT_API_AUTH_STRING", "")
        user, _, password = auth.partition(":")
        try:
            with httpx.Client(base_url=api, timeout=1.5,
                              auth=(user, password) if auth else None) as client:
                deps = client.post("/deployments/filter", json={
                    "deployments": {"name": {"any_": [name]}}}).raise_for_status().json()
                flows = {f["id"]: f["name"] for f in client.post(
                    "/flows/filter", json={}).raise_for_status().json()} if deps else {}
            found = {flows.get(d["flow_id"], d["name"]): d["id"] for d in deps}
        except (httpx.HTTPError, ValueError, KeyError, TypeError):
            found = {}
    with _LOCK:
        _DEPLOYMENTS[name] = (time.monotonic(), found)
    return found
