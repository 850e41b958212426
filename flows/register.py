"""Keeping a Prefect server's deployments in step with the plans (``monev deploy
--work-pool NAME``: many plans, workers on other machines).

A **sync**, not a re-registration: every deployment's specification is hashed (flow,
name, pool, entrypoint, parameters, tags, description, schedules) and the hash kept
as the deployment's ``version``; only what is new or changed is written, and the
deployments monev owns (tag ``monev``) that no plan needs any more — removed or closed
plans — are deleted. A complete sync leaves the fingerprint of the whole set in the
Prefect variable ``monev-sync``: when it and the number of monev's deployments on the
server still match, nothing is read deployment by deployment. Calls run concurrently
and are retried with backoff when the server is busy (429/503, a dropped connection)."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from prefect.client.orchestration import get_client
from prefect.deployments.schedules import create_deployment_schedule_create

from flows.deployments import PlanDeployment
from monev.errors import MonevError
from tasks.naming import OWNER_TAG

PROJECT_DIR = Path(__file__).resolve().parent.parent
ENTRYPOINTS = {
    "open_checkpoints": "flows/monev_flows.py:open_checkpoints",
    "remind": "flows/monev_flows.py:remind",
    "escalate": "flows/monev_flows.py:escalate",
    "monev_cycle": "flows/monev_flows.py:monev_cycle",
    "sweep_all": "flows/monev_flows.py:sweep_all",
    "dispatch": "flows/monev_flows.py:dispatch_outbox",
    "inbound_mail": "flows/inbound.py:inbound_mail",
    "telegram_poll": "flows/inbound.py:telegram_poll",
    "inbound_retry": "flows/inbound.py:inbound_retry",
}
OWNED_FLOWS = frozenset(ENTRYPOINTS)
MARK = "monev-sync"  # Prefect variable: fingerprint of the set the last full sync left
RETRY_STATUS = {429, 502, 503, 504}
PAGE = 200  # the server's largest page
T = TypeVar("T")


@dataclass
class SyncReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    deleted: list[str] = field(default_factory=list)
    retries: int = 0


def _spec(d: PlanDeployment, work_pool: str, project_dir: Path) -> dict[str, Any]:
    """Everything the server keeps of one deployment, as ``create_deployment`` takes it."""
    return {
        "name": d.name, "work_pool_name": work_pool, "entrypoint": ENTRYPOINTS[d.flow_name],
        "path": str(project_dir),
        "pull_steps": [{"prefect.deployments.steps.set_working_directory": {
            "directory": str(project_dir)}}],
        "parameters": d.parameters, "tags": d.tags, "description": d.description,
        "schedules": [create_deployment_schedule_create(s) for s in d.schedules],
    }


def spec_hash(d: PlanDeployment, work_pool: str, project_dir: Path = PROJECT_DIR) -> str:
    """The deployment's specification as a short hash, from our own plain data (building
    Prefect's schedule models for 4,400 deployments costs seconds)."""
    spec = {"flow": d.flow_name, "name": d.name, "pool": work_pool,
            "entrypoint": ENTRYPOINTS[d.flow_name], "path": str(project_dir),
            "parameters": d.parameters, "tags": d.tags, "description": d.description,
            "schedules": [{k: v for k, v in dataclasses.asdict(s).items()
                           if k != "anchor_date" or s.interval is not None}
                          for s in d.schedules]}
    data = json.dumps(spec, sort_keys=True, ensure_ascii=False, default=str)
    return "spec-" + hashlib.sha256(data.encode()).hexdigest()[:20]


async def _retrying(call: Callable[[], Awaitable[T]], report: SyncReport,
                    attempts: int = 8) -> T:
    """``call()``, again after 0.5, 1, 2 … 8 s when the server says it is busy."""
    import httpx
    from prefect.exceptions import PrefectHTTPStatusError

    for attempt in range(attempts):
        try:
            return await call()
        except (PrefectHTTPStatusError, httpx.TransportError) as exc:
            status = getattr(getattr(exc, "response", None), "status_code", None)
            busy = isinstance(exc, httpx.TransportError) or status in RETRY_STATUS
            if not busy or attempt == attempts - 1:
                raise
            report.retries += 1
            await asyncio.sleep(min(8.0, 0.5 * 2 ** attempt) * (0.5 + random.random()))
    raise AssertionError("unreachable")  # pragma: no cover


async def _post(client: Any, path: str, body: dict[str, Any]) -> Any:
    """An endpoint's answer as plain JSON. The client's models re-validate each
    schedule's time zone by listing the zoneinfo directory (~9 ms per deployment): 40 s
    to read 4,400 deployments of which we need four fields."""
    response = await client._client.post(path, json=body)  # the client's own session
    return response.json()


async def _owned(client: Any, report: SyncReport) -> dict[tuple[str, str], tuple[str, str]]:
    """(flow, deployment name) → (id, version) of every deployment tagged ``monev``,
    flow by flow and sorted by name (unique within a flow), so pages never overlap."""
    flows = await _retrying(partial(_post, client, "/flows/filter", {
        "flows": {"name": {"any_": sorted(OWNED_FLOWS)}}, "limit": len(OWNED_FLOWS)}), report)
    owned: dict[tuple[str, str], tuple[str, str]] = {}
    for flow in flows:
        offset = 0
        while True:
            page = await _retrying(partial(_post, client, "/deployments/filter", {
                "flows": {"id": {"any_": [flow["id"]]}},
                "deployments": {"tags": {"all_": [OWNER_TAG]}},
                "sort": "NAME_ASC", "limit": PAGE, "offset": offset}), report)
            owned.update({(flow["name"], dep["name"]): (dep["id"], dep.get("version") or "")
                          for dep in page})
            offset += len(page)
            if len(page) < PAGE:
                break
    return owned


def fingerprint(versions: dict[tuple[str, str], str]) -> str:
    """One hash over every (flow, name, spec hash) of the wanted set."""
    data = json.dumps(sorted((*key, v) for key, v in versions.items()))
    return "set-" + hashlib.sha256(data.encode()).hexdigest()[:24]


async def _count_owned(client: Any) -> int:
    return int(await _post(client, "/deployments/count", {
        "flows": {"name": {"any_": sorted(OWNED_FLOWS)}},
        "deployments": {"tags": {"all_": [OWNER_TAG]}}}))


async def _mark(client: Any, value: str) -> None:
    from prefect.client.schemas.actions import VariableCreate, VariableUpdate

    if await client.read_variable_by_name(MARK) is None:
        await client.create_variable(VariableCreate(name=MARK, value=value))
    else:
        await client.update_variable(VariableUpdate(name=MARK, value=value))


async def sync(deployments: list[PlanDeployment], work_pool: str,
               project_dir: Path = PROJECT_DIR, concurrency: int = 8,
               mark: str | None = None) -> SyncReport:
    """Bring the server in ``PREFECT_API_URL`` to exactly ``deployments`` (among the
    ones monev owns): create, update what changed, delete what is gone. The variable
    ``monev-sync`` is left holding ``mark`` (default: the set's fingerprint, and an
    unchanged set is then answered from it)."""
    report = SyncReport()
    gate = asyncio.Semaphore(concurrency)
    versions = {(d.flow_name, d.name): spec_hash(d, work_pool, project_dir)
                for d in deployments}
    wanted_mark = mark or fingerprint(versions)
    async with get_client() as client:
        # nothing changed since the last complete sync, and nothing was deleted behind
        # our back: two small requests instead of reading every deployment
        left = await _retrying(partial(client.read_variable_by_name, MARK), report)
        if mark is None and left is not None and left.value == wanted_mark and \
                await _retrying(partial(_count_owned, client), report) == len(versions):
            report.unchanged = len(versions)
            return report
        existing = await _owned(client, report)
        put = await _putter(client, deployments, work_pool, project_dir, gate, report)
        wanted = {(d.flow_name, d.name) for d in deployments}

        async def drop(key: tuple[str, str], dep_id: Any) -> None:
            async with gate:
                await _retrying(lambda: client.delete_deployment(dep_id), report)
                report.deleted.append("/".join(key))

        jobs = []
        for d in deployments:
            version = versions[(d.flow_name, d.name)]
            found = existing.get((d.flow_name, d.name))
            if found is not None and found[1] == version:
                report.unchanged += 1
                continue
            (report.updated if found is not None else report.created).append(
                f"{d.flow_name}/{d.name}")
            jobs.append(put(d, version))
        jobs += [drop(key, dep_id) for key, (dep_id, _) in existing.items()
                 if key not in wanted and key[0] in OWNED_FLOWS]
        if jobs or mark is not None:  # a sync that fails half-way leaves no "done" mark
            await _retrying(partial(_mark, client, ""), report)
            await asyncio.gather(*jobs)
        await _retrying(partial(_mark, client, wanted_mark), report)
    return report


async def _putter(client: Any, deployments: list[PlanDeployment], work_pool: str,
                  project_dir: Path, gate: asyncio.Semaphore, report: SyncReport,
                  ) -> Callable[[PlanDeployment, str], Awaitable[None]]:
    """``put(deployment, version)``: create or update it (the server upserts by flow and
    name), once the flows it needs exist."""
    flow_ids: dict[str, Any] = {}
    for name in sorted({d.flow_name for d in deployments}):
        flow_ids[name] = await _retrying(partial(client.create_flow_from_name, name), report)

    async def put(d: PlanDeployment, version: str) -> None:
        async with gate:
            await _retrying(lambda: client.create_deployment(
                flow_id=flow_ids[d.flow_name], version=version,
                enforce_parameter_schema=False, **_spec(d, work_pool, project_dir)), report)

    return put


async def server_state() -> tuple[str | None, int]:
    """The ``monev-sync`` mark and how many deployments monev owns on the server: the
    two small requests an unchanged re-deploy costs."""
    report = SyncReport()
    async with get_client() as client:
        found = await _retrying(partial(client.read_variable_by_name, MARK), report)
        count = await _retrying(partial(_count_owned, client), report)
    return (None if found is None else str(found.value)), count


async def apply(put_these: list[PlanDeployment], delete_these: list[str], work_pool: str,
                project_dir: Path = PROJECT_DIR, concurrency: int = 8) -> SyncReport:
    """Write only these deployments and delete only these (``flow/name``; one already
    gone is fine), without reading the rest: a re-deploy of the plans that changed."""
    from prefect.exceptions import ObjectNotFound

    report = SyncReport()
    gate = asyncio.Semaphore(concurrency)
    async with get_client() as client:
        put = await _putter(client, put_these, work_pool, project_dir, gate, report)

        async def drop(full_name: str) -> None:
            async with gate:
                try:
                    dep = await _retrying(
                        partial(client.read_deployment_by_name, full_name), report)
                except ObjectNotFound:
                    return
                await _retrying(partial(client.delete_deployment, dep.id), report)
                report.deleted.append(full_name)

        await asyncio.gather(*(put(d, spec_hash(d, work_pool, project_dir))
                               for d in put_these), *(drop(n) for n in delete_these))
    return report


def prune_deployments(keep: list[PlanDeployment]) -> int:
    """Delete the deployments of monev's flows that are not in ``keep`` (plans removed,
    renamed deployments) from the server in ``PREFECT_API_URL``; others are untouched.
    For ``monev up``, which owns its server and serves what it compiled."""
    wanted = {(d.flow_name, d.name) for d in keep}
    removed = 0
    with get_client(sync_client=True) as client:
        names = {f.id: f.name for f in client.read_flows()}
        found: list[Any] = []
        while True:
            page = client.read_deployments(limit=200, offset=len(found))
            found += page
            if len(page) < 200:
                break
        for dep in found:
            flow_name = names.get(dep.flow_id, "")
            if flow_name in OWNED_FLOWS and (flow_name, dep.name) not in wanted:
                client.delete_deployment(dep.id)
                removed += 1
    return removed


async def check_work_pool(name: str) -> None:
    """Stop with an actionable message when the work pool (or the server) is missing."""
    import os

    from prefect.exceptions import ObjectNotFound


    if not os.environ.get("PREFECT_API_URL"):
        raise MonevError("PREFECT_API_URL belum diatur: arahkan ke server Prefect, mis. "
                         "http://prefect.internal:4200/api")
    async with get_client() as client:
        try:
            await client.read_work_pool(name)
        except ObjectNotFound:
            raise MonevError(f"work pool '{name}' belum ada di {os.environ['PREFECT_API_URL']};"
                             f" buat dengan `prefect work-pool create {name} --type process`"
                             ) from None
