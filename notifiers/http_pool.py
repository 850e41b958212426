"""One keep-alive ``httpx.Client`` per HTTP gateway per process.

A client per (scheme, host, port, certificate check) holds the gateway's open
connections and one SSL context; it is thread-safe, so every dispatcher thread of the
process shares it. Clients are made on first use and closed at process exit; a forked
child makes its own (sockets are not shared across processes).

What may be tried again at once (:func:`sent_nothing`): an error raised before any
byte of the request reached the gateway — connecting (refused, unreachable, TLS, connect
timeout), waiting for a pooled connection, or writing a request that never got through
whole (a gateway cannot act on half a request). Once the whole request was written, a
read timeout, a reset or a close without an answer leave the outcome unknown: never
retried (:mod:`notifiers.transport` calls it ``unknown``, the row becomes uncertain).

A connection the gateway closed while idle between messages is noticed when it is
taken from the pool (httpcore sees the socket readable) and a new one is opened, so
the message is sent once, normally. Only the rare race where the gateway closes the
connection *while* our request is being written and no answer comes stays uncertain:
from here that cannot be told from a gateway that took the message and died. To keep
that window small, idle connections are dropped after ``KEEPALIVE_EXPIRY`` seconds,
under the 5 s idle timeout common servers (uvicorn, Apache) use."""

from __future__ import annotations

import atexit
import os
import threading

import httpx

CONNECT_TRIES = 2  # a fresh connection once more when nothing was sent
RETRY_PAUSE = 0.2  # seconds before that second try
KEEPALIVE_EXPIRY = 4.0
# What Apprise's requests path sent besides our own headers: the same bytes on the wire.
DEFAULT_HEADERS = {"Accept-Encoding": "gzip, deflate", "Accept": "*/*",
                   "Connection": "keep-alive"}

Key = tuple[bool, str, int | None, bool]
_clients: dict[Key, httpx.Client] = {}
_pid = os.getpid()
_lock = threading.Lock()


def client(secure: bool, host: str, port: int | None, verify: bool) -> httpx.Client:
    """The process's client for this gateway, made on first use."""
    global _pid
    key = (secure, host, port, verify)
    found = _clients.get(key)
    if found is not None and _pid == os.getpid():
        return found
    with _lock:
        if _pid != os.getpid():  # forked: the parent's connections are not ours
            _clients.clear()
            _pid = os.getpid()
        found = _clients.get(key)
        if found is None:
            found = httpx.Client(
                verify=verify, headers=DEFAULT_HEADERS, follow_redirects=False,
                limits=httpx.Limits(max_connections=100, max_keepalive_connections=20,
                                    keepalive_expiry=KEEPALIVE_EXPIRY))
            _clients[key] = found
        return found


def close_all() -> None:
    """Close every client of this process (at exit; tests that want fresh ones)."""
    with _lock:
        clients = list(_clients.values()) if _pid == os.getpid() else []
        _clients.clear()
    for one in clients:
        one.close()


atexit.register(close_all)


def sent_nothing(exc: BaseException) -> bool:
    """True when no byte of the request can have been acted on by the gateway."""
    return isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout
                      | httpx.WriteError)
