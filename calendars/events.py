"""Stored checkpoints → calendar feeds: which checkpoints a feed covers and how each
reads in a month view. Reads the database; rendering itself is pure (``feed.py``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from calendars.feed import FeedEvent, FeedInfo, render_feed
from monev.config import MonevConfig, Person
from monev.engine.lifecycle import rejection_reasons
from monev.engine.people import concerns, holders
from monev.errors import MonevError
from monev.store import models as m
from monev.store.plan_status import closed_plan_ids
from monev.store.queries import plan_ref

STATUS = {  # (month-view mark, words)
    "scheduled": ("🗓", "terjadwal"), "open": ("⏳", "menunggu bukti"),
    "submitted": ("📨", "bukti dikirim, menunggu verifikasi"),
    "verified": ("✅", "terverifikasi"), "rejected": ("↩", "ditolak, kirim ulang"),
    "backlog": ("⚠", "tunggakan (terlambat saat diimpor)"),
}
COLORS = {"plan": "darkgreen", "area": "teal", "person": "royalblue",
          "province": "darkorange"}
WIDE_ROLES = ("ketua_tim", "sekretaris", "ketua", "admin")  # see the satker's whole plan
Row = tuple[m.Checkpoint, m.Item, str, m.Plan, m.Satker]
PeopleBySatker = dict[str, list[Person]]


@dataclass(frozen=True)
class FeedScope:
    """What one feed covers (resolved from a ``feed`` row and the configuration)."""

    info: FeedInfo
    plan_ids: tuple[int, ...]
    area: str | None = None
    person: Person | None = None
    satker: str | None = None  # the person's satker, as the configuration names it


def short_code(satker_name: str) -> str:
    """A satker name short enough for a month view: "KPU Kab. Muaro Jambi"."""
    return satker_name.replace("Kabupaten", "Kab.").replace("Provinsi", "Prov.")


def resolve(session: Session, feed: m.Feed, cfg: MonevConfig) -> FeedScope:
    """The plans, area or person a feed row stands for, and its calendar properties."""
    uid = f"feed-{feed.id}@monev"
    if feed.scope in ("plan", "area"):
        plan = session.get(m.Plan, feed.plan_id)
        if plan is None:
            raise MonevError(f"feed {feed.id}: rencana aksinya sudah dihapus")
        what = f"{plan.kind} {plan.year} — {plan.satker.name}"
        if feed.scope == "plan":
            return FeedScope(FeedInfo(uid, f"Monev {what}", f"Tenggat bukti fisik rencana "
                                      f"aksi {what} (Tim ZI)", COLORS["plan"],
                                      plan.satker.timezone), (plan.id,))
        return FeedScope(FeedInfo(uid, f"Monev {feed.value} — {what}",
                                  f"Tenggat bukti fisik area {feed.value}, {what}",
                                  COLORS["area"], plan.satker.timezone), (plan.id,),
                         area=feed.value)
    if feed.scope == "person":
        satker = session.get(m.Satker, feed.satker_id)
        sc = cfg.satker(satker.name) if satker else None
        person = next((p for p in sc.people if p.name == feed.value), None) if sc else None
        if satker is None or person is None:
            raise MonevError(f"feed {feed.id}: '{feed.value}' tidak ada lagi di konfigurasi")
        ids = tuple(session.scalars(select(m.Plan.id).where(m.Plan.satker_id == satker.id)))
        return FeedScope(FeedInfo(uid, f"Monev {person.name} — {satker.name}",
                                  f"Tenggat bukti fisik untuk {person.name}, {satker.name}",
                                  COLORS["person"], satker.timezone), ids, person=person,
                         satker=sc.name if sc else None)
    if feed.scope == "province":
        names = [s.name for s in cfg.satkers
                 if (s.province or "").casefold() == feed.value.casefold()]
        rows = session.execute(select(m.Plan.id, m.Satker.timezone).join(m.Plan.satker)
                               .where(m.Satker.name.in_(names))
                               .order_by(m.Plan.id)).tuples().all()
        tz = rows[0][1] if rows else "Asia/Jakarta"
        return FeedScope(FeedInfo(uid, f"Monev Provinsi {feed.value}",
                                  f"Tenggat bukti fisik semua satker di Provinsi "
                                  f"{feed.value}", COLORS["province"], tz),
                         tuple(i for i, _ in rows))
    raise MonevError(f"feed {feed.id}: cakupan '{feed.scope}' bukan kalender")


def rows_for(session: Session, scope: FeedScope, people: PeopleBySatker) -> list[Row]:
    query = (select(m.Checkpoint, m.Item, m.Area.name, m.Plan, m.Satker)
             .join(m.Checkpoint.item).join(m.Item.area).join(m.Item.plan)
             .join(m.Plan.satker)
             .where(m.Item.plan_id.in_(scope.plan_ids), m.Item.active))
    if scope.area is not None:
        query = query.where(m.Area.name == scope.area)
    rows = list(session.execute(query).tuples())
    who = scope.person
    if who is not None and who.role not in WIDE_ROLES and not who.admin:
        rows = [r for r in rows if concerns(who, r[2], r[1].komponen,
                                            people.get(r[4].name, []))]
    return rows


def event_for(row: Row, people: Sequence[Person], url: str | None,
              reason: str = "", portal: str | None = None) -> FeedEvent:
    """One checkpoint as an all-day event. ``portal`` is its page in the portal (person
    feeds: a plain page URL, never a sign-in token — a calendar is stored by Google,
    Outlook or Apple); ``reason`` the latest rejection reason, if rejected."""
    cp, item, area, plan, satker = row
    mark, words = STATUS.get(cp.status, ("•", cp.status))
    pics = ", ".join(p.name for p in holders("pic", area, item.komponen, people)) or "-"
    ref = f"{item.key}@{cp.period}"
    bukti = " ".join(item.bukti_fisik.split())
    description = "\n".join([
        f"Bukti fisik: {bukti}", f"Indikator: {' '.join(item.indikator.split())}",
        f"Langkah aksi: {' '.join(item.langkah_aksi.split())}",
        f"Area: {area}", f"PIC: {pics}", f"Status: {words}",
        f"Periode: {cp.period}, tenggat {cp.due:%d-%m-%Y}",
        f"Rencana aksi: {plan.kind} {plan.year} {satker.name} "
        f"({plan_ref(satker.slug, plan.kind, plan.year)})",
        *([f"Alasan ditolak: {' '.join(reason.split())}"] if reason else []),
        f"Kirim bukti: {portal}" if portal else
        "Kirim bukti: lewat Portal monev, dari tautan pribadi di pesan monev Anda",
        f"Kode: {ref}"])
    return FeedEvent(
        uid=f"{item.key}-{cp.period}-{plan.kind.lower()}{plan.year}@{satker.slug}.monev",
        due=cp.due, summary=f"{mark} {_cut(bukti, 60)} [{short_code(satker.name)}]",
        description=description, url=portal or url, categories=(area, plan.kind),
        sequence=cp.sequence, modified=cp.updated_at, done=cp.status == "verified")


def _cut(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


def build_feed(session: Session, feed: m.Feed, cfg: MonevConfig, today: date,
               horizon_days: int = 180,
               link: Callable[[str], str | None] = lambda ref: None) -> bytes:
    """The whole ``.ics`` of one feed; finished items older than the horizon are left
    out (and more if the feed would pass 1 MB). ``link(ref)`` gives each event's URL."""
    return render_scope(session, resolve(session, feed, cfg), cfg, today, horizon_days, link)


def render_scope(session: Session, scope: FeedScope, cfg: MonevConfig, today: date,
                 horizon_days: int, link: Callable[[str], str | None],
                 base_url: str | None = None) -> bytes:
    """``build_feed`` for a scope already resolved (the serving cache has it). With a
    ``base_url``, a person's feed links each event to its checkpoint page in the portal
    (``/portal/c/<id>``): no token, so whoever stores the calendar holds no key, and a
    page opened without a session offers to send the person a sign-in link."""
    people = people_by_satker(session, scope, cfg)
    rows = without_closed_work(session, rows_for(session, scope, people), cfg, today)
    reasons = rejection_reasons(session, (r[0].id for r in rows if r[0].status == "rejected"))
    own = f"{base_url.rstrip('/')}/portal" if base_url and scope.person is not None else None
    events = [event_for(r, people.get(r[4].name, []), link(f"{r[1].key}@{r[0].period}"),
                        reasons.get(r[0].id, ("", ""))[0],
                        f"{own}/c/{r[0].id}" if own else None)
              for r in rows]
    return render_feed(scope.info, events,
                       horizon_start=today - timedelta(days=horizon_days))


def without_closed_work(session: Session, rows: list[Row], cfg: MonevConfig,
                        today: date) -> list[Row]:
    """A closed (*selesai*) plan has no open work: of its checkpoints only the verified
    stay (history, done); the rest leave the feed, as they left the portal's lists
    (the year-end report counts them *tidak tercapai*)."""
    closed = closed_plan_ids(session, {r[3].id for r in rows}, today, cfg.grace_months)
    if not closed:
        return rows
    return [r for r in rows if r[3].id not in closed or r[0].status == "verified"]


def people_by_satker(session: Session, scope: FeedScope, cfg: MonevConfig) -> PeopleBySatker:
    names = session.scalars(select(m.Satker.name).join(m.Plan.satker)
                            .where(m.Plan.id.in_(scope.plan_ids)).distinct())
    return {n: list(sc.people) for n in names if (sc := cfg.satker(n))}
