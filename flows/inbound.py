"""The retry of inbound replies: messages left ``received`` (a media download that
failed, or an app stopped before handling them) are handled again; the sender's reply
goes through the outbox as always. Deployment ``inbound_retry/ulang``
(``flows.deployments.inbound_retrier``): a run is asked for when a reply is left
waiting, each run that still leaves one asks for the next ten minutes later, and a
daily run is the safety net."""

from __future__ import annotations

from datetime import timedelta

from prefect import flow, get_run_logger

from monev.config import load_config
from monev.inbound.receive import process_pending
from monev.store.db import monev_home, open_session_factory
from notifiers import providers
from notifiers.trigger import request_inbound_retry
from portal.effects import after_change


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
