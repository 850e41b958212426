"""Inbound replies without a webhook, and their retry.

- ``inbound_mail``: the reply mailbox read over IMAP (:mod:`notifiers.imap`), each
  unseen message handled like a webhook's and marked seen after the commit;
- ``telegram_poll``: the bot's updates by ``getUpdates`` long poll
  (:mod:`notifiers.telegram_poll`), handled by the webhook's own ``handle``;
- ``inbound_retry``: messages left ``received`` (a media download that failed, or an
  app stopped before handling them) handled again. Deployment ``inbound_retry/ulang``
  (``flows.deployments.inbound_retrier``): a run is asked for when a reply is left
  waiting, each run that still leaves one asks for the next ten minutes later, and a
  daily run is the safety net.

The polls run for ``seconds`` (a few minutes, then the next scheduled run takes over;
0: one pass), so the Prefect UI shows a run every few minutes, not one per poll. The
sender's reply goes through the outbox as always."""

from __future__ import annotations

import time
from datetime import timedelta

import httpx
from prefect import flow, get_run_logger

from monev.config import load_config
from monev.errors import MonevError
from monev.inbound.receive import process_pending
from monev.store.db import monev_home, open_session_factory
from monev.tokens import server_secret
from notifiers import providers
from notifiers.imap import ImapSettings, mailbox, poll_mailbox
from notifiers.telegram_poll import LONG_POLL, poll_updates, polling
from notifiers.trigger import request_inbound_retry
from portal.effects import after_change
from portal.webhooks import handle


@flow(name="inbound_retry")
def inbound_retry(older_than_minutes: int = 1) -> dict[str, int]:
    """Ulangi pesan masuk (balasan berisi bukti) yang belum selesai diproses."""
    factory = open_session_factory()
    try:
        done = process_pending(factory, load_config(None), monev_home(), providers.fetch,
                               timedelta(minutes=older_than_minutes))
        after_change(factory, done["plans"], queued=True)
        if done["counts"].get("received"):
            get_run_logger().info("masih menunggu: %s", request_inbound_retry(factory))
        return dict(done["counts"])
    finally:
        factory.kw["bind"].dispose()


def _add(total: dict[str, int], counts: dict[str, int]) -> None:
    for key, n in counts.items():
        total[key] = total.get(key, 0) + n


@flow(name="inbound_mail")
def inbound_mail(seconds: int = 0, every: int = 30) -> dict[str, int]:
    """Baca balasan e-mail berisi bukti dari kotak surat IMAP (MONEV_IMAP_HOST)."""
    settings = ImapSettings.configured()
    if settings is None:
        raise MonevError("MONEV_IMAP_HOST belum diisi: kotak surat balasan tidak dibaca")
    factory = open_session_factory()
    cfg, home, secret = load_config(None), monev_home(), server_secret()
    total: dict[str, int] = {}
    deadline = time.monotonic() + seconds
    try:
        while True:
            with mailbox(settings) as box:
                done = poll_mailbox(factory, cfg, home, box, secret)
            after_change(factory, done["plans"], queued=bool(done["counts"]))
            _add(total, done["counts"])
            if time.monotonic() + every > deadline:
                break
            time.sleep(every)
    finally:
        factory.kw["bind"].dispose()
    get_run_logger().info("kotak surat balasan: %s", total or "tidak ada pesan baru")
    return total


@flow(name="telegram_poll")
def telegram_poll(seconds: int = 0, timeout: int = LONG_POLL) -> dict[str, int]:
    """Ambil pesan bot Telegram dengan getUpdates (MONEV_TELEGRAM_MODE=poll)."""
    if not polling():
        raise MonevError("MONEV_TELEGRAM_MODE bukan poll atau MONEV_TELEGRAM_TOKEN kosong")
    factory = open_session_factory()
    cfg, home = load_config(None), monev_home()
    total: dict[str, int] = {}
    deadline = time.monotonic() + seconds
    try:
        with httpx.Client() as client:
            while True:
                left = int(deadline - time.monotonic())
                _add(total, poll_updates(factory, lambda ids: handle(factory, cfg, home, ids),
                                         client, max(0, min(timeout, left))))
                if left <= 0:
                    break
        retried = process_pending(factory, cfg, home, providers.fetch)
        after_change(factory, retried["plans"], queued=bool(retried["counts"]))
        _add(total, {f"ulang-{k}": n for k, n in retried["counts"].items()})
    finally:
        factory.kw["bind"].dispose()
    get_run_logger().info("pembaruan Telegram: %s", total)
    return total
