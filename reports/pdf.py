"""PDF through headless Chromium's print-to-PDF of the report's own HTML (A4, page
numbers in the footer, table headers repeated on every page).

:class:`Printer` keeps one browser for several reports (a cycle writes several); the
Debian browser is driven through Playwright's Python API, nothing is downloaded."""

from __future__ import annotations

import os
import threading
from types import TracebackType
from typing import Any

from monev.errors import MonevError

CHROMIUM = os.environ.get("MONEV_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
FOOTER = ('<div style="font-size:7.5pt;width:100%;padding:0 14mm;color:#333;'
          'font-family:DejaVu Sans,sans-serif;display:flex;justify-content:space-between">'
          '<span>{title}</span><span>Halaman <span class="pageNumber"></span> dari '
          '<span class="totalPages"></span></span></div>')


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class Printer:
    """``with Printer() as p: p.pdf(html, title)`` — one browser, many documents.

    Playwright's sync API refuses to run inside an asyncio loop (Prefect runs flows in
    one): then the browser lives in a thread of its own."""

    def __init__(self) -> None:
        self._pw: Any = None
        self._browser: Any = None
        self._thread: _Worker | None = None

    def __enter__(self) -> Printer:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def _start(self) -> None:
        if not os.path.exists(CHROMIUM):
            raise MonevError(f"Chromium tidak ada di {CHROMIUM}: pasang paket chromium "
                             "(apt-get install chromium) untuk laporan PDF")
        from playwright.sync_api import sync_playwright

        self._pw = sync_playwright().start()
        self._browser = self._pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)

    def _print(self, html: str, title: str) -> bytes:
        if self._browser is None:
            self._start()
        page = self._browser.new_page()
        try:
            page.set_content(html, wait_until="load")
            data: bytes = page.pdf(
                format="A4", print_background=True, display_header_footer=True,
                header_template="<span></span>",
                footer_template=FOOTER.format(title=_escape(title[:110])),
                margin={"top": "16mm", "bottom": "18mm", "left": "14mm", "right": "14mm"})
        finally:
            page.close()
        return data

    def pdf(self, html: str, title: str = "") -> bytes:
        """The PDF of ``html`` (A4, "Halaman n dari m" in the footer)."""
        if self._thread is None and self._browser is None and _in_event_loop():
            self._thread = _Worker(self)  # decided once: Playwright's own loop looks alike
        if self._thread is not None:
            return self._thread.call(html, title)
        return self._print(html, title)

    def _close_here(self) -> None:
        if self._browser is not None:
            self._browser.close()
            self._browser = None
        if self._pw is not None:
            self._pw.stop()
            self._pw = None

    def close(self) -> None:
        if self._thread is not None:
            self._thread.stop()
            self._thread = None
        else:
            self._close_here()


def _in_event_loop() -> bool:
    import asyncio

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


class _Worker:
    """A thread that owns the browser (Playwright objects stay in their thread)."""

    def __init__(self, printer: Printer) -> None:
        import queue

        self.printer = printer
        self.jobs: queue.Queue[tuple[str, str] | None] = queue.Queue()
        self.results: queue.Queue[tuple[bytes | None, BaseException | None]] = queue.Queue()
        self.thread = threading.Thread(target=self._run, name="monev-pdf", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            job = self.jobs.get()
            if job is None:
                self.printer._close_here()
                return
            try:
                self.results.put((self.printer._print(*job), None))
            except BaseException as exc:  # noqa: BLE001 - handed to the caller
                self.results.put((None, exc))

    def call(self, html: str, title: str) -> bytes:
        self.jobs.put((html, title))
        data, exc = self.results.get()
        if exc is not None:
            raise exc
        assert data is not None
        return data

    def stop(self) -> None:
        self.jobs.put(None)
        self.thread.join(timeout=30)
