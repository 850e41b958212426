"""Errors a person can act on: one Indonesian line and a non-zero exit code, never a
traceback or a secret; the forms people write accepted; the demo sink closed to
anyone but monev."""

from __future__ import annotations

import json
import os
import subprocess
import sys
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
    return subprocess.run([sys.executable, "-m", "app", *args], cwd=ROOT, env=env,
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
def test_failures_of_every_channel_name_no_secret(kind: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Nobody listens on the port (or the service is unreachable): the error says so in
    Indonesian and never repeats a token or password, however the plugin's URL keeps it."""
    port = free_port()
    monkeypatch.setenv("MONEV_WHATSAPP_GRAPH_URL", f"http://127.0.0.1:{port}/v21.0")
    monkeypatch.setenv("MONEV_TELEGRAM_API_URL", f"http://127.0.0.1:{port}")
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


# -- files named on the command line ---------------------------------------------------

def test_a_missing_input_file_is_named_not_found(home: Path, tmp_path: Path) -> None:
    gone = tmp_path / "tidak-ada" / "rencana.txt"
    for args in (("plan", "show", str(gone)), ("plan", "import", str(gone)),
                 ("plan", "export", str(gone)), ("plan", "diff", str(gone), str(ZI_KOTA)),
                 ("simulate", str(gone), "--from", "2025-01-01", "--to", "2025-01-31"),
                 ("evidence", "submit", "abc@2025-01", "--by", "PIC", "--file", str(gone)),
                 ("plan", "show", str(ZI_KOTA), "--config", str(gone))):
        res = _monev(home, *args)
        _one_line_error(res, "tidak ditemukan", str(gone))
        assert "bukan berkas biasa" not in res.stderr, args


def test_output_into_a_missing_folder_is_refused_and_nothing_is_created(
        home: Path, tmp_path: Path) -> None:
    target = tmp_path / "no" / "such" / "dir"
    for args in (("plan", "export", str(ZI_KOTA), "-o", str(target / "rencana.yaml")),
                 ("report", "--plan", "kpu-kota-jambi/zi-2025", "--period", "2025-09",
                  "--format", "md", "-o", str(target / "laporan.md")),
                 ("feed", "publish", "--out", str(target))):
        res = _monev(home, *args)
        _one_line_error(res, "tidak ditemukan", str(target.parent if args[0] == "feed"
                                                     else target))
        assert len(res.stderr.strip().splitlines()) == 1, res.stderr
        assert not (tmp_path / "no").exists(), args
    wrote = _monev(home, "plan", "export", str(ZI_KOTA), "-o", str(tmp_path / "r.yaml"))
    assert wrote.returncode == 0 and "KPU Kota Jambi" in (tmp_path / "r.yaml").read_text()
    _one_line_error(_monev(home, "report", "--plan", "kpu-kota-jambi/zi-2025", "--period",
                           "2025-09", "--format", "md", "-o", str(tmp_path)), "folder")


def test_resend_and_dismiss_say_why_a_row_is_refused(home: Path) -> None:
    from datetime import date, datetime

    from monev.store import models as m
    from monev.store.db import open_session_factory

    factory = open_session_factory(f"sqlite:///{home / 'monev.db'}")
    ids = {}
    with factory.begin() as s:
        for status in ("sent", "pending", "failed", "dismissed"):
            row = m.Outbox(idem_key=f"resend-{status}", person="Ketua Contoh", channel="email",
                           address="k@example.org", kind="harian", day=date(2025, 10, 1),
                           items=[], subject="[Monev] uji", body="isi", status=status,
                           not_before=datetime(2025, 10, 1),
                           sent_at=datetime(2025, 10, 1, 1, 30) if status == "sent" else None)
            s.add(row)
            s.flush()
            ids[status] = row.id
    factory.kw["bind"].dispose()
    sent = _monev(home, "outbox", "--resend", str(ids["sent"]))
    _one_line_error(sent, f"#{ids['sent']} tidak dikirim ulang: sudah terkirim pada "
                    "01-10-2025 01:30", "hanya pesan gagal atau tidak pasti",
                    f"bukan: {ids['sent']}")
    waiting = _monev(home, "outbox", "--resend", str(ids["pending"]), "--resend", "99999")
    _one_line_error(waiting, "masih menunggu giliran", "#99999", "tidak ada di antrean")
    _one_line_error(_monev(home, "outbox", "--dismiss", str(ids["dismissed"])),
                    "tidak ditutup", "sudah ditutup sebelumnya")
    done = _monev(home, "outbox", "--resend", str(ids["failed"]), "--json")
    assert done.returncode == 0, done.stderr
    assert f"dikirim ulang: {ids['failed']}" in done.stderr  # stdout stays pure JSON
    assert any(r["id"] == ids["failed"] and r["status"] == "pending"
               for r in json.loads(done.stdout))


def test_typer_usage_errors_in_indonesian(home: Path) -> None:
    cases = {("plnn",): ("perintah 'plnn' tidak ada", "Mungkin maksud Anda 'plan'?"),
             ("plan", "lis"): ("perintah 'lis' tidak ada", "'list'"),
             ("plan", "show"): ("argumen", "belum diberikan"),
             ("tasks", "--limit", "banyak"): ("nilai tidak sah untuk --limit",
                                              "bilangan bulat"),
             ("tasks", "--limt", "3"): ("opsi --limt tidak ada", "maksud Anda: --limit"),
             ("tasks", "--limit"): ("opsi --limit memerlukan nilai",),
             ("tasks", "--json=ya"): ("tidak menerima nilai",)}
    for args, words in cases.items():
        res = _monev(home, *args)
        _one_line_error(res, *words)
        for english in ("Did you mean", "No such", "Missing", "Invalid value", "Possible",
                        "[OPTIONS]", "Usage", "requires", "does not take"):
            assert english not in res.stderr, (args, res.stderr)
