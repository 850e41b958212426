"""Shared fixtures: real plan documents, and a database per backend (SQLite file and,
when MONEV_TEST_POSTGRES_URL is set, a real PostgreSQL server)."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from email import message_from_bytes
from email.header import decode_header, make_header
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from monev.store.db import make_engine, upgrade_schema

ROOT = Path(__file__).resolve().parent.parent
PLANS = ROOT / "examples" / "plans"
ZI_MUARO = PLANS / "rencana-aksi-zi-2025-kpu-kab-muaro-jambi.txt"
ZI_KOTA = PLANS / "rencana-aksi-zi-2025-kpu-kota-jambi.txt"
RB_MUARO = PLANS / "rencana-aksi-rb-2026-kpu-kab-muaro-jambi.txt"
ALL_PLANS = (ZI_MUARO, ZI_KOTA, RB_MUARO)


# The files that take longest (each starts `monev up`, a Prefect server or browsers):
# handed out first, so two workers never wait at the end for one of them alone.
SLOW_FIRST = ("test_up.py", "test_readme_tour.py", "test_portal_browser.py",
              "test_prefect_engine.py", "test_distributed.py", "test_reliability.py",
              "test_doctor.py", "test_report_cycle.py", "test_portal_browser_uploads.py",
              "test_messages_true.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: i for i, name in enumerate(SLOW_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable otherwise


@pytest.fixture(autouse=True, scope="session")
def _private_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Link secrets and evidence of tests never land in the working tree's .monev."""
    if os.environ.get("MONEV_HOME"):
        yield
        return
    os.environ["MONEV_HOME"] = str(tmp_path_factory.mktemp("monev-home"))
    try:
        yield
    finally:
        os.environ.pop("MONEV_HOME", None)


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _postgres_url() -> str | None:
    """The test database of this pytest process: with several workers (pytest-xdist)
    each gets its own database on the same server, made once per run."""
    url = os.environ.get("MONEV_TEST_POSTGRES_URL")
    if not url and os.environ.get("CI") == "true":
        pytest.fail("CI must run the PostgreSQL tests: MONEV_TEST_POSTGRES_URL is not set")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker:
        return url
    name = f"monev_test_{worker}"
    if name not in _made:
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        _made.add(name)
    return url.rsplit("/", 1)[0] + f"/{name}"


_made: set[str] = set()


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A real local Prefect server for the whole test session (the scheduler loops
    every 2 s); its API URL is in the environment while it runs."""
    from flows.server import auth_string, server_env, start_server, stop_server, wait_healthy

    home = tmp_path_factory.mktemp("prefect")
    port = free_port()
    auth = auth_string(home)  # as monev up runs it: nothing readable without credentials
    proc = start_server(home, port, {"PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "2"},
                        auth=auth)
    env = server_env(home, port, auth)
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    # Prefect reads the environment once, when first imported: a test that imported it
    # earlier in this process would otherwise (in every thread, the apps' too) talk to a
    # temporary server of its own
    from prefect.context import refresh_global_settings_context

    refresh_global_settings_context()
    try:
        wait_healthy(port, proc, auth=auth, home=home)
        yield env
    finally:
        stop_server(proc)
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        refresh_global_settings_context()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database of each backend."""
    yield fresh_database(str(request.param), tmp_path)


def fresh_database(kind: str, folder: Path) -> str:
    """The URL of an empty database: a SQLite file in ``folder``, or the test PostgreSQL
    server with its schema dropped and made again (skipped when there is none)."""
    if kind == "sqlite":
        return f"sqlite:///{folder / 'monev.db'}"
    url = _postgres_url()
    if not url:
        pytest.skip("no PostgreSQL server (MONEV_TEST_POSTGRES_URL)")
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(db_url)
    upgrade_schema(engine)
    yield sessionmaker(engine, expire_on_commit=False)
    engine.dispose()


@pytest.fixture
def portal_app(db_url: str, tmp_path: Path,
               monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Any]]:
    """The real app with the example plans swept to 28 Oct 2025 (tests/portal_app.py)."""
    from tests.portal_app import portal_apps

    yield from portal_apps(db_url, tmp_path, monkeypatch)


class Sink:
    """aiosmtpd handler keeping every message; optionally slow."""

    def __init__(self, delay: float = 0.0) -> None:
        self.messages: list[dict[str, Any]] = []
        self.delay = delay

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.delay:
            time.sleep(self.delay)
        msg = message_from_bytes(envelope.content)
        body = msg.get_payload(decode=True) if not msg.is_multipart() else \
            msg.get_payload()[0].get_payload(decode=True)
        self.messages.append({"to": list(envelope.rcpt_tos), "raw": envelope.content,
                              "subject": str(make_header(decode_header(msg["Subject"]))),
                              "body": body.decode("utf-8")})
        return "250 OK"


def smtp_env(port: int) -> dict[str, str]:
    return {"MONEV_SMTP_HOST": "127.0.0.1", "MONEV_SMTP_PORT": str(port),
            "MONEV_SMTP_MODE": "plain", "MONEV_SMTP_FROM": "monev@example.org"}


@pytest.fixture
def smtp() -> Iterator[tuple[Sink, int]]:
    sink, port = Sink(), free_port()
    ctl = Controller(sink, hostname="127.0.0.1", port=port)
    ctl.start()
    yield sink, port
    ctl.stop()


@pytest.fixture
def sink_app(tmp_path: Path) -> Iterator[tuple[str, str, list[str]]]:
    """The demo's WhatsApp sink (files in ``tmp_path``) served on 127.0.0.1: (its URL,
    its key, the first line of each message it took)."""
    import uvicorn
    from fastapi import FastAPI

    from notifiers.sink import whatsapp_sink_router

    arrived: list[str] = []
    app = FastAPI()
    app.include_router(whatsapp_sink_router(tmp_path, lambda c, r, s: arrived.append(s),
                                            "kunci-sink"))

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", "kunci-sink", arrived
    server.should_exit = True
    thread.join(timeout=10)
