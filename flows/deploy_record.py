"""``monev deploy`` that compiles and writes only the plans that changed.

The monev database records, per target (server URL, work pool, project directory),
what was deployed for which plan (:class:`monev.store.models.DeployedPlan`): a hash of
the inputs it was compiled from (the plan's data version, its status today, its
satker's time zone and names, the whole configuration), a hash of the specifications
written, and the deployments' names. A complete sync leaves a fresh random epoch both
there and in the server's ``monev-sync`` variable.

An unchanged re-deploy reads the plans' versions and the records (two queries) and
asks the server two small things: its epoch and how many deployments monev owns.
Anything else — the epoch differs (the server lost its database, another writer, an
interrupted complete sync), the count differs (a deployment removed by hand, an
interrupted incremental one that created or deleted some) — falls back to the
complete sync, which reads every deployment and rewrites the records. Otherwise only
the plans whose inputs changed are compiled, and only their deployments written; a
record is updated after its writes succeeded, so an interrupted run redoes them."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from flows.deployments import PlanDeployment, compile_by_plan, fixed_deployments
from flows.register import PROJECT_DIR, SyncReport, apply, server_state, spec_hash, sync
from monev.config import MonevConfig
from monev.engine.closing import phase
from monev.store import models as m

COMPILE_VERSION = "1"  # bump when the same inputs compile to different deployments
GLOBAL = 0  # the record of the safety net, the dispatcher and the inbound retry


@dataclass
class Record:
    inputs: str
    specs: str
    names: list[str]


def _hash(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()[:40]


def target_key(api_url: str, work_pool: str, project_dir: Path) -> str:
    return _hash(api_url.rstrip("/"), work_pool, project_dir)


def plan_inputs(session: Session, cfg: MonevConfig, since: date) -> dict[int, str]:
    """Each plan's inputs hash, in one query: whatever a compile reads and can change
    (due dates and rows move its data version; closing by the dates moves its status)."""
    conf = _hash(cfg.model_dump_json(), COMPILE_VERSION)
    last = (select(m.Item.plan_id, func.max(m.Checkpoint.due).label("last"))
            .join(m.Checkpoint.item).where(m.Item.active).group_by(m.Item.plan_id).subquery())
    rows = session.execute(
        select(m.Plan.id, m.Plan.data_version, m.Plan.status, m.Plan.status_manual,
               m.Plan.kind, m.Plan.year, m.Satker.name, m.Satker.slug, m.Satker.timezone,
               last.c.last)
        .join(m.Plan.satker).outerjoin(last, last.c.plan_id == m.Plan.id)).tuples()
    grace: dict[str, int] = {}
    out: dict[int, str] = {}
    for pid, version, status, manual, kind, year, name, slug, zone, last_due in rows:
        months = grace.get(name)
        if months is None:
            months = grace[name] = cfg.grace_months(name)
        closed = (status if manual else phase(last_due, since, months)) == "selesai"
        out[pid] = _hash(version, closed, kind, year, name, slug, zone, conf)
    return out


def _specs(deployments: list[PlanDeployment], work_pool: str, project_dir: Path) -> str:
    return _hash(*sorted(f"{d.flow_name}/{d.name}:{spec_hash(d, work_pool, project_dir)}"
                         for d in deployments))


def _names(deployments: list[PlanDeployment]) -> list[str]:
    return sorted(f"{d.flow_name}/{d.name}" for d in deployments)


def _read(session: Session, target: str) -> tuple[str | None, dict[int, Record]]:
    epoch = session.scalar(select(m.DeployTarget.epoch).where(m.DeployTarget.target == target))
    records = {r.plan_id: Record(r.inputs, r.specs, list(r.names)) for r in session.scalars(
        select(m.DeployedPlan).where(m.DeployedPlan.target == target))}
    return epoch, records


def deploy(factory: sessionmaker[Session], cfg: MonevConfig, since: date, work_pool: str,
           api_url: str, project_dir: Path = PROJECT_DIR) -> SyncReport:
    """Bring the server's deployments up to the plans, writing only what changed."""
    target = target_key(api_url, work_pool, project_dir)
    fixed = fixed_deployments()
    with factory() as s:
        inputs = plan_inputs(s, cfg, since)
        epoch, records = _read(s, target)
    inputs[GLOBAL] = _specs(fixed, work_pool, project_dir)
    server_epoch, count = asyncio.run(server_state())
    if epoch is None or server_epoch != epoch or \
            count != sum(len(r.names) for r in records.values()):
        return _full(factory, cfg, since, work_pool, project_dir, target, inputs, fixed)
    changed = {pid for pid, key in inputs.items()
               if pid not in records or records[pid].inputs != key}
    gone = set(records) - set(inputs)
    report = SyncReport(unchanged=count)
    if not changed and not gone:
        return report
    with factory() as s:
        compiled = dict(compile_by_plan(s, cfg, since, changed - {GLOBAL}))
    if GLOBAL in changed:
        compiled[GLOBAL] = fixed
    new: dict[int, Record] = {}
    put: list[PlanDeployment] = []
    drop: list[str] = []
    for pid in sorted(changed):
        mine = compiled.get(pid, [])
        rec = Record(inputs[pid], _specs(mine, work_pool, project_dir), _names(mine))
        new[pid] = rec
        old = records.get(pid)
        if old is not None and (old.specs, old.names) == (rec.specs, rec.names):
            continue  # e.g. evidence moved its data version: the schedules are the same
        put += mine
        drop += sorted(set(old.names if old else []) - set(rec.names))
        report.unchanged -= len(old.names) if old else 0
        (report.updated if old else report.created).extend(rec.names)
    for pid in gone:
        drop += records[pid].names
        report.unchanged -= len(records[pid].names)
    done = asyncio.run(apply(put, drop, work_pool, project_dir))
    report.deleted, report.retries = done.deleted, done.retries
    with factory.begin() as s:  # after the writes: an interrupted run redoes them
        for pid, rec in new.items():
            s.merge(m.DeployedPlan(target=target, plan_id=pid, inputs=rec.inputs,
                                   specs=rec.specs, names=rec.names))
        if gone:
            s.execute(delete(m.DeployedPlan).where(m.DeployedPlan.target == target,
                                                   m.DeployedPlan.plan_id.in_(sorted(gone))))
    return report


def _full(factory: sessionmaker[Session], cfg: MonevConfig, since: date, work_pool: str,
          project_dir: Path, target: str, inputs: dict[int, str],
          fixed: list[PlanDeployment]) -> SyncReport:
    """Compile every plan, sync against what the server really has, then rewrite the
    records under a new epoch (on the server last: until then the old one no longer
    matches, so an interruption anywhere means another complete sync)."""
    with factory() as s:
        by_plan = dict(compile_by_plan(s, cfg, since))
    by_plan[GLOBAL] = fixed
    epoch = "epoch-" + secrets.token_hex(12)
    report = asyncio.run(sync([d for ds in by_plan.values() for d in ds], work_pool,
                              project_dir, mark=epoch))
    with factory.begin() as s:
        s.execute(delete(m.DeployedPlan).where(m.DeployedPlan.target == target))
        s.merge(m.DeployTarget(target=target, epoch=epoch))
        s.flush()
        s.add_all(m.DeployedPlan(target=target, plan_id=pid, inputs=inputs.get(pid, ""),
                                 specs=_specs(ds, work_pool, project_dir), names=_names(ds))
                  for pid, ds in by_plan.items())
    return report

