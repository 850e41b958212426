"""What happened on the wire during one send, so a failed Apprise notify() can be told
apart by its cause instead of guessed:

- ``connect``: no request reached the service (refused, unreachable, TLS handshake,
  login) — definitely not delivered, safe to retry;
- ``refused``: the service answered and refused (HTTP 4xx/5xx, SMTP 4xx/5xx, a gateway's
  ``{"status": false}``) — not delivered, retry per policy;
- ``unknown``: the request went out but no answer came (read timeout, connection cut
  after sending) — the message may have arrived: never resent blindly.

Apprise's HTTP plugins go through ``requests``' ``HTTPAdapter.send``; :func:`install` wraps it
once per process to record the exception class or status of the requests made while
a send is being observed (a thread-local record; other requests are untouched). The
SMTP plugin of :mod:`notifiers.smtp` and the pooled gateways of :mod:`notifiers.gateway`
(``httpx``, :func:`classify_httpx`) write their phases themselves. Error texts are built
here from causes only: exception texts, which carry URLs and tokens, never leave."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["ok", "connect", "refused", "unknown"]


@dataclass
class Outcome:
    kind: Kind | None = None  # None: the plugin never touched the network
    detail: str = ""  # Indonesian, no secrets
    status: int | None = None  # last HTTP status / SMTP reply code seen

    def record(self, kind: Kind, detail: str, status: int | None = None) -> None:
        # the worst thing seen wins: unknown > refused > connect > ok
        order = {None: 0, "ok": 1, "connect": 2, "refused": 3, "unknown": 4}
        if order[kind] >= order[self.kind]:
            self.kind, self.detail = kind, detail
            self.status = status if status is not None else self.status


_local = threading.local()


def current() -> Outcome | None:
    return getattr(_local, "outcome", None)


@contextmanager
def observe() -> Iterator[Outcome]:
    """Record what the transports of this thread do inside the block."""
    outcome = Outcome()
    previous, _local.outcome = current(), outcome
    try:
        yield outcome
    finally:
        _local.outcome = previous


def record(kind: Kind, detail: str, status: int | None = None) -> None:
    outcome = current()
    if outcome is not None:
        outcome.record(kind, detail, status)


def classify_http(exc: BaseException) -> tuple[Kind, str]:
    """A ``requests`` exception → (phase, Indonesian detail)."""
    import requests

    name = type(exc).__name__
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "connect", "waktu habis saat menyambung ke layanan"
    if isinstance(exc, requests.exceptions.SSLError):
        return "connect", "jabat tangan TLS dengan layanan gagal"
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return "unknown", "permintaan terkirim tetapi layanan tidak menjawab tepat waktu"
    if isinstance(exc, requests.exceptions.ConnectionError):
        reason = getattr(exc.args[0], "reason", None) if exc.args else None
        if type(reason).__name__ in ("NewConnectionError", "NameResolutionError",
                                     "ConnectTimeoutError"):
            return "connect", "layanan tidak terjangkau (sambungan ditolak atau alamat salah)"
        return "unknown", "sambungan terputus setelah permintaan terkirim"
    if isinstance(exc, requests.exceptions.InvalidURL | requests.exceptions.InvalidHeader
                  | requests.exceptions.MissingSchema):
        return "connect", f"alamat layanan tidak sah ({name})"
    return "unknown", f"galat jaringan tak terduga ({name})"


def classify_httpx(exc: BaseException) -> tuple[Kind, str]:
    """An ``httpx`` exception (the pooled gateways of :mod:`notifiers.http_pool`) →
    (phase, Indonesian detail), with the same texts as :func:`classify_http`."""
    import ssl

    import httpx

    name = type(exc).__name__
    if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
        return "connect", "waktu habis saat menyambung ke layanan"
    if isinstance(exc, httpx.ConnectError):
        if isinstance(exc.__cause__ or exc.__context__, ssl.SSLError):
            return "connect", "jabat tangan TLS dengan layanan gagal"
        return "connect", "layanan tidak terjangkau (sambungan ditolak atau alamat salah)"
    if isinstance(exc, httpx.WriteError | httpx.WriteTimeout):
        return "connect", "permintaan tidak terkirim utuh (sambungan terputus saat mengirim)"
    if isinstance(exc, httpx.ReadTimeout):
        return "unknown", "permintaan terkirim tetapi layanan tidak menjawab tepat waktu"
    if isinstance(exc, httpx.ReadError | httpx.RemoteProtocolError):
        return "unknown", "sambungan terputus setelah permintaan terkirim"
    if isinstance(exc, httpx.InvalidURL | httpx.UnsupportedProtocol
                  | httpx.LocalProtocolError):
        return "connect", f"alamat layanan tidak sah ({name})"
    return "unknown", f"galat jaringan tak terduga ({name})"


@functools.cache
def install() -> None:
    """Wrap ``HTTPAdapter.send`` once per process (idempotent)."""
    from requests.adapters import HTTPAdapter

    original = HTTPAdapter.send

    def send(self: HTTPAdapter, request: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            response = original(self, request, *args, **kwargs)
        except Exception as exc:
            if current() is not None:
                kind, detail = classify_http(exc)
                record(kind, detail)
            raise
        if current() is not None:
            code = response.status_code
            if 200 <= code < 300:
                record("ok", "", code)
            else:
                record("refused", f"layanan menjawab HTTP {code}", code)
        return response

    HTTPAdapter.send = send  # type: ignore[method-assign]
