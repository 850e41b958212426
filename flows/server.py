"""A real local Prefect server (its own PREFECT_HOME, basic auth) for ``monev up``,
tests and benchmarks — started as a supervised child and verified to be *ours*
before anything talks to it."""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from monev.errors import MonevError
from monev.processes import spawn, stop

SCHEDULER_ENV = {
    # Sparse yearly plans: without these the scheduler re-processes every deployment
    # with fewer than 3 future runs on every loop (see PLATFORM-FACTS.md).
    "PREFECT_SERVER_SERVICES_SCHEDULER_MIN_RUNS": "1",
    "PREFECT_SERVER_SERVICES_SCHEDULER_MAX_SCHEDULED_TIME": "P400D",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_UI_ENABLED": "true",
}
AUTH_USER = "monev"


def auth_string(home: Path) -> str:
    """``monev:<random>``, created once (0600) beside the server's data: the server
    requires it (``PREFECT_SERVER_API_AUTH_STRING``) and every client sends it
    (``PREFECT_API_AUTH_STRING``), so nobody else on the machine reads Secret blocks
    or creates runs through the port."""
    path = home / "prefect-auth"
    if not path.exists():
        home.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = home / f".prefect-auth.{os.getpid()}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(f"{AUTH_USER}:{secrets.token_urlsafe(24)}\n")
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)  # atomic: a concurrent first start keeps one value
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text().strip()


def server_env(home: Path, port: int, auth: str | None = None) -> dict[str, str]:
    """Environment for the server and for every client talking to it."""
    env = {"PREFECT_HOME": str(home), "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
           **SCHEDULER_ENV}
    if auth:
        env["PREFECT_SERVER_API_AUTH_STRING"] = auth
        env["PREFECT_API_AUTH_STRING"] = auth
    return env


def start_server(home: Path, port: int, extra_env: dict[str, str] | None = None,
                 auth: str | None = None) -> subprocess.Popen[bytes]:
    """The server as a supervised child (own process group, dies with us)."""
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    env = {**os.environ, **server_env(home, port, auth), **(extra_env or {})}
    return spawn([sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
                  "--port", str(port)], env, log=home / "server.log")


def _get(url: str, auth: str | None) -> tuple[int, bytes]:
    request = urllib.request.Request(url)
    if auth:
        request.add_header("Authorization",
                           "Basic " + base64.b64encode(auth.encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=5) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, b""


def wait_healthy(port: int, proc: subprocess.Popen[bytes], timeout: float = 90.0,
                 auth: str | None = None, home: Path | None = None) -> None:
    """Wait until the server answers, then make sure the answer comes from *our*
    child: it must accept our auth string and run from our PREFECT_HOME."""
    url = f"http://127.0.0.1:{port}/api"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise MonevError(f"server Prefect berhenti saat mulai (kode {proc.returncode}); "
                             f"lihat {home / 'server.log' if home else 'log server'}")
        try:
            status, _ = _get(f"{url}/health", None)
        except OSError:
            status = 0
        if status == 200:
            _verify_identity(url, auth, home)
            return
        time.sleep(0.5)
    raise MonevError(f"server Prefect tidak sehat dalam {timeout:.0f} detik ({url})")


def _verify_identity(url: str, auth: str | None, home: Path | None) -> None:
    if auth is None and home is None:
        return
    status, body = _get(f"{url}/admin/settings", auth)
    try:
        served_home = json.loads(body).get("home") if status == 200 else None
    except ValueError:
        served_home = None
    if status != 200 or (home is not None and Path(str(served_home)) != home):
        raise MonevError(f"port {url.split('/')[2]} dijawab server Prefect lain, bukan yang "
                         "baru dimulai monev; hentikan server itu atau pilih port lain "
                         "dengan MONEV_PREFECT_PORT")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    stop(proc)
