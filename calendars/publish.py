"""Publishing feeds as static files, for offices without a server of their own: each
active feed becomes ``DIR/<token>.ics`` (upload the folder to any static host).
Files are written atomically (temporary file + rename) and only when their bytes
change; files of revoked or rotated feeds are removed."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from calendars.service import FeedCache
from calendars.tokens import feed_secret, looks_like_token, token_for
from monev.config import load_config
from monev.errors import MonevError
from monev.store import models as m
from monev.store.db import open_session_factory


@dataclass
class PublishReport:
    written: list[str] = field(default_factory=list)
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def write_atomic(path: Path, data: bytes) -> bool:
    """Replace ``path`` with ``data`` in one rename; False when it already held them."""
    if path.exists() and path.read_bytes() == data:
        return False
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True


def publish(session: Session, cache: FeedCache, secret: bytes, out: Path,
            today: date) -> PublishReport:
    out.mkdir(parents=True, exist_ok=True)
    report = PublishReport()
    keep: set[str] = set()
    for feed in session.scalars(select(m.Feed).where(
            m.Feed.revoked_at.is_(None), m.Feed.scope != "index").order_by(m.Feed.id)):
        token = token_for(feed.nonce, secret)
        name = f"{token}.ics"
        keep.add(name)  # a feed that cannot be rendered keeps its last good file
        try:
            body = cache.get(session, feed, token, today).body
        except MonevError as exc:
            report.failed.append(f"kalender #{feed.id}: {exc}")
            continue
        if write_atomic(out / name, body):
            report.written.append(name)
        else:
            report.unchanged += 1
    for old in out.glob("*.ics"):
        if old.name not in keep and looks_like_token(old.stem):
            old.unlink()
            report.removed.append(old.name)
    return report


def publish_dir(out: Path, today: date) -> PublishReport:
    """Publish every active feed of the configured database into ``out``."""
    factory = open_session_factory()
    try:
        with factory() as s:
            cache = FeedCache(load_config(None), os.environ.get("MONEV_PUBLIC_URL"))
            return publish(s, cache, feed_secret(), out, today)
    finally:
        factory.kw["bind"].dispose()


def publish_if_configured(today: date) -> PublishReport | None:
    """Republish into ``MONEV_FEED_DIR`` when it is set (after every change)."""
    target = os.environ.get("MONEV_FEED_DIR")
    return publish_dir(Path(target), today) if target else None
