"""Child processes and ports for ``monev up``: every child lives in its own process
group and dies with its parent, ports are checked before anything starts, and TERM/INT
become one orderly stop. Linux only where noted (``prctl``)."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from monev.errors import MonevError

PR_SET_PDEATHSIG = 1
try:
    _LIBC: ctypes.CDLL | None = ctypes.CDLL("libc.so.6", use_errno=True)
except OSError:  # not Linux: the parent's signal handlers still stop the group
    _LIBC = None


def _die_with_parent() -> None:
    """In the child before exec (one C call, safe after fork): SIGTERM when the thread
    that spawned it dies — even by SIGKILL — so nothing is left behind. Spawn from the
    main thread."""
    if _LIBC is not None:
        _LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def spawn(args: Sequence[str], env: dict[str, str], log: Path | None = None,
          ) -> subprocess.Popen[bytes]:
    """Start a supervised child (output to ``log`` when given, else inherited)."""
    out = log.open("ab") if log is not None else None
    try:
        return subprocess.Popen(list(args), env=env, stdout=out,
                                stderr=subprocess.STDOUT if out else None,
                                process_group=0, umask=0o077,
                                preexec_fn=_die_with_parent)
    finally:
        if out is not None:
            out.close()


def stop(proc: subprocess.Popen[bytes], timeout: float = 20.0, sig: int = signal.SIGTERM) -> None:
    """TERM the child's whole process group, then KILL what is left after ``timeout``."""
    if proc.poll() is None:
        _signal_group(proc, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=timeout)
    _signal_group(proc, signal.SIGKILL)  # stragglers of the group (grandchildren)
    if proc.poll() is None:
        proc.wait()


def _signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


def port_in_use(host: str, port: int) -> bool:
    """Whether something already listens on ``host:port`` (or the address is taken)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return True
    return False


def check_ports(wanted: Sequence[tuple[str, str, int, str]]) -> None:
    """Refuse to start when any (label, host, port, variable) is taken, before anything
    is touched: one line saying which port, for what, and how to choose another."""
    for label, host, port, variable in wanted:
        if port_in_use(host, port):
            raise MonevError(
                f"port {host}:{port} ({label}) sudah dipakai proses lain — mungkin monev up "
                f"lain yang masih berjalan; hentikan proses itu atau pilih port lain dengan "
                f"{variable}")


class StopRequest:
    """TERM, INT and HUP become one orderly stop: while starting up they interrupt the
    step in progress (``KeyboardInterrupt``), afterwards they set the flag the
    supervisor loop waits on."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.signal: int | None = None
        self.interrupt = False

    def install(self, interrupt: bool = False) -> None:
        self.interrupt = interrupt
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, self._handle)

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        self.signal = signum
        self.event.set()
        if self.interrupt:
            raise KeyboardInterrupt

    @property
    def requested(self) -> bool:
        return self.event.is_set()
