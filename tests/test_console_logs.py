"""The console of ``monev up`` and its runner shows no traceback: a log record with an
exception becomes one line, the full text lands in the log file."""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.cli.console_logs import keep_tracebacks_in


@pytest.fixture
def console() -> Iterator[logging.Logger]:
    """A logger whose handler writes to the console; the handler is added by
    :func:`_show_on_console` inside the test, where capsys owns ``sys.stderr``."""
    logger = logging.getLogger("monev.test.console")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    hook = threading.excepthook
    try:
        yield logger
    finally:
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
        threading.excepthook = hook


def _show_on_console(logger: logging.Logger) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s | %(name)s - %(message)s"))
    logger.addHandler(handler)


def _failing() -> None:
    try:
        raise ConnectionError("connection closed while reading HTTP status line")
    except ConnectionError as exc:
        raise RuntimeError("websocket gagal") from exc


def test_a_logged_exception_is_one_line_and_its_traceback_goes_to_the_file(
        console: logging.Logger, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    log = tmp_path / "run" / "runner.log"
    _show_on_console(console)
    keep_tracebacks_in(log)
    keep_tracebacks_in(log)  # twice: wrapped once
    try:
        _failing()
    except RuntimeError:
        console.warning("Observer gagal; beralih ke polling.", exc_info=True)
    console.info("biasa %s", "saja")
    shown = capsys.readouterr().err.splitlines()
    assert shown == [
        "WARNING | monev.test.console - Observer gagal; beralih ke polling. — "
        f"RuntimeError: websocket gagal (rincian di {log})",
        "INFO | monev.test.console - biasa saja"]
    kept = log.read_text(encoding="utf-8")
    assert kept.count("Traceback (most recent call last):") == 2  # the cause too
    assert "ConnectionError: connection closed" in kept and "biasa saja" not in kept


def test_an_uncaught_exception_in_a_thread_is_one_line(
        console: logging.Logger, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    log = tmp_path / "up.log"
    _show_on_console(console)
    keep_tracebacks_in(log)
    worker = threading.Thread(target=_failing, name="pengamat")
    worker.start()
    worker.join()
    shown = capsys.readouterr().err
    assert shown == (f"galat di thread pengamat: RuntimeError: websocket gagal "
                     f"(rincian di {log})\n")
    assert "Traceback" in log.read_text(encoding="utf-8")
