"""The plan's capaian progress artifact in Prefect (one key per plan), written by every
sweep (``flows.monev_flows``) and by the portal after each verification
(``portal.effects``): one writer below both, so the portal needs no flow."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from monev.store.queries import Capaian, plan_label

if TYPE_CHECKING:
    from prefect.artifacts import ProgressArtifact


def artifact_key(plan: str, flow_name: str) -> str:
    """``kpu-kabupaten-muaro-jambi-rb-2026-capaian``: the key of a plan's artifact."""
    return "-".join(filter(None, (plan.replace("/", "-"), flow_name.replace("_", "-"))))


def capaian_artifact(plan: str, capaian: Capaian, day: date) -> None:
    """The plan's progress artifact, brought up to date (needs ``PREFECT_API_URL`` or a
    flow run)."""
    capaian_progress(plan, capaian, day).create()


def capaian_progress(plan: str, capaian: Capaian, day: date) -> ProgressArtifact:
    """The plan's progress artifact, not yet sent (``.create()``, or ``.acreate()``
    beside many others)."""
    # Prefect takes seconds to import: only a process that writes artifacts pays for it
    # (the portal imports this module at start-up). Not a cycle: reports is below flows.
    from prefect.artifacts import ProgressArtifact

    return ProgressArtifact(progress=capaian.percent, key=artifact_key(plan, "capaian"),
                            description=f"Capaian {plan_label(plan)}: "
                                        f"{capaian.sentence(day)}")
