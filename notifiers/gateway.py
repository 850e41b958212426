"""WhatsApp gateways that answer HTTP 200 with a failure in the body.

Apprise's ``json://`` and ``form://`` only look at the HTTP status, but Fonnte and
Wablas answer ``200 {"status": false, "reason": "..."}`` to a bad token or number.
``wajson://`` and ``waform://`` (``…s://`` for HTTPS) take exactly the same URL syntax
(``+Header=``, ``:field=`` mapping, ``-param=``) and also read the reply: a JSON body
whose ``status``/``success``/``ok`` is false (or ``"error"``/``"failed"``) is a failure,
its ``reason``/``message``/``detail``/``error`` becomes the error text.

They post through one pooled keep-alive ``httpx.Client`` per gateway per process
(:mod:`notifiers.http_pool`), not a new ``requests`` session and TCP connection per
message; the request on the wire is the one Apprise's ``requests`` path sent.

Every person has their own gateway URL (the phone sits in its path, a ``-param=``, a
``:field=`` or a header), so one plugin per URL would mean one Apprise parse per
message. :func:`template` puts a stand-in where the phone was; the plugin built from
that URL serves every phone, the phone of :func:`recipient` filled in per request.
Each template is checked once against the plugin Apprise builds for a real phone; one
that does not give the same request is not shared."""

from __future__ import annotations

import contextlib
import contextvars
import functools
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
from apprise import Apprise, NotifyType
from apprise.plugins.custom_form import NotifyForm
from apprise.plugins.custom_json import NotifyJSON

from notifiers.http_pool import CONNECT_TRIES, RETRY_PAUSE, client, sent_nothing
from notifiers.transport import classify_httpx, record

STAND_IN = "monevnomortujuan"  # where the phone was, in a shared plugin's URL
PROTOCOLS = ("wajson://", "wajsons://", "waform://", "waforms://")
MIN_DIGITS = 6  # shorter "phones" could match a port or an address: not templated

_phone: contextvars.ContextVar[str | None] = contextvars.ContextVar("phone", default=None)


@contextlib.contextmanager
def recipient(phone: str | None) -> Iterator[None]:
    """Send the gateway messages of the block to ``phone`` (``+62…``)."""
    token = _phone.set(phone.lstrip("+") if phone else None)
    try:
        yield
    finally:
        _phone.reset(token)


def template(url: str) -> str:
    """``url`` with the phone of :func:`recipient` replaced by the stand-in, when the
    plugin of that template gives the same request; else ``url`` as it is."""
    digits = _phone.get()
    if not digits or len(digits) < MIN_DIGITS or not url.startswith(PROTOCOLS):
        return url
    shared = url.replace(digits, STAND_IN)
    if shared == url:
        return url
    verdict = _checked.get(shared)
    if verdict is None:
        verdict = _checked[shared] = _shareable(shared, url, digits)
    return shared if verdict else url


def _request_parts(plugin: Any, digits: str | None) -> tuple[Any, ...]:
    """What a plugin puts on the wire besides the message, the phone filled in."""
    fill = functools.partial(_fill, digits=digits)
    return (type(plugin), plugin.secure, plugin.host, plugin.port, plugin.method,
            fill(plugin.fullpath), fill(plugin.user), fill(plugin.password),
            {k: fill(v) for k, v in plugin.headers.items()},
            {k: fill(v) for k, v in plugin.params.items()},
            {k: fill(v) for k, v in plugin.payload_extras.items()},
            getattr(plugin, "payload_map", None), plugin.verify_certificate,
            plugin.request_timeout)


_checked: dict[str, bool] = {}  # template → its plugin may serve every phone


def _shareable(shared: str, sample: str, digits: str) -> bool:
    """Whether the template's plugin, filled with ``digits``, asks for exactly what
    Apprise's own plugin for ``sample`` does (checked once per template)."""
    built, real = Apprise.instantiate(shared), Apprise.instantiate(sample)
    if built is None or real is None:
        return False
    return _request_parts(built, digits) == _request_parts(real, None)


def _fill(value: Any, digits: str | None) -> Any:
    """``value`` with the stand-in replaced by the phone's digits."""
    if digits is None or not isinstance(value, str):
        return value
    return value.replace(STAND_IN, digits)


FAILED_VALUES = (False, "false", "error", "failed", "fail", 0)
REASON_FIELDS = ("reason", "message", "detail", "error", "msg")


def reply_failure(status: int, text: str) -> str | None:
    """Why a gateway reply means "not sent", or None when it reads as sent."""
    if status < 200 or status >= 300:
        return f"gateway menjawab HTTP {status}: {text[:200]}".rstrip(": ")
    try:
        reply = json.loads(text)
    except ValueError:
        return None  # no JSON: the status code is all the gateway tells
    if not isinstance(reply, dict):
        return None
    for field in ("status", "success", "ok"):
        value = reply.get(field)
        if field in reply and not isinstance(value, dict) and value in FAILED_VALUES:
            reason = next((str(reply[f]) for f in REASON_FIELDS if reply.get(f)), "")
            return f"gateway menolak pesan: {reason or text[:200]}"
    return None


class _CheckedReply:
    """Shared sending part: one HTTP request, status and body both checked."""

    method: str
    host: str
    port: int | None
    fullpath: str
    secure: bool
    user: str | None
    password: str | None
    headers: dict[str, str]
    params: dict[str, str]
    payload_extras: dict[str, str]
    app_id: str
    verify_certificate: bool
    request_timeout: tuple[float, float]
    logger: Any

    def _fields(self, body: str, title: str, notify_type: NotifyType) -> dict[str, Any]:
        """The payload after Apprise's ``:field=`` renaming/removal rules."""
        payload: dict[str, Any] = {"version": "1.0", "title": title, "message": body,
                                   "type": notify_type.value}
        renames = getattr(self, "payload_map", None)  # form:// keeps renames apart
        if renames is not None:
            payload = {renames[k]: v for k, v in payload.items() if renames.get(k)}
            return {**payload, **self.payload_extras}
        payload["attachments"] = []  # as json:// sends it (no files in reminders)
        for key, value in self.payload_extras.items():
            if key in payload:
                original = payload.pop(key)
                if value:
                    payload[value] = original
            else:
                payload[key] = value
        return payload

    as_json: bool

    def send(self, body: str, title: str = "", notify_type: NotifyType = NotifyType.INFO,
             attach: Any = None, **kwargs: Any) -> bool:
        """Apprise's entry point: one request, attachments are not used by reminders."""
        return self._post(self.as_json, self._fields(body, title, notify_type))

    def _post(self, as_json: bool, payload: dict[str, Any]) -> bool:
        fill = functools.partial(_fill, digits=_phone.get())
        url = f"{'https' if self.secure else 'http'}://{self.host}"
        url += f":{self.port}" if isinstance(self.port, int) else ""
        url += fill(self.fullpath)
        headers = {"User-Agent": self.app_id, **{k: fill(v) for k, v in self.headers.items()}}
        params = {k: fill(v) for k, v in self.params.items()}
        payload = {k: fill(v) for k, v in payload.items()}
        if as_json:
            headers["Content-Type"] = "application/json"
        self.throttle()  # type: ignore[attr-defined]
        connect, read = self.request_timeout
        pool = client(self.secure, self.host, self.port, self.verify_certificate)
        request = pool.build_request(
            self.method, url, headers=headers, params=params,
            content=json.dumps(payload) if as_json else None,
            data=None if as_json else payload,
            timeout=httpx.Timeout(read, connect=connect, pool=connect))
        auth = (fill(self.user), fill(self.password) or "") if self.user else None
        attempt = 1
        while True:
            try:
                reply = pool.send(request, auth=auth)
                break
            except httpx.HTTPError as exc:
                if sent_nothing(exc) and attempt < CONNECT_TRIES:
                    attempt += 1  # nothing of it reached the gateway: a fresh connection
                    time.sleep(RETRY_PAUSE)
                    continue
                record(*classify_httpx(exc))
                return False
        record("ok" if reply.is_success else "refused", "", reply.status_code)
        failure = reply_failure(reply.status_code, reply.text)
        if failure:
            record("refused", failure, reply.status_code)
            return False
        return True


class NotifyGatewayJSON(_CheckedReply, NotifyJSON):  # type: ignore[misc, no-untyped-call]
    service_name = "WhatsApp gateway (JSON, balasan diperiksa)"
    protocol = "wajson"
    secure_protocol = "wajsons"
    as_json = True


class NotifyGatewayForm(_CheckedReply, NotifyForm):  # type: ignore[misc, no-untyped-call]
    service_name = "WhatsApp gateway (form, balasan diperiksa)"
    protocol = "waform"
    secure_protocol = "waforms"
    as_json = False


PLUGINS = (NotifyGatewayJSON, NotifyGatewayForm)
