"""Quiet hours at send time. The sweep dates each row's ``not_before`` within the
recipient's working hours when it queues it, but a dispatcher can still run late (a
backlog, a restart in the evening) and a retry's backoff can land after 17:00: so just
before a batch is claimed, and again before each message goes out, the dispatcher asks
the same rule (:func:`monev.store.outbox.next_send_time`: 07:00–17:00 on the satker's
working days, in its time zone). A row outside them stays ``pending`` with its
``not_before`` moved to the next allowed moment; ``send_now`` (demo, admin), sign-in
links and the replies to a person's own message (``balasan|…``: they are waiting for
them, and WhatsApp allows free text only within 24 hours of their message) are never
held.

The recipient's satker is the second field of the row's key (``day|satker|person|channel``,
``masuk|satker|…``); a satker missing from the configuration gets the national defaults
(WIB, national days off), as in the sweep. A hand-made key naming no satker is not held."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import Connection, DateTime, bindparam, select, text
from sqlalchemy.orm import Session

from monev.clock import DEFAULT_TZ
from monev.config import MonevConfig
from monev.inbound.replies import REPLY_KIND
from monev.store import models as m
from monev.store.outbox import next_send_time
from monev.workdays import WorkCalendar
from notifiers.outbox import SIGN_IN_KIND

_LATER = text("UPDATE outbox SET not_before = :later WHERE id = :id AND status = 'pending'"
              ).bindparams(bindparam("later", type_=DateTime()))


class SendHours:
    """The working hours of each row of one dispatcher pass."""

    def __init__(self, cfg: MonevConfig) -> None:
        self.cfg = cfg
        self.satker_of: dict[int, str] = {}  # row id → satker name (rows held by hours)
        self._rules: dict[str, tuple[str, WorkCalendar]] = {}

    def load(self, session: Session, ids: Iterable[int]) -> None:
        """Learn the satker of each row (once per pass, with the rows found due)."""
        wanted = list(ids)
        for start in range(0, len(wanted), 500):
            for row_id, key, kind in session.execute(
                    select(m.Outbox.id, m.Outbox.idem_key, m.Outbox.kind)
                    .where(m.Outbox.id.in_(wanted[start:start + 500]))).tuples():
                parts = key.split("|")
                if kind != SIGN_IN_KIND and parts[0] != REPLY_KIND and len(parts) > 2 \
                        and parts[1]:
                    self.satker_of[row_id] = parts[1]

    def opens(self, row_id: int, now: datetime) -> datetime | None:
        """When the row may go out (naive UTC) if not at ``now`` (naive UTC), else None."""
        satker = self.satker_of.get(row_id)
        if satker is None:
            return None
        rule = self._rules.get(satker)
        if rule is None:
            sc = self.cfg.satker(satker)
            rule = self._rules[satker] = ((sc.tz, sc.calendar()) if sc
                                          else (DEFAULT_TZ, WorkCalendar()))
        allowed = next_send_time(now.replace(tzinfo=UTC), *rule)
        return allowed if allowed > now else None

    def hold(self, conn: Connection, ids: list[int], now: datetime,
             held: list[int]) -> list[int]:
        """The ids that may go out now; the others get ``not_before`` at their next
        allowed moment (in the caller's transaction) and are added to ``held``."""
        later = {i: t for i in ids if (t := self.opens(i, now)) is not None}
        if later:
            conn.execute(_LATER, [{"id": i, "later": t} for i, t in later.items()])
            held += later
        return [i for i in ids if i not in later]
