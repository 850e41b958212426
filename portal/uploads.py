"""Reading an evidence upload (multipart/form-data) as it streams in.

The body is never held in memory nor spooled whole: each file part goes chunk by
chunk into a ``BlobWriter`` (size limit counted while streaming, SHA-256 on the way),
form fields are capped small. The CSRF field must come before any file (the form puts
it first), so a forged request writes nothing at all. Only when the whole request was
read and every file was typed by its content are the files moved to their content
addresses — a refused or oversized upload leaves nothing stored."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import anyio
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from monev.engine.blobs import (
    Blob,
    BlobWriter,
    EvidenceRefused,
    EvidenceTooLarge,
    Kind,
    max_evidence_bytes,
)

MAX_FILES = 10
FIELD_LIMIT = 8 * 1024
FILE_FIELD = "berkas"


class UploadError(Exception):
    """An upload refused with an HTTP status and a message for the person."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


@dataclass
class Received:
    fields: dict[str, list[str]] = field(default_factory=dict)
    writers: list[BlobWriter] = field(default_factory=list)

    def value(self, name: str) -> str:
        return (self.fields.get(name) or [""])[0]

    def discard(self) -> None:
        for w in self.writers:
            w.discard()

    def commit(self) -> list[tuple[Blob, bool]]:
        """Type every file by its content, then store them all (or none)."""
        kinds: list[Kind] = []
        try:
            for w in self.writers:
                kinds.append(w.check())
        except EvidenceRefused as exc:
            self.discard()
            raise UploadError(415, str(exc)) from exc
        return [w.commit(k) for w, k in zip(self.writers, kinds, strict=True)]


class _Parts:
    """python-multipart callbacks building ``Received``; the first error stops it."""

    def __init__(self, home: Path, csrf_ok: Callable[[str], bool], limit: int) -> None:
        self.home, self.csrf_ok, self.limit = home, csrf_ok, limit
        self.out = Received()
        self.error: UploadError | None = None
        self._headers: dict[str, str] = {}
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

    def header_end(self) -> None:
        self._headers[self._hname.decode("latin-1").lower()] = \
            self._hvalue.decode("utf-8", "replace")
        self._hname, self._hvalue = b"", b""

    def headers_finished(self) -> None:
        if self.error:
            return
        _, params = parse_options_header(self._headers.get("content-disposition", ""))
        self._name = params.get(b"name", b"").decode("utf-8", "replace")
        filename = params.get(b"filename")
        if filename is None:
            return
        self._is_file = True
        if self._name != FILE_FIELD or not filename:
            return  # an empty file input, or a file under another name: ignored
        if not self.csrf_ok(self.out.value("csrf")):
            self.error = UploadError(403, "formulir kedaluwarsa atau tidak sah; muat ulang "
                                          "halaman lalu coba lagi")
            return
        if len(self.out.writers) >= MAX_FILES:
            self.error = UploadError(413, f"paling banyak {MAX_FILES} berkas sekali kirim")
            return
        self._writer = BlobWriter(self.home, filename.decode("utf-8", "replace"), self.limit)
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


async def read_upload(request: Request, home: Path, csrf_ok: Callable[[str], bool],
                      limit: int | None = None) -> Received:
    """The form and its files, streamed to disk; raises UploadError (nothing kept)."""
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
    parts = _Parts(home, csrf_ok, limit)
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
