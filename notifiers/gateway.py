"""WhatsApp gateways that answer HTTP 200 with a failure in the body.

Apprise's ``json://`` and ``form://`` only look at the HTTP status, but Fonnte and
Wablas answer ``200 {"status": false, "reason": "..."}`` to a bad token or number.
``wajson://`` and ``waform://`` (``…s://`` for HTTPS) take exactly the same URL syntax
(``+Header=``, ``:field=`` mapping, ``-param=``) and also read the reply: a JSON body
whose ``status``/``success``/``ok`` is false (or ``"error"``/``"failed"``) is a failure,
its ``reason``/``message``/``detail``/``error`` becomes the error text."""

from __future__ import annotations

import json
from typing import Any

import requests
from apprise import NotifyType
from apprise.plugins.custom_form import NotifyForm
from apprise.plugins.custom_json import NotifyJSON

from notifiers.transport import record

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
        try:
            reply = requests.request(
                self.method, url, headers=headers, params=self.params,
                data=json.dumps(payload) if as_json else payload,
                auth=(self.user, self.password or "") if self.user else None,
                verify=self.verify_certificate, timeout=self.request_timeout,
                allow_redirects=False)
        except requests.RequestException:
            return False  # the transport hook recorded the phase (notifiers.transport)
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
