"""Errors a person can act on: one Indonesian line and a non-zero exit code, never a
traceback or a secret; the forms people write accepted; the demo sink closed to
anyone but monev."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from notifiers.channels import apprise_url, redact
from notifiers.dispatch import SendError, SendUncertain, send_message
from tests.conftest import ROOT, ZI_KOTA, free_port

SECRET = "RAHASIA1234567890abcdef"


def _monev(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MONEV_HOME": str(home), "COLUMNS": "200",
           "MONEV_TODAY": "2025-10-01"}
    env.pop("MONEV_DATABASE_URL", None)
    return subprocess.run([sys.executable, "-m", "monev", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "home"
    assert _monev(path, "plan", "import", str(ZI_KOTA), "-q").returncode == 0
    return path


def _one_line_error(res: subprocess.CompletedProcess[str], *words: str) -> None:
    assert res.returncode != 0, res.stdout
    assert "Traceback" not in res.stdout + res.stderr
    lines = [x for x in res.stderr.strip().splitlines() if x.strip()]
    assert lines and len(lines) <= 5, res.stderr  # a usage error: usage, hint, the reason
    for word in words:
        assert word in res.stderr, res.stderr


def test_dates_as_monev_prints_them_are_accepted(home: Path) -> None:
    iso = _monev(home, "tasks", "--due-before", "2025-09-30", "--limit", "500")
    dmy = _monev(home, "tasks", "--due-before", "30-09-2025", "--limit", "500")
    assert iso.returncode == dmy.returncode == 0, dmy.stderr
    assert iso.stdout == dmy.stdout and "@2025-09" in dmy.stdout
    _one_line_error(_monev(home, "tasks", "--due-before", "31-13-2025"), "--due-before",
                    "31-12-2026")


def test_status_words_in_either_language_and_unknown_ones_refused(home: Path) -> None:
    _one_line_error(_monev(home, "tasks", "--status", "xyz"), "tidak dikenal", "dibuka",
                    "terverifikasi")
    _one_line_error(_monev(home, "outbox", "--status", "xyz"), "tidak dikenal", "terkirim")
    assert _monev(home, "tasks", "--status", "tunggakan").returncode == 0
    assert "backlog" not in _monev(home, "tasks", "--limit", "5").stdout, \
        "status words are Indonesian"


def test_open_includes_rejected(home: Path) -> None:
    """``--status dibuka`` is what the PIC still owes: a rejected item too."""
    from sqlalchemy import select

    from monev.store import models as m
    from monev.store.db import open_session_factory

    os.environ["MONEV_HOME"], saved = str(home), os.environ.get("MONEV_HOME")
    try:
        factory = open_session_factory(f"sqlite:///{home / 'monev.db'}")
        with factory.begin() as s:
            cp = s.scalars(select(m.Checkpoint).order_by(m.Checkpoint.due)).first()
            assert cp is not None
            cp.status = "rejected"
            code = f"{cp.item.key}@{cp.period}"
        factory.kw["bind"].dispose()
    finally:
        if saved is not None:
            os.environ["MONEV_HOME"] = saved
    listed = _monev(home, "tasks", "--status", "dibuka", "--limit", "1000")
    assert listed.returncode == 0 and code in listed.stdout and "ditolak" in listed.stdout


def test_an_unreadable_option_is_told_in_indonesian(home: Path) -> None:
    _one_line_error(_monev(home, "tasks", "--limit", "banyak"), "bilangan bulat")
    _one_line_error(_monev(home, "tasks", "--tidak-ada"), "tidak ada")


# -- failures of every channel kind: the reason in Indonesian, no secret in it --------

CHANNELS = {
    "email": {"MONEV_SMTP_HOST": "127.0.0.1", "MONEV_SMTP_PORT": "{port}",
              "MONEV_SMTP_MODE": "starttls", "MONEV_SMTP_USER": "monev",
              "MONEV_SMTP_PASSWORD": SECRET, "MONEV_SMTP_FROM": "monev@example.org"},
    "whatsapp-cloud": {"MONEV_WHATSAPP_TOKEN": SECRET,
                       "MONEV_WHATSAPP_URL": "whatsapp://{token}@1234567890/{phone}"},
    "whatsapp-gateway": {"MONEV_WHATSAPP_TOKEN": SECRET,
                         "MONEV_WHATSAPP_URL": "wajson://127.0.0.1:{port}/send?+X-Api-Key="
                                               "{token}&:to={phone_digits}&rto=1&cto=1"},
    "whatsapp-json": {"MONEV_WHATSAPP_TOKEN": SECRET,
                      "MONEV_WHATSAPP_URL": "json://127.0.0.1:{port}/send/{token}"
                                            "?:to={phone_digits}&rto=1&cto=1"},
    "whatsapp-form": {"MONEV_WHATSAPP_TOKEN": SECRET,
                      "MONEV_WHATSAPP_URL": "waform://127.0.0.1:{port}/send?+Authorization="
                                            "{token}&:target={phone_digits}&rto=1&cto=1"},
    "telegram": {"MONEV_TELEGRAM_TOKEN": f"123456:{SECRET}"},
}
ADDRESS = {"email": "a@example.org", "telegram": "987654321"}


@pytest.mark.parametrize("kind", sorted(CHANNELS))
def test_failures_of_every_channel_name_no_secret(kind: str) -> None:
    """Nobody listens on the port (or the service is unreachable): the error says so in
    Indonesian and never repeats a token or password, however the plugin's URL keeps it."""
    port = free_port()
    env = {k: v.replace("{port}", str(port)) for k, v in CHANNELS[kind].items()}
    channel = kind.split("-")[0]
    address = ADDRESS.get(channel, "+6281200000011")
    url = apprise_url(channel, address, env)
    if kind != "whatsapp-json":  # Apprise cannot know a json:// path holds a token …
        assert SECRET not in redact(url), redact(url)
    with pytest.raises((SendError, SendUncertain)) as failure:
        send_message(channel, address, "[Monev] uji", "isi", env)
    text = str(failure.value)  # … but no reason ever carries a configured secret
    assert SECRET not in text and "Failed" not in text and "error" not in text.lower(), text
    assert any(w in text for w in ("tidak terjangkau", "menolak", "tidak dihubungi",
                                   "waktu habis", "tidak menjawab")), text


# -- the demo's WhatsApp sink ---------------------------------------------------------

@pytest.fixture
def sink_app(tmp_path: Path) -> Iterator[tuple[str, str, list[str]]]:
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


def test_demo_sink_takes_only_monev_small_and_never_stalls(
        sink_app: tuple[str, str, list[str]]) -> None:
    base, key, arrived = sink_app
    good = {"chatId": "62812@c.us", "text": "[Monev] uji\nisi"}
    with httpx.Client(timeout=10) as client:
        assert client.post(f"{base}/sink/whatsapp", json=good).status_code == 401
        assert client.post(f"{base}/sink/whatsapp", json=good, headers={
            "X-Api-Key": key, "Origin": "https://evil.example"}).status_code == 403
        assert client.post(f"{base}/sink/whatsapp", content=b"x", headers={
            "X-Api-Key": key, "Content-Type": "text/plain"}).status_code == 415

        def huge() -> Iterator[bytes]:  # 12 MB, streamed: refused at 64 KB
            for _ in range(12 * 16):
                yield b"x" * 65536

        started = time.monotonic()
        big = client.post(f"{base}/sink/whatsapp", content=huge(), headers={
            "X-Api-Key": key, "Content-Type": "application/json"})
        assert big.status_code == 413
        assert client.get(f"{base}/health").status_code == 200
        assert time.monotonic() - started < 10, "the app kept answering"
        assert client.post(f"{base}/sink/whatsapp", json=good,
                           headers={"X-Api-Key": key}).json()["status"] is True
    assert arrived == ["[Monev] uji"]
