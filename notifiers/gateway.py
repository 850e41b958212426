"""WhatsApp gateways that answer HTTP 200 with a failure in the body.

Apprise's ``json://`` and ``form://`` only look at the HTTP status, but Fonnte and
Wablas answer ``200 {"status": false, "reason": "..."}`` to a bad token or number.
``wajson://`` and ``waform://`` (``…s://`` for HTTPS) take exactly the same URL syntax
(``+Header=``, ``:field=`` mapping, ``-param=``) and also read the reply: a JSON body
whose ``status``/``success``/``ok`` is false (or ``"error"``/``"failed"``) is a failure,
its ``reason``/``message``/``detail``/``error`` becomes the error text.

They post through one pooled keep-alive ``httpx.Client`` per gateway per process
(:mod:`notifiers.http_pool`), not a new ``requests`` session and TCP connection per
message; the request on the wire is the one Apprise's ``requests`` path sent."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
from apprise import NotifyType
from apprise.plugins.custom_form import NotifyForm
from apprise.plugins.custom_json import NotifyJSON

from notifiers.http_pool import CONNECT_TRIES, RETRY_PAUSE, client, sent_nothing
from notifiers.transport import classify_httpx, record

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
        url = f"{'https' if self.secure else 'http'}://{self.host}"
        url += f":{self.port}" if isinstance(self.port, int) else ""
        url += self.fullpath
        headers = {"User-Agent": self.app_id, **self.headers}
        if as_json:
            headers["Content-Type"] = "application/json"
        self.throttle()  # type: ignore[attr-defined]
        connect, read = self.request_timeout
        pool = client(self.secure, self.host, self.port, self.verify_certificate)
        request = pool.build_request(
            self.method, url, headers=headers, params=self.params,
            content=json.dumps(payload) if as_json else None,
            data=None if as_json else payload,
            timeout=httpx.Timeout(read, connect=connect, pool=connect))
        auth = (self.user, self.password or "") if self.user else None
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
