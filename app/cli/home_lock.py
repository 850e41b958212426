"""One ``monev up`` per home: an exclusive ``flock`` on ``MONEV_HOME/run/up.lock``,
taken before anything starts and held for the life of the process. The kernel releases
it when the process ends, however it ends, so a killed instance never blocks the next;
a second instance on the same home (even with other ports) is refused, touching nothing:
it would start a second Prefect server on the same database and delete the first's
``run/up.json`` when it stopped."""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path

from monev.errors import MonevError

LOCK_NAME = "up.lock"


class HomeBusy(MonevError):
    """Another ``monev up`` holds this home."""


def hold_home(home: Path) -> int:
    """Take the home's lock for this process; returns the descriptor holding it (kept
    open until exit). Raises :class:`HomeBusy` naming the running instance."""
    path = home / "run" / LOCK_NAME
    path.parent.mkdir(exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _holder(fd, home)
        os.close(fd)
        raise HomeBusy(f"monev up lain sudah berjalan dari {home} ({holder}); hentikan dulu "
                       "atau pakai MONEV_HOME lain") from None
    os.ftruncate(fd, 0)
    os.write(fd, str(os.getpid()).encode())
    os.set_inheritable(fd, False)  # children never hold it after we die
    return fd


def _holder(fd: int, home: Path) -> str:
    """``pid 123, Prefect 4200, HTTP 8000``: the running instance, from its lock file
    and (once it is up) its ``run/up.json``."""
    pid = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
    try:
        state = json.loads((home / "run" / "up.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return f"pid {pid}, masih memulai"
    if not isinstance(state, dict) or str(state.get("pid")) != pid:
        return f"pid {pid}, masih memulai"
    ports = [f"{label} {state[key]}" for label, key in (
        ("Prefect", "prefect_port"), ("HTTP", "http_port"), ("SMTP", "smtp_port"))
        if state.get(key) and (key != "smtp_port" or state.get("demo"))]
    return ", ".join([f"pid {pid}", *ports])


def release_home(fd: int | None) -> None:
    """Give the lock back (stop); the file stays, its content is the last holder's."""
    if fd is not None:
        os.close(fd)
