"""The engine against a real local Prefect server (one per test session)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from monev.plans import load_plan
from monev.store import models as m
from monev.store.db import open_session_factory
from monev.store.imports import import_plan
from monev.workdays import WorkCalendar
from tests.clock import LIVE_YEAR, REAL_TODAY, live_plan
from tests.conftest import ALL_PLANS, ROOT, free_port

POOL = "monev-test"


@pytest.fixture
def monev_db(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The example plans in a fresh monev database (SQLite file, then PostgreSQL)."""
    url = db_url
    monkeypatch.setenv("MONEV_DATABASE_URL", url)
    monkeypatch.chdir(ROOT)
    factory = open_session_factory(url)
    with factory.begin() as s:
        for path in ALL_PLANS:
            import_plan(s, load_plan(path), WorkCalendar(), date(2026, 1, 6), path.name)
    return url


def _deployments(since: date) -> list:  # type: ignore[type-arg]
    from flows.deployments import compile_plan_deployments, safety_net
    from monev.config import load_config

    factory = open_session_factory()
    with factory() as s:
        return compile_plan_deployments(s, load_config(ROOT / "config" / "monev.yaml"),
                                        since) + [safety_net()]


async def _register_and_read(deployments: list) -> list:  # type: ignore[type-arg]
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists

    from flows.register import sync

    async with get_client() as client:
        with contextlib.suppress(ObjectAlreadyExists):  # from an earlier test
            await client.create_work_pool(WorkPoolCreate(name=POOL, type="process"))
    await sync(deployments, POOL)
    async with get_client() as client:
        return await client.read_deployments()


def test_deployments_carry_the_compiled_dates(prefect_server: dict[str, str],
                                              monev_db: str, tmp_path: Path) -> None:
    # Prefect schedules by the real clock: a plan of the year after it has runs to come
    path = live_plan(tmp_path)
    factory = open_session_factory(monev_db)
    with factory.begin() as s:
        import_plan(s, load_plan(path), WorkCalendar(), REAL_TODAY, path.name)
    deployments = _deployments(REAL_TODAY)
    stored = asyncio.run(_register_and_read(deployments))
    names = {(d.name, tuple(sorted(d.tags))) for d in stored}
    live = f"rb-{LIVE_YEAR}-kpu-kab-muaro-jambi"
    assert (live, tuple(sorted(["monev", "satker:kpu-kabupaten-muaro-jambi", "kind:RB",
                                f"year:{LIVE_YEAR}"]))) in names, sorted(names)
    assert any(d.name == "harian" for d in stored)
    rb = [d for d in deployments if d.name == live and d.flow_name == "remind"][0]
    expected = sorted({dt for s in rb.schedules for dt in _rdates(s.rrule)})
    server_rb = [d for d in stored if d.name == rb.name and d.schedules
                 and "remind" in (d.description or "")][0]
    got = server_rb.schedules[0].schedule
    assert got.timezone == "Asia/Jakarta"
    first = datetime.combine(expected[0], datetime.min.time()).replace(
        hour=8, tzinfo=ZoneInfo("Asia/Jakarta"))
    runs = asyncio.run(_scheduled_runs(server_rb.id))
    assert runs, f"the scheduler created the next run of remind/{live}"
    assert min(runs) >= first.astimezone(ZoneInfo("UTC")) - timedelta(seconds=1)
    assert all(r.astimezone(ZoneInfo("Asia/Jakarta")).hour == 8 for r in runs)


def _rdates(rrule: str) -> list[date]:
    line = [x for x in rrule.splitlines() if x.startswith("RDATE:")][0]
    return [datetime.strptime(v[:8], "%Y%m%d").date() for v in line[6:].split(",")]


async def _scheduled_runs(deployment_id: object) -> list[datetime]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId

    async with get_client() as client:
        for _ in range(30):
            runs = await client.read_flow_runs(deployment_filter=DeploymentFilter(
                id=DeploymentFilterId(any_=[deployment_id])))
            if runs:
                return [r.expected_start_time for r in runs if r.expected_start_time]
            await asyncio.sleep(1)
    return []


def _counts(url: str) -> tuple[int, int]:
    factory = open_session_factory(url)
    with factory() as s:
        opened = s.scalar(select(func.count()).select_from(m.Checkpoint)
                          .where(m.Checkpoint.status != "scheduled")) or 0
        actions = s.scalar(select(func.count()).select_from(m.ActionLog)) or 0
    return opened, actions


def test_flow_run_end_to_end_is_idempotent_and_catches_up(prefect_server: dict[str, str],
                                                         monev_db: str) -> None:
    from prefect.client.orchestration import get_client

    from flows.monev_flows import escalate, monev_cycle, open_checkpoints, remind

    plan = "kpu-kabupaten-muaro-jambi/rb-2026"
    assert open_checkpoints(plan=plan, as_of="2026-02-02") > 0
    after_first = _counts(monev_db)
    assert after_first[0] > 0
    assert open_checkpoints(plan=plan, as_of="2026-02-02") == 0
    assert _counts(monev_db) == after_first
    # The server was "down" from 3 Feb to 9 Mar: the next run catches up on what is due.
    assert escalate(plan=plan, as_of="2026-03-10") > 0
    factory = open_session_factory(monev_db)
    with factory() as s:
        levels = set(s.scalars(select(m.ActionLog.step).where(m.ActionLog.action == "escalate")))
        march = s.scalar(select(func.count()).select_from(m.Checkpoint).where(
            m.Checkpoint.period == "2026-03", m.Checkpoint.status == "open")) or 0
    assert {"L1", "L2", "L3"} <= levels
    assert march > 0, "March checkpoints were opened by the catch-up"
    assert escalate(plan=plan, as_of="2026-03-10") == 0
    assert remind(plan=plan, as_of="2026-03-24") > 0
    outbox = _outbox(monev_db)
    assert remind(plan=plan, as_of="2026-03-24") == 0
    assert _outbox(monev_db) == outbox, "a rerun of remind queues nothing new"
    assert monev_cycle(plan=plan, as_of="2026-03-31") > 0  # Jan–Mar month ends
    assert monev_cycle(plan=plan, as_of="2026-03-31") == 0

    async def artifacts() -> list[str]:
        async with get_client() as client:
            return [a.key for a in await client.read_artifacts() if a.key]

    keys = set(asyncio.run(artifacts()))
    assert "kpu-kabupaten-muaro-jambi-rb-2026-open-checkpoints" in keys
    assert "kpu-kabupaten-muaro-jambi-rb-2026-capaian" in keys
    assert "kpu-kabupaten-muaro-jambi-rb-2026-laporan-monev" in keys


def _outbox(url: str) -> list[tuple[str, str, int]]:
    factory = open_session_factory(url)
    with factory() as s:
        return [(r.idem_key, r.body, len(r.items)) for r in
                s.scalars(select(m.Outbox).order_by(m.Outbox.id))]


def test_dispatch_flow_delivers_once_and_reports(prefect_server: dict[str, str], monev_db: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from aiosmtpd.controller import Controller
    from prefect.client.orchestration import get_client

    from flows.monev_flows import dispatch_outbox, remind
    from tests.conftest import Sink, smtp_env

    remind(plan="kpu-kabupaten-muaro-jambi/rb-2026", as_of="2026-03-24")
    sink, port = Sink(), free_port()
    for key, value in smtp_env(port).items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("MONEV_WHATSAPP_URL", raising=False)
    ctl = Controller(sink, hostname="127.0.0.1", port=port)
    ctl.start()
    try:  # the sweep ran for a past day on today's clock: quiet hours may hold its rows
        sent = dispatch_outbox(send_now=True)
        assert dispatch_outbox(send_now=True) == 0, "a second run sends nothing again"
    finally:
        ctl.stop()
    factory = open_session_factory(monev_db)
    with factory() as s:
        emails = s.scalars(select(m.Outbox).where(m.Outbox.channel == "email")).all()
        whatsapp = s.scalars(select(m.Outbox).where(m.Outbox.channel == "whatsapp")).all()
    assert sent == len(emails) == len(sink.messages) > 0
    assert sorted(x["to"][0] for x in sink.messages) == sorted(r.address for r in emails)
    assert whatsapp and all(r.status == "pending" and "MONEV_WHATSAPP_URL" in r.last_error
                            for r in whatsapp), "unconfigured channel: kept and explained"

    async def tables() -> list[str]:
        async with get_client() as client:
            return [str(a.data) for a in await client.read_artifacts()
                    if a.key == "outbox-dispatch"]

    found = asyncio.run(tables())
    assert any(t.count('"terkirim"') == sent for t in found), found


def test_channel_secrets_from_prefect_secret_blocks(prefect_server: dict[str, str]) -> None:
    from prefect.blocks.system import Secret

    from notifiers import channels

    Secret(value="token-dari-blok").save("monev-whatsapp-token", overwrite=True)
    Secret(value="sandi rahasia").save("monev-smtp-password", overwrite=True)
    channels._BLOCKS.clear()
    url = channels.apprise_url("whatsapp", "+6281200000001", {
        "MONEV_WHATSAPP_URL": "wajson://gw.test/send?+X-Api-Key={token}&:to={phone_digits}"})
    assert url == "wajson://gw.test/send?+X-Api-Key=token-dari-blok&:to=6281200000001&rto=30"
    email = channels.apprise_url("email", "a@example.org", {
        "MONEV_SMTP_HOST": "smtp.test", "MONEV_SMTP_USER": "monev", "MONEV_SMTP_FROM": "m@x"})
    assert email.startswith("smtps://monev:sandi%20rahasia@smtp.test:587?")
    # the environment wins over a block
    assert "env-token" in channels.apprise_url("whatsapp", "+62812", {
        "MONEV_WHATSAPP_URL": "json://gw.test/?+K={token}", "MONEV_WHATSAPP_TOKEN": "env-token"})


def test_runs_are_named_and_artifacts_read_without_codes(prefect_server: dict[str, str],
                                                        monev_db: str) -> None:
    from prefect.client.orchestration import get_client

    from flows.monev_flows import open_checkpoints

    plan = "kpu-kabupaten-muaro-jambi/zi-2025"
    assert open_checkpoints(plan=plan, as_of="2025-08-04") > 0

    async def read() -> tuple[list[str], dict[str, object]]:
        async with get_client() as client:
            runs = [r.name for r in await client.read_flow_runs()]
            arts = {a.key: a for a in await client.read_artifacts() if a.key}
        return runs, arts

    runs, arts = asyncio.run(read())
    assert "open_checkpoints · kpu-kab-muaro-jambi zi-2025 · 2025-08-04" in runs
    table = arts["kpu-kabupaten-muaro-jambi-zi-2025-open-checkpoints"]
    rows = json.loads(str(table.data))  # type: ignore[attr-defined]
    factory = open_session_factory(monev_db)
    with factory() as s:
        bukti = set(s.scalars(select(m.Item.bukti_fisik)))
    assert rows and all(r["bukti fisik"] in {b[:80] for b in bukti} for r in rows)
    from monev.periods import MONTH_NAMES_ID
    from monev.status import CHECKPOINT_WORDS

    checkpoints = [r for r in rows if r["kode"] != "-"]
    assert checkpoints and all(r["periode"].split()[0] in MONTH_NAMES_ID
                               and r["status"] in CHECKPOINT_WORDS.values()
                               for r in checkpoints)
    capaian = arts["kpu-kabupaten-muaro-jambi-zi-2025-capaian"]
    import re

    assert re.search(r"\d+ dari 252 checkpoint terverifikasi \(\d+ %\)",
                     str(capaian.description))  # type: ignore[attr-defined]


def test_dispatch_runs_only_when_there_is_something_to_send(prefect_server: dict[str, str],
                                                           monev_db: str) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId

    from flows.deployments import dispatcher
    from flows.monev_flows import remind
    from tasks.dispatch import schedule_dispatch

    async def dispatch_runs() -> list[datetime]:
        async with get_client() as client:
            dep = await client.read_deployment_by_name("dispatch/antrean")
            runs = await client.read_flow_runs(deployment_filter=DeploymentFilter(
                id=DeploymentFilterId(any_=[dep.id])))
            return [r.expected_start_time for r in runs if r.expected_start_time]

    async def clear() -> None:  # runs left by the other backend's round of this test
        async with get_client() as client:
            dep = await client.read_deployment_by_name("dispatch/antrean")
            for run in await client.read_flow_runs(deployment_filter=DeploymentFilter(
                    id=DeploymentFilterId(any_=[dep.id]))):
                await client.delete_flow_run(run.id)

    asyncio.run(_register_and_read([dispatcher()]))
    asyncio.run(clear())
    before = asyncio.run(dispatch_runs())
    assert schedule_dispatch() == "antrean kosong"
    assert asyncio.run(dispatch_runs()) == before, "nothing to send: no run"
    remind(plan="kpu-kabupaten-muaro-jambi/rb-2026", as_of="2026-03-24")
    after = asyncio.run(dispatch_runs())
    assert len(after) == len(before) + 1, "the sweep asked for one dispatch run"
    assert schedule_dispatch() == "sudah terjadwal"
    assert len(asyncio.run(dispatch_runs())) == len(after)


def test_deploy_without_the_work_pool_says_what_to_do(prefect_server: dict[str, str],
                                                     monev_db: str) -> None:
    import subprocess
    import sys

    res = subprocess.run([sys.executable, "-m", "app", "deploy", "--work-pool", "tidak-ada"],
                         cwd=ROOT, env={**os.environ, "COLUMNS": "200"}, capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 2
    assert "work pool 'tidak-ada' belum ada" in res.stderr and "prefect work-pool create" \
        in res.stderr
    assert "Traceback" not in res.stderr + res.stdout
    assert len(res.stderr.strip().splitlines()) <= 2, res.stderr


def test_sync_writes_what_changed_and_deletes_what_is_gone(prefect_server: dict[str, str],
                                                          monev_db: str) -> None:
    from prefect.client.orchestration import get_client

    from flows.register import sync

    first = _deployments(date(2025, 9, 1))  # every plan still open then
    asyncio.run(_register_and_read(first))
    again = asyncio.run(sync(first, POOL))
    assert not again.created and not again.updated and not again.deleted
    assert again.unchanged == len(first)
    # a revised schedule for one plan (its September dates gone), and another plan gone
    later = _deployments(date(2025, 11, 1))
    changed = [d for d in later if d.name == "zi-2025-kpu-kab-muaro-jambi"]
    kept = [d for d in first if d.name not in ("zi-2025-kpu-kab-muaro-jambi",
                                               "zi-2025-kpu-kota-jambi")]
    report = asyncio.run(sync(kept + changed, POOL))
    assert sorted(report.deleted) == sorted(f"{f}/zi-2025-kpu-kota-jambi" for f in (
        "open_checkpoints", "remind", "escalate", "monev_cycle"))
    assert {u.split("/")[1] for u in report.updated} == {"zi-2025-kpu-kab-muaro-jambi"}
    assert report.unchanged == len(kept)

    async def server_view() -> dict[str, list[str]]:
        async with get_client() as client:
            return {f"{d.name}:{d.description}": [getattr(s.schedule, "rrule", "")
                                                   for s in d.schedules]
                    for d in await client.read_deployments()}

    seen = asyncio.run(server_view())
    assert not any(k.startswith("zi-2025-kpu-kota-jambi:") for k in seen)
    remind = [d for d in changed if d.flow_name == "remind"][0]
    server = [v for k, v in seen.items()
              if k.startswith("zi-2025-kpu-kab-muaro-jambi:remind")][0]
    assert server == [s.rrule for s in remind.schedules], "the changed schedule arrived"
    assert server and all("202509" not in r for r in server)

    # nothing changed: answered from the fingerprint; a deployment deleted behind
    # monev's back is noticed (the count) and created again
    assert asyncio.run(sync(kept + changed, POOL)).unchanged == len(kept + changed)

    async def delete_one() -> str:
        async with get_client() as client:
            victim = [d for d in await client.read_deployments()
                      if d.name == "zi-2025-kpu-kab-muaro-jambi"][0]
            await client.delete_deployment(victim.id)
            return victim.name

    delete_one_name = asyncio.run(delete_one())
    healed = asyncio.run(sync(kept + changed, POOL))
    assert [c.split("/")[1] for c in healed.created] == [delete_one_name]
    assert healed.unchanged == len(kept + changed) - 1


def test_busy_server_answers_are_retried_with_backoff() -> None:
    import httpx
    from prefect.exceptions import PrefectHTTPStatusError

    from flows.register import SyncReport, _retrying

    calls: list[int] = []

    async def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            request = httpx.Request("POST", "http://prefect.test/api/deployments/")
            response = httpx.Response(503, request=request)
            raise PrefectHTTPStatusError.from_httpx_error(httpx.HTTPStatusError(
                "busy", request=request, response=response))
        return "ok"

    report = SyncReport()
    assert asyncio.run(_retrying(flaky, report)) == "ok" and report.retries == 2

    async def refused() -> str:
        request = httpx.Request("POST", "http://prefect.test/api/deployments/")
        raise PrefectHTTPStatusError.from_httpx_error(httpx.HTTPStatusError(
            "bad", request=request, response=httpx.Response(422, request=request)))

    with pytest.raises(PrefectHTTPStatusError):  # a real refusal is not retried
        asyncio.run(_retrying(refused, SyncReport()))


def test_inbound_retry_runs_only_while_a_reply_waits(prefect_server: dict[str, str],
                                                    monev_db: str) -> None:
    """``inbound_retry/ulang`` has one daily schedule (no 10-minute interval filling the
    run list); a reply left waiting asks for one run ten minutes ahead, once."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId

    from flows.deployments import inbound_retrier
    from monev.inbound.receive import Incoming, record_all
    from notifiers.trigger import COVERED, EMPTY, request_inbound_retry

    async def runs(clear: bool = False) -> list[datetime]:
        async with get_client() as client:
            dep = await client.read_deployment_by_name("inbound_retry/ulang")
            assert [s.schedule.cron for s in dep.schedules] == ["40 6 * * *"]  # type: ignore[union-attr]
            found = await client.read_flow_runs(deployment_filter=DeploymentFilter(
                id=DeploymentFilterId(any_=[dep.id])))
            for run in found if clear else []:  # left by the other backend's round
                await client.delete_flow_run(run.id)
            return [r.expected_start_time for r in found if r.expected_start_time
                    and r.expected_start_time < datetime.now(UTC) + timedelta(hours=1)]

    asyncio.run(_register_and_read([inbound_retrier()]))
    asyncio.run(runs(clear=True))
    factory = open_session_factory(monev_db)
    assert request_inbound_retry(factory) == EMPTY and asyncio.run(runs()) == []
    record_all(factory, [Incoming("telegram", "telegram", "1:2", "1")])  # waits
    assert "dijadwalkan" in request_inbound_retry(factory)
    (when,) = asyncio.run(runs())
    assert timedelta(minutes=9) < when - datetime.now(UTC) <= timedelta(minutes=10)
    assert request_inbound_retry(factory) == COVERED and len(asyncio.run(runs())) == 1
