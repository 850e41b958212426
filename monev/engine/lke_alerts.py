"""What a sweep tells about the LKE: the target gate's reasons the projection newly
misses, in the next daily digest of the Ketua Tim ZI and the Sekretaris — once, the
day each appears (the plan's snapshot remembers), with their link to the Papan."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from monev.config import SatkerConfig
from monev.engine.lke import record
from monev.engine.people import holders
from monev.engine.sweep import Left
from monev.errors import MonevError
from monev.links import LinkBook
from monev.store import models as m
from monev.store.outbox import Delivery, enqueue

RECIPIENTS = ("ketua_tim", "sekretaris")


def sweep_lke(session: Session, plan: m.Plan, sc: SatkerConfig | None, day: date,
              now: datetime, left: Left | None = None) -> list[str]:
    """Refresh the plan's LKE snapshot and queue what is newly short; returns those
    reasons (none for a plan with no LKE of its kind). ``left``: what the plan's sweep
    read (``record``)."""
    try:
        new = record(session, plan, day, left=left)
    except MonevError:  # no LKE data for this kind or version: nothing to say
        return []
    if not new or sc is None:
        return [text for _, text in new]
    found = [(role, p) for role in RECIPIENTS for p in holders(role, "", "", sc.people)]
    book = LinkBook(session)
    deliveries = [Delivery(person, role, [{
        "kind": "lke", "ref": f"lke-{plan.id}-{key}", "step": day.isoformat(),
        "period": "", "due": "", "bukti_fisik": text, "indikator": "", "area": "",
        "pic": "", "subbagian": "", "link": book.url(sc.name, person.name, "papan")}
        for key, text in new]) for role, person in found]
    ketua_tim = [p for p in sc.people if p.role == "ketua_tim"]
    contact = f"{ketua_tim[0].name} (Ketua Tim ZI)" if ketua_tim else "Tim ZI"
    if deliveries:
        enqueue(session, plan.id, sc.name, day, now, sc.tz, sc.calendar(), deliveries,
                contact)
    return [text for _, text in new]
