"""E-mail replies: the token that ties a reply to the digest it answers, and a received
message read into an :class:`~monev.inbound.receive.Incoming` with its attachments.

Outgoing e-mails carry ``Reply-To: bukti+<token>@domain`` (plus-addressing) and the
same token in their ``Message-ID`` (``<monev-<token>@domain>``), so a reply names it in
its ``To`` or, where the server drops the ``+`` part (Exchange), in ``In-Reply-To`` /
``References``. The token is the outbox row's id with an HMAC of it under the server
secret: it names one person's message of one day, reveals no name and cannot be made
up. Quoted text and signature images are not part of a reply: the text is cut at the
quote header, ``>`` lines dropped; small inline images and images the HTML shows by
``cid:`` are left out."""

from __future__ import annotations

import hashlib
import html
import mimetypes
import re
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from email.utils import getaddresses, parseaddr

from monev.engine.blobs import BlobWriter
from monev.inbound.mailtoken import read_token
from monev.inbound.receive import Incoming, Media

PLUS_RE = re.compile(r"\+(\d{1,12}-[a-z2-7]{16})@", re.IGNORECASE)
MSGID_RE = re.compile(r"<monev-(\d{1,12}-[a-z2-7]{16})@", re.IGNORECASE)
SIGNATURE_IMAGE = 8 * 1024  # an inline image smaller than this is a logo or an icon
SHOWN_IMAGE = 64 * 1024  # an image the HTML shows by cid: and smaller: part of the signature
SKIPPED_TYPES = {"application/pkcs7-signature", "application/x-pkcs7-signature",
                 "application/pgp-signature", "application/ms-tnef", "message/rfc822",
                 "message/delivery-status", "text/rfc822-headers"}
QUOTE_HEADER = re.compile(
    r"^(On .{0,200} wrote:|Pada .{0,200} menulis:|-{2,} ?(Original Message|Pesan Asli|"
    r"Forwarded message|Pesan yang diteruskan) ?-{2,}|_{10,}|(From|Dari|Sent|Dikirim): .*|"
    r"-- ?)$", re.IGNORECASE)
HTML_QUOTE = re.compile(r"<(blockquote|div[^>]*(gmail_quote|divRplyFwdMsg|appendonsend|"
                        r"moz-cite-prefix|yahoo_quoted))", re.IGNORECASE)
SUBJECT_PREFIX = re.compile(r"^\s*((re|fw|fwd|bls|balas|tr|aw)\s*:\s*)+", re.IGNORECASE)


@dataclass
class Mail:
    """A received e-mail as monev reads it; ``automatic``: an auto-reply or a bounce
    (never answered: two robots would answer each other forever)."""

    incoming: Incoming
    parts: dict[str, bytes] = field(default_factory=dict)
    automatic: bool = False

    def fetch(self, provider: str, media: Media, writer: BlobWriter) -> None:
        """``receive.Fetch``: the attachment is in the message already."""
        data = self.parts[media.ref]
        for start in range(0, len(data), 1 << 16):
            writer.write(data[start:start + (1 << 16)])


def read_mail(raw: bytes, secret: bytes) -> Mail:
    """The sender, text, answered token and attachments of one received message."""
    msg = message_from_bytes(raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    ident = str(msg.get("Message-ID", "")).strip() or \
        "sha256:" + hashlib.sha256(raw).hexdigest()
    sender = parseaddr(str(msg.get("From", "")))[1].strip().casefold()
    body = _body_part(msg)
    html_text = _html_of(msg)
    text = _unquoted(body) if body is not None else ""
    subject = SUBJECT_PREFIX.sub("", str(msg.get("Subject", "")))
    media, parts = _attachments(msg, html_text)
    incoming = Incoming("email", "imap", ident, sender, f"{subject}\n{text}".strip(),
                        _token(msg, secret), tuple(media))
    return Mail(incoming, parts, _automatic(msg, sender))


def _token(msg: EmailMessage, secret: bytes) -> str:
    """The first valid token: in a recipient's plus-address, else the answered ids."""
    addresses = getaddresses([str(v) for name in ("To", "Cc", "Delivered-To",
                                                  "X-Original-To") for v in
                              msg.get_all(name, [])])
    found = [t for _, addr in addresses for t in PLUS_RE.findall(addr)]
    found += [t for name in ("In-Reply-To", "References")
              for v in msg.get_all(name, []) for t in MSGID_RE.findall(str(v))]
    return next((t.lower() for t in found if read_token(t.lower(), secret) is not None), "")


def _automatic(msg: EmailMessage, sender: str) -> bool:
    auto = str(msg.get("Auto-Submitted", "no")).strip().lower()
    precedence = str(msg.get("Precedence", "")).strip().lower()
    local = sender.split("@", 1)[0]
    return (auto != "no" or precedence in ("bulk", "junk", "list")
            or "X-Autoreply" in msg or "X-Autorespond" in msg
            or msg.get_content_type() == "multipart/report"
            or not sender or local in ("mailer-daemon", "postmaster"))


def _body_part(msg: EmailMessage) -> str | None:
    part = msg.get_body(preferencelist=("plain", "html"))
    if part is None:
        return None
    content = part.get_content()
    if not isinstance(content, str):
        return None
    if part.get_content_type() == "text/html":
        return _html_to_text(content)
    return content


def _html_of(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("html",))
    content = part.get_content() if part is not None else ""
    return content if isinstance(content, str) else ""


def _html_to_text(markup: str) -> str:
    """The HTML body's own words: cut where the quoted message starts, tags dropped."""
    found = HTML_QUOTE.search(markup)
    markup = markup[:found.start()] if found else markup
    markup = re.sub(r"(?is)<(style|script)\b.*?</\1>", " ", markup)
    markup = re.sub(r"(?i)<br\s*/?>|</(p|div|tr|li)>", "\n", markup)
    return html.unescape(re.sub(r"<[^>]+>", " ", markup))


def _unquoted(text: str) -> str:
    """The lines the sender wrote: up to the quote header or signature, no ``>`` lines."""
    kept: list[str] = []
    for line in text.splitlines():
        if QUOTE_HEADER.match(line.strip()) or line.rstrip() == "--":
            break
        if not line.lstrip().startswith(">"):
            kept.append(line)
    return "\n".join(kept).strip()


def _attachments(msg: EmailMessage, html_text: str) -> tuple[list[Media], dict[str, bytes]]:
    """The files of the message, without its text bodies, signatures and small or
    HTML-shown images (logos)."""
    shown = {c.lower() for c in re.findall(r"cid:([^\s\"'>)]+)", html_text)}
    media: list[Media] = []
    parts: dict[str, bytes] = {}
    for n, part in enumerate(msg.walk()):
        if part.is_multipart() or _is_body(part):
            continue
        ctype = part.get_content_type()
        if ctype in SKIPPED_TYPES:
            continue
        data = _payload(part)
        if not data:
            continue
        if ctype.startswith("image/") and _signature_image(part, len(data), shown):
            continue
        name = part.get_filename() or f"lampiran-{n}{mimetypes.guess_extension(ctype) or ''}"
        ref = f"part{n}"
        parts[ref] = data
        media.append(Media(ref, name, ctype, len(data)))
    return media, parts


def _is_body(part: Message) -> bool:
    """A text part that is the message (or its HTML twin), not a file."""
    return part.get_content_maintype() == "text" and not part.get_filename() and \
        part.get_content_disposition() != "attachment"


def _payload(part: Message) -> bytes:
    data = part.get_payload(decode=True)
    return data if isinstance(data, bytes) else b""


def _signature_image(part: Message, size: int, shown: set[str]) -> bool:
    if part.get_content_disposition() == "attachment" and size >= SIGNATURE_IMAGE:
        return False
    cid = str(part.get("Content-ID", "")).strip().strip("<>").lower()
    return size < SIGNATURE_IMAGE or (bool(cid) and cid in shown and size < SHOWN_IMAGE)
