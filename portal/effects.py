"""What follows an action in the portal, after its transaction committed (run after the
response is sent): static feeds republished when ``MONEV_FEED_DIR`` is set, and, when
``PREFECT_API_URL`` is set, the plan's capaian progress artifact in Prefect brought up
to date (the same artifact key the flows write) and — when the action queued a message
(a rejection) — a dispatcher run asked for at the moment it may go out."""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Iterable
from datetime import date

from sqlalchemy.orm import Session, sessionmaker

from calendars.publish import publish_if_configured
from monev.clock import today
from monev.store import models as m
from monev.store.queries import Capaian, plan_ref, progress
from notifiers.trigger import request_dispatch
from reports.capaian_artifact import capaian_artifact

log = logging.getLogger("monev.portal")


def after_change(factory: sessionmaker[Session], plan_ids: Iterable[int],
                 queued: bool = False) -> None:
    """Republish feeds, refresh capaian artifacts and, when ``queued``, ask for a
    dispatcher run; never raises (logged instead)."""
    ids = sorted(set(plan_ids))
    if os.environ.get("MONEV_FEED_DIR"):
        try:
            publish_if_configured(today())
        except Exception:  # a failed republish must not break the person's action
            log.exception("menerbitkan ulang kalender gagal")
    if os.environ.get("PREFECT_API_URL") and queued:
        try:  # without Prefect, `monev notify send` or the next sweep's run sends it
            log.info("pesan baru di antrean: %s", request_dispatch(factory))
        except Exception:
            log.exception("meminta run pengirim di Prefect gagal")
    if os.environ.get("PREFECT_API_URL") and ids:
        try:
            publish_capaian(factory, ids)
        except Exception:
            log.exception("memperbarui artefak capaian di Prefect gagal")


def capaian_of(factory: sessionmaker[Session], plan_id: int,
               ) -> tuple[str, Capaian, date] | None:
    """(plan reference, capaian, the day) as of today in the satker's zone."""
    with factory() as s:
        plan = s.get(m.Plan, plan_id)
        if plan is None:
            return None
        ref = plan_ref(plan.satker.slug, plan.kind, plan.year)
        day = today(plan.satker.timezone)
        return ref, progress(s, plan_id, day), day


def publish_capaian(factory: sessionmaker[Session], plan_ids: Iterable[int]) -> None:
    for plan_id in plan_ids:
        found = capaian_of(factory, plan_id)
        if found is None:
            continue
        with warnings.catch_warnings():  # outside a flow run on purpose: no run to wait for
            warnings.simplefilter("ignore", FutureWarning)
            capaian_artifact(*found)
