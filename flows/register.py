"""Registering compiled deployments on any Prefect server for a work pool.

Used by ``monev deploy --work-pool NAME`` (many plans, workers on other machines):
the API is called concurrently instead of ``serve()``'s one-by-one registration."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from prefect.client.orchestration import get_client
from prefect.deployments.schedules import create_deployment_schedule_create

from flows.deployments import PlanDeployment

PROJECT_DIR = Path(__file__).resolve().parent.parent
ENTRYPOINTS = {
    "open_checkpoints": "flows/monev_flows.py:open_checkpoints",
    "remind": "flows/monev_flows.py:remind",
    "escalate": "flows/monev_flows.py:escalate",
    "monev_cycle": "flows/monev_flows.py:monev_cycle",
    "sweep_all": "flows/monev_flows.py:sweep_all",
    "dispatch": "flows/monev_flows.py:dispatch_outbox",
}


async def register(deployments: list[PlanDeployment], work_pool: str,
                   project_dir: Path = PROJECT_DIR, concurrency: int = 8) -> int:
    """Create or update every deployment on the server in ``PREFECT_API_URL``."""
    gate = asyncio.Semaphore(concurrency)
    async with get_client() as client:
        flow_ids = {name: await client.create_flow_from_name(name)
                    for name in {d.flow_name for d in deployments}}

        async def one(d: PlanDeployment) -> None:
            async with gate:
                await client.create_deployment(
                    flow_id=flow_ids[d.flow_name], name=d.name, work_pool_name=work_pool,
                    entrypoint=ENTRYPOINTS[d.flow_name], path=str(project_dir),
                    pull_steps=[{"prefect.deployments.steps.set_working_directory": {
                        "directory": str(project_dir)}}],
                    parameters=d.parameters, tags=d.tags, description=d.description,
                    schedules=[create_deployment_schedule_create(s) for s in d.schedules],
                    enforce_parameter_schema=False)

        await asyncio.gather(*(one(d) for d in deployments))
    return len(deployments)


OWNED_FLOWS = frozenset(ENTRYPOINTS)


def prune_deployments(keep: list[PlanDeployment]) -> int:
    """Delete the deployments of monev's flows that are not in ``keep`` (plans removed,
    renamed deployments) from the server in ``PREFECT_API_URL``; others are untouched."""
    from prefect.client.orchestration import get_client

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

    from monev.errors import MonevError

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
