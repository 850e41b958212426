"""The set-up the README tells a province to run, proven: a PostgreSQL-backed Prefect
server with its auth string, a `process` work pool, `monev deploy`, two real `prefect
worker` processes, scheduled runs executed by the workers each exactly once with their
effects in the monev database (PostgreSQL too); a revised plan synced at import, a
removed plan's deployments gone."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import func, select, text

from tests.conftest import ALL_PLANS, RB_MUARO, ROOT, free_port

POOL = "provinsi"
pytestmark = pytest.mark.postgres


def _database(base: str, name: str) -> str:
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return base.rsplit("/", 1)[0] + f"/{name}"


def _monev(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    res = subprocess.run([sys.executable, "-m", "app", *args], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    return res


def _runs(client: Any, run_ids: list[Any]) -> list[Any]:
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    return list(client.read_flow_runs(flow_run_filter=FlowRunFilter(
        id=FlowRunFilterId(any_=run_ids))))


def test_two_workers_run_each_scheduled_run_once(tmp_path: Path) -> None:
    base = os.environ.get("MONEV_TEST_POSTGRES_URL")
    if not base:
        pytest.skip("no PostgreSQL server (MONEV_TEST_POSTGRES_URL)")
    from flows.server import auth_string, server_env, start_server, stop_server, wait_healthy
    from monev.processes import spawn, stop

    monev_url = _database(base, "monev_provinsi")
    prefect_db = _database(base, "prefect_provinsi").replace("postgresql://",
                                                             "postgresql+asyncpg://")
    home, port = tmp_path / "prefect", free_port()
    auth = auth_string(tmp_path)
    server = start_server(home, port, {"PREFECT_API_DATABASE_CONNECTION_URL": prefect_db},
                          auth=auth)
    env = {**os.environ, **server_env(home, port, auth), "MONEV_DATABASE_URL": monev_url,
           "MONEV_HOME": str(tmp_path / "monev"), "MONEV_TODAY": "2025-11-03",
           "MONEV_FEED_SECRET": "rahasia-bersama-semua-mesin-" + "0" * 16,  # as the README
           "COLUMNS": "200"}
    env.pop("PREFECT_SERVER_API_AUTH_STRING")  # clients send it; only the server checks it
    workers = []
    stack = ExitStack()
    try:
        wait_healthy(port, server, auth=auth, home=home)
        subprocess.run([sys.executable, "-m", "prefect", "work-pool", "create", POOL,
                        "--type", "process"], env=env, check=True, capture_output=True)
        _monev(env, "plan", "import", *map(str, ALL_PLANS), "-q")
        deployed = _monev(env, "deploy", "--work-pool", POOL)
        assert "15 dibuat" in deployed.stdout, deployed.stdout
        again = _monev(env, "deploy", "--work-pool", POOL)
        assert "0 dibuat, 0 diperbarui, 15 tetap, 0 dihapus" in again.stdout, again.stdout

        from prefect.settings import (
            PREFECT_API_AUTH_STRING,
            PREFECT_API_URL,
            temporary_settings,
        )

        # this process may already talk to another server (the session's fixture)
        talk = stack.enter_context(temporary_settings(updates={
            PREFECT_API_URL: env["PREFECT_API_URL"],
            PREFECT_API_AUTH_STRING: env["PREFECT_API_AUTH_STRING"]}))
        assert talk is not None
        from prefect.client.orchestration import get_client
        from prefect.client.schemas.objects import StateType
        from prefect.states import Scheduled

        with get_client(sync_client=True) as client:
            plan_deps = [d for d in client.read_deployments()
                         if d.name.endswith(("kpu-kab-muaro-jambi", "kpu-kota-jambi"))
                         and "monev_cycle" not in (d.description or "")]
            soon = datetime.now(UTC) + timedelta(seconds=5)
            created = [client.create_flow_run_from_deployment(
                d.id, state=Scheduled(scheduled_time=soon),
                parameters={"as_of": "2025-11-03"}) for d in plan_deps]
        assert len(created) == 9
        for _ in range(2):
            workers.append(spawn([sys.executable, "-m", "prefect", "worker", "start",
                                  "--pool", POOL, "--limit", "2"], env,
                                 log=tmp_path / f"worker{len(workers)}.log"))
        ids = [r.id for r in created]  # (the scheduler adds the plans' own future runs)
        deadline = time.monotonic() + 240
        with get_client(sync_client=True) as client:
            while time.monotonic() < deadline:
                runs = _runs(client, ids)
                if all(r.state_type in (StateType.COMPLETED, StateType.FAILED,
                                        StateType.CRASHED) for r in runs):
                    break
                time.sleep(2)
            runs = _runs(client, ids)
            assert {r.state_type for r in runs} == {StateType.COMPLETED}, \
                [(r.name, r.state_name) for r in runs]
            for run in runs:  # each run was started exactly once, by one worker
                states = client.read_flow_run_states(run.id)
                assert [s.type for s in states].count(StateType.RUNNING) == 1, run.name
            pool_workers = client.read_workers_for_work_pool(POOL)
        assert len(pool_workers) == 2
        from monev.store import models as m
        from monev.store.db import open_session_factory

        factory = open_session_factory(monev_url)
        with factory() as s:
            per_plan = {plan: n for plan, n in s.execute(
                select(m.ActionLog.plan_id, func.count()).group_by(m.ActionLog.plan_id))}
        assert len(per_plan) == 2 and all(n > 0 for n in per_plan.values()), \
            per_plan  # both ZI plans had work on 3 Nov 2025; RB 2026 had none yet

        # a revised plan is synced by the import itself; a removed plan's deployments go
        revised = tmp_path / "rb.yaml"
        _monev(env, "plan", "export", str(RB_MUARO), "-o", str(revised))
        body = revised.read_text(encoding="utf-8")  # the first row gets a period in 2027
        revised.write_text(body.replace("  target: ", "  checkpoints: [2027-02]\n  target: ", 1),
                           encoding="utf-8")
        with factory.begin() as s:
            s.execute(text("DELETE FROM plan WHERE kind = 'ZI' AND satker_id = (SELECT id FROM "
                           "satker WHERE slug = 'kpu-kota-jambi')"))
        factory.kw["bind"].dispose()
        imported = _monev({**env, "MONEV_WORK_POOL": POOL}, "plan", "import", str(revised),
                          "-q")
        assert "deployment di 'provinsi'" in imported.stderr, imported.stderr
        assert "4 dihapus" in imported.stderr, imported.stderr
        with get_client(sync_client=True) as client:
            names = {d.name for d in client.read_deployments()}
            rb = [d for d in client.read_deployments()
                  if d.name == "rb-2026-kpu-kab-muaro-jambi"
                  and (d.description or "").startswith("open_checkpoints")][0]
        assert "zi-2025-kpu-kota-jambi" not in names
        assert any("20270201T" in getattr(s.schedule, "rrule", "") for s in rb.schedules), \
            "the revised plan's new period is in the server's schedule"
    finally:
        stack.close()
        for worker in workers:
            stop(worker)
        stop_server(server)
