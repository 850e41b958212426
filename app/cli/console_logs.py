"""A console an admin can read: a Prefect log record that carries an exception (a
websocket cut when the server stops, a request cancelled at shutdown) is shown as one
line naming the error, and its full traceback goes to a log file under ``run/`` for the
admin who wants it. Uncaught exceptions in threads are treated the same way."""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from pathlib import Path
from types import TracebackType

from notifiers.redaction import install, redact

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


class OneLineTracebacks(logging.Formatter):
    """Wraps a console formatter: the record's exception becomes one line; the full
    text is appended to ``log``."""

    def __init__(self, inner: logging.Formatter, log: Path) -> None:
        super().__init__()
        self.inner, self.log = inner, log

    def format(self, record: logging.LogRecord) -> str:
        if not record.exc_info or record.exc_info[0] is None:
            return self.inner.format(record)
        exc = record.exc_info
        _append(self.log, self.inner.format(record))
        brief = logging.makeLogRecord(record.__dict__)
        brief.exc_info = brief.exc_text = None
        message = " ".join(record.getMessage().split())
        brief.msg = redact(f"{message} — {summary(exc[1])} (rincian di {self.log})")
        brief.args = None
        return self.inner.format(brief)


def summary(exc: BaseException | None) -> str:
    """``Type: message`` of an exception, on one line."""
    if exc is None:
        return "galat tanpa keterangan"
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _append(log: Path, text: str) -> None:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a", encoding="utf-8") as f:
        f.write(redact(text).rstrip("\n") + "\n")


def _console_handlers() -> list[logging.Handler]:
    loggers = [logging.getLogger()] + [
        x for x in logging.Logger.manager.loggerDict.values() if isinstance(x, logging.Logger)]
    found: list[logging.Handler] = []
    for logger in loggers:
        for handler in logger.handlers:
            stream = getattr(handler, "stream", None)
            if stream in (sys.stderr, sys.stdout) and handler not in found:
                found.append(handler)
    return found


def keep_tracebacks_in(log: Path) -> None:
    """Route every traceback of this process to ``log``; the console keeps one line.
    No secret reaches either (:mod:`notifiers.redaction`)."""
    install()
    for handler in _console_handlers():
        install(handler)
        inner = handler.formatter or logging.Formatter()
        if not isinstance(inner, OneLineTracebacks):
            handler.setFormatter(OneLineTracebacks(inner, log))

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None:
            return
        _append(log, "".join(traceback.format_exception(
            args.exc_type, args.exc_value, args.exc_traceback)))
        name = args.thread.name if args.thread else "?"
        print(redact(f"galat di thread {name}: {summary(args.exc_value)} (rincian di {log})"),
              file=sys.stderr)

    threading.excepthook = thread_hook
