"""Telegram bot updates by long poll (``getUpdates``), the alternative to the webhook
for a server without a public HTTPS address: a bot uses one or the other
(``MONEV_TELEGRAM_MODE=webhook|poll``; Telegram refuses ``getUpdates`` while a webhook
is set). Each update goes the webhook's way (parsed by
:func:`notifiers.providers.telegram_messages`, recorded once by chat and message id,
handled by the caller's ``handle``); the offset that confirms them to Telegram is
stored only afterwards (table ``inbound_cursor``), so a crash in between fetches the
same updates again and the records keep them from being stored twice."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy.orm import Session, sessionmaker

from monev.clock import utcnow
from monev.errors import MonevError
from monev.inbound.receive import record_or_resume
from monev.store import models as m
from notifiers.channels import setting
from notifiers.providers import TELEGRAM_URL, telegram_messages

SOURCE = "telegram"
LONG_POLL = 25  # seconds Telegram holds a getUpdates open when nothing comes
LIMIT = 100  # updates per call (Telegram's maximum)


def mode() -> str:
    """``webhook`` (default) or ``poll``."""
    chosen = setting("MONEV_TELEGRAM_MODE", "webhook").strip().lower()
    if chosen not in ("webhook", "poll"):
        raise MonevError(f"MONEV_TELEGRAM_MODE '{chosen}' tidak dikenal; pilih webhook "
                         "atau poll")
    return chosen


def polling() -> bool:
    """The bot is read by long poll (mode ``poll`` with a token)."""
    return mode() == "poll" and bool(setting("MONEV_TELEGRAM_TOKEN"))


def read_offset(factory: sessionmaker[Session]) -> int:
    with factory() as s:
        row = s.get(m.InboundCursor, SOURCE)
        return row.position if row is not None else 0


def save_offset(factory: sessionmaker[Session], position: int) -> None:
    """Move the cursor forward (never back: an older poll finishing late)."""
    with factory.begin() as s:
        row = s.get(m.InboundCursor, SOURCE, with_for_update=True)
        if row is None:
            s.add(m.InboundCursor(source=SOURCE, position=position, updated_at=utcnow()))
        elif position > row.position:
            row.position, row.updated_at = position, utcnow()


def get_updates(client: httpx.Client, offset: int, timeout: int) -> list[dict[str, Any]]:
    """One ``getUpdates`` call; failures as ``MonevError``s without the token."""
    token = setting("MONEV_TELEGRAM_TOKEN")
    base = setting("MONEV_TELEGRAM_API_URL", TELEGRAM_URL).rstrip("/")
    params: dict[str, str | int] = {"offset": offset, "timeout": timeout, "limit": LIMIT,
              "allowed_updates": '["message"]'}
    try:
        r = client.get(f"{base}/bot{token}/getUpdates", params=params,
                       timeout=httpx.Timeout(timeout + 15.0, connect=10.0))
        data = r.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise MonevError(f"getUpdates Telegram gagal ({type(exc).__name__})") from None
    if r.status_code == 409:
        raise MonevError("Telegram menolak getUpdates (409): bot masih memakai webhook "
                         "(hapus dengan deleteWebhook atau pakai MONEV_TELEGRAM_MODE=webhook), "
                         "atau pembaca lain sedang berjalan")
    if r.status_code == 401:
        raise MonevError("Telegram menolak token bot (401); periksa MONEV_TELEGRAM_TOKEN")
    if not isinstance(data, dict) or not data.get("ok"):
        raise MonevError(f"getUpdates Telegram dijawab HTTP {r.status_code}")
    result = data.get("result") or []
    return [u for u in result if isinstance(u, dict) and isinstance(u.get("update_id"), int)]


def poll_updates(factory: sessionmaker[Session], handle: Callable[[list[int]], None],
                 client: httpx.Client, timeout: int = LONG_POLL) -> dict[str, int]:
    """One long poll: the updates after the stored offset recorded and handled, then
    the offset moved past them (updates fetched again after a crash: recorded already,
handled now if they were not). Counts of updates and messages handled."""
    updates = get_updates(client, read_offset(factory), timeout)
    if not updates:
        return {"updates": 0, "new": 0}
    messages = [msg for u in updates for msg in telegram_messages(u)]
    ids = record_or_resume(factory, messages) if messages else []
    if ids:
        handle(ids)
    save_offset(factory, max(u["update_id"] for u in updates) + 1)
    return {"updates": len(updates), "new": len(ids)}
