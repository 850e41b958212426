"""Where the database is and how to open it: SQLite under ``MONEV_HOME`` by default,
any SQLAlchemy URL through ``MONEV_DATABASE_URL``. The schema is brought up to date
with Alembic on first use, one process at a time.

``MONEV_HOME`` (default ``./.monev``) holds the database, the secrets and the evidence.
Only ``monev up`` and ``monev plan import`` may create it: any other command run from
the wrong folder says so instead of silently starting an empty second home."""

from __future__ import annotations

import contextlib
import fcntl
import os
import random
import stat
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from monev.errors import MonevError

if TYPE_CHECKING:
    from alembic.config import Config

SQLITE_BUSY_SECONDS = 30.0  # a writer waits this long for another before giving up
# PostgreSQL: a lock not granted (lock_timeout), a deadlock, a serialization failure
BUSY_PG_CODES = ("55P03", "40P01", "40001")
_may_create_home = False
T = TypeVar("T")


def busy_seconds() -> float:
    """How long a SQLite writer waits for another (``MONEV_SQLITE_BUSY_SECONDS``, 30)
    before it gives up with "database is locked" (:func:`is_busy`)."""
    raw = os.environ.get("MONEV_SQLITE_BUSY_SECONDS", "")
    try:
        value = float(raw) if raw else SQLITE_BUSY_SECONDS
    except ValueError:
        value = -1.0
    if not 0 < value <= 3600:
        raise MonevError(f"MONEV_SQLITE_BUSY_SECONDS={raw!r} bukan lama tunggu (detik, "
                         "lebih dari 0 sampai 3600)")
    return value


def is_busy(exc: BaseException) -> bool:
    """Whether ``exc`` says only that another writer held the database too long (SQLite
    "database is locked", a PostgreSQL lock timeout, deadlock or serialization failure):
    nothing was written and the same work may simply be tried again."""
    if not isinstance(exc, DBAPIError):
        return False
    orig = exc.orig
    if getattr(orig, "sqlstate", None) in BUSY_PG_CODES:
        return True
    text_ = str(orig).lower()
    return type(orig).__name__ == "OperationalError" and (
        "database is locked" in text_ or "database table is locked" in text_)


def retry_busy(work: Callable[[], T], waits: Sequence[float],
               on_retry: Callable[[int, float, BaseException], None] | None = None) -> T:
    """``work()``, tried again after each of ``waits`` (seconds, with up to a quarter
    more at random so two retrying writers part) while it fails :func:`is_busy`;
    the last failure is raised. ``work`` must be a whole transaction."""
    for attempt, wait in enumerate((*waits, None), start=1):
        try:
            return work()
        except DBAPIError as exc:
            if wait is None or not is_busy(exc):
                raise
            pause = wait * (1 + random.random() / 4)  # noqa: S311 - spreading retries
            if on_retry is not None:
                on_retry(attempt, pause, exc)
            time.sleep(pause)
    raise AssertionError("unreachable")


_checked_homes: set[Path] = set()


def monev_home() -> Path:
    return Path(os.environ.get("MONEV_HOME", ".monev")).resolve()


def allow_creating_home() -> None:
    """Called by the commands that may start a new home (``up``, ``plan import``)."""
    global _may_create_home
    _may_create_home = True


def ensure_home() -> Path:
    """The home folder (0700), created only when the running command may create it."""
    home = monev_home()
    if home.is_dir():
        if home not in _checked_homes:
            _checked_homes.add(home)
            tighten_home(home)
        return home
    if not _may_create_home:
        raise MonevError(
            f"MONEV_HOME {home} belum ada: perintah ini dijalankan dari folder lain? Atur "
            "MONEV_HOME ke folder data monev, atau mulai dengan `monev plan import` / "
            "`monev up`")
    home.mkdir(parents=True, mode=0o700)
    return home


def tighten_home(home: Path) -> bool:
    """A home others can enter (made by hand, restored from a backup at 0755) is closed
    to 0700 and its evidence files to 0640 at most; reports and sink mails keep 0644
    (the home's own mode guards them). True when something was tightened. Only the
    owner can change modes: another user's home is left to ``monev doctor``."""
    info = home.stat()
    if not stat.S_IMODE(info.st_mode) & 0o077 or info.st_uid != os.getuid():
        return False
    home.chmod(0o700)
    for folder, _, files in os.walk(home / "evidence"):
        for name in files:
            path = Path(folder) / name
            with contextlib.suppress(OSError):  # an upload finishing meanwhile
                if stat.S_IMODE(path.lstat().st_mode) & 0o137 and not path.is_symlink():
                    path.chmod(0o640)
    return True


def database_url() -> str:
    url = os.environ.get("MONEV_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{ensure_home() / 'monev.db'}"


def display_url(url: str | None = None) -> str:
    """The database URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    return make_url(url or database_url()).render_as_string(hide_password=True)


def make_engine(url: str | None = None, pool_size: int | None = None) -> Engine:
    """An engine for ``url`` (``pool_size``: connections kept for as many threads, plus
    SQLAlchemy's overflow of 10; default its 5). On SQLite a connection can begin
    ``IMMEDIATE`` (execution option ``sqlite_begin``; :class:`Sessions` uses it for
    writers): a transaction that read and then writes could otherwise fail at once with
    "database is locked" when another writer committed in between, whatever the busy
    timeout."""
    url = url or database_url()
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    pool: dict[str, Any] = {} if pool_size is None else {"pool_size": pool_size}
    if not url.startswith("sqlite"):
        return create_engine(url, **pool)
    busy = busy_seconds()
    engine = create_engine(url, connect_args={"timeout": busy}, **pool)
    _private_sqlite_file(engine)

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        dbapi_conn.isolation_level = None  # SQLAlchemy's "begin" event emits BEGIN
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute(f"PRAGMA busy_timeout={int(busy * 1000)}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):  # type: ignore[no-untyped-def]
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


class Sessions(sessionmaker[Session]):
    """Sessions of one database: ``factory()`` to read, ``factory.begin()`` to write.

    A writing transaction on SQLite takes the write lock at BEGIN (waiting up to the
    busy timeout for another writer); readers never wait for writers (WAL)."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine, expire_on_commit=False)
        self.writer = engine.execution_options(sqlite_begin="IMMEDIATE")

    @contextlib.contextmanager
    def begin(self) -> Iterator[Session]:
        with self(bind=self.writer) as session, session.begin():
            yield session


def _private_sqlite_file(engine: Engine) -> None:
    """Create the SQLite file 0600 (its -wal/-shm files inherit the mode)."""
    path = engine.url.database
    if path and path != ":memory:" and not os.path.exists(path):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))


@contextlib.contextmanager
def _file_lock(engine: Engine) -> Iterator[None]:
    """An exclusive lock beside a SQLite file, held until the migration committed."""
    path = engine.url.database
    if engine.dialect.name != "sqlite" or not path or path == ":memory:":
        yield
        return
    fd = os.open(f"{path}.migrate-lock", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def upgrade_schema(engine: Engine) -> None:
    """Run the Alembic migrations up to head on this engine, one process at a time (an
    advisory lock for the transaction on PostgreSQL, a file lock on SQLite). A schema
    already at head is only read: every process starts here, and a long writer holding
    SQLite must not stop it (issue 24)."""
    from alembic import command

    current, head, _known = schema_revisions(engine)
    if current is not None and current == head:
        return
    cfg = _alembic_config()
    with _file_lock(engine), engine.execution_options(sqlite_begin="IMMEDIATE").begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(7150436)"))  # monev migrations
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def _alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent.parent / "migrations"))
    return cfg


def schema_revisions(engine: Engine) -> tuple[str | None, str | None, bool]:
    """The database's schema revision (None when never migrated), the code's head, and
    whether the code knows the database's revision — read only, nothing is migrated
    (``monev doctor``)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_alembic_config())
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    from alembic.util import CommandError

    try:
        known = current is None or script.get_revision(current) is not None
    except CommandError:  # a revision this code does not have
        known = False
    return current, script.get_current_head(), known


def detached_connection(engine: Engine) -> Any:
    """A DBAPI connection taken out of the engine's pool for good, in autocommit on
    PostgreSQL: each statement sees what is committed now and no transaction stays
    open (SQLite's driver is in autocommit already, see :func:`make_engine`). The
    caller closes it."""
    proxy = engine.raw_connection()
    conn: Any = proxy.driver_connection
    proxy.detach()
    if engine.dialect.name == "postgresql":
        conn.rollback()
        conn.autocommit = True
    return conn


def open_session_factory(url: str | None = None, pool_size: int | None = None) -> Sessions:
    engine = make_engine(url, pool_size)
    upgrade_schema(engine)
    return Sessions(engine)
