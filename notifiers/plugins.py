"""Our Apprise plugins, registered once per process: the reply-checking WhatsApp
gateways (``wajson(s)://``, ``waform(s)://``), pooled SMTP (``smtp(s)://``), and the
transport hook that tells failures apart by cause (:mod:`notifiers.transport`)."""

from __future__ import annotations

import functools


@functools.cache
def register() -> None:
    """Idempotent; the dispatcher calls it before every batch. Apprise and its plugin
    modules load here, on first use: they take long to import."""
    from apprise.manager_plugins import NotificationManager

    from notifiers import redaction, transport
    from notifiers.gateway import PLUGINS
    from notifiers.smtp import NotifySMTP

    manager = NotificationManager()  # type: ignore[no-untyped-call]
    for plugin in (*PLUGINS, NotifySMTP):
        if plugin.protocol not in manager:
            manager.add(plugin)  # type: ignore[no-untyped-call]
    transport.install()
    redaction.install()  # Apprise and the HTTP clients log URLs holding tokens
