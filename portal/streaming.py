"""Streaming a file that is written, not read: a writer (``write_bundle_to`` of the
evidence bundle) runs in its own thread into a pipe whose chunks the response sends
as they come — no temporary file, memory bounded by a few chunks, and a download
cancelled by the browser stops the writer at its next write."""

from __future__ import annotations

import io
import queue
import threading
from collections.abc import Callable, Iterator
from typing import BinaryIO, cast

CHUNK = 256 * 1024
AHEAD = 8  # chunks written ahead of the sending (bounded memory)
_END = b""


class Cancelled(OSError):
    """The reader went away (download cancelled): the writer stops."""


class _Pipe(io.RawIOBase):
    """A write-only, unseekable stream handing chunks to a queue."""

    def __init__(self, chunks: queue.Queue[bytes | BaseException], gone: threading.Event
                 ) -> None:
        super().__init__()
        self._chunks, self._gone = chunks, gone
        self._buffer = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self._buffer += data
        if len(self._buffer) >= CHUNK:
            self.hand_over()
        return len(data)

    def hand_over(self) -> None:
        if self._buffer:
            self.put(bytes(self._buffer))
            self._buffer.clear()

    def put(self, item: bytes | BaseException) -> None:
        while True:
            if self._gone.is_set():
                raise Cancelled("download cancelled")
            try:
                self._chunks.put(item, timeout=0.5)
                return
            except queue.Full:
                continue


def streamed(write: Callable[[BinaryIO], object]) -> Iterator[bytes]:
    """The bytes ``write(stream)`` writes, chunk by chunk, while it writes them."""
    chunks: queue.Queue[bytes | BaseException] = queue.Queue(maxsize=AHEAD)
    gone = threading.Event()
    pipe = _Pipe(chunks, gone)

    def run() -> None:
        try:
            write(cast(BinaryIO, pipe))
            pipe.hand_over()
            pipe.put(_END)
        except Cancelled:
            return
        except BaseException as exc:  # noqa: BLE001 — handed to the response to raise
            try:
                pipe.put(exc)
            except Cancelled:
                return

    writer = threading.Thread(target=run, name="monev-stream", daemon=True)
    writer.start()
    try:
        while True:
            item = chunks.get()
            if isinstance(item, BaseException):
                raise item
            if item == _END:
                return
            yield item
    finally:  # done, failed or cancelled: a writer still running stops at its next write
        gone.set()
