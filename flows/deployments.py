"""Plans → Prefect deployments.

Per plan and flow: a deployment ``<flow>/<kind>-<year>-<short satker slug>`` (Prefect
bans '/' inside deployment names) tagged with satker, kind and year, whose RRule
schedules carry exactly the dates that plan needs.
Plus one daily safety-net deployment ``sweep_all/harian`` covering all plans, the
dispatcher ``dispatch/antrean`` whose runs are created when there is something to send,
the retry of inbound replies ``inbound_retry/ulang`` (:func:`fixed_deployments`), and —
only where configured — the readers of replies without a webhook
(``inbound_mail/kotak-surat``, ``telegram_poll/telegram``)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from prefect.schedules import Cron, Interval, RRule, Schedule

from flows.inbound import inbound_mail, inbound_retry, telegram_poll
from flows.monev_flows import FLOWS, dispatch_outbox, sweep_all
from monev.config import MonevConfig
from monev.engine.compile import compile_schedules
from monev.engine.rules import EngineSettings, schedule_dates
from monev.store.plan_status import status_on
from monev.store.queries import all_plans, due_dates, plan_ref
from monev.workdays import WorkCalendar
from notifiers.imap import ImapSettings
from notifiers.telegram_poll import polling
from tasks.naming import OWNER_TAG

SAFETY_NET = "harian"
DISPATCHER = "antrean"
MAILBOX = "kotak-surat"
POLL_EVERY = timedelta(minutes=5)  # a poll run lasts a little less, then the next one
INBOUND_RETRY = "ulang"


@dataclass
class PlanDeployment:
    """Everything Prefect needs for one deployment, independent of how it is registered."""

    flow_name: str
    name: str
    tags: list[str]
    parameters: dict[str, Any]
    schedules: list[Schedule]
    description: str


def deployment_name(satker_slug: str, kind: str, year: int) -> str:
    """``zi-2025-kpu-kab-muaro-jambi``: the plan first and the satker shortened, so the
    name stays readable where the Prefect UI truncates it."""
    short = satker_slug.replace("kabupaten", "kab").replace("provinsi", "prov")
    return f"{kind.lower()}-{year}-{short}"


@lru_cache(maxsize=4096)
def _rrule(rrule: str, timezone: str, slug: str) -> Schedule:
    """One (frozen) schedule per distinct rule: Prefect re-parses every RDATE of a rule
    with dateutil's generic parser (~1 ms a schedule), and plans share their dates."""
    return RRule(rrule, timezone=timezone, slug=slug)


def compile_plan_deployments(session: Any, cfg: MonevConfig, since: date,
                             plan_ids: Collection[int] | None = None,
                             ) -> list[PlanDeployment]:
    """Deployments of every stored plan (or of ``plan_ids``), with schedules for dates
    on or after ``since``."""
    return [d for _, ds in compile_by_plan(session, cfg, since, plan_ids) for d in ds]


def compile_by_plan(session: Any, cfg: MonevConfig, since: date,
                    plan_ids: Collection[int] | None = None,
                    ) -> list[tuple[int, list[PlanDeployment]]]:
    """(plan id, its deployments) of every stored plan or of ``plan_ids``; a finished
    plan has none."""
    out: list[tuple[int, list[PlanDeployment]]] = []
    dues = due_dates(session, plan_ids)
    for plan, satker in all_plans(session, plan_ids):
        sc = cfg.satker(satker.name)
        calendar = sc.calendar() if sc else WorkCalendar()
        settings = sc.settings() if sc else EngineSettings()
        plan_dues = dues.get(plan.id, [])
        # --- plans that close (issue 13): a finished plan has no deployments ---
        if status_on(plan, max((d.due for d in plan_dues), default=None), since,
                     settings.closing_grace_months) == "selesai":
            out.append((plan.id, []))
            continue
        # ---
        compiled = compile_schedules(schedule_dates(plan_dues, calendar, settings),
                                     settings.run_hour, since)
        ref = plan_ref(satker.slug, plan.kind, plan.year)
        mine: list[PlanDeployment] = []
        for flow_name in FLOWS:
            flow_cs = [c for c in compiled if c.flow == flow_name]
            mine.append(PlanDeployment(
                flow_name=flow_name, name=deployment_name(satker.slug, plan.kind, plan.year),
                tags=[OWNER_TAG, f"satker:{satker.slug}", f"kind:{plan.kind}",
                      f"year:{plan.year}"],
                parameters={"plan": ref, "timezone": satker.timezone},
                schedules=[_rrule(c.rrule, satker.timezone, f"{flow_name}-{i}")
                           for i, c in enumerate(flow_cs, start=1)],
                description=f"{flow_name} untuk {satker.name} {plan.kind} {plan.year} "
                            f"({sum(len(c.dates) for c in flow_cs)} tanggal terjadwal)"))
        out.append((plan.id, mine))
    return out


def safety_net(hour: int = 6, timezone: str = "Asia/Jakarta") -> PlanDeployment:
    return PlanDeployment(flow_name="sweep_all", name=SAFETY_NET, tags=[OWNER_TAG, "monev:harian"],
                          parameters={}, schedules=[Cron(f"0 {hour} * * *", timezone=timezone)],
                          description="Penyapu harian semua rencana aksi (jaring pengaman)")


def dispatcher() -> PlanDeployment:
    """The sender. No interval schedule (it would fill the run list with empty runs):
    sweeps that queue messages, and dispatch runs that leave some for later, create
    its runs for the moment they are due (``tasks.dispatch.schedule_dispatch``)."""
    return PlanDeployment(flow_name="dispatch", name=DISPATCHER, tags=[OWNER_TAG, "monev:kirim"],
                          parameters={}, schedules=[],
                          description="Kirim antrean pesan (email, WhatsApp, Telegram) "
                                      "saat ada yang perlu dikirim")


def inbound_deployments() -> list[PlanDeployment]:
    """The reply readers that need no webhook, each only when configured: the IMAP
    mailbox (``MONEV_IMAP_HOST``) and the Telegram long poll
    (``MONEV_TELEGRAM_MODE=poll``). Each run reads for ~4.5 minutes, one every 5."""
    seconds = int(POLL_EVERY.total_seconds()) - 30
    out: list[PlanDeployment] = []
    if ImapSettings.configured() is not None:
        out.append(PlanDeployment(
            flow_name="inbound_mail", name=MAILBOX, tags=[OWNER_TAG, "monev:masuk"],
            parameters={"seconds": seconds, "every": 30},
            schedules=[Interval(POLL_EVERY, slug="inbound_mail")],
            description="Baca balasan e-mail berisi bukti dari kotak surat IMAP"))
    if polling():
        out.append(PlanDeployment(
            flow_name="telegram_poll", name="telegram", tags=[OWNER_TAG, "monev:masuk"],
            parameters={"seconds": seconds},
            schedules=[Interval(POLL_EVERY, slug="telegram_poll")],
            description="Ambil pesan bot Telegram (getUpdates) berisi bukti"))
    return out


def inbound_retrier(hour: int = 6, timezone: str = "Asia/Jakarta") -> PlanDeployment:
    """The retry of inbound replies whose media download failed. No 10-minute schedule
    (144 runs a day, nearly all empty): a reply left waiting asks for a run ten minutes
    later, and a run that leaves one waiting asks for the next
    (``notifiers.trigger.request_inbound_retry``). Once a day at ``hour`` it also runs
    by itself, for replies an app recorded and never got to (it stopped): a safety net."""
    return PlanDeployment(flow_name="inbound_retry", name=INBOUND_RETRY,
                          tags=[OWNER_TAG, "monev:masuk"], parameters={},
                          schedules=[Cron(f"40 {hour} * * *", timezone=timezone)],
                          description="Ulangi pesan masuk berisi bukti yang berkasnya belum "
                                      "terunduh (balasan WhatsApp/Telegram)")


def fixed_deployments() -> list[PlanDeployment]:
    """The deployments every set-up has besides the plans' own."""
    return [safety_net(), dispatcher(), inbound_retrier(), *inbound_deployments()]


def runner_deployments(deployments: list[PlanDeployment]) -> list[Any]:
    """RunnerDeployments for ``serve()`` (the one-machine set-up of ``monev up``)."""
    flows: dict[str, Any] = {**FLOWS, "sweep_all": sweep_all, "dispatch": dispatch_outbox,
                             "inbound_mail": inbound_mail, "telegram_poll": telegram_poll,
                             "inbound_retry": inbound_retry}
    return [flows[d.flow_name].to_deployment(
        name=d.name, tags=d.tags, parameters=d.parameters, schedules=d.schedules,
        description=d.description) for d in deployments]
