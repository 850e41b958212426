"""Where report files live: ``MONEV_HOME/reports/<satker>/<kind-year>/laporan-<period>.<fmt>``
(one file per plan, period and format — a rerun rewrites it), and their archive rows."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from monev.clock import utcnow
from monev.store import models as m


def report_path(home: Path, satker_slug: str, kind: str, year: int, period: str,
                fmt: str) -> Path:
    return home / "reports" / satker_slug / f"{kind.lower()}-{year}" / f"laporan-{period}.{fmt}"


def record_file(session: Session, home: Path, plan_id: int, period: str, fmt: str,
                path: Path, as_of: date) -> m.ReportFile:
    """The archive row of a written file (updated when the file is rewritten)."""
    data = path.read_bytes()
    row = session.scalar(select(m.ReportFile).where(
        m.ReportFile.plan_id == plan_id, m.ReportFile.period == period, m.ReportFile.fmt == fmt))
    if row is None:
        row = m.ReportFile(plan_id=plan_id, period=period, fmt=fmt)
        session.add(row)
    row.path = str(path.relative_to(home))
    row.sha256 = hashlib.sha256(data).hexdigest()
    row.size = len(data)
    row.as_of = as_of
    row.written_at = utcnow()
    session.flush()
    return row


def archive(session: Session, satker_id: int) -> list[tuple[m.ReportFile, m.Plan]]:
    """A satker's report files, newest period first."""
    return list(session.execute(
        select(m.ReportFile, m.Plan).join(m.Plan, m.Plan.id == m.ReportFile.plan_id)
        .where(m.Plan.satker_id == satker_id)
        .order_by(m.Plan.year.desc(), m.Plan.kind, m.ReportFile.as_of.desc(),
                  m.ReportFile.period.desc(), m.ReportFile.fmt)).tuples())
