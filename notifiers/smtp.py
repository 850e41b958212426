"""E-mail through an Apprise plugin of our own: ``smtp://`` and ``smtps://`` take exactly
the syntax of Apprise's ``mailto://``/``mailtos://`` (``?from=…&to=…&mode=starttls``) and
build the same messages (it *is* Apprise's e-mail plugin, with another ``send``):

- one SMTP session per server for a whole dispatcher batch (a new envelope after each
  finished one, reconnecting once if the server dropped an idle session), instead of a
  new connection, TLS context and login per message;
- one TLS context per process, not ``ssl.create_default_context()`` per message;
- it knows *where* a failure happened (see :mod:`notifiers.transport`): before the
  message's final dot was written nothing can have been delivered; after it, a
  missing answer is an unknown outcome, never a reason to resend.

Sessions belong to the thread that opened them; :func:`close_sessions` ends them (the
dispatcher calls it after each batch)."""

from __future__ import annotations

import contextlib
import contextvars
import functools
import re
import smtplib
import ssl
import threading
import time
from collections.abc import Iterator
from typing import Any

from apprise import NotifyType
from apprise.plugins.email.base import NotifyEmail
from apprise.plugins.email.common import AppriseEmailException, SecureMailMode

from notifiers.transport import record

_recipient: contextvars.ContextVar[str | None] = contextvars.ContextVar("recipient",
                                                                       default=None)
# (Reply-To, Message-ID) of the message being sent: a reply to it names its outbox row
_reply: contextvars.ContextVar[tuple[str, str] | None] = contextvars.ContextVar("reply",
                                                                               default=None)
IDLE_SECONDS = 50.0  # older sessions are replaced, not probed (servers drop them ~60 s)
_local = threading.local()


@contextlib.contextmanager
def recipient(address: str | None) -> Iterator[None]:
    """Send the messages of the block to ``address`` instead of the URL's ``to``."""
    token = _recipient.set(address)
    try:
        yield
    finally:
        _recipient.reset(token)


@contextlib.contextmanager
def answerable(reply_to: str, message_id: str) -> Iterator[None]:
    """Messages of the block carry ``Reply-To`` and ``Message-ID`` (the token of
    :mod:`monev.inbound.mailtoken`) and ``Auto-Submitted: auto-generated`` (RFC 3834:
    auto-responders stay quiet, and our mailbox poll ignores their answers)."""
    token = _reply.set((reply_to, message_id))
    try:
        yield
    finally:
        _reply.reset(token)


@functools.cache
def tls_context(verify: bool) -> ssl.SSLContext:
    """One TLS context per process and verification setting (loading the CA store costs
    ~24 ms; Apprise built one per message)."""
    context = ssl.create_default_context()
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def _sessions() -> dict[tuple[Any, ...], tuple[smtplib.SMTP, float]]:
    if not hasattr(_local, "sessions"):
        _local.sessions = {}
    found: dict[tuple[Any, ...], tuple[smtplib.SMTP, float]] = _local.sessions
    return found


def close_sessions() -> None:
    """End every SMTP session this thread holds (QUIT, then close)."""
    sessions = _sessions()
    for conn, _ in sessions.values():
        _quit(conn)
    sessions.clear()


def _quit(conn: smtplib.SMTP) -> None:
    try:
        conn.quit()
    except (OSError, smtplib.SMTPException):
        conn.close()


def _detail(exc: BaseException) -> str:
    """Indonesian words for an SMTP failure (codes and classes only, no secrets)."""
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return f"server SMTP menolak login (kode {exc.smtp_code}); periksa MONEV_SMTP_USER " \
               "dan MONEV_SMTP_PASSWORD"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"server SMTP menolak (kode {exc.smtp_code})"
    if isinstance(exc, TimeoutError):
        return "waktu habis menunggu server SMTP"
    if isinstance(exc, ssl.SSLError):
        return "jabat tangan TLS dengan server SMTP gagal"
    if isinstance(exc, ConnectionRefusedError):
        return "server SMTP menolak sambungan (tidak berjalan atau port salah)"
    return f"server SMTP tidak terjangkau ({type(exc).__name__})"


class NotifySMTP(NotifyEmail):  # type: ignore[no-untyped-call]
    service_name = "E-mail (SMTP, sesi dipakai ulang)"
    protocol = "smtp"
    secure_protocol = "smtps"
    request_rate_per_sec = 0  # one session, no pause between messages (Apprise: 5.5 s)

    def _key(self) -> tuple[Any, ...]:
        return (self.smtp_host, self.port, self.secure_mode, self.user, self.password,
                self.verify_certificate)

    def _open(self) -> smtplib.SMTP:
        context = tls_context(bool(self.verify_certificate))
        conn: smtplib.SMTP
        if self.secure_mode == SecureMailMode.SSL:
            conn = smtplib.SMTP_SSL(self.smtp_host, int(self.port or 465), None,
                                    timeout=self.socket_connect_timeout, context=context)
        else:
            conn = smtplib.SMTP(self.smtp_host, int(self.port or 25), None,
                                timeout=self.socket_connect_timeout)
        try:
            if self.secure_mode == SecureMailMode.STARTTLS:
                conn.starttls(context=context)
            if self.user and self.password:
                conn.login(self.user, self.password)
            conn.ehlo_or_helo_if_needed()
        except BaseException:
            conn.close()
            raise
        return conn

    def _session(self) -> tuple[smtplib.SMTP, bool]:
        """(connection, reused): the thread's open session to this server, or a new one."""
        sessions = _sessions()
        found = sessions.pop(self._key(), None)
        if found is not None:
            conn, used = found
            if time.monotonic() - used < IDLE_SECONDS:
                return conn, True
            _quit(conn)
        return self._open(), False

    def _keep(self, conn: smtplib.SMTP) -> None:
        _sessions()[self._key()] = (conn, time.monotonic())

    def send(self, body: str, title: str = "", notify_type: NotifyType = NotifyType.INFO,
             attach: Any = None, **kwargs: Any) -> bool:
        """One message, to the address of :func:`recipient` if one is set (so one plugin
        object serves every recipient of a server), else to the URL's recipients."""
        to = _recipient.get()
        targets = [(False, to)] if to else self.targets
        if not targets:
            record("refused", "tidak ada alamat penerima e-mail")
            return False
        self.throttle()  # type: ignore[no-untyped-call]
        reply = _reply.get()
        headers = {"X-Application": self.app_id, **self.headers}
        if reply:
            headers["Auto-Submitted"] = "auto-generated"
        try:
            messages = list(NotifyEmail.prepare_emails(
                subject=title, body=body, notify_format=self.notify_format,
                from_addr=self.from_addr, to=targets, cc=self.cc, bcc=self.bcc,
                reply_to={reply[0]} if reply else self.reply_to, smtp_host=self.smtp_host,
                attach=attach, headers=headers, names=self.names,
                pgp=self.pgp, pgp_mode=self.pgp_mode, inline=self.inline,
                tzinfo=self.tzinfo))
        except AppriseEmailException:
            record("refused", "pesan e-mail tidak dapat disusun (lampiran atau alamat)")
            return False
        return all(self._deliver(str(self.from_addr[1]), m.to_addrs,
                                 _with_id(m.body, reply[1]) if reply else m.body)
                   for m in messages)

    def _deliver(self, sender: str, recipients: list[str], body: str) -> bool:
        """One message: envelope, then DATA; every failure recorded by its phase."""
        for attempt in (1, 2):
            try:
                conn, reused = self._session()
            except (OSError, smtplib.SMTPException) as exc:
                record("connect", _detail(exc))
                return False
            try:  # a kept session ended its last transaction (250 or RSET): no RSET here
                code, _ = conn.mail(sender)
                if code != 250:
                    return self._refused(conn, code, "pengirim")
                for rcpt in recipients:
                    code, _ = conn.rcpt(rcpt)
                    if code not in (250, 251):
                        return self._refused(conn, code, f"penerima {rcpt}")
                code, _ = conn.docmd("data")
                if code != 354:
                    return self._refused(conn, code, "DATA")
                payload = self._payload(body)
                conn.send(payload)
            except (OSError, smtplib.SMTPServerDisconnected) as exc:
                conn.close()
                if reused and attempt == 1:
                    continue  # an idle session the server had dropped: nothing was sent
                record("connect", f"{_detail(exc)}; pesan belum terkirim")
                return False
            except smtplib.SMTPResponseException as exc:
                return self._refused(conn, exc.smtp_code, "amplop")
            # the final dot is written: from here on the server may have the message
            try:
                code, _ = conn.getreply()
            except (OSError, smtplib.SMTPServerDisconnected):
                conn.close()
                record("unknown", "pesan sudah dikirim ke server SMTP tetapi jawabannya "
                                  "tidak datang")
                return False
            if code != 250:
                return self._refused(conn, code, "pesan")
            self._keep(conn)
            record("ok", "", code)
            return True
        return False  # pragma: no cover - the loop always returns

    def _payload(self, body: str) -> bytes:
        """What ``smtplib.SMTP.data`` writes after the 354: dot-stuffed, CRLF, final dot."""
        text = smtplib._fix_eols(body)  # type: ignore[attr-defined]
        try:
            data = text.encode("ascii")
        except UnicodeEncodeError:
            data = text.encode("utf-8")
        data = smtplib._quote_periods(data)  # type: ignore[attr-defined]
        if data[-2:] != b"\r\n":
            data += b"\r\n"
        return bytes(data + b".\r\n")

    def _refused(self, conn: smtplib.SMTP, code: int, what: str) -> bool:
        """The server answered "no": not delivered. The session stays usable."""
        try:
            conn.rset()
            self._keep(conn)
        except (OSError, smtplib.SMTPException):
            conn.close()
        record("refused", f"server SMTP menolak {what} (kode {code})", code)
        return False


def _with_id(message: str, message_id: str) -> str:
    """The prepared message with our ``Message-ID`` instead of Apprise's random one
    (Apprise always sets its own; a second header would be invalid)."""
    head, sep, rest = message.partition("\n\n")
    head = re.sub(r"(?im)^Message-ID:.*$", f"Message-ID: {message_id}", head, count=1)
    return head + sep + rest
