"""The one place "today" comes from: the system date, or ``MONEV_TODAY`` (ISO date)
for previews, demos and tests."""

from __future__ import annotations

import os
from datetime import date


def today() -> date:
    fixed = os.environ.get("MONEV_TODAY")
    return date.fromisoformat(fixed) if fixed else date.today()
