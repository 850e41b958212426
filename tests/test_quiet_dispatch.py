"""Quiet hours at send time (issue 24): a late dispatcher run, a retry whose backoff
lands after 17:00 and a batch running past 17:00 hold their rows for the recipient's
next working morning (pending, never failed); ``send_now`` still sends at once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from aiosmtpd.controller import Controller
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from monev.config import MonevConfig
from monev.store import models as m
from notifiers.dispatch import apprise_send, dispatch
from tests.conftest import Sink, free_port, smtp_env
from tests.test_notify import CFG, _swept

TUESDAY = date(2025, 10, 28)
WED_0700_WIB = datetime(2025, 10, 29, 0, 0)  # naive UTC, as the store keeps moments


def _wib(day: date, hour: int, minute: int = 0) -> datetime:
    """``hour:minute`` WIB on ``day`` as naive UTC."""
    return datetime(day.year, day.month, day.day, hour, minute) - timedelta(hours=7)


def _email(sessions: sessionmaker[Session]) -> list[m.Outbox]:
    with sessions() as s:
        return list(s.scalars(select(m.Outbox).where(m.Outbox.channel == "email")
                              .order_by(m.Outbox.id)))


def test_late_run_and_retry_after_hours_wait_for_the_morning(
        sessions: sessionmaker[Session]) -> None:
    _swept(sessions, TUESDAY)
    port = free_port()
    env = smtp_env(port)  # nobody listens yet: every e-mail fails, to be retried
    first = dispatch(sessions, now=lambda: _wib(TUESDAY, 16, 59), env=env, cfg=CFG)
    emails = _email(sessions)
    assert emails and {r.id for r in emails} <= {i for i, _ in first.retrying}
    assert {r.not_before for r in emails} == {_wib(TUESDAY, 17, 0)}, "backoff: 1 minute"
    sink = Sink()
    ctl = Controller(sink, hostname="127.0.0.1", port=port)
    ctl.start()
    try:
        held = dispatch(sessions, now=lambda: _wib(TUESDAY, 17, 5), env=env, cfg=CFG)
        assert {r.id for r in emails} <= set(held.held) and not held.sent
        for late in (_wib(TUESDAY, 22, 0), _wib(TUESDAY, 23, 59)):
            report = dispatch(sessions, now=lambda t=late: t, env=env, cfg=CFG)  # type: ignore[misc]
            assert not report.sent and not sink.messages, late
        rows = _email(sessions)
        assert {(r.status, r.not_before, r.attempts) for r in rows} == {
            ("pending", WED_0700_WIB, 1)}, "held: pending, never failed, no attempt spent"
        morning = dispatch(sessions, now=lambda: WED_0700_WIB, env=env, cfg=CFG)
    finally:
        ctl.stop()
    assert {r.id for r in emails} <= set(morning.sent)
    assert len(sink.messages) == len(emails)


def test_recipient_s_own_zone_and_days_off_decide(sessions: sessionmaker[Session]) -> None:
    """15:30 WIB is 17:30 WIT: a satker in Papua is held until 07:00 WIT (22:00 UTC);
    rows due on a Saturday wait for Monday; send_now overrides."""
    _swept(sessions, TUESDAY)
    raw = CFG.model_dump()
    for sc in raw["satkers"]:
        sc["timezone"] = "Asia/Jayapura"
    wit = MonevConfig.model_validate(raw)
    sink, port = Sink(), free_port()
    ctl = Controller(sink, hostname="127.0.0.1", port=port)
    ctl.start()
    try:
        held = dispatch(sessions, now=lambda: _wib(TUESDAY, 15, 30), env=smtp_env(port),
                        cfg=wit)
        assert held.held and not held.sent and not sink.messages
        assert {r.not_before for r in _email(sessions)} == {datetime(2025, 10, 28, 22, 0)}
        with sessions.begin() as s:  # due on a Saturday (an admin's resend, say)
            for row in s.scalars(select(m.Outbox).where(m.Outbox.status == "pending")):
                row.not_before = _wib(date(2025, 11, 1), 9)
        saturday = dispatch(sessions, now=lambda: _wib(date(2025, 11, 1), 10),
                            env=smtp_env(port), cfg=CFG)
        assert saturday.held and not saturday.sent
        assert {r.not_before for r in _email(sessions) if r.status == "pending"} == {
            _wib(date(2025, 11, 3), 7)}, "Monday 07:00 WIB"
        forced = dispatch(sessions, now=lambda: _wib(date(2025, 11, 1), 22),
                          env=smtp_env(port), cfg=CFG, send_now=True)
        assert forced.sent and not forced.held
    finally:
        ctl.stop()
    assert not [r for r in _email(sessions) if r.status == "pending"]


def test_a_batch_running_past_17_holds_the_rest(sessions: sessionmaker[Session],
                                                smtp: tuple[Sink, int]) -> None:
    """Each message is judged when it goes: a pass starting at 16:59:00 whose sends take
    20 s each stops sending at 17:00 and holds the rest (no "sending" row left)."""
    _swept(sessions, TUESDAY)
    sink, port = smtp
    clock = [_wib(TUESDAY, 16, 59)]

    def slow(url: str, subject: str, body: str, attach: Sequence[str] = ()) -> None:
        apprise_send(url, subject, body, attach)
        clock[0] += timedelta(seconds=20)

    report = dispatch(sessions, now=lambda: clock[0], env=smtp_env(port), sender=slow,
                      cfg=CFG)
    assert len(report.sent) == 3 == len(sink.messages), report  # 16:59:00, :20, :40
    rows = _email(sessions)
    assert {r.status for r in rows} == {"sent", "pending"}
    assert {r.not_before for r in rows if r.status == "pending"} == {WED_0700_WIB}
    assert {r.attempts for r in rows if r.status == "pending"} == {0}
