"""Where the database is and how to open it: SQLite under ``MONEV_HOME`` by default,
any SQLAlchemy URL through ``MONEV_DATABASE_URL``. The schema is brought up to date
with Alembic on first use."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker


def monev_home() -> Path:
    return Path(os.environ.get("MONEV_HOME", ".monev")).resolve()


def database_url() -> str:
    url = os.environ.get("MONEV_DATABASE_URL")
    if url:
        return url
    home = monev_home()
    home.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{home / 'monev.db'}"


def make_engine(url: str | None = None) -> Engine:
    url = url or database_url()
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()
    return engine


def upgrade_schema(engine: Engine) -> None:
    """Run the Alembic migrations up to head on this engine."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent.parent / "migrations"))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def open_session_factory(url: str | None = None) -> sessionmaker[Session]:
    engine = make_engine(url)
    upgrade_schema(engine)
    return sessionmaker(engine, expire_on_commit=False)
