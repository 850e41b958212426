"""Writing a parsed plan into the store, as a first import or as a revision.

One call = one transaction (the caller's session). A revision matches items by their
stable key, re-plans future checkpoints and keeps past ones with all that hangs on them."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.orm import Session

from monev import model
from monev.clock import DEFAULT_TZ, today
from monev.config import MonevConfig
from monev.diff import ItemChange, carry_identity, diff_item, diff_plans, render_diff, same_row
from monev.errors import MonevError
from monev.periods import Period
from monev.store import models as m
from monev.store.bulk import insert_returning_ids, insert_rows, next_ids
from monev.workdays import WorkCalendar


@dataclass
class ImportResult:
    plan_id: int
    revision: int
    items: int
    checkpoints: int
    items_added: int = 0
    items_removed: int = 0
    items_changed: int = 0
    checkpoints_added: int = 0
    checkpoints_removed: int = 0
    diff_lines: list[str] = field(default_factory=list)
    unchanged: bool = False
    kept: dict[str, list[str]] = field(default_factory=dict)  # item key → periods kept
    reactivated: list[str] = field(default_factory=list)  # item keys active again


@dataclass
class Deferred:
    """Rows of a batch's first imports written together (one COPY per table for many
    plans on PostgreSQL, instead of several round trips per plan), in the caller's
    transaction. Flushed before anything reads them back (a revision of a plan in the
    same batch) and by the batch at its end; :func:`import_plan` without one writes at
    once."""

    items: list[dict[str, object]] = field(default_factory=list)
    checkpoints: list[dict[str, object]] = field(default_factory=list)
    logs: list[dict[str, object]] = field(default_factory=list)
    satkers: dict[str, int] = field(default_factory=dict)  # slug → id, read once
    limit: int = 50_000  # checkpoint rows held before they are written

    def flush(self, session: Session) -> None:
        insert_rows(session, m.Item, self.items)
        insert_rows(session, m.Checkpoint, self.checkpoints)
        insert_rows(session, m.ImportLog, self.logs)
        self.items, self.checkpoints, self.logs = [], [], []


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def _satker(session: Session, name: str, timezone: str, defer: Deferred | None = None) -> int:
    slug = slugify(name)
    if defer is not None and slug in defer.satkers:
        return defer.satkers[slug]
    found = session.scalar(select(m.Satker.id).where(m.Satker.slug == slug))
    if found is None:
        satker = m.Satker(slug=slug, name=name, timezone=timezone)
        session.add(satker)
        session.flush()
        found = satker.id
    if defer is not None:
        defer.satkers[slug] = found
    return found


def stored_plan(session: Session, header: model.PlanHeader) -> m.Plan | None:
    """The stored plan of the same satker, kind and year, if any."""
    return session.scalar(select(m.Plan).join(m.Plan.satker).where(
        m.Satker.slug == slugify(header.satker), m.Plan.kind == header.kind,
        m.Plan.year == header.year))


def refuse_older(session: Session, stored: m.Plan, plan: model.Plan, sha256: str) -> None:
    """An import must not silently replace a newer revision with an older file: if this
    very content was stored before as an earlier revision and something else came
    since (e.g. a fix made through YAML), say so and stop (``--force`` overrides)."""
    if stored.source_sha256 == sha256:
        return
    earlier = session.execute(select(m.ImportLog.revision, m.ImportLog.source).where(
        m.ImportLog.plan_id == stored.id, m.ImportLog.source_sha256 == sha256)
        .order_by(m.ImportLog.revision.desc())).first()
    if earlier is None:
        return
    raise MonevError(
        f"{plan.source}: isinya sama dengan revisi {earlier.revision} rencana "
        f"{stored.kind} {stored.year} {plan.header.satker}, padahal revisi {stored.revision} "
        f"yang lebih baru (dari {stored.source}) sudah tersimpan; berkas ini tidak diimpor "
        "agar perbaikan itu tidak hilang. Tambahkan --force bila memang ingin kembali ke "
        "isi berkas ini")


def import_plan(session: Session, plan: model.Plan, calendar: WorkCalendar, today: date,
                sha256: str, timezone: str = "Asia/Jakarta",
                force: bool = False, defer: Deferred | None = None) -> ImportResult:
    """Store ``plan``; re-importing the same satker/kind/year makes a revision. With
    ``defer``, a first import's rows wait in it (the caller flushes it)."""
    h = plan.header
    stored = stored_plan(session, h)
    if stored is not None and defer is not None:
        defer.flush(session)  # a revision reads the rows back
    if stored is not None and not force:
        refuse_older(session, stored, plan, sha256)
    if stored is None:
        satker_id = _satker(session, h.satker, timezone, defer)
        result = _first_import(session, satker_id, plan, calendar, today, sha256, defer)
    else:
        result = _revise(session, stored, plan, calendar, today, sha256)
    log = {"plan_id": result.plan_id, "source": plan.source, "source_sha256": sha256,
           "revision": result.revision, "items_added": result.items_added,
           "items_removed": result.items_removed, "items_changed": result.items_changed,
           "checkpoints_added": result.checkpoints_added,
           "checkpoints_removed": result.checkpoints_removed,
           "warnings": len(plan.all_warnings()), "summary": "\n".join(result.diff_lines)}
    if defer is None:
        insert_rows(session, m.ImportLog, [log])
    else:
        defer.logs.append(log)
        if len(defer.checkpoints) >= defer.limit:
            defer.flush(session)
    return result


def _area_ids(session: Session, plan_row: m.Plan, plan: model.Plan) -> dict[str, int]:
    existing = {a.name: a for a in session.scalars(
        select(m.Area).where(m.Area.plan_id == plan_row.id))}
    names = list(dict.fromkeys(i.area for i in plan.items))
    for pos, name in enumerate(names):
        if name in existing:
            existing[name].position = pos
        else:
            area = m.Area(plan_id=plan_row.id, position=pos, name=name)
            session.add(area)
            existing[name] = area
    session.flush()
    return {name: a.id for name, a in existing.items()}


def _item_values(item: model.Item, plan_id: int, area_id: int, pos: int) -> dict[str, object]:
    return {
        "plan_id": plan_id, "area_id": area_id, "key": item.key, "position": pos,
        "komponen": item.komponen, "indikator": item.indikator,
        "langkah_aksi": item.langkah_aksi, "bukti_fisik": item.bukti_fisik,
        "target_text": item.target_text, "source_line": item.source_line,
        "warnings": item.warnings, "active": True,
        "override": model.override_texts(item),
    }


def _first_import(session: Session, satker_id: int, plan: model.Plan,
                  calendar: WorkCalendar, today: date, sha256: str,
                  defer: Deferred | None = None) -> ImportResult:
    h = plan.header
    plan_id = session.scalar(insert(m.Plan).returning(m.Plan.id), {
        "satker_id": satker_id, "kind": h.kind, "year": h.year, "number": h.number,
        "decided_on": h.decided_on, "range_policy": plan.range_policy, "revision": 1,
        "source": plan.source, "source_sha256": sha256, "warnings": plan.warnings})
    assert plan_id is not None
    names = list(dict.fromkeys(i.area for i in plan.items))
    areas = dict(zip(names, insert_returning_ids(session, m.Area, [
        {"plan_id": plan_id, "position": pos, "name": name}
        for pos, name in enumerate(names)]), strict=True))
    values = [_item_values(i, plan_id, areas[i.area], pos) for pos, i in enumerate(plan.items)]
    ids = next_ids(session, m.Item, len(values)) if defer is not None else []
    if ids:  # PostgreSQL: the ids are known now, the rows can wait
        assert defer is not None
        defer.items += [{"id": i, **v} for i, v in zip(ids, values, strict=True)]
    else:
        ids = insert_returning_ids(session, m.Item, values)
    dues: dict[tuple[Period, date | None], tuple[str, date]] = {}  # rows share periods

    def due(p: Period, day: date | None) -> tuple[str, date]:
        found = dues.get((p, day))
        if found is None:
            found = dues[(p, day)] = (str(p), calendar.due_date(p, day))
        return found

    cps = []
    for item_id, item in zip(ids, plan.items, strict=True):
        for p in item.periods:
            period, when = due(p, item.days.get(p))
            cps.append({"item_id": item_id, "period": period, "due": when,
                        "status": "scheduled", "imported_on": today})
    if defer is not None:
        defer.checkpoints += cps
    else:
        insert_rows(session, m.Checkpoint, cps)
    return ImportResult(plan_id=plan_id, revision=1, items=len(plan.items),
                        checkpoints=len(cps), items_added=len(plan.items),
                        checkpoints_added=len(cps))


def _revise(session: Session, row: m.Plan, plan: model.Plan, calendar: WorkCalendar,
            today: date, sha256: str) -> ImportResult:
    changed_at = datetime.utcnow()
    old_items = {i.key: i for i in session.scalars(
        select(m.Item).where(m.Item.plan_id == row.id))}
    old_cps: dict[int, dict[str, m.Checkpoint]] = {}
    for cp in session.scalars(select(m.Checkpoint).join(m.Item).where(
            m.Item.plan_id == row.id)):
        old_cps.setdefault(cp.item_id, {})[cp.period] = cp
    if row.source_sha256 == sha256 and row.range_policy == plan.range_policy:
        return ImportResult(plan_id=row.id, revision=row.revision, items=len(plan.items),
                            checkpoints=sum(len(v) for v in old_cps.values()), unchanged=True,
                            diff_lines=["tidak ada perubahan (berkas sama)"])
    carry_identity([_as_model(i, old_cps.get(i.id, {})) for i in old_items.values()
                    if i.active and i.source_line != 0], plan.items)
    if _same_content(row, plan, old_items, old_cps):  # e.g. the same decree as .docx
        return ImportResult(plan_id=row.id, revision=row.revision, items=len(plan.items),
                            checkpoints=sum(len(v) for v in old_cps.values()), unchanged=True,
                            diff_lines=["tidak ada perubahan (isi sama, berkas lain)"])
    h = plan.header
    row.number, row.decided_on, row.range_policy = h.number, h.decided_on, plan.range_policy
    row.source, row.source_sha256, row.warnings = plan.source, sha256, plan.warnings
    row.revision += 1
    row.data_version += 1
    row.updated_at = changed_at
    areas = _area_ids(session, row, plan)
    result = ImportResult(plan_id=row.id, revision=row.revision, items=len(plan.items),
                          checkpoints=0)
    old_plan = model.Plan(header=h, items=[], source="")
    new_cps: list[dict[str, object]] = []
    new_items: list[tuple[model.Item, dict[str, object]]] = []
    doomed: list[m.Checkpoint] = []
    new_keys = {i.key for i in plan.items}
    for pos, item in enumerate(plan.items):
        stored = old_items.get(item.key)
        values = _item_values(item, row.id, areas[item.area], pos)
        if stored is None:
            new_items.append((item, values))
            continue
        before = _as_model(stored, old_cps.get(stored.id, {}))
        old_plan.items.append(before)
        change = diff_item(before, item)
        was_active = stored.active
        for k, v in values.items():
            setattr(stored, k, v)
        if (change.fields and not same_row(before, item)) or change.periods_added or \
                change.periods_removed or not was_active:
            result.items_changed += 1
        if not was_active:
            result.reactivated.append(item.key)
        if change.fields:  # what calendars show of this row changed
            for cp in old_cps.get(stored.id, {}).values():
                cp.touch(changed_at)
        new_cps += _replan(stored.id, old_cps.get(stored.id, {}), item, calendar, today,
                           result, changed_at, doomed)
    for key, stored in old_items.items():
        # carried rows (monev.store.carry, source_line 0) are not in any document
        if key in new_keys or not stored.active or stored.source_line == 0:
            continue
        stored.active = False
        result.items_removed += 1
        old_plan.items.append(_as_model(stored, old_cps.get(stored.id, {})))
        _drop_future(key, old_cps.get(stored.id, {}).values(), today, result, doomed)
    _delete(session, doomed)
    result.checkpoints_removed += len(doomed)
    ids = insert_returning_ids(session, m.Item, [v for _, v in new_items])
    for new_id, (item, _) in zip(ids, new_items, strict=True):
        new_cps += [{"item_id": new_id, "period": str(p),
                     "due": calendar.due_date(p, item.days.get(p)),
                     "status": "scheduled", "imported_on": today} for p in item.periods]
    result.items_added += len(new_items)
    insert_rows(session, m.Checkpoint, new_cps)
    result.checkpoints_added += len(new_cps)
    session.flush()
    result.checkpoints = session.scalar(
        select(func.count(m.Checkpoint.id)).join(m.Item).where(m.Item.plan_id == row.id)) or 0

    diff = diff_plans(old_plan, plan)
    listed = {c.key for c in diff.changed}
    by_key = {i.key: i for i in plan.items}
    for key in result.reactivated:  # back in the plan even if nothing else changed
        if key not in listed:
            diff.changed.append(ItemChange(key, by_key[key], by_key[key]))
            diff.unchanged -= 1
    result.diff_lines = render_diff(diff, result.kept, result.reactivated)
    return result


def _same_content(row: m.Plan, plan: model.Plan, old_items: dict[str, m.Item],
                  old_cps: dict[int, dict[str, m.Checkpoint]]) -> bool:
    """Whether ``plan`` says what the stored revision says (rows, texts as
    ``monev.diff.same_row`` compares them, periods, header): then it is not a new
    revision, whatever file it came in."""
    h = plan.header
    if (row.number, row.decided_on, row.range_policy) != (h.number, h.decided_on,
                                                          plan.range_policy):
        return False
    active = {k for k, i in old_items.items() if i.active and i.source_line != 0}
    if active != {i.key for i in plan.items} or len(active) != len(plan.items):
        return False
    for item in plan.items:
        stored = old_items[item.key]
        if not same_row(_as_model(stored, old_cps.get(stored.id, {})), item) \
                or stored.override != model.override_texts(item):
            return False
        if set(old_cps.get(stored.id, {})) != {str(p) for p in item.periods}:
            return False
    return True


def _as_model(stored: m.Item, cps: dict[str, m.Checkpoint]) -> model.Item:
    return model.Item(area=stored.area.name, komponen=stored.komponen,
                      indikator=stored.indikator, langkah_aksi=stored.langkah_aksi,
                      bukti_fisik=stored.bukti_fisik, target_text=stored.target_text,
                      source_line=stored.source_line, key=stored.key,
                      warnings=list(stored.warnings or []),
                      periods=tuple(sorted(Period.parse(p) for p in cps)))


def _drop_future(key: str, cps: Iterable[m.Checkpoint], today: date, result: ImportResult,
                 doomed: list[m.Checkpoint]) -> None:
    """Future checkpoints nobody has touched go (into ``doomed``, deleted together by
    :func:`_delete`); past ones and worked-on ones stay."""
    for cp in cps:
        if cp.due >= today and cp.status == "scheduled":
            doomed.append(cp)
        else:
            result.kept.setdefault(key, []).append(cp.period)


DELETE_BATCH = 10_000  # ids per DELETE (SQLite's bound parameters: 32,766)


def _delete(session: Session, doomed: Sequence[m.Checkpoint]) -> None:
    """Delete a revision's dropped checkpoints in one statement per batch. They leave
    the session first (their pending changes with them), so no flush writes them and
    the statement does not search the session's other objects: a DELETE per row with
    that search was quadratic (a 5,000-row revision: 105 s in the write lock)."""
    ids = [cp.id for cp in doomed]
    for cp in doomed:
        session.expunge(cp)
    for start in range(0, len(ids), DELETE_BATCH):
        session.execute(delete(m.Checkpoint).where(
            m.Checkpoint.id.in_(ids[start:start + DELETE_BATCH])),
            execution_options={"synchronize_session": False})


def _replan(item_id: int, cps: dict[str, m.Checkpoint], item: model.Item,
            calendar: WorkCalendar, today: date, result: ImportResult,
            changed_at: datetime, doomed: list[m.Checkpoint]) -> list[dict[str, object]]:
    wanted = {str(p): p for p in item.periods}
    gone = [cp for period, cp in cps.items() if period not in wanted]
    _drop_future(item.key, gone, today, result, doomed)
    for period, cp in cps.items():
        if period in wanted and cp.due >= today and cp.status == "scheduled":
            due = calendar.due_date(wanted[period], item.days.get(wanted[period]))
            if due != cp.due:
                cp.due = due
                cp.touch(changed_at)
    return [{"item_id": item_id, "period": key, "due": calendar.due_date(p, item.days.get(p)),
             "status": "scheduled", "imported_on": today}
            for key, p in wanted.items() if key not in cps]


IMPORT_LOCK = 7150437  # one import at a time per database (PostgreSQL advisory lock)


def lock_imports(session: Session) -> None:
    """Serialise imports across processes: a transaction-scoped advisory lock on
    PostgreSQL (two batches revising the same plans would otherwise race or deadlock).
    SQLite needs none: its writers take the database lock at BEGIN
    (:class:`monev.store.db.Sessions`)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": IMPORT_LOCK})


def import_one(session: Session, plan: model.Plan, sha: str, cfg: MonevConfig,
               force: bool = False, defer: Deferred | None = None) -> ImportResult:
    """Store one parsed plan, dated by its satker's own today (its WIB/WITA/WIT zone)."""
    sc = cfg.satker(plan.header.satker)
    zone = sc.tz if sc else DEFAULT_TZ
    return import_plan(session, plan, sc.calendar() if sc else WorkCalendar(), today(zone),
                       sha, zone, force, defer)


def import_batch(session: Session, batch: Sequence[tuple[model.Plan, str]], cfg: MonevConfig,
                 force: bool = False) -> list[ImportResult]:
    """Store several parsed plans in the caller's one transaction: all or nothing."""
    lock_imports(session)
    defer = Deferred()
    results = [import_one(session, plan, sha, cfg, force, defer) for plan, sha in batch]
    defer.flush(session)
    return results
