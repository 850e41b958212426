"""Decision rules of the monev cycle, pure and clock-free.

A sweep looks at one plan *as of* a date and decides: which checkpoints open, which
become backlog (overdue before the plan was ever swept), who is reminded, who is
escalated to, and whether a month/quarter-end cycle report is due. Each decision has
an idempotency key (checkpoint, action, step): the store records keys already done,
so running the same sweep twice does nothing the second time, and a sweep after
missed days catches up on exactly what is still undone."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal, Protocol

from monev.engine.closing import closing_day
from monev.periods import Period
from monev.workdays import WorkCalendar

ActionKind = Literal["open", "remind", "escalate", "digest", "cycle", "backlog"]
BACKLOG_ROLES = ("ketua_tim", "sekretaris")  # who hears, once, of inherited backlog
OPEN_STATUSES = ("open", "rejected")  # evidence still expected from the PIC
DONE_STATUSES = ("submitted", "verified")


@dataclass(frozen=True)
class EngineSettings:
    """Per-satker engine settings (config ``engine:``); defaults follow common practice."""

    reminder_days: tuple[int, ...] = (7, 3, 1)  # H-7, H-3, H-1 (calendar days before due)
    remind_on_due_day: bool = True  # "hari ini tenggat"
    ladder: tuple[tuple[int, tuple[str, ...]], ...] = (
        (1, ("pic", "koordinator")), (3, ("ketua_tim",)), (7, ("sekretaris",)))
    backlog_after_days: int = 0  # overdue longer than this when imported → backlog
    run_hour: int = 8  # local hour at which scheduled runs fire
    closing_grace_months: int = 1  # penutupan after the last checkpoint's month


@dataclass(frozen=True)
class CheckpointState:
    id: int
    period: Period
    due: date
    status: str
    area: str
    komponen: str
    bukti_fisik: str
    imported_on: date | None = None  # the day the plan brought this checkpoint in


@dataclass(frozen=True)
class Decision:
    action: ActionKind
    step: str  # part of the idempotency key: "H-7", "L2", "2025-09", …
    checkpoint_id: int | None
    period: str
    roles: tuple[str, ...] = ()
    new_status: str | None = None

    @property
    def key(self) -> tuple[int | None, str, str]:
        return (self.checkpoint_id, self.action, self.step)


@dataclass
class PlanDecisions:
    decisions: list[Decision] = field(default_factory=list)

    def by(self, action: ActionKind) -> list[Decision]:
        return [d for d in self.decisions if d.action == action]


class Dated(Protocol):
    """What the schedule needs of a checkpoint: its period and due date."""

    @property
    def period(self) -> Period: ...

    @property
    def due(self) -> date: ...


def open_date(cp: CheckpointState | Dated) -> date:
    """A checkpoint opens on the first day of its period (evidence collection starts)."""
    return cp.period.start


def decide(cps: Sequence[CheckpointState], as_of: date, calendar: WorkCalendar,
           settings: EngineSettings, done: set[tuple[int | None, str, str]],
           plan_periods: Iterable[Period] = ()) -> PlanDecisions:
    """Everything a sweep of one plan should do on ``as_of`` that is not yet ``done``."""
    out = PlanDecisions()

    def add(d: Decision) -> None:
        if d.key not in done:
            out.decisions.append(d)

    new_backlog: list[CheckpointState] = []
    late_days: dict[date, int] = {}  # working days overdue, per due date (few distinct)
    for cp in cps:
        status = cp.status
        if status == "scheduled" and as_of >= open_date(cp):
            imported = cp.imported_on or as_of
            if (imported - cp.due).days > settings.backlog_after_days:
                add(Decision("backlog", "backlog", cp.id, str(cp.period),
                             BACKLOG_ROLES, "backlog"))
                new_backlog.append(cp)
                continue
            add(Decision("open", "open", cp.id, str(cp.period), ("pic",), "open"))
            status = "open"
        if status not in OPEN_STATUSES:
            continue
        reminder = _reminder_step(cp, as_of, settings)
        if reminder is not None:
            add(Decision("remind", reminder, cp.id, str(cp.period), ("pic",)))
        if as_of <= cp.due:
            continue
        late = late_days.get(cp.due)
        if late is None:
            late = late_days[cp.due] = calendar.working_days_between(cp.due, as_of)
        for level, (after, roles) in enumerate(settings.ladder, start=1):
            if late >= after:
                add(Decision("escalate", f"L{level}", cp.id, str(cp.period), roles))
    if new_backlog:
        add(Decision("digest", f"backlog-{as_of.isoformat()}", None,
                     ",".join(sorted({str(c.period) for c in new_backlog})),
                     BACKLOG_ROLES))
    first_import = min((c.imported_on for c in cps if c.imported_on), default=None)
    for period in cycle_periods(plan_periods, as_of, calendar):
        if first_import is None or cycle_date(period, calendar) >= first_import:
            add(Decision("cycle", str(period), None, str(period), ("ketua_tim", "ketua")))
    return out


def _reminder_step(cp: CheckpointState, as_of: date, settings: EngineSettings) -> str | None:
    """The latest reminder step reached (older missed steps are not sent late)."""
    days_left = (cp.due - as_of).days
    if days_left < 0:
        return None
    if days_left == 0 and settings.remind_on_due_day:
        return "H-0"
    reached = [d for d in settings.reminder_days if days_left <= d]
    return f"H-{min(reached)}" if reached else None


def cycle_date(period: Period, calendar: WorkCalendar) -> date:
    """Month-end monev: the last working day of the month."""
    return calendar.due_date(Period(period.year, period.month))


def cycle_months(plan_periods: Iterable[Period]) -> list[Period]:
    """Months with a month-end monev: from the plan's first period to its last. Late
    evidence is chased during the plan's *penutupan* and the year-end report closes it
    (:mod:`monev.engine.closing`)."""
    months = sorted({Period(p.year, p.month) for p in plan_periods})
    if not months:
        return []
    out, cur = [], months[0]
    last = months[-1].year * 12 + months[-1].month - 1
    while cur.year * 12 + cur.month - 1 <= last:
        out.append(cur)
        cur = Period(cur.year + (cur.month == 12), cur.month % 12 + 1)
    return out


def cycle_periods(plan_periods: Iterable[Period], as_of: date,
                  calendar: WorkCalendar) -> list[Period]:
    """Cycle months whose month-end date has come (quarter ends included)."""
    return [m for m in cycle_months(plan_periods) if cycle_date(m, calendar) <= as_of]


def is_quarter_end(period: Period) -> bool:
    return period.month % 3 == 0


def schedule_dates(cps: Iterable[Dated], calendar: WorkCalendar,
                   settings: EngineSettings) -> dict[str, set[date]]:
    """The days each flow must run for a plan: the RDATEs of its deployments.
    Checkpoints sharing a period and due date count once."""
    cps = list({(cp.period, cp.due): cp for cp in cps}.values())
    opens: set[date] = set()
    reminds: set[date] = set()
    escalates: set[date] = set()
    for cp in cps:
        opens.add(open_date(cp))
        for d in settings.reminder_days:
            reminds.add(cp.due - timedelta(days=d))
        if settings.remind_on_due_day:
            reminds.add(cp.due)
        for after, _roles in settings.ladder:
            escalates.add(calendar.add_working_days(cp.due, after))
    cycles = {cycle_date(p, calendar) for p in cycle_months(c.period for c in cps)}
    if cps:  # the day the plan closes: its year-end report (monev.engine.closing)

        closes = closing_day(max(c.due for c in cps), settings.closing_grace_months)
        cycles.add(closes if calendar.is_working_day(closes)
                   else calendar.add_working_days(closes, 1))
    return {"open_checkpoints": opens, "remind": reminds, "escalate": escalates,
            "monev_cycle": cycles}
