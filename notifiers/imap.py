"""The reply mailbox, read over IMAP (standard library ``imaplib``): each unseen message
becomes an inbound message on the same path as a webhook's (recorded once by its
``Message-ID``, matched, its attachments stored through the evidence service, the reply
queued — :mod:`monev.inbound.receive`), and only once that is committed is it marked
``\\Seen``. Messages are read with ``BODY.PEEK[]``, which leaves them unseen: a crash
before the mark leaves the message for the next poll, and the record by ``Message-ID``
keeps it from being submitted twice. Auto-replies and bounces are marked seen and left.

Settings (environment, else a Prefect Secret block of the same name): ``MONEV_IMAP_HOST``
(unset: no polling), ``MONEV_IMAP_PORT`` (993, or 143 without TLS),
``MONEV_IMAP_SECURITY`` (``ssl`` default, ``starttls``, ``plain``), ``MONEV_IMAP_USER``,
``MONEV_IMAP_PASSWORD``, ``MONEV_IMAP_MAILBOX`` (``INBOX``)."""

from __future__ import annotations

import imaplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from monev.config import MonevConfig
from monev.errors import MonevError
from monev.inbound.mail import Mail, read_mail
from monev.inbound.receive import process, record_or_resume
from notifiers.channels import setting
from notifiers.redaction import remember

TIMEOUT = 60.0  # seconds for the server to answer one command
BATCH = 50  # messages one poll handles (the rest wait for the next)


@dataclass(frozen=True)
class ImapSettings:
    host: str
    port: int
    user: str
    password: str
    mailbox: str = "INBOX"
    security: str = "ssl"  # ssl | starttls | plain

    @classmethod
    def configured(cls) -> ImapSettings | None:
        """The mailbox of the settings, or None when no IMAP host is set."""
        host = setting("MONEV_IMAP_HOST")
        if not host:
            return None
        security = setting("MONEV_IMAP_SECURITY", "ssl").lower()
        if security not in ("ssl", "starttls", "plain"):
            raise MonevError(f"MONEV_IMAP_SECURITY '{security}' tidak dikenal; pilih ssl, "
                             "starttls atau plain")
        port = setting("MONEV_IMAP_PORT", "993" if security == "ssl" else "143")
        if not port.isdigit():
            raise MonevError(f"MONEV_IMAP_PORT '{port}' bukan nomor port")
        password = setting("MONEV_IMAP_PASSWORD")
        remember(password)
        return cls(host, int(port), setting("MONEV_IMAP_USER"), password,
                   setting("MONEV_IMAP_MAILBOX", "INBOX"), security)


class Mailbox:
    """One IMAP session on the selected mailbox (UID commands only)."""

    def __init__(self, conn: imaplib.IMAP4) -> None:
        self.conn = conn

    def _ok(self, typ: str, data: list[Any], what: str) -> list[Any]:
        if typ != "OK":
            raise MonevError(f"server IMAP menolak {what}")
        return data

    def unseen(self) -> list[bytes]:
        typ, data = self.conn.uid("SEARCH", "UNSEEN")
        found = self._ok(typ, data, "pencarian pesan")
        return found[0].split() if found and found[0] else []

    def fetch(self, uid: bytes) -> bytes | None:
        """The whole message, left unseen; None when it is gone meanwhile."""
        typ, data = self.conn.uid("FETCH", uid.decode(), "(BODY.PEEK[])")
        for item in self._ok(typ, data, "pengambilan pesan"):
            if isinstance(item, tuple) and len(item) == 2:
                return bytes(item[1])
        return None

    def seen(self, uid: bytes) -> None:
        typ, data = self.conn.uid("STORE", uid.decode(), "+FLAGS", "(\\Seen)")
        self._ok(typ, data, "penandaan pesan terbaca")


@contextmanager
def mailbox(settings: ImapSettings, timeout: float = TIMEOUT) -> Iterator[Mailbox]:
    """Logged in with the mailbox selected; logged out at the end. Failures are
    ``MonevError``s naming the cause, never the password."""
    try:
        conn: imaplib.IMAP4
        if settings.security == "ssl":
            conn = imaplib.IMAP4_SSL(settings.host, settings.port,
                                     ssl_context=ssl.create_default_context(),
                                     timeout=timeout)
        else:
            conn = imaplib.IMAP4(settings.host, settings.port, timeout=timeout)
            if settings.security == "starttls":
                conn.starttls(ssl.create_default_context())
    except (OSError, imaplib.IMAP4.error) as exc:
        raise MonevError(f"server IMAP {settings.host}:{settings.port} tidak terjangkau "
                         f"({type(exc).__name__})") from None
    try:
        try:
            conn.login(settings.user, settings.password)
        except imaplib.IMAP4.error:
            raise MonevError("server IMAP menolak login; periksa MONEV_IMAP_USER dan "
                             "MONEV_IMAP_PASSWORD") from None
        typ, _ = conn.select(_quoted(settings.mailbox))
        if typ != "OK":
            raise MonevError(f"kotak surat IMAP '{settings.mailbox}' tidak ada")
        yield Mailbox(conn)
    except (imaplib.IMAP4.error, ConnectionError, TimeoutError, ssl.SSLError) as exc:
        raise MonevError(f"sambungan IMAP terputus ({type(exc).__name__})") from None
    finally:
        with suppress(OSError, imaplib.IMAP4.error):
            conn.logout()


def _quoted(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def poll_mailbox(factory: sessionmaker[Session], cfg: MonevConfig, home: Path,
                 box: Mailbox, secret: bytes, limit: int = BATCH) -> dict[str, Any]:
    """Handle the unseen messages (at most ``limit``); counts by outcome and the plans
    whose feeds changed."""
    counts: dict[str, int] = {}
    plans: set[int] = set()
    for uid in box.unseen()[:limit]:
        raw = box.fetch(uid)
        if raw is None:
            continue
        mail = read_mail(raw, secret)
        if mail.automatic:
            status = "otomatis"
        else:
            status, changed = handle_mail(factory, cfg, home, mail)
            plans.update(changed)
        if status != "received":  # committed: the message is done with
            box.seen(uid)
        counts[status] = counts.get(status, 0) + 1
    return {"counts": counts, "plans": sorted(plans)}


def handle_mail(factory: sessionmaker[Session], cfg: MonevConfig, home: Path,
                mail: Mail) -> tuple[str, list[int]]:
    """Record the message once and handle it — or, recorded by an earlier poll that
    stopped before the end, handle it now; one already handled is left as it is."""
    ids = record_or_resume(factory, [mail.incoming])
    if not ids:
        return "seen-before", []
    return process(factory, cfg, home, ids[0], mail.fetch)
