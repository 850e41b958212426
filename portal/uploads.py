"""Reading an evidence upload (multipart/form-data) as it streams in.

The body is never held in memory nor spooled whole: each file part goes chunk by
chunk into a ``BlobWriter`` (size limit counted while streaming, SHA-256 on the way),
form fields are capped small. The CSRF field must come before any file (the form puts
it first), so a forged request writes nothing at all. Only when the whole request was
read and every file was typed by its content are the files moved to their content
addresses — a refused or oversized upload leaves nothing stored.

File names may be any Unicode: a part's headers are read as bytes, a name as UTF-8
(RFC 7578, what browsers send; Latin-1 only when the bytes are not UTF-8), with the
RFC 5987/2231 ``filename*`` preferred when present (see ``disposition``)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote_to_bytes

import anyio
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from monev.engine.blobs import BlobWriter, EvidenceTooLarge, max_evidence_bytes

MAX_FILES = 10
FIELD_LIMIT = 8 * 1024
HEADER_LIMIT = 16 * 1024  # one part's header line (a long name, percent-encoded)
FILE_FIELD = "berkas"
# What browsers percent-escape in a quoted name (HTML form-data encoding); any other
# "%xx" is part of the name itself
_BROWSER_ESCAPES = re.compile(r"%(22|0d|0a)", re.IGNORECASE)
_CHARSETS = {"utf-8": "utf-8", "utf8": "utf-8", "iso-8859-1": "latin-1",
             "latin1": "latin-1", "us-ascii": "ascii"}


class UploadError(Exception):
    """An upload refused with an HTTP status and a message for the person."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


@dataclass
class Received:
    fields: dict[str, list[str]] = field(default_factory=dict)
    writers: list[BlobWriter] = field(default_factory=list)
    repeat: bool = False  # a form already stored (its key): its files were not kept

    def value(self, name: str) -> str:
        return (self.fields.get(name) or [""])[0]

    def discard(self) -> None:
        for w in self.writers:
            w.discard()


class _Parts:
    """python-multipart callbacks building ``Received``; the first error stops it."""

    def __init__(self, home: Path, csrf_ok: Callable[[str], bool], limit: int,
                 repeat: Callable[[str], bool] | None = None, key_field: str = "") -> None:
        self.home, self.csrf_ok, self.limit = home, csrf_ok, limit
        self.repeat, self.key_field = repeat, key_field
        self._asked = False
        self.out = Received()
        self.error: UploadError | None = None
        self._headers: dict[str, bytes] = {}
        self._hname = self._hvalue = b""
        self._name = ""
        self._value = bytearray()
        self._writer: BlobWriter | None = None
        self._is_file = False

    def callbacks(self) -> dict[str, Callable[..., None]]:
        return {"on_part_begin": self.part_begin, "on_header_field": self.header_field,
                "on_header_value": self.header_value, "on_header_end": self.header_end,
                "on_headers_finished": self.headers_finished, "on_part_data": self.part_data,
                "on_part_end": self.part_end}

    def part_begin(self) -> None:
        self._headers, self._hname, self._hvalue = {}, b"", b""
        self._value, self._writer, self._is_file, self._name = bytearray(), None, False, ""

    def header_field(self, data: bytes, start: int, end: int) -> None:
        self._hname += data[start:end]

    def header_value(self, data: bytes, start: int, end: int) -> None:
        self._hvalue += data[start:end]
        if len(self._hvalue) > HEADER_LIMIT and self.error is None:
            self.error = UploadError(400, "nama berkas terlalu panjang; ganti namanya lalu "
                                          "kirim lagi")

    def header_end(self) -> None:
        self._headers[self._hname.decode("latin-1").lower()] = self._hvalue
        self._hname, self._hvalue = b"", b""

    def headers_finished(self) -> None:
        if self.error:
            return
        self._name, filename = disposition(self._headers.get("content-disposition", b""))
        if filename is None:
            return
        self._is_file = True
        if self._name != FILE_FIELD or not filename:
            return  # an empty file input, or a file under another name: ignored
        if not self.csrf_ok(self.out.value("csrf")):
            self.error = UploadError(403, "formulir kedaluwarsa atau tidak sah; muat ulang "
                                          "halaman lalu coba lagi")
            return
        if self.repeat is not None and not self._asked:  # once, before any file is kept
            self._asked = True
            key = self.out.value(self.key_field)
            self.out.repeat = bool(key) and self.repeat(key)
        if self.out.repeat:
            return  # the same form again: read on, keep nothing
        if len(self.out.writers) >= MAX_FILES:
            self.error = UploadError(413, f"paling banyak {MAX_FILES} berkas sekali kirim")
            return
        self._writer = BlobWriter(self.home, filename, self.limit)
        self.out.writers.append(self._writer)

    def part_data(self, data: bytes, start: int, end: int) -> None:
        if self.error:
            return
        if self._writer is not None:
            try:
                self._writer.write(data[start:end])
            except EvidenceTooLarge as exc:
                self.error = UploadError(413, str(exc))
        elif not self._is_file:
            self._value += data[start:end]
            if len(self._value) > FIELD_LIMIT:
                self.error = UploadError(413, "isian formulir terlalu panjang")

    def part_end(self) -> None:
        if self.error or self._is_file:
            return
        self.out.fields.setdefault(self._name, []).append(self._value.decode("utf-8",
                                                                              "replace"))


def disposition(raw: bytes) -> tuple[str, str | None]:
    """(field name, file name or None) of a part's ``Content-Disposition`` bytes.

    Names arrive as browsers send them: raw UTF-8 inside the quotes, with ``"``, CR and
    LF escaped as %22/%0D/%0A (HTML's form-data encoding); ``\\"`` and ``\\\\`` as
    quoted-pairs (other clients); ``filename*=UTF-8''…`` (RFC 5987/2231, continuations
    too) wins over ``filename`` when it decodes. The name is only displayed after
    ``safe_name``; the file is stored by its hash."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")  # an old client's 8-bit name: at least not garbled
    params = _params(text)
    name = _unescape(params.get("name", ""))
    filename = _extended(params, "filename")
    if filename is None and "filename" in params:
        filename = _unescape(params["filename"])
    return name, filename


def _params(text: str) -> dict[str, str]:
    """``key=value`` parameters after the first ``;`` (values plain or quoted), keys in
    lower case, the first of a repeated key kept."""
    out: dict[str, str] = {}
    i, n = text.find(";"), len(text)
    while 0 <= i < n:
        i += 1
        eq, semi = text.find("=", i), text.find(";", i)
        if eq < 0:
            break
        if 0 <= semi < eq:  # a parameter without a value
            i = semi
            continue
        key, i = text[i:eq].strip().lower(), eq + 1
        while i < n and text[i] in " \t":
            i += 1
        if i < n and text[i] == '"':
            i, chars = i + 1, []
            while i < n and text[i] != '"':
                if text[i] == "\\" and i + 1 < n and text[i + 1] in '"\\':
                    i += 1
                chars.append(text[i])
                i += 1
            value = "".join(chars)
            i = text.find(";", i)
        else:
            end = text.find(";", i)
            value, i = text[i:end if end >= 0 else n].strip(), end
        out.setdefault(key, value)
    return out


def _unescape(value: str) -> str:
    return _BROWSER_ESCAPES.sub(lambda m: chr(int(m.group(1), 16)), value)


def _extended(params: dict[str, str], key: str) -> str | None:
    """RFC 2231 ``key*`` (or ``key*0*``, ``key*1``, …) decoded, or None."""
    if f"{key}*" in params:
        pieces = [(params[f"{key}*"], True)]
    else:
        numbered: dict[int, tuple[str, bool]] = {}
        for k, v in params.items():
            found = re.fullmatch(re.escape(key) + r"\*(\d{1,3})(\*?)", k)
            if found:
                numbered[int(found.group(1))] = (v, bool(found.group(2)))
        pieces = []
        while len(pieces) in numbered:  # up to the first gap
            pieces.append(numbered[len(pieces)])
        if not pieces:
            return None
    charset = "utf-8"
    first, encoded = pieces[0]
    if encoded:
        declared, _, rest = first.partition("'")
        _lang, quote, first = rest.partition("'")
        charset = _CHARSETS.get(declared.strip().lower(), "")
        if not quote or not charset:
            return None
    pieces[0] = (first, encoded)
    data = b"".join(unquote_to_bytes(v) if enc else v.encode(charset, "replace")
                    for v, enc in pieces)
    try:
        return data.decode(charset)
    except UnicodeDecodeError:
        return None


async def read_upload(request: Request, home: Path, csrf_ok: Callable[[str], bool],
                      limit: int | None = None, repeat: Callable[[str], bool] | None = None,
                      key_field: str = "") -> Received:
    """The form and its files, streamed to disk; raises UploadError (nothing kept).

    ``repeat(key)`` is asked at the first file with the form's ``key_field`` (which
    comes before the files): when it says the form was stored already, the files are
    read but not kept (``Received.repeat``)."""
    limit = max_evidence_bytes() if limit is None else limit
    hard_cap = MAX_FILES * limit + 1024 * 1024  # past this the body is not even read
    ctype, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if ctype == b"application/x-www-form-urlencoded":  # a link only, no file input
        return await _read_fields(request)
    if ctype != b"multipart/form-data" or not boundary:
        raise UploadError(400, "formulir harus dikirim sebagai multipart/form-data")
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > hard_cap:
        raise UploadError(413, f"kiriman terlalu besar (batas {limit // (1024 * 1024)} MB "
                               "per berkas)")
    parts = _Parts(home, csrf_ok, limit, repeat, key_field)
    parser = MultipartParser(boundary, parts.callbacks())  # type: ignore[arg-type]
    seen = 0
    try:
        async for chunk in request.stream():
            seen += len(chunk)
            if seen > hard_cap:
                parts.error = parts.error or UploadError(413, "kiriman terlalu besar")
                break
            if parts.error is None:
                await anyio.to_thread.run_sync(parser.write, chunk)
            elif parts.error.status != 413:
                break  # forged or malformed: stop reading
        if parts.error is None:
            parser.finalize()
    except UploadError:
        raise
    except Exception as exc:  # malformed multipart
        parts.out.discard()
        raise UploadError(400, "formulir tidak dapat dibaca; coba kirim lagi") from exc
    if parts.error is not None:
        parts.out.discard()
        raise parts.error
    return parts.out


async def _read_fields(request: Request) -> Received:
    from urllib.parse import parse_qs

    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > 4 * FIELD_LIMIT:
            raise UploadError(413, "isian formulir terlalu panjang")
    fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    return Received(fields={k: v for k, v in fields.items()})
