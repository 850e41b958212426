"""``monev deploy`` compiles and writes only the plans that changed, and falls back to a
complete sync whenever its record cannot be trusted (a real local Prefect server)."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from monev.config import load_config
from monev.plans import load_plan
from monev.store import models as m
from monev.store.db import open_session_factory
from monev.store.imports import import_plan
from monev.store.queries import bump_plans
from monev.workdays import WorkCalendar
from tests.conftest import ALL_PLANS, ROOT

POOL = "monev-record-test"
SINCE = date(2025, 9, 1)  # every example plan is open then


async def _server(action: str = "read") -> dict[str, list[str]]:
    """flow/name → rrules of monev's deployments on the server; ``reset`` first deletes
    them and the sync mark, as a server that lost its database."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists

    async with get_client() as client:
        with contextlib.suppress(ObjectAlreadyExists):
            await client.create_work_pool(WorkPoolCreate(name=POOL, type="process"))
        names = {f.id: f.name for f in await client.read_flows()}
        deps = await client.read_deployments(limit=200)
        if action == "reset":
            for d in deps:
                await client.delete_deployment(d.id)
            await client.delete_variable_by_name("monev-sync")
            return {}
        return {f"{names[d.flow_id]}/{d.name}": [getattr(s.schedule, "rrule", "")
                                                  for s in d.schedules]
                for d in deps if "monev" in d.tags}


def _deploy(url: str) -> Any:
    from flows.deploy_record import deploy

    factory = open_session_factory(url)
    try:
        return deploy(factory, load_config(ROOT / "config" / "monev.yaml"), SINCE, POOL,
                      "http://test")
    finally:
        factory.kw["bind"].dispose()


def test_redeploy_touches_only_what_changed_and_heals(
        prefect_server: dict[str, str], db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import flows.deploy_record as record
    import flows.register as register

    factory = open_session_factory(db_url)
    with factory.begin() as s:
        for path in ALL_PLANS:
            import_plan(s, load_plan(path), WorkCalendar(), date(2026, 1, 6), path.name)
        ids = dict(s.execute(select(m.Satker.slug, m.Plan.id).join(m.Plan.satker)
                             .where(m.Plan.kind == "ZI")).tuples().all())
    kota = ids.pop("kpu-kota-jambi")
    (muaro,) = ids.values()
    asyncio.run(_server())
    first = _deploy(db_url)  # no record yet: a complete sync (leftovers of others go)
    before = asyncio.run(_server())
    assert len(before) == 3 * 4 + 3 and first.unchanged + len(first.created) + len(
        first.updated) == 15

    compiled: list[object] = []
    real_compile = record.compile_by_plan

    def spy(*args: Any) -> Any:
        compiled.append(args[3] if len(args) > 3 else None)
        return real_compile(*args)

    def no_full_read(*_: Any) -> Any:
        raise AssertionError("read every deployment")

    monkeypatch.setattr(record, "compile_by_plan", spy)
    monkeypatch.setattr(register, "_owned", no_full_read)
    # unchanged: nothing compiled, nothing written, no deployment read
    again = _deploy(db_url)
    assert (again.created, again.updated, again.deleted, again.unchanged) == ([], [], [], 15)
    assert compiled == []
    # evidence moved a plan's data version but not its dates: compiled, nothing written
    with factory.begin() as s:
        bump_plans(s, [muaro])
    quiet = _deploy(db_url)
    assert (quiet.created, quiet.updated, compiled) == ([], [], [{muaro}])
    # one plan revised: only its four deployments compiled and written
    with factory.begin() as s:
        cp = s.scalars(select(m.Checkpoint).join(m.Item).where(m.Item.plan_id == kota)
                       .order_by(m.Checkpoint.due.desc())).first()
        assert cp is not None
        item_id, due = cp.item_id, cp.due  # (the update below refreshes ``cp``)
        s.execute(update(m.Checkpoint).where(m.Checkpoint.item_id == item_id,
                                             m.Checkpoint.due == due)
                  .values(due=due + timedelta(days=1)))
        bump_plans(s, [kota])
    revised = _deploy(db_url)
    assert compiled[-1] == {kota} and revised.unchanged == 11
    assert sorted(revised.updated) == sorted(f"{f}/zi-2025-kpu-kota-jambi" for f in (
        "open_checkpoints", "remind", "escalate", "monev_cycle"))
    moved = (due + timedelta(days=1)).strftime("%Y%m%d")
    after = asyncio.run(_server())
    assert any(moved in r for k, rs in after.items() if "kpu-kota-jambi" in k for r in rs)
    assert {k: v for k, v in after.items() if "kpu-kota-jambi" not in k} == \
        {k: v for k, v in before.items() if "kpu-kota-jambi" not in k}

    # interrupted mid-way: two of the plan's four written, then the process dies
    real_apply = record.apply

    async def dies(put: list[Any], drop: list[str], *args: Any) -> Any:
        await real_apply(put[:2], [], *args)
        raise KeyboardInterrupt

    with factory.begin() as s:
        s.execute(update(m.Checkpoint).where(m.Checkpoint.item_id == item_id,
                                             m.Checkpoint.due == due + timedelta(days=1))
                  .values(due=due + timedelta(days=2)))
        bump_plans(s, [kota])
    monkeypatch.setattr(record, "apply", dies)
    with pytest.raises(KeyboardInterrupt):
        _deploy(db_url)
    monkeypatch.setattr(record, "apply", real_apply)
    redo = _deploy(db_url)  # its record was not updated: the plan is written again
    assert len(redo.updated) == 4 and compiled[-1] == {kota}
    moved = (due + timedelta(days=2)).strftime("%Y%m%d")
    assert all(any(moved in r for r in rs) for k, rs in asyncio.run(_server()).items()
               if k.startswith(("remind/", "escalate/")) and "kpu-kota-jambi" in k)
    # a plan closed by the admin: its deployments deleted, nothing else
    with factory.begin() as s:
        s.execute(update(m.Plan).where(m.Plan.id == kota).values(
            status="selesai", status_manual=True, data_version=m.Plan.data_version + 1))
    closed = _deploy(db_url)
    assert len(closed.deleted) == 4 and closed.unchanged == 11
    assert not any("kpu-kota-jambi" in k for k in asyncio.run(_server()))

    # a deployment removed by hand: the count differs, a complete sync brings it back
    monkeypatch.undo()
    from prefect.client.orchestration import get_client

    async def remove_one() -> None:
        async with get_client() as client:
            dep = await client.read_deployment_by_name("remind/rb-2026-kpu-kab-muaro-jambi")
            await client.delete_deployment(dep.id)

    asyncio.run(remove_one())
    healed = _deploy(db_url)
    assert healed.created == ["remind/rb-2026-kpu-kab-muaro-jambi"]
    assert len(asyncio.run(_server())) == 11
    # the server lost its database (no deployments, no mark): everything comes back
    asyncio.run(_server("reset"))
    reborn = _deploy(db_url)
    assert len(reborn.created) == 11 and len(asyncio.run(_server())) == 11
    assert _deploy(db_url).unchanged == 11
    factory.kw["bind"].dispose()
