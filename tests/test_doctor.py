"""``monev doctor``: one line per check with OK/PERINGATAN/GAGAL, exit 1 only on GAGAL,
never a traceback, nothing created — on real homes, a real database, real ports and a
real Prefect server."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT, ZI_KOTA, free_port

LABELS = ("MONEV_HOME", "Basis data", "Server Prefect", "Konfigurasi", "Kanal pesan",
          "Chromium (PDF)", "Port HTTP", "Port Prefect")
OURS = ("MONEV_DATABASE_URL", "MONEV_SMTP_HOST", "MONEV_SMTP_FROM", "MONEV_WHATSAPP_URL",
        "MONEV_TELEGRAM_TOKEN", "PREFECT_API_URL", "PREFECT_API_AUTH_STRING",
        "MONEV_HTTP_HOST", "MONEV_PUBLIC_URL")


def _doctor(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if k not in OURS}
    full.update({"MONEV_HOME": str(home), "COLUMNS": "200",
                 "MONEV_CONFIG": str(ROOT / "config" / "monev.yaml"),
                 "MONEV_HTTP_PORT": str(free_port()), "MONEV_PREFECT_PORT": str(free_port()),
                 **env})
    res = subprocess.run([sys.executable, "-m", "app", "doctor", *args], cwd=ROOT,
                         env=full, capture_output=True, text=True, timeout=120)
    assert "Traceback" not in res.stdout + res.stderr, res.stdout + res.stderr
    return res


def _lines(res: subprocess.CompletedProcess[str]) -> dict[str, tuple[str, str]]:
    """Each check's label → (word, message); every line is one check."""
    found: dict[str, tuple[str, str]] = {}
    for line in res.stdout.strip().splitlines():
        m = re.match(r"^(OK|PERINGATAN|GAGAL) +([^:]+): (.+)$", line)
        assert m, line
        found[m.group(2)] = (m.group(1), m.group(3))
    assert tuple(found) == LABELS, list(found)
    return found


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("doctor") / "home"
    env = {**os.environ, "MONEV_HOME": str(home), "MONEV_TODAY": "2025-10-01"}
    env.pop("MONEV_DATABASE_URL", None)
    done = subprocess.run([sys.executable, "-m", "app", "plan", "import", str(ZI_KOTA),
                           "-q"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return home


def test_fresh_home_without_server(tmp_path: Path) -> None:
    """No home yet: GAGAL for it and its database, Prefect only a warning, and the
    doctor created nothing."""
    home = tmp_path / "baru"
    res = _doctor(home)
    assert res.returncode == 1
    lines = _lines(res)
    assert lines["MONEV_HOME"][0] == "GAGAL" and "belum ada" in lines["MONEV_HOME"][1]
    assert lines["Basis data"][0] == "GAGAL" and "monev plan import" in lines["Basis data"][1]
    assert lines["Server Prefect"][0] == "PERINGATAN", lines["Server Prefect"]
    assert "monev up" in lines["Server Prefect"][1]
    assert not home.exists(), "the doctor only looks"
    home.mkdir(mode=0o700)  # an empty home: only its database is missing
    again = _lines(_doctor(home))
    assert again["MONEV_HOME"][0] == "OK" and again["Basis data"][0] == "GAGAL"
    assert sorted(p.name for p in home.iterdir()) == []


def test_imported_database_is_ok(imported: Path) -> None:
    res = _doctor(imported)
    lines = _lines(res)
    assert lines["MONEV_HOME"] == ("OK", f"{imported} (izin 0700)")
    word, message = lines["Basis data"]
    assert word == "OK" and "skema terbaru" in message and "1 rencana aksi" in message
    assert lines["Port HTTP"][0] == lines["Port Prefect"][0] == "OK"
    assert lines["Konfigurasi"][0] == "OK"
    assert res.returncode == 0, res.stdout  # warnings alone do not fail
    assert "GAGAL" not in res.stdout


def test_rows_nobody_can_verify_are_a_warning(imported: Path, tmp_path: Path) -> None:
    """Without its Sekretaris, nobody can verify KPU Kota Jambi's rows (its Ketua Tim
    ZI holds them all): the configuration check says how many and what to add."""
    text = (ROOT / "config" / "monev.yaml").read_text(encoding="utf-8").replace(
        "      - {name: Sekretaris Kota Contoh, role: sekretaris, "
        "email: sekretaris.kota@example.org}\n", "")
    lacking = tmp_path / "monev.yaml"
    lacking.write_text(text, encoding="utf-8")
    res = _doctor(imported, MONEV_CONFIG=str(lacking))
    word, message = _lines(res)["Konfigurasi"]
    assert word == "PERINGATAN" and "tidak dapat diverifikasi" in message, message
    assert re.search(r"KPU Kota Jambi: \d{2}\)", message) and "Sekretaris" in message
    assert res.returncode == 0


def test_wrong_permission_home_is_a_warning(imported: Path) -> None:
    imported.chmod(0o755)
    try:
        word, message = _lines(_doctor(imported))["MONEV_HOME"]
        imported.chmod(0o500)  # the owner cannot write: evidence and imports would fail
        locked = _doctor(imported)
    finally:
        imported.chmod(0o700)
    assert word == "PERINGATAN" and "0755" in message and f"chmod 700 {imported}" in message
    word, message = _lines(locked)["MONEV_HOME"]
    assert word == "GAGAL" and "0500" in message and locked.returncode == 1


def test_channels_none_some_and_half(imported: Path) -> None:
    word, message = _lines(_doctor(imported))["Kanal pesan"]
    assert word == "PERINGATAN" and "tidak ada kanal" in message and "antrean" in message
    half = _doctor(imported, MONEV_SMTP_HOST="127.0.0.1")
    word, message = _lines(half)["Kanal pesan"]
    assert word == "GAGAL" and "MONEV_SMTP_FROM belum diisi" in message
    assert half.returncode == 1
    email = _lines(_doctor(imported, MONEV_SMTP_HOST="127.0.0.1",
                           MONEV_SMTP_FROM="monev@example.org"))["Kanal pesan"]
    assert email[0] == "PERINGATAN" and "email" in email[1] and "whatsapp" in email[1]
    both = _lines(_doctor(imported, MONEV_SMTP_HOST="127.0.0.1",
                          MONEV_SMTP_FROM="monev@example.org",
                          MONEV_WHATSAPP_URL="json://127.0.0.1:9/send"))["Kanal pesan"]
    assert both == ("OK", "diatur: email, whatsapp")


def test_a_port_taken_by_another_process_fails(imported: Path) -> None:
    port = free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        res = _doctor(imported, MONEV_HTTP_PORT=str(port))
    word, message = _lines(res)["Port HTTP"]
    assert word == "GAGAL" and f"127.0.0.1:{port}" in message and "MONEV_HTTP_PORT" in message
    assert res.returncode == 1


def test_unreachable_database_is_one_line_without_password(tmp_path: Path) -> None:
    url = f"postgresql://monev:rahasia-sekali@127.0.0.1:{free_port()}/monev"
    tmp_path.chmod(0o700)
    res = _doctor(tmp_path, MONEV_DATABASE_URL=url)
    word, message = _lines(res)["Basis data"]
    assert word == "GAGAL" and "tidak terjangkau" in message
    assert "rahasia-sekali" not in res.stdout + res.stderr
    assert res.returncode == 1


def test_json_has_one_object_per_check(imported: Path) -> None:
    res = _doctor(imported, "--json")
    checks = json.loads(res.stdout)
    assert [c["check"] for c in checks] == ["home", "database", "prefect", "config",
                                            "channels", "chromium", "port_http",
                                            "port_prefect"]
    for c in checks:
        assert set(c) == {"check", "label", "status", "status_label", "message"}
        assert c["status"] in ("ok", "warning", "fail")
        word = {"ok": "OK", "warning": "PERINGATAN", "fail": "GAGAL"}[c["status"]]
        assert c["status_label"] == word
    assert res.returncode == (1 if any(c["status"] == "fail" for c in checks) else 0)


@pytest.fixture
def server_env(prefect_server: dict[str, str]) -> Iterator[dict[str, str]]:
    yield {k: prefect_server[k] for k in ("PREFECT_API_URL", "PREFECT_API_AUTH_STRING")}


def test_prefect_server_reachable_and_auth_checked(imported: Path,
                                                   server_env: dict[str, str]) -> None:
    """A real server with basic auth: our credentials are accepted, wrong ones are a
    GAGAL that says what to set; a server named but down is a GAGAL too."""
    ok = _lines(_doctor(imported, **server_env))["Server Prefect"]
    assert ok[0] == "OK" and "akses diterima" in ok[1], ok
    wrong = _doctor(imported, **{**server_env, "PREFECT_API_AUTH_STRING": "monev:salah"})
    word, message = _lines(wrong)["Server Prefect"]
    assert word == "GAGAL" and "401" in message and "PREFECT_API_AUTH_STRING" in message
    assert wrong.returncode == 1
    down = _doctor(imported, PREFECT_API_URL=f"http://127.0.0.1:{free_port()}/api")
    assert _lines(down)["Server Prefect"][0] == "GAGAL" and down.returncode == 1


def test_postgresql_database_at_head(tmp_path: Path) -> None:
    """The same check on PostgreSQL: empty schema first (a warning), then imported."""
    from tests.conftest import fresh_database

    url = fresh_database("postgresql", tmp_path)
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    empty = _lines(_doctor(home, MONEV_DATABASE_URL=url))["Basis data"]
    assert empty[0] == "PERINGATAN" and "belum dibuat" in empty[1], empty
    env = {**os.environ, "MONEV_HOME": str(home), "MONEV_DATABASE_URL": url}
    assert subprocess.run([sys.executable, "-m", "app", "plan", "import", str(ZI_KOTA), "-q"],
                          cwd=ROOT, env=env, capture_output=True, timeout=120).returncode == 0
    word, message = _lines(_doctor(home, MONEV_DATABASE_URL=url))["Basis data"]
    assert word == "OK" and message.startswith("postgresql") and "1 rencana aksi" in message


def test_with_monev_up_running(tmp_path: Path) -> None:
    """While ``monev up --sink`` runs, its ports are ours, its Prefect server is found
    through run/up.json and answers to the prefect-auth credentials, the demo sinks
    count as channels; everything is OK."""
    from tests.test_up import _env, _ports, running_up

    ports = _ports()
    home = tmp_path / "home"
    env = _env(home, ports)
    with running_up(env):
        res = _doctor(home, MONEV_HTTP_PORT=str(ports["http"]),
                      MONEV_PREFECT_PORT=str(ports["prefect"]),
                      MONEV_SMTP_SINK_PORT=str(ports["smtp"]))
    lines = _lines(res)
    assert lines["Port HTTP"] == ("OK", f"127.0.0.1:{ports['http']} dipakai monev up yang "
                                        "berjalan")
    assert lines["Port Prefect"][0] == "OK" and "monev up" in lines["Port Prefect"][1]
    word, message = lines["Server Prefect"]
    assert word == "OK" and f":{ports['prefect']}/api" in message and "akses diterima" in message
    assert lines["Kanal pesan"][0] == "OK" and "sink" in lines["Kanal pesan"][1]
    assert lines["Basis data"][0] == "OK"
    assert res.returncode == 0, res.stdout
