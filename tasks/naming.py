"""Names of flow runs an admin reads in the Prefect UI: what the run does, for which
plan, for which day — the same whether the run is still waiting or has started."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from monev.clock import DEFAULT_TZ
from monev.store.queries import plan_label

OWNER_TAG = "monev"  # on every deployment monev made (and so on their runs)


def describe_run(flow_name: str, params: dict[str, object], moment: datetime) -> str:
    """``remind · kpu-kab-muaro-jambi rb-2026 · 2026-11-30``: the flow, the plan (when
    the run has one) and the day it sweeps (``as_of``, else ``moment``'s date in the
    satker's zone); the dispatcher's runs carry the minute they send."""
    parts = [flow_name]
    if params.get("plan"):
        parts.append(plan_label(str(params["plan"])))
    local = moment.astimezone(ZoneInfo(str(params.get("timezone") or DEFAULT_TZ)))
    if flow_name == "dispatch":
        parts.append(f"{local:%Y-%m-%d %H:%M}")
    else:
        parts.append(str(params["as_of"]) if params.get("as_of") else local.date().isoformat())
    return " · ".join(parts)
